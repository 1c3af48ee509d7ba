"""The Predict-first question the Step page asks at a stage: lab.predict's, with the tolerances the printed numbers
allow, and an entry's value only where the page lets a learner read the numbers it needs."""
from engine.conv import Conv2d
from lab.exercise import fingerprint
from lab.predict import question
from viz.by_hand import errors
from viz.entries import answerable, prints_numbers
from viz.latex_sums import MAX_TERMS
from viz.stage_view import stage_tensors


def patch(layer):
    """How many cells of x (and of W[o]) a Conv2d's y[n, o, i, j] reads: C_in × k × k; 0 for another layer."""
    return layer.in_channels * layer.kernel_size ** 2 if isinstance(layer, Conv2d) else 0


def stage_question(trace, stage, layers, readable=None):
    """The Question of `stage` (None where it has none). readable: presenter mode's predicate on a value question
    (ui.present.readable); by default entries.answerable (no sum over 128 cells to hover), and no Conv2d output
    entry whose patch of an unprinted x holds more than MAX_TERMS cells (8 channels × 3 × 3 = 72)."""
    if readable is None:
        tensors = stage_tensors(trace, stage, layers)
        few = answerable(tensors)
        layer = layers[stage.index] if stage.kind == "forward" and stage.index < len(layers) else None
        hovered = patch(layer) > MAX_TERMS and not all(prints_numbers(t) for t in tensors if t.id == "input")
        readable = (lambda q: few(q) and not (q.about and q.about[0] == "output")) if hovered else few
    return question(trace, stage, fingerprint(trace), errors(trace, stage, layers), readable)
