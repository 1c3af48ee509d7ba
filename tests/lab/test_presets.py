"""Every preset keeps the promise of its sentence, on a real Lab, within the first iteration or two
(lab.new_iteration) or the first epoch (lab.train(1)) when the sentence says Train."""
import copy
from dataclasses import replace

import numpy as np
import pytest

from engine import LogSoftMax, NLLCriterion
from lab.presets import PRESETS, stack
from lab.session import Lab
from viz.heatmap import shown
from viz.jacobian_view import jacobian_figure, layer_sample_jacobians
from tests.uploaded import preset_lab


@pytest.fixture(scope="module")
def labs():
    """One fresh Lab per preset, made once (the tests below copy before they change one)."""
    return {name: preset_lab(name) for name in PRESETS}


def fresh(labs, name):
    return copy.deepcopy(labs[name])


def promises(name, *phrases):
    """The preset's sentence says each phrase (what the test beside it checks)."""
    text = PRESETS[name].teaches
    assert all(phrase in text for phrase in phrases), (name, [p for p in phrases if p not in text])


def dead_units(output):
    """Indices of the columns of an activation's output that are zero for every sample of the batch."""
    return np.flatnonzero(np.all(np.asarray(output) == 0, axis=0))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_records_steps_and_trains(labs, name):
    lab = fresh(labs, name)
    assert lab.trace is not None and len(lab.stages) >= 6
    lab.new_iteration()
    history = lab.train(1)
    assert history.epochs_run == 1 and history.iteration_loss
    assert PRESETS[name].teaches.strip() and PRESETS[name].title.strip()


def test_handout_every_tensor_is_small_enough_to_follow_by_hand(labs):
    trace = fresh(labs, "handout").trace
    assert "six stages" in PRESETS["handout"].teaches and len(trace.stages) == 6
    tensors = [a for r in trace.forward for a in (r.input, r.output)]
    tensors += [a for i in range(2) for a in trace.backward_record(i).grad_params.values()]
    tensors += [u.before for u in trace.updates]
    assert trace.forward_record(0).input.shape == (8, 2)
    assert all(a.size <= 16 and max(a.shape) <= 8 for a in tensors)


def test_circles_a_hidden_layer_bends_what_a_line_cannot(labs):
    promises("circles", "near 50% test accuracy", "about 99% after one epoch", "only where it was active")
    lab = fresh(labs, "circles")
    relu = lab.trace.backward_record(1)  # ReLU: the gradient flows back only where the unit was active
    x = lab.trace.forward_record(1).input
    np.testing.assert_array_equal(relu.grad_input, np.where(x > 0, relu.grad_output, 0.0))
    assert lab.train(1).val_accuracy[-1] >= 0.95  # "about 99% after one epoch"
    line = Lab(replace(PRESETS["circles"].config, layers=stack(("Linear", 2), "LogSoftMax")))
    assert 0.35 <= line.train(1).val_accuracy[-1] <= 0.65  # "near 50%"


def test_digits_every_heatmap_shows_every_entry_and_the_jacobian_is_a_picture(labs):
    promises("digits", "shows every entry", "128 × 128", "10 × 10 picture")
    lab = fresh(labs, "digits")
    trace = lab.trace
    tensors = [a for r in trace.forward for a in (r.input, r.output)]
    tensors += [a for i in range(len(lab.model)) for a in (trace.backward_record(i).grad_output,
                                                            *trace.backward_record(i).grad_params.values())]
    assert all(shown(a).blocks == (1, 1) for a in tensors)  # nothing downsampled
    assert trace.backward_record(2).grad_params["W"].shape == (128, 128)
    J = layer_sample_jacobians(lab.model[5], trace.forward_record(5).input, 0).backprop
    heat = jacobian_figure(J, "LogSoftMax").data[0]
    assert J.shape == (10, 10) and heat.type == "heatmap" and heat.texttemplate is None  # no printed numbers


def test_dying_relu_half_the_units_die_in_the_first_epoch(labs):
    promises("dying_relu", "Train one epoch", "about half of each ReLU's 32 output columns", "a few at the start",
             "gradients are exactly zero")
    lab = fresh(labs, "dying_relu")
    relus = [1, 3]
    at_start = [dead_units(lab.trace.forward_record(i).output).size for i in relus]
    assert all(n <= 8 for n in at_start)  # "a few at the start"
    lab.train(1)
    trace = lab.trace
    for i in relus:
        dead = dead_units(trace.forward_record(i).output)
        assert 10 <= dead.size <= 24  # "about half of each ReLU's 32 output columns"
        before = trace.backward_record(i - 1).grad_params  # the Linear that feeds these units
        assert np.all(before["W"][:, dead] == 0) and np.all(before["b"][dead] == 0)
        after = trace.backward_record(i + 1).grad_params  # the Linear they feed: their rows of W
        assert np.all(after["W"][dead, :] == 0)


