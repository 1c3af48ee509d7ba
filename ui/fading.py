"""Work out one entry by hand, faded: Worked, Last step blank (type the result), On your own (formula only).

The learner's answers are kept per recorded iteration, stage, entry and item; a checked answer is marked,
with one line on what went wrong where it can be told, and then the worked version is shown.
"""
import streamlit as st

from i18n import domain
from lab.predict import Question, hint, is_right, shown, swapped_entry, tolerance
from ui import number_field
from ui.actions import error_for, lab
from ui.cache import iteration_store
from viz.fade import LEVELS

_, ngettext = domain("ui")
LEVEL, STORE = "by_hand_level", "_by_hand_answers"


def level():
    return st.session_state.get(LEVEL) or LEVELS[0]


def item_key(focus_key, k):
    return (str(lab().current), focus_key, k)


def question_of(worked):
    """The typed value's Question: right within what the printed numbers it is computed from allow."""
    engine, trace, stage = float(worked.engine), lab().trace, lab().current
    log = worked.tensor == "output" and stage.kind == "forward" and trace.forward[stage.index].name == "LogSoftMax"
    return Question("by_hand", str(stage), worked.what, "number", engine, tol=tolerance(engine, worked.error, worked.step),
                    log=log)


def tolerance_text(worked):
    """The caption under a value to type: its tolerance, and that the printed numbers are enough."""
    return _("Right within ±{tol}: the numbers as written here or printed in the cells are enough.").format(
        tol=f"{question_of(worked).tol:.2g}")


def verdict(checked, worked):
    """(right, the line that marks a checked value), numbers with 4 significant digits."""
    if checked["right"]:
        return True, _("Right.")
    typed, value = shown(checked["answer"]), shown(worked.engine, question_of(worked).tol)
    if checked["why"]:
        return False, _("Not quite: you typed {typed}; it is {value}. Yours is {why}.").format(
            typed=typed, value=value, why=checked["why"])
    return False, _("Not quite: you typed {typed}; it is {value}.").format(typed=typed, value=value)


def answer_key(k):
    return f"by_hand_answer_{k}"


def draw_answer(k):
    """The field for item k's value (0.057 or 0,057)."""
    number_field.field(_("Your value"), answer_key(k), width=220)


def answer_error(k):
    """The message beside item k's field while its text is no number."""
    error_for(answer_key(k))


def on_check(focus_key, k, worked, swapped):
    """Check button: mark the typed value for item k of the shown entry."""
    readable, answer = number_field.read(answer_key(k))
    if not readable:
        return  # the field's message says how to type a number; the item stays unchecked
    q = question_of(worked)
    right = is_right(q, answer)
    n = len(lab().trace.forward[0].input)
    iteration_store(STORE)["views"][item_key(focus_key, k)] = {
        "answer": answer, "right": right, "why": None if right else hint(q, answer, swapped, n)}


def result(focus_key, k):
    """{"answer", "right", "why"} once item k was checked at this entry, else None."""
    return iteration_store(STORE)["views"].get(item_key(focus_key, k))


def hides_results(focus_key, worked):
    """True while a faded level is chosen and an item of the shown entry is not checked yet: the stage's
    result heatmaps wait, so that the value is worked out from the formula and the inputs."""
    return level() != LEVELS[0] and any(result(focus_key, k) is None for k in range(len(worked or ())))


swapped_value = swapped_entry  # the page's name for it
