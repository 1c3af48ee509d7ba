"""viz.by_hand: the written arithmetic of one entry per tensor equals what the engine computed."""
import re

import numpy as np
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax, MSECriterion,
                    NLLCriterion, NLLCriterionUnstable, ReLU, Scaling, Sequential, SoftMax, SoftPlus)
from engine.data import load, one_hot
from engine.sequential import layers_of
from engine.trace import Stage, trace_iteration
from viz.by_hand import by_hand, labels_of
from viz.fade import LEVELS, faded
from viz.latex_sums import ALIGNED_BREAK, GROUPS, LINE_CHARS, MAX_TERMS, biggest, product, terms
from viz.derivation import num


def traces(model, criterion, x, y, steps=2):
    """Two iterations, so the second update has a non-zero previous velocity."""
    optimizer = SGD(0.05, 0.9)
    return [trace_iteration(model, criterion, optimizer, x, y) for _ in range(steps)]


def every_kind():
    rng, data = np.random.default_rng(3), load("spiral")
    model = Sequential(Linear(2, 6, rng=rng), LeakyReLU(0.1), Scaling(6, rng=rng), ELU(0.7),
                       Linear(6, 5, rng=rng), SoftPlus(), Linear(5, 3, rng=rng), ReLU(),
                       Linear(3, 3, rng=rng), LogSoftMax())
    return model, NLLCriterion(), data.X_train[:9], data.y_train[:9]


def softmax_unstable():
    rng, data = np.random.default_rng(4), load("blobs")
    return (Sequential(Linear(2, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng), SoftMax()),
            NLLCriterionUnstable(), data.X_train[:7], one_hot(data.y_train[:7], 2))


def regression():
    rng, data = np.random.default_rng(5), load("regression")
    return Sequential(Linear(1, 8, rng=rng), ELU(), Linear(8, 1, rng=rng)), MSECriterion(), \
        data.X_train[:6], data.y_train[:6].reshape(-1, 1)


@pytest.mark.parametrize("make", [every_kind, softmax_unstable, regression])
def test_every_worked_entry_equals_the_engines_value(make):
    model, criterion, x, y = make()
    for trace in traces(model, criterion, x, y):
        shown = 0
        for stage in trace.stages:
            for worked in by_hand(trace, stage, layers_of(model)):
                np.testing.assert_allclose(worked.computed, worked.engine, rtol=1e-9, atol=1e-12,
                                           err_msg=f"{stage}: {worked.what}")
                assert worked.latex.endswith(num(worked.engine)) or num(worked.engine) in worked.latex
                shown += 1
        # every stage of these networks has something worked out
        assert all(by_hand(trace, stage, layers_of(model)) for stage in trace.stages)
        assert shown >= len(trace.stages)


def test_the_largest_entry_is_the_one_worked_and_every_term_of_a_short_sum_is_written():
    model, criterion, x, y = every_kind()
    trace = traces(model, criterion, x, y, steps=1)[0]
    forward = by_hand(trace, Stage("forward", 0), layers_of(model))[0]
    out = trace.forward[0].output
    assert forward.engine == pytest.approx(out[biggest(out)])
    assert abs(forward.engine) == pytest.approx(np.max(np.abs(out)))
    n, j = biggest(out)
    assert f"y_{{{n},{j}}}" in forward.latex
    backward = {w.what: w for w in by_hand(trace, Stage("backward", 0), layers_of(model))}
    assert set(backward) == {"∂L/∂x", "∂L/∂W", "∂L/∂b"}
    i, j = backward["∂L/∂W"].index
    blank = faded(backward["∂L/∂W"].latex, LEVELS[1])  # 9 samples: Last step blank shows all 9 products
    x0, g0 = trace.forward[0].input, trace.backward_record(0).grad_output
    assert r"\cdots" not in blank and len(x0) == 9
    assert all(product((a, b)) in blank for a, b in zip(x0[:, i], g0[:, j]))
    assert MAX_TERMS == 16 and terms(np.arange(16.0), str).count("+") == 15


def test_a_long_sum_shows_its_nonzero_terms_or_the_partial_sums_to_add():
    assert terms(np.r_[np.zeros(70), 1.5, -2.0]) == r"1.5 + (-2) \quad \text{(the 2 nonzero terms of 72)}"
    assert terms(np.zeros(72)) == r"0 \quad \text{(all 72 terms are 0)}"
    values = np.arange(784) * 0.01
    written = []
    long = terms(values, lambda v: written.append(v) or str(v))
    assert written == []  # only the partial sums are written
    sums = [float(s) for s in re.findall(r"\\underset\{[0-9.]+\}\{([-0-9.()]+)\}", long)]
    assert len(sums) == GROUPS and sum(sums) == pytest.approx(values.sum(), rel=1e-3)
    assert r"\underset{0..97}" in long and r"\underset{686..783}" in long
    assert terms([-1.5, 2.0]) == "(-1.5) + 2"  # numbers by default, negative ones in parentheses
    lines_of = terms(np.arange(1, 17) * 1.2345, newline=ALIGNED_BREAK).split(ALIGNED_BREAK)
    assert len(lines_of) > 1 and all(len(line) <= LINE_CHARS + 10 for line in lines_of)