def test_high_lr_the_loss_grows_and_the_squared_error_breaks_first(labs):
    promises("high_lr", "over 15 times iteration 1's", "within the first epoch", "last working model",
             "squared error breaks first")
    assert "which layer" not in PRESETS["high_lr"].teaches  # the stop names none: the loss overflows first
    lab = fresh(labs, "high_lr")
    first = lab.trace.loss
    lab.new_iteration()
    assert lab.trace.loss > 15 * first  # "over 15 times iteration 1's"
    lab = fresh(labs, "high_lr")
    start = [np.array(value) for _, value, _ in lab.model.named_parameters()]
    history = lab.train(1)
    assert history.stopped_reason == "non-finite loss" and history.stopped_epoch == 1
    assert not np.isfinite(history.iteration_loss[-1])
    assert history.nonfinite_layer is None  # every layer's output still finite: the loss broke first
    kept = [value for _, value, _ in lab.model.named_parameters()]  # "keeping the last working model"
    assert all(np.array_equal(a, b) for a, b in zip(start, kept))


def test_saturated_softmax_explodes_at_iteration_two_and_its_mistake_is_lost(labs):
    promises("saturated_softmax", "at iteration 2", "exact 1s and p < 1e-15", "−1.25·10¹⁴", "≈ ±0.125")
    lab = fresh(labs, "saturated_softmax")
    assert np.abs(lab.trace.backward_record(1).grad_output).max() < 1e3  # iteration 1 is tame
    lab.new_iteration()
    trace = lab.trace
    p = trace.forward_record(1).output
    assert np.any(p == 1.0) and p.min() < 1e-15  # "exact 1s and p < 1e-15"
    g = trace.backward_record(1).grad_output
    n = len(p)
    assert np.abs(g).max() == pytest.approx(1 / (1e-15 * n), rel=1e-12)  # clipped: −1/(N·1e-15) = −1.25e14
    worst = int(np.argmax(np.abs(g).max(axis=1)))
    assert np.abs(trace.backward_record(1).grad_input[worst]).max() < 1e-10  # SoftMax multiplies by p ≈ 0
    logits = trace.forward_record(1).input
    labels = trace.target  # class labels of iteration 2's batch
    assert g[worst, labels[worst]] < -1e10
    stable = LogSoftMax()
    out = stable.forward(logits)
    back = stable.backward(logits, NLLCriterion().backward(out, labels))
    np.testing.assert_allclose(np.abs(back[worst]), 1 / n, rtol=1e-10)  # (a − y)/N ≈ ±0.125


def test_dropout_batchnorm_modes_differ_after_one_new_iteration(labs):
    promises("dropout_batchnorm", "New iteration once", "the same batch from the same weights",
             "Dropout passing its input through")
    lab = fresh(labs, "dropout_batchnorm")
    with pytest.raises(ValueError, match="New iteration"):  # why the sentence says "New iteration" first
        lab.apply(replace(lab.config, training=False))
    lab.new_iteration()
    training = lab.trace
    lab.apply(replace(lab.config, training=False))
    evaluate = lab.trace
    np.testing.assert_array_equal(training.forward_record(0).input, evaluate.forward_record(0).input)
    np.testing.assert_array_equal(training.forward_record(0).output, evaluate.forward_record(0).output)
    assert not np.allclose(training.forward_record(1).output, evaluate.forward_record(1).output)  # BatchNorm
    kept = training.forward_record(3)  # Dropout in training: zeros, the rest scaled by 1 / (1 - p)
    dropped = (kept.output == 0) & (kept.input != 0)
    assert 0.3 < dropped.sum() / np.count_nonzero(kept.input) < 0.7
    np.testing.assert_allclose(kept.output[~dropped], 2 * kept.input[~dropped])
    through = evaluate.forward_record(3)
    np.testing.assert_array_equal(through.output, through.input)  # evaluate: passes its input through


def test_the_small_cnn_on_digits_sees_images_and_learns_in_a_few_epochs(labs):
    promises("cnn_digits", "(N, 1, 8, 8)", "(N, 4, 4, 4)", "64 features", "40 weights",
             "one epoch reaches over 80% test accuracy and five over 90%")
    lab = fresh(labs, "cnn_digits")
    assert lab.trace.forward[0].input.shape == (32, 1, 8, 8) and lab.trace.forward[2].output.shape == (32, 4, 4, 4)
    assert lab.model[0].W.size == 36 and lab.model[0].b.size == 4
    accuracy = lab.train(5).val_accuracy
    assert accuracy[0] > 0.8 and accuracy[-1] > 0.9


def test_the_csv_cnn_steps_both_convolutions_by_about_the_learning_rate_at_once(labs):
    promises("cnn_csv", "28 × 28", "28 → 14 → 7", "16 · 7 · 7 = 784", "trained with Adam",
             "both Conv2d layers learn from the first iteration")
    lab = fresh(labs, "cnn_csv")
    assert lab.trace.forward[6].output.shape == (32, 784)
    for index in (0, 3):  # Adam's first step is lr · g / (|g| + ε): about lr wherever the gradient is not 0
        (update,) = [u for u in lab.trace.update_records(index) if u.param == "W"]
        step = np.abs(update.before - update.after)
        assert np.isclose(step.max(), 1e-3, rtol=1e-3) and np.median(step) > 0.9e-3
