"""The Predict-first question the Step page asks at a stage: lab.predict's, with the tolerances the printed numbers
allow, and an entry's value only where the page lets a learner read the numbers it needs."""
from engine.conv import Conv2d
from lab.exercise import fingerprint
from lab.predict import question
from viz.by_hand import errors
from viz.entries import answerable
from viz.stage_view import stage_tensors


def patch(layer):
    """How many cells of x (and of W[o]) a Conv2d's y[n, o, i, j] reads: C_in × k × k; 0 for another layer."""
    return layer.in_channels * layer.kernel_size ** 2 if isinstance(layer, Conv2d) else 0


def stage_question(trace, stage, layers, readable=None):
    """The Question of `stage` (None where it has none). readable: presenter mode's predicate on a value question
    (ui.present.readable); by default entries.answerable: no sum over 128 cells to hover, nor over a Conv2d's
    window of 8 channels × 3 × 3 = 72."""
    if readable is None:
        layer = layers[stage.index] if stage.kind == "forward" and stage.index < len(layers) else None
        readable = answerable(stage_tensors(trace, stage, layers), patch(layer))
    return question(trace, stage, fingerprint(trace), errors(trace, stage, layers), readable)
