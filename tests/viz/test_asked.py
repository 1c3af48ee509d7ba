"""viz.asked: the Step page's Predict-first question asks an entry's value only where the page lets a learner read
every number it needs: printed in the cells, or a few cells to hover, never a sum over 128 hovered cells."""
import pytest

from engine.sequential import layers_of
from lab.exercise import fingerprint
from lab.predict import question, questions
from lab.presets import PRESETS
from tests.uploaded import preset_lab
from viz.asked import patch, stage_question
from viz.by_hand import errors
from viz.entries import answerable, focus_at, hovers
from viz.latex_sums import MAX_TERMS
from viz.stage_view import stage_tensors

VALUES = ("value", "new_value")


def hovered(lab, stage, q):
    """How many cells of one unprinted operand the asked entry reads."""
    tensors = stage_tensors(lab.trace, stage, layers_of(lab.model))
    return hovers(tensors, focus_at(tensors, *q.about))


@pytest.mark.parametrize("preset", list(PRESETS))
def test_no_stage_asks_a_value_needing_more_than_16_hovered_cells_and_only_those_are_refused(preset):
    lab = preset_lab(preset)
    layers = layers_of(lab.model)
    refused = 0
    for stage in lab.trace.stages:
        error = errors(lab.trace, stage, layers)
        every = questions(lab.trace, stage, error)
        asked = stage_question(lab.trace, stage, layers)
        if asked is not None and asked.kind in VALUES:
            assert hovered(lab, stage, asked) <= MAX_TERMS, (stage, asked.text)
        long = [q for q in every if q.kind in VALUES and q.about and hovered(lab, stage, q) > MAX_TERMS]
        refused += len(long)
        if not long:  # nothing to refuse: the very question lab.predict picks among all its kinds
            assert asked == question(lab.trace, stage, fingerprint(lab.trace), error)
        else:
            assert asked is not None and asked not in long  # the stage asks another kind: a shape, a sign, ...
    if preset in ("digits", "cnn_digits", "cnn_csv"):
        assert refused  # y[10, 55] = x[10, :] W[:, 55] + b[55] on the digits MLP: 128 cells of x, 128 of W


def test_the_digits_mlp_asks_no_128_term_sum_but_a_value_of_few_cells_still():
    """Forward 2, a Linear(128 → 128), would ask y[10, 55]; its LogSoftMax forward asks y[12, 1], read from one row
    of 10 and so still asked where it is chosen."""
    lab = preset_lab("digits")
    layers = layers_of(lab.model)
    linear = next(s for s in lab.trace.stages if str(s) == "forward 2")
    error = errors(lab.trace, linear, layers)
    value = next(q for q in questions(lab.trace, linear, error) if q.kind == "value")
    assert hovered(lab, linear, value) == 128
    assert stage_question(lab.trace, linear, layers).kind != "value"
    head = next(s for s in lab.trace.stages if str(s) == "forward 5")
    value = next(q for q in questions(lab.trace, head, errors(lab.trace, head, layers)) if q.kind == "value")
    assert hovered(lab, head, value) == 10
    assert answerable(stage_tensors(lab.trace, head, layers))(value)


def test_on_the_handout_network_every_cell_prints_and_values_are_asked_as_before():
    lab = preset_lab("handout")
    layers = layers_of(lab.model)
    for stage in lab.trace.stages:
        error = errors(lab.trace, stage, layers)
        assert stage_question(lab.trace, stage, layers) == question(lab.trace, stage, fingerprint(lab.trace), error)
    assert any(stage_question(lab.trace, s, layers).kind in VALUES for s in lab.trace.stages)


def test_a_conv_output_entry_is_asked_over_one_channels_patch_but_not_over_eight():
    """Conv2d(1 → 8, 3×3): y[n, o, i, j] reads 9 cells of x, asked; Conv2d(8 → 16, 3×3): 72 cells, never asked."""
    lab = preset_lab("cnn_csv")
    layers = layers_of(lab.model)
    first, second = (next(s for s in lab.trace.stages if str(s) == name) for name in ("forward 0", "forward 3"))
    assert (patch(layers[0]), patch(layers[3])) == (9, 72)
    for stage, asked in ((first, True), (second, False)):
        error = errors(lab.trace, stage, layers)
        value = next(q for q in questions(lab.trace, stage, error) if q.kind == "value")
        others = [q for q in questions(lab.trace, stage, error) if q.kind != "value"]
        seeds = {stage_question_with_seed(lab, stage, seed) for seed in map(str, range(40))}
        assert (value in seeds) is asked and set(others) <= seeds | {None}


def stage_question_with_seed(lab, stage, seed):
    """stage_question's choice had the iteration's fingerprint been `seed`."""
    from unittest import mock

    with mock.patch("viz.asked.fingerprint", lambda trace: seed):
        return stage_question(lab.trace, stage, layers_of(lab.model))
