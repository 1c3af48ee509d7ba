"""Adam: the bias-corrected step by hand, in-place updates, flattened state, the class wrapper."""
import numpy as np
import pytest

from engine import Adam, adam_optimizer

from .cases import flat_params
from .test_optim import gradient_steps, model, set_grads

CONFIG = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


def test_two_steps_by_hand_on_arange_10():
    # w = g = i for i = 0..9 (two separate arrays), lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8.
    # t = 1: m = 0.1 g = 0.1 i;  v = 0.001 g^2 = 0.001 i^2;
    #        m_hat = 0.1 i / (1 - 0.9) = i;  v_hat = 0.001 i^2 / (1 - 0.999) = i^2;
    #        w = i - 1e-3 * i / (sqrt(i^2) + 1e-8) = i - 1e-3 * i / (i + 1e-8)   (0 stays 0)
    # t = 2: m = 0.9 * 0.1 i + 0.1 i = 0.19 i;  v = 0.999 * 0.001 i^2 + 0.001 i^2 = 0.001999 i^2;
    #        m_hat = 0.19 i / (1 - 0.81) = i;  v_hat = 0.001999 i^2 / (1 - 0.998001) = i^2;
    #        w = (i - 1e-3 * i / (i + 1e-8)) - 1e-3 * i / (i + 1e-8)
    i = np.arange(10.0)
    variables, gradients = [[np.arange(10.0)]], [[np.arange(10.0)]]
    state = {}
    one_step = 1e-3 * i / (i + 1e-8)
    assert adam_optimizer(variables, gradients, CONFIG, state) is None
    assert state["t"] == 1
    np.testing.assert_allclose(state["m"][0], 0.1 * i, rtol=1e-14)
    np.testing.assert_allclose(state["v"][0], 0.001 * i ** 2, rtol=1e-14)
    np.testing.assert_allclose(variables[0][0], i - one_step, rtol=1e-14, atol=1e-18)
    np.testing.assert_allclose(variables[0][0][1:], i[1:] - 1e-3, rtol=1e-10)  # the step is lr where g != 0
    adam_optimizer(variables, gradients, CONFIG, state)
    assert state["t"] == 2
    np.testing.assert_allclose(state["m"][0], 0.19 * i, rtol=1e-14)
    np.testing.assert_allclose(state["v"][0], 0.001999 * i ** 2, rtol=1e-13)
    np.testing.assert_allclose(variables[0][0], i - 2 * one_step, rtol=1e-12, atol=1e-18)
    assert variables[0][0][0] == 0.0
    np.testing.assert_array_equal(gradients[0][0], i)  # the gradients are left alone


def test_the_first_step_without_bias_correction_would_be_much_smaller():
    # A check that the test above can tell: uncorrected, m / (sqrt(v) + eps) = 0.1 i / (0.0316 i) ~ 3.16 lr.
    w, g = np.array([5.0]), np.array([5.0])
    adam_optimizer([[w]], [[g]], CONFIG, {})
    assert w[0] == pytest.approx(5.0 - 1e-3, rel=1e-12)
    assert abs(w[0] - (5.0 - 1e-3 * 0.5 / np.sqrt(0.025))) > 1e-3


def test_several_steps_on_a_sequential_match_the_recurrence_in_place():
    net, config = model(), dict(CONFIG, learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-6)
    live = flat_params(net)
    w = [p.copy() for p in live]
    m = [np.zeros_like(p) for p in w]
    v = [np.zeros_like(p) for p in w]
    state = {}
    for t, grads in enumerate(gradient_steps(net, 4), start=1):
        set_grads(net, grads)
        adam_optimizer(net.get_parameters(), net.get_grad_params(), config, state)
        for k, g in enumerate(grads):
            m[k] = 0.8 * m[k] + 0.2 * g
            v[k] = 0.99 * v[k] + 0.01 * g * g
            w[k] = w[k] - 0.01 * (m[k] / (1 - 0.8 ** t)) / (np.sqrt(v[k] / (1 - 0.99 ** t)) + 1e-6)
    assert state["t"] == 4 and len(state["m"]) == len(state["v"]) == 4  # W0, b0, W1, b1 (ReLU has none)
    for k, (p, before) in enumerate(zip(flat_params(net), live)):
        assert p is before  # updated in place: the model's own arrays
        np.testing.assert_allclose(p, w[k], rtol=1e-12)
        np.testing.assert_allclose(state["m"][k], m[k], rtol=1e-12)
        np.testing.assert_allclose(state["v"][k], v[k], rtol=1e-12)
        assert state["m"][k].shape == p.shape


def test_moments_are_new_arrays_each_step():
    w, g, state = np.ones(3), np.ones(3), {}
    adam_optimizer([[w]], [[g]], CONFIG, state)
    m1, v1 = state["m"][0], state["v"][0]
    snapshot = m1.copy(), v1.copy()
    adam_optimizer([[w]], [[g]], CONFIG, state)
    assert state["m"][0] is not m1 and state["v"][0] is not v1
    np.testing.assert_array_equal(m1, snapshot[0])
    np.testing.assert_array_equal(v1, snapshot[1])


def test_float32_stays_float32():
    w, g, state = np.ones(4, np.float32), np.full(4, 0.5, np.float32), {}
    adam_optimizer([[w]], [[g]], CONFIG, state)
    assert w.dtype == state["m"][0].dtype == state["v"][0].dtype == np.float32
    np.testing.assert_allclose(w, 1 - 1e-3, rtol=1e-6)


def test_adam_class_equals_the_function():
    a, b = model(), model()
    opt, state = Adam(0.05, 0.7, 0.9, 1e-7), {}
    config = {"learning_rate": 0.05, "beta1": 0.7, "beta2": 0.9, "epsilon": 1e-7}
    for grads in gradient_steps(a, 3):
        set_grads(a, grads)
        set_grads(b, grads)
        adam_optimizer(a.get_parameters(), a.get_grad_params(), config, state)
        opt.step(b.get_parameters(), b.get_grad_params())
    for p, q in zip(flat_params(a), flat_params(b)):
        np.testing.assert_array_equal(p, q)
    assert opt.config == config and opt.state["t"] == 3
    for k in range(4):
        np.testing.assert_array_equal(opt.state["m"][k], state["m"][k])
        np.testing.assert_array_equal(opt.state["v"][k], state["v"][k])


def test_defaults_alias_and_repr():
    assert Adam().config == CONFIG and Adam().state == {}
    assert Adam(lr=0.1).config["learning_rate"] == 0.1
    assert repr(Adam()) == "Adam(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08)"


@pytest.mark.parametrize("kwargs, word", [
    (dict(learning_rate=-0.1), "learning_rate"), (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(lr=-1.0), "learning_rate"), (dict(beta1=1.0), "beta1"), (dict(beta1=-0.1), "beta1"),
    (dict(beta2=1.5), "beta2"), (dict(beta2="0.9"), "beta2"), (dict(epsilon=0.0), "epsilon"),
    (dict(epsilon=float("inf")), "epsilon"),
], ids=["lr<0", "lr=nan", "alias<0", "b1=1", "b1<0", "b2>1", "b2=str", "eps=0", "eps=inf"])
def test_invalid_hyperparameters_raise_naming_adam(kwargs, word):
    with pytest.raises(ValueError, match=f"Adam: {word}"):
        Adam(**kwargs)

