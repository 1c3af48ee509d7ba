"""SGD with momentum: arithmetic, in-place updates, flattened state, and the class wrapper."""
import numpy as np
import pytest

from engine import SGD, Adam, Linear, ReLU, Sequential, sgd_momentum

from .cases import flat_grads, flat_params


def test_three_steps_by_hand():
    # lr 0.1, momentum 0.9, w = 1, g = 1 each step:
    # v1 = 0.1, w = 0.9;  v2 = 0.9*0.1 + 0.1 = 0.19, w = 0.71;  v3 = 0.9*0.19 + 0.1 = 0.271, w = 0.439
    w, g = np.array([1.0]), np.array([1.0])
    config, state = {"learning_rate": 0.1, "momentum": 0.9}, {}
    for expected_v, expected_w in [(0.1, 0.9), (0.19, 0.71), (0.271, 0.439)]:
        assert sgd_momentum([[w]], [[g]], config, state) is None
        assert state["accumulated_grads"][0][0] == pytest.approx(expected_v, rel=1e-14)
        assert w[0] == pytest.approx(expected_w, rel=1e-14)


def model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))


def gradient_steps(net, n_steps):
    """Per step, one gradient per variable, drawn independently of the model."""
    rng = np.random.default_rng(1)
    return [[rng.normal(size=p.shape) for p in flat_params(net)] for _ in range(n_steps)]


def set_grads(net, grads):
    for live, g in zip(flat_grads(net), grads):
        live[...] = g


def test_several_steps_on_a_sequential_match_the_recurrence():
    net, lr, m = model(), 0.05, 0.8
    steps = gradient_steps(net, 4)
    expected_w = [p.copy() for p in flat_params(net)]
    expected_v = [np.zeros_like(p) for p in expected_w]
    live = flat_params(net)
    state = {}
    for grads in steps:
        set_grads(net, grads)
        sgd_momentum(net.get_parameters(), net.get_grad_params(), {"learning_rate": lr, "momentum": m}, state)
        for k, g in enumerate(grads):
            expected_v[k] = m * expected_v[k] + lr * g
            expected_w[k] = expected_w[k] - expected_v[k]
    for k, (p, before) in enumerate(zip(flat_params(net), live)):
        assert p is before  # updated in place: the model's own arrays
        np.testing.assert_allclose(p, expected_w[k], rtol=1e-13)
        np.testing.assert_allclose(state["accumulated_grads"][k], expected_v[k], rtol=1e-13)
    assert net[0].W is live[0] and net[2].b is live[3]


def test_state_is_indexed_in_flattened_order():
    net, lr = model(), 0.1
    grads = gradient_steps(net, 1)[0]
    set_grads(net, grads)
    state = {}
    sgd_momentum(net.get_parameters(), net.get_grad_params(), {"learning_rate": lr, "momentum": 0.9}, state)
    acc = state["accumulated_grads"]
    assert sorted(acc) == [0, 1, 2, 3]  # W0, b0, (ReLU has none), W1, b1
    for k, (p, g) in enumerate(zip(flat_params(net), grads)):
        assert acc[k].shape == p.shape
        np.testing.assert_allclose(acc[k], lr * g, rtol=1e-14)


def test_gradients_are_not_changed():
    net = model()
    set_grads(net, gradient_steps(net, 1)[0])
    before = [g.copy() for g in flat_grads(net)]
    sgd_momentum(net.get_parameters(), net.get_grad_params(), {"learning_rate": 0.1, "momentum": 0.9}, {})
    for g, g0 in zip(flat_grads(net), before):
        np.testing.assert_array_equal(g, g0)


def test_sgd_class_equals_the_function():
    a, b = model(), model()
    opt = SGD(0.05, 0.7)
    state = {}
    for grads in gradient_steps(a, 3):
        set_grads(a, grads)
        set_grads(b, grads)
        sgd_momentum(a.get_parameters(), a.get_grad_params(), {"learning_rate": 0.05, "momentum": 0.7}, state)
        opt.step(b.get_parameters(), b.get_grad_params())
    for p, q in zip(flat_params(a), flat_params(b)):
        np.testing.assert_array_equal(p, q)
    assert opt.config == {"learning_rate": 0.05, "momentum": 0.7}
    assert sorted(opt.state["accumulated_grads"]) == [0, 1, 2, 3]
    for k in range(4):
        np.testing.assert_array_equal(opt.state["accumulated_grads"][k], state["accumulated_grads"][k])


def test_sgd_lr_alias_and_defaults():
    assert SGD(lr=0.3, momentum=0.5).config == {"learning_rate": 0.3, "momentum": 0.5}
    opt = SGD()
    assert set(opt.config) == {"learning_rate", "momentum"} and opt.state == {}


@pytest.mark.parametrize("kwargs", [dict(learning_rate=-0.1), dict(learning_rate=float("nan")),
                                    dict(learning_rate=float("inf")), dict(lr=-1.0),
                                    dict(momentum=1.0), dict(momentum=-0.1), dict(momentum=1.5)],
                         ids=["lr<0", "lr=nan", "lr=inf", "alias<0", "m=1", "m<0", "m>1"])
def test_invalid_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError, match="SGD"):
        SGD(**kwargs)


@pytest.mark.parametrize("make, key, bad", [(lambda: SGD(0.1, 0.9), "momentum", 1.5), (Adam, "beta2", 1.0)],
                         ids=["SGD", "Adam"])
def test_invalid_config_at_step_raises_and_changes_nothing(make, key, bad):
    net, opt = model(), make()
    set_grads(net, gradient_steps(net, 1)[0])
    before = [p.copy() for p in flat_params(net)]
    opt.config[key] = bad
    with pytest.raises(ValueError, match=f"{type(opt).__name__}: {key}"):
        opt.step(net.get_parameters(), net.get_grad_params())
    for p, p0 in zip(flat_params(net), before):
        np.testing.assert_array_equal(p, p0)
    assert opt.state == {}