def test_update_uses_the_previous_velocity_and_the_first_step_starts_at_zero():
    model, criterion, x, y = every_kind()
    first, second = traces(model, criterion, x, y)
    for trace, previous in ((first, None), (second, first)):
        worked = by_hand(trace, Stage("update", 0), layers_of(model))
        assert [w.what for w in worked] == ["v of W", "W after", "v of b", "b after"]
        u = trace.update_records(0)[0]
        at = biggest(u.velocity)
        v_prev = 0.0 if previous is None else previous.update_records(0)[0].velocity[at]
        assert worked[0].computed == pytest.approx(0.9 * v_prev + 0.05 * u.grad[at], rel=1e-12)
        assert num(v_prev) in worked[0].latex


def test_nll_loss_is_written_with_the_picked_log_probabilities():
    model, criterion, x, y = every_kind()
    trace = traces(model, criterion, x, y, steps=1)[0]
    loss, grad = by_hand(trace, Stage("loss"), layers_of(model))
    picked = trace.predictions[np.arange(len(y)), y]
    assert loss.computed == pytest.approx(-picked.mean(), rel=1e-12)
    assert num(picked[0]) in loss.latex
    assert grad.engine == pytest.approx(-1 / len(y))


def batchnorm_dropout(training=True):
    rng, data = np.random.default_rng(6), load("blobs")
    model = Sequential(Linear(2, 4, rng=rng), BatchNormalization(alpha=0.5), Dropout(0.4, rng=rng),
                       Linear(4, 2, rng=rng), LogSoftMax())
    x, y = data.X_train[:8], data.y_train[:8]
    trace_iteration(model, NLLCriterion(), SGD(0.05, 0.9), x, y)  # moving statistics first
    if not training:
        model.evaluate()
    return model, NLLCriterion(), x, y


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_and_dropout_are_worked_in_either_mode(training):
    model, criterion, x, y = batchnorm_dropout(training)
    trace = traces(model, criterion, x, y, steps=1)[0]
    for stage in (Stage("forward", 1), Stage("forward", 2), Stage("backward", 1), Stage("backward", 2)):
        (worked,) = by_hand(trace, stage, layers_of(model))
        np.testing.assert_allclose(worked.computed, worked.engine, rtol=1e-9, atol=1e-12, err_msg=str(stage))
        assert ("evaluate mode" in worked.latex) == (not training)
    if training:  # the batch statistics are written out, and Dropout says whether the unit was kept
        assert r"\mu_" in by_hand(trace, Stage("forward", 1), layers_of(model))[0].latex
        assert r"\text{kept}" in by_hand(trace, Stage("forward", 2), layers_of(model))[0].latex


def test_flatten_has_no_worked_entry():
    rng, data = np.random.default_rng(7), load("blobs")
    model = Sequential(Flatten(), Linear(2, 2, rng=rng), LogSoftMax())
    trace = traces(model, NLLCriterion(), data.X_train[:4], data.y_train[:4], steps=1)[0]
    assert by_hand(trace, Stage("forward", 0), layers_of(model)) == []
    assert by_hand(trace, Stage("backward", 0), layers_of(model)) == []
    assert by_hand(trace, Stage("forward", 1), layers_of(model))


def test_non_finite_values_do_not_break_the_worked_entry():
    model, criterion, x, y = every_kind()
    x = x.copy()
    x[0, 0] = np.inf
    with np.errstate(all="ignore"):
        trace = traces(model, criterion, x, y, steps=1)[0]
    for stage in trace.stages:  # no warning (warnings are errors here) and something to show
        for worked in by_hand(trace, stage, layers_of(model)):
            assert isinstance(worked.latex, str) and worked.latex


def test_labels_of_reads_labels_and_one_hot_and_rejects_soft_targets():
    predictions = np.zeros((3, 2))
    np.testing.assert_array_equal(labels_of(np.array([1, 0, 1]), predictions), [1, 0, 1])
    np.testing.assert_array_equal(labels_of(one_hot(np.array([1, 0, 1]), 2), predictions), [1, 0, 1])
    assert labels_of(np.full((3, 2), 0.5), predictions) is None


def test_the_negative_branches_of_the_activations():
    rng = np.random.default_rng(8)
    model = Sequential(LeakyReLU(0.2), ELU(0.7), SoftPlus(), Linear(2, 2, rng=rng), ReLU(), Linear(2, 2, rng=rng),
                       LogSoftMax())
    x = -np.abs(rng.standard_normal((5, 2))) - 0.1  # every input negative
    trace = traces(model, NLLCriterion(), x, np.array([0, 1, 0, 1, 1]), steps=1)[0]
    for index, text in ((0, r"\quad (x \le 0)"), (1, r"\quad (x \le 0)")):
        (worked,) = by_hand(trace, Stage("forward", index), layers_of(model))
        assert text in worked.latex
        np.testing.assert_allclose(worked.computed, worked.engine, rtol=1e-12)
    for index in (0, 1, 2):
        (worked,) = by_hand(trace, Stage("backward", index), layers_of(model))
        np.testing.assert_allclose(worked.computed, worked.engine, rtol=1e-12, atol=1e-15)
    assert r"0.2 \; (x \le 0)" in by_hand(trace, Stage("backward", 0), layers_of(model))[0].latex
    assert r"\alpha e^{x}" in by_hand(trace, Stage("backward", 1), layers_of(model))[0].latex
