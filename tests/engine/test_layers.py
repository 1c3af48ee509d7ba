"""Every layer case of the registry: forward vs closed form, Jacobians vs finite differences, contract."""
import numpy as np
import pytest

from engine import BatchNormalization, Dropout, Linear, Scaling, Sequential

from .cases import (CASES, backward_jacobians, flat_grads, flat_params, freeze_dropout,
                    numeric_jacobian, numeric_jacobian_inplace, pytest_params, walk)

SIZED = pytest_params(CASES, sizes=(4, 1))
ALL = pytest_params(CASES)
WITH_PARAMS = pytest_params([c for c in CASES if c.has_params])
SEQUENTIALS = pytest_params([c for c in CASES if c.children])

RTOL, ATOL = 1e-5, 1e-7


def grad_output_for(layer, x, seed=2):
    y = layer.forward(x)
    return np.random.default_rng(seed).normal(size=y.shape).astype(y.dtype)


# --- forward ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case, n", SIZED)
def test_forward_equals_closed_form(case, n):
    layer, x = case.make_layer(), case.make_input(n)
    y = layer.forward(x)
    assert y is layer.output
    assert y.shape[0] == n
    np.testing.assert_allclose(y, case.reference(layer, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", ALL)
def test_layer_is_in_its_mode(case):
    layer = case.make_layer()
    assert all(m.training == (case.mode == "train") for m in walk(layer))


@pytest.mark.parametrize("case", ALL)
def test_backward_returns_grad_input_of_input_shape(case):
    layer, x = case.make_layer(), case.make_input(4)
    g = grad_output_for(layer, x)
    grad_input = layer.backward(x, g)
    assert grad_input is layer.grad_input
    assert grad_input.shape == x.shape


# --- Jacobians against finite differences --------------------------------------------------------

@pytest.mark.parametrize("case, n", SIZED)
def test_input_jacobian_matches_finite_differences(case, n):
    layer, x = freeze_dropout(case.make_layer()), case.make_input(n)
    J_backward, _ = backward_jacobians(layer, x)
    J_numeric = numeric_jacobian(lambda z: layer.forward(z).copy(), x)
    np.testing.assert_allclose(J_backward, J_numeric, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case, n", pytest_params([c for c in CASES if c.has_params], sizes=(4, 1)))
def test_parameter_jacobians_match_finite_differences(case, n):
    layer, x = freeze_dropout(case.make_layer()), case.make_input(n)
    _, J_backward = backward_jacobians(layer, x)
    assert list(J_backward) == list(case.param_names)
    nonzero = False  # (a bias right before BatchNormalization in training has a zero Jacobian)
    for name, value, _ in layer.named_parameters():
        J_numeric = numeric_jacobian_inplace(lambda: layer.forward(x).copy(), value)
        np.testing.assert_allclose(J_backward[name], J_numeric, rtol=RTOL, atol=ATOL, err_msg=name)
        nonzero |= bool(np.any(np.abs(J_numeric) > 1e-3))
    assert nonzero


# --- no mutation, overwrite semantics, in-place gradients ------------------------------------------

@pytest.mark.parametrize("case", ALL)
def test_no_method_mutates_its_inputs(case):
    layer, x = case.make_layer(), case.make_input(4)
    g = grad_output_for(layer, x)
    x0, g0 = x.copy(), g.copy()
    params0 = [p.copy() for p in flat_params(layer)]
    layer.forward(x)
    np.testing.assert_array_equal(x, x0)
    layer.backward(x, g)
    layer.update_grad_params(x, g)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
    for p, p0 in zip(flat_params(layer), params0):
        np.testing.assert_array_equal(p, p0)


@pytest.mark.parametrize("case", WITH_PARAMS)
def test_update_grad_params_twice_overwrites_in_place(case):
    layer, x = freeze_dropout(case.make_layer()), case.make_input(4)
    grads_before = flat_grads(layer)
    g = grad_output_for(layer, x)
    layer.backward(x, g)
    first = [grad.copy() for grad in flat_grads(layer)]
    assert any(np.any(f != 0) for f in first)
    layer.update_grad_params(x, g)
    if isinstance(layer, Sequential):  # Sequential delegates to its children's backward
        for i, child in enumerate(layer):
            child.update_grad_params(layer[i - 1].output if i else x, child_grad_output(layer, i, g))
    for before, now, f in zip(grads_before, flat_grads(layer), first):
        assert now is before
        np.testing.assert_array_equal(now, f)


def child_grad_output(model, i, g):
    """The grad_output layer i received in the last backward: the next layer's grad_input."""
    return model[i + 1].grad_input if i + 1 < len(model) else g


@pytest.mark.parametrize("case", WITH_PARAMS)
def test_backward_keeps_only_the_last_batch(case):
    layer, x = freeze_dropout(case.make_layer()), case.make_input(4)
    g1, g2 = grad_output_for(layer, x, seed=3), grad_output_for(layer, x, seed=4)
    layer.backward(x, g1)
    layer.backward(x, g2)
    fresh = freeze_dropout(case.make_layer())
    for a, b in zip(walk(layer), walk(fresh)):  # the same (frozen) dropout masks in both
        if isinstance(a, Dropout):
            b.mask = a.mask.copy()
    fresh.forward(x)
    fresh.backward(x, g2)
    for a, b in zip(flat_grads(layer), flat_grads(fresh)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("case", WITH_PARAMS)
def test_zero_grad_params_zeroes_in_place(case):
    layer, x = case.make_layer(), case.make_input(4)
    layer.backward(x, grad_output_for(layer, x))
    grads = flat_grads(layer)
    assert any(np.any(grad != 0) for grad in grads)
    layer.zero_grad_params()
    for grad, now in zip(grads, flat_grads(layer)):
        assert now is grad
        assert not np.any(grad)


@pytest.mark.parametrize("case", ALL)
def test_named_parameters_match_get_parameters(case):
    layer = case.make_layer()
    named = layer.named_parameters()
    assert [name for name, _, _ in named] == list(case.param_names)
    assert len(named) == len(flat_params(layer)) == len(flat_grads(layer))
    for (_, value, grad), p, gp in zip(named, flat_params(layer), flat_grads(layer)):
        assert value is p and grad is gp
        assert grad.shape == value.shape


def test_parameter_free_layers_return_empty_lists():
    for case in CASES:
        layer = case.make_layer()
        if not case.has_params and not isinstance(layer, Sequential):
            assert layer.get_parameters() == [] and layer.get_grad_params() == []


def test_sequential_parameters_are_a_list_of_lists():
    model = next(c for c in CASES if c.id == "seq_mlp").make_layer()
    params, grads = model.get_parameters(), model.get_grad_params()
    assert [len(p) for p in params] == [2, 0, 2, 0] == [len(g) for g in grads]
    assert params[0][0] is model[0].W and grads[2][1] is model[2].gradb


# --- modes and repr -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", SEQUENTIALS)
def test_train_and_evaluate_reach_every_child(case):
    model = case.make_layer()
    model.evaluate()
    assert all(not m.training for m in walk(model))
    model.train()
    assert all(m.training for m in walk(model))


@pytest.mark.parametrize("case", ALL)
def test_repr_is_readable(case):
    text = repr(case.make_layer())
    for part in case.repr_parts:
        assert part in text
    if case.children:
        lines = text.splitlines()
        assert len(lines) == len(case.children)
        assert all(line.startswith(child) for line, child in zip(lines, case.children))


def test_linear_repr_exact():
    assert repr(Linear(2, 2)) == "Linear(2 -> 2)"


# --- float32 end to end -------------------------------------------------------------------------

@pytest.mark.parametrize("case", ALL)
def test_float32_in_float32_out(case):
    layer, x = case.make_layer(dtype=np.float32), case.make_input(4, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in flat_params(layer))
    y = layer.forward(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, case.reference(layer, x.astype(np.float64)), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(2).normal(size=y.shape).astype(np.float32)
    assert layer.backward(x, g).dtype == np.float32
    assert all(grad.dtype == np.float32 for grad in flat_grads(layer))
    for m in walk(layer):  # every intermediate value too
        assert m.output.dtype == np.float32 and m.grad_input.dtype == np.float32, repr(m)


# --- layer-specific behaviour -------------------------------------------------------------------

def test_batchnorm_eps_constant():
    assert BatchNormalization.EPS == 1e-3


@pytest.mark.parametrize("alpha", [0.0, 0.9])
def test_batchnorm_moving_statistics(alpha):
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(1.0, 2.0, (6, 3)), rng.normal(-1.0, 0.5, (6, 3))
    bn = BatchNormalization(alpha)
    assert bn.moving_mean is None and bn.moving_variance is None
    bn.forward(x1)
    np.testing.assert_allclose(bn.moving_mean, x1.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance, ((x1 - x1.mean(0)) ** 2).mean(0), rtol=1e-12)
    bn.forward(x2)
    mean = alpha * x1.mean(0) + (1 - alpha) * x2.mean(0)
    var = alpha * x1.var(0) + (1 - alpha) * x2.var(0)
    np.testing.assert_allclose(bn.moving_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance, var, rtol=1e-12)
    bn.evaluate().forward(rng.normal(size=(4, 3)))  # evaluate mode leaves them alone
    np.testing.assert_allclose(bn.moving_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance, var, rtol=1e-12)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.7])
def test_dropout_mask_values_and_rate(p):
    d = Dropout(p, rng=np.random.default_rng(0))
    x = np.ones((400, 50))
    d.forward(x)
    assert set(np.unique(d.mask)) <= {0.0, 1 / (1 - p)}
    assert abs(np.mean(d.mask == 0) - p) < 0.02
    np.testing.assert_array_equal(d.backward(x, x), d.mask)


def test_dropout_fresh_mask_per_batch_unless_frozen():
    d = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((8, 10))
    first = d.forward(x).copy()
    second = d.forward(x).copy()
    assert not np.array_equal(first, second)
    d.freeze_mask = True
    np.testing.assert_array_equal(d.forward(x), second)
    d.forward(np.ones((3, 10)))  # the frozen mask does not fit: a new one is drawn
    assert d.mask.shape == (3, 10)


def test_dropout_same_seed_same_mask():
    x = np.ones((6, 7))
    a = Dropout(0.5, rng=np.random.default_rng(11)).forward(x)
    b = Dropout(0.5, rng=np.random.default_rng(11)).forward(x)
    np.testing.assert_array_equal(a, b)


def test_dropout_reads_p_at_every_forward():
    d = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((50, 20))
    d.forward(x)
    d.p = 0.2
    d.forward(x)
    assert set(np.unique(d.mask)) == {0.0, 1 / 0.8}


@pytest.mark.parametrize("cls, n, shapes", [(Linear, 9, [(9, 4), (4,)]), (Scaling, 4, [(1, 4), (1, 4)])])
def test_init_is_uniform_within_bound_and_seeded(cls, n, shapes):
    layer = cls(n, 4, rng=np.random.default_rng(3)) if cls is Linear else cls(n, rng=np.random.default_rng(3))
    again = cls(n, 4, rng=np.random.default_rng(3)) if cls is Linear else cls(n, rng=np.random.default_rng(3))
    assert [p.shape for p in layer.get_parameters()] == shapes
    for p, q, grad in zip(layer.get_parameters(), again.get_parameters(), layer.get_grad_params()):
        assert np.all(np.abs(p) <= 1 / np.sqrt(n)) and np.std(p) > 0
        np.testing.assert_array_equal(p, q)
        assert grad.shape == p.shape and not np.any(grad)
