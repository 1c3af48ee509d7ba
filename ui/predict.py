"""Predict first on the Step page: each stage's question, the learner's answer, the reveal and the score.

The answers live per recorded iteration (ui.cache.iteration_store): Prev, Next and the slider keep an
answered stage revealed; a new iteration or network asks afresh. The one answer widget is keyed
"predict_answer"; its value is dropped whenever another stage's question is drawn.
"""
from contextlib import nullcontext

import streamlit as st

import i18n
from i18n import N_, domain
from engine.sequential import layers_of
from lab.predict import hint, is_right, shown
from viz.asked import stage_question
from viz.entries import focus_at
from ui import focus, number_field, present
from ui.actions import ERRORS, error_for, lab
from ui.cache import iteration_store

_, ngettext = domain("ui")
STORE, ANSWER, ASKED = "_predict", "predict_answer", "_predict_asked"
TOGGLE = "step_predict"
KINDS = {"shape": N_("shape"), "value": N_("value"), "sign": N_("sign"), "zeros": N_("zeros"), "kept": N_("kept"),
         "row_sum": N_("row sum"), "direction": N_("direction"), "new_value": N_("new value"), "loss": N_("loss")}


def on():
    return bool(st.session_state.get(TOGGLE))


def _store():
    return iteration_store(STORE, answers={})


def current_question():
    """The shown stage's Question (None where the stage has none)."""
    trace, stage = lab().trace, lab().current
    # presenter mode asks what a class can read; the same question (it follows from the numbers) in each language
    views, key = _store()["views"], (str(stage), present.on(), i18n.current())
    if key not in views:
        views[key] = stage_question(trace, stage, layers_of(lab().model), present.readable if present.on() else None)
    return views[key]


def answer_of(stage=None):
    """{"answer", "right" (None: skipped)} of a stage, or None while it is unanswered."""
    return _store()["answers"].get(str(stage if stage is not None else lab().current))


def hidden():
    """True when the shown stage's results are to stay hidden: Predict first on, a question, no answer yet; or a
    class's question at this stage not yet revealed (ui/classroom.py)."""
    from ui import classroom  # it draws its question with this module's widgets
    return classroom.hides() or on() and current_question() is not None and answer_of() is None


def asked_focus(tensors):
    """While the shown stage's question waits for its answer: the asked entry as the focus (the heatmaps
    outline the rows, columns or entries it is computed from), else None."""
    if not hidden():
        return None
    about = current_question().about
    results = {t.id for t in tensors if t.result}
    return focus_at(tensors, *about) if about is not None and about[0] in results else None


def prepare_widget():
    """Drop the answer widget's value when it was drawn for another stage (its type may differ too)."""
    stage = str(lab().current)
    if st.session_state.get(ASKED) != stage:
        st.session_state.pop(ANSWER, None)
        st.session_state.get(ERRORS, {}).pop(ANSWER, None)  # a message about another stage's answer
        st.session_state[ASKED] = stage


def _reveal(answer, right):
    q = current_question()
    _store()["answers"][q.stage] = {"answer": answer, "right": right, "kind": q.kind}
    if q.about is not None:
        tensor_id, row, col = q.about
        if tensor_id in {t.id for t in focus.tensors() if t.result}:
            focus.choose(tensor_id, row, col)  # the by-hand working of that entry opens


def on_check():
    q = current_question()
    readable, answer = number_field.read(ANSWER) if q.widget == "number" else (True, st.session_state.get(ANSWER))
    if readable:  # else the field's message says how to type a number, and the question waits
        _reveal(answer, is_right(q, answer))


def on_skip():
    _reveal(None, None)


def verdict():
    """(right or None, markdown) of the shown stage's answer."""
    q, given = current_question(), answer_of()
    expected = (", ".join(map(str, q.answer)) or _("none")) if isinstance(q.answer, tuple) else \
        shown(q.answer, q.tol) if q.widget == "number" else q.answer
    if given["right"] is None:
        return None, _("Skipped. The answer: **{expected}**.").format(expected=expected)
    if given["right"]:
        return True, _("Right: **{expected}**.").format(expected=expected)
    said = shown(given["answer"]) if q.widget == "number" else repr(given["answer"])
    why = hint(q, given["answer"], n=len(lab().trace.forward[0].input))
    if why:
        return False, _("Not quite: you said {said}; the answer is **{expected}**. Yours is {why}.").format(
            said=said, expected=expected, why=why)
    return False, _("Not quite: you said {said}; the answer is **{expected}**.").format(said=said, expected=expected)


def score():
    """(right, answered, [(stage name, kind)] answered wrong) for the iteration so far."""
    answers = _store()["answers"]
    wrong = [(stage, a["kind"]) for stage, a in answers.items() if a["right"] is False]
    answered = [a for a in answers.values() if a["right"] is not None]
    return sum(a["right"] for a in answered), len(answered), wrong


def answer_widget(asked, label="visible"):
    """The answer widget (key predict_answer) of a question: a number (0.057 or 0,057), one option, or several."""
    if asked.widget == "number":
        number_field.field(_("Your answer"), ANSWER, width=260, label_visibility=label)
    elif asked.widget == "radio":
        st.radio(_("Your answer"), asked.options, index=None, key=ANSWER, horizontal=True, width="content",
                 label_visibility=label)
    else:
        st.multiselect(_("Your answer"), asked.options, key=ANSWER, width=420, label_visibility=label)


def draw_question(asked):
    """The shown stage's question with its answer widget, Check and Skip; or, once answered, the verdict."""
    if hidden():
        prepare_widget()
        # On a projector the box is pinned over the stage (ui/present.py): the question is the title of a fold
        # the class can close, the answer, Check and Skip one row under it.
        compact = present.on()
        label = "collapsed" if compact else "visible"
        with st.container(border=True, key="predict_box"):
            title = _("**Predict first.** {question}").format(question=asked.text)
            with st.expander(title, expanded=True) if compact else nullcontext():
                if not compact:
                    st.markdown(title)
                with st.container(horizontal=True, vertical_alignment="bottom"):
                    answer_widget(asked, label)
                    st.button(_("Check"), key="predict_submit", on_click=on_check, type="primary")
                    st.button(_("Skip"), key="predict_skip", on_click=on_skip)
                error_for(ANSWER)
                if not compact:
                    st.caption(_("The stage's results appear once you check or skip; its inputs are drawn above."))
        return
    right, text = verdict()
    (st.success if right else st.info if right is None else st.error)(text)


def draw_score(stages, jump):
    """At the last stage: the iteration's score, and a button to each stage answered wrong."""
    right, answered, wrong = score()
    st.markdown(_("**This iteration's score: {right} of {answered}.** Worth another look:").format(
        right=right, answered=answered) if wrong else
        _("**This iteration's score: {right} of {answered}.**").format(right=right, answered=answered))
    with st.container(horizontal=True):
        for n, (name, kind) in enumerate(wrong):
            st.button(_("{kind} at {stage}").format(kind=_(KINDS.get(kind, kind)), stage=name), key=f"predict_review_{n}",
                      on_click=jump, args=([str(s) for s in stages].index(name),))
