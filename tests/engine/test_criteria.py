"""Criteria: values against closed forms, gradients against finite differences, target forms."""
import numpy as np
import pytest

from engine import MSECriterion, NLLCriterion, NLLCriterionUnstable

from .cases import log_softmax, numeric_jacobian, softmax

N, K = 5, 4
RNG = np.random.default_rng(0)
LABELS = np.array([0, 3, 1, 1, 2])
ONE_HOT = np.eye(K)[LABELS]
LOGITS = RNG.normal(size=(N, K))
PROBS = softmax(LOGITS)
LOG_PROBS = log_softmax(LOGITS)
PRED, TARGET = RNG.normal(size=(N, K)), RNG.normal(size=(N, K))

# (criterion, input, target, closed-form loss, closed-form grad_input)
CASES = [
    pytest.param(MSECriterion, PRED, TARGET, np.sum((PRED - TARGET) ** 2) / N, 2 * (PRED - TARGET) / N,
                 id="mse"),
    pytest.param(NLLCriterionUnstable, PROBS, ONE_HOT, -np.sum(ONE_HOT * np.log(PROBS)) / N,
                 -ONE_HOT / PROBS / N, id="nll_unstable"),
    pytest.param(NLLCriterion, LOG_PROBS, ONE_HOT, -np.sum(ONE_HOT * LOG_PROBS) / N, -ONE_HOT / N,
                 id="nll"),
]
CLASS_CRITERIA = [pytest.param(NLLCriterionUnstable, PROBS, id="nll_unstable"),
                  pytest.param(NLLCriterion, LOG_PROBS, id="nll")]


@pytest.mark.parametrize("make, x, y, loss, grad", CASES)
def test_value_and_grad_equal_closed_forms(make, x, y, loss, grad):
    criterion = make()
    out = criterion.forward(x, y)
    assert np.ndim(out) == 0 and out == criterion.output
    np.testing.assert_allclose(out, loss, rtol=1e-12)
    g = criterion.backward(x, y)
    assert g is criterion.grad_input and g.shape == x.shape
    np.testing.assert_allclose(g, grad, rtol=1e-12)


@pytest.mark.parametrize("make, x, y, loss, grad", CASES)
def test_grad_matches_finite_differences(make, x, y, loss, grad):
    criterion = make()
    numeric = numeric_jacobian(lambda z: np.array([criterion.forward(z, y)]), x).reshape(x.shape)
    np.testing.assert_allclose(criterion.backward(x, y), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("make, x, y, loss, grad", CASES)
def test_no_mutation(make, x, y, loss, grad):
    x1, y1 = x.copy(), y.copy()
    criterion = make()
    criterion.forward(x1, y1)
    criterion.backward(x1, y1)
    np.testing.assert_array_equal(x1, x)
    np.testing.assert_array_equal(y1, y)


@pytest.mark.parametrize("make, x", CLASS_CRITERIA)
@pytest.mark.parametrize("labels", [LABELS, LABELS.astype(np.int32), LABELS.astype(np.uint8)],
                         ids=["int64", "int32", "uint8"])
def test_one_hot_and_integer_labels_agree(make, x, labels):
    a, b = make(), make()
    assert a.forward(x, ONE_HOT) == pytest.approx(b.forward(x, labels), rel=1e-14)
    np.testing.assert_allclose(a.backward(x, ONE_HOT), b.backward(x, labels), rtol=1e-14)


@pytest.mark.parametrize("make, x", CLASS_CRITERIA)
def test_labels_are_not_mutated(make, x):
    labels = LABELS.copy()
    make().forward(x, labels)
    make().backward(x, labels)
    np.testing.assert_array_equal(labels, LABELS)


def test_unstable_nll_clips_zero_and_one():
    criterion = NLLCriterionUnstable()
    assert criterion.EPS == 1e-15
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    loss = criterion.forward(x, y)
    assert np.isfinite(loss)
    assert loss == pytest.approx((-np.log(1e-15) - np.log(1 - 1e-15)) / 2, rel=1e-12)
    g = criterion.backward(x, y)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[-1 / 1e-15 / 2, 0.0], [-1 / (1 - 1e-15) / 2, 0.0]], rtol=1e-12)
    assert criterion.forward(x, np.array([0, 0])) == loss


def test_nll_composes_with_logsoftmax_like_cross_entropy():
    loss = NLLCriterion().forward(LOG_PROBS, LABELS)
    expected = np.mean(np.log(np.exp(LOGITS).sum(axis=1)) - LOGITS[np.arange(N), LABELS])
    assert loss == pytest.approx(expected, rel=1e-12)


def test_a_perfect_prediction_has_loss_zero_not_minus_zero():
    perfect = np.zeros((3, 4))  # log-probability 0 = probability 1 at every label
    loss = NLLCriterion().forward(perfect, np.array([0, 1, 2]))
    assert loss == 0.0 and np.copysign(1.0, loss) == 1.0
    loss = NLLCriterionUnstable().forward(np.eye(3), np.array([0, 1, 2]))
    assert np.copysign(1.0, loss) == 1.0
