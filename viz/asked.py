"""The Predict-first question the Step page asks at a stage: lab.predict's, with the tolerances the printed numbers
allow, and an entry's value only where the page lets a learner read the numbers it needs."""
from lab.exercise import fingerprint
from lab.predict import question
from viz.by_hand import errors
from viz.entries import answerable
from viz.stage_view import stage_tensors


def stage_question(trace, stage, layers, readable=None):
    """The Question of `stage` (None where it has none). readable: presenter mode's predicate on a value question
    (ui.present.readable); by default entries.answerable (no sum over 128 cells to hover)."""
    if readable is None:
        readable = answerable(stage_tensors(trace, stage, layers))
    return question(trace, stage, fingerprint(trace), errors(trace, stage, layers), readable)
