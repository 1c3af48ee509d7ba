"""Predict first on the Step page: each stage's question, the learner's answer, the reveal and the score.

The answers live per recorded iteration (ui.cache.iteration_store): Prev, Next and the slider keep an
answered stage revealed; a new iteration or network asks afresh. The one answer widget is keyed
"predict_answer"; its value is dropped whenever another stage's question is drawn.
"""
import streamlit as st

import i18n

from lab.exercise import fingerprint
from engine.sequential import layers_of
from lab.predict import hint, is_right, question, shown
from viz.by_hand import errors
from viz.entries import focus_at
from ui import focus, present
from ui.actions import lab
from ui.cache import iteration_store

STORE, ANSWER, ASKED = "_predict", "predict_answer", "_predict_asked"
TOGGLE = "step_predict"


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
        views[key] = question(trace, stage, fingerprint(trace), errors(trace, stage, layers_of(lab().model)),
                              present.readable if present.on() else None)
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
    answer = st.session_state.get(ANSWER)
    _reveal(answer, is_right(q, answer))


def on_skip():
    _reveal(None, None)


def verdict():
    """(right or None, markdown) of the shown stage's answer."""
    q, given = current_question(), answer_of()
    expected = (", ".join(map(str, q.answer)) or "none") if isinstance(q.answer, tuple) else \
        shown(q.answer, q.tol) if q.widget == "number" else q.answer
    if given["right"] is None:
        return None, f"Skipped. The answer: **{expected}**."
    if given["right"]:
        return True, f"Right: **{expected}**."
    said = shown(given["answer"]) if q.widget == "number" else repr(given["answer"])
    why = hint(q, given["answer"], n=len(lab().trace.forward[0].input))
    return False, f"Not quite: you said {said}; the answer is **{expected}**." + (f" Yours is {why}." if why else "")


def score():
    """(right, answered, [(stage name, kind)] answered wrong) for the iteration so far."""
    answers = _store()["answers"]
    wrong = [(stage, a["kind"]) for stage, a in answers.items() if a["right"] is False]
    answered = [a for a in answers.values() if a["right"] is not None]
    return sum(a["right"] for a in answered), len(answered), wrong


def answer_widget(asked):
    """The answer widget (key predict_answer) of a question: a number, one option, or several."""
    if asked.widget == "number":
        st.number_input("Your answer", key=ANSWER, value=None, format="%.10g", width=260)
    elif asked.widget == "radio":
        st.radio("Your answer", asked.options, index=None, key=ANSWER, horizontal=True, width="content")
    else:
        st.multiselect("Your answer", asked.options, key=ANSWER, width=420)


def draw_question(asked):
    """The shown stage's question with its answer widget, Check and Skip; or, once answered, the verdict."""
    if hidden():
        prepare_widget()
        with st.container(border=True, key="predict_box"):
            st.markdown(f"**Predict first.** {asked.text}")
            with st.container(horizontal=True, vertical_alignment="bottom"):
                answer_widget(asked)
                st.button("Check", key="predict_submit", on_click=on_check, type="primary")
                st.button("Skip", key="predict_skip", on_click=on_skip)
            st.caption("The stage's results appear once you check or skip; its inputs are drawn above.")
        return
    right, text = verdict()
    (st.success if right else st.info if right is None else st.error)(text)


def draw_score(stages, jump):
    """At the last stage: the iteration's score, and a button to each stage answered wrong."""
    right, answered, wrong = score()
    st.markdown(f"**This iteration's score: {right} of {answered}.**" + (" Worth another look:" if wrong else ""))
    with st.container(horizontal=True):
        for n, (name, kind) in enumerate(wrong):
            st.button(f"{kind.replace('_', ' ')} at {name}", key=f"predict_review_{n}",
                      on_click=jump, args=([str(s) for s in stages].index(name),))
