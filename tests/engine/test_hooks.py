"""Forward/backward hooks (PyTorch-shaped handles) and named_parameters()."""
import copy

import numpy as np
import pytest

from engine import (SGD, Dropout, Linear, LogSoftMax, MSECriterion, NLLCriterion, ReLU, Scaling,
                    Sequential)
from engine.hooks import RemovableHandle


def make_mlp(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, 6, rng=rng), ReLU(), Scaling(6, rng=rng), Linear(6, 3, rng=rng),
                      LogSoftMax())


def batch(seed=1, n=5, n_in=4, k=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, k, size=n)


# --- arguments -------------------------------------------------------------------------------

def test_forward_hook_receives_module_input_and_output_objects():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    x, _ = batch()
    calls = []
    layer.register_forward_hook(lambda m, i, o: calls.append((m, i, o)))
    out = layer.forward(x)
    assert len(calls) == 1
    module, inp, output = calls[0]
    assert module is layer
    assert inp is x
    assert output is out and output is layer.output


def test_backward_hook_receives_grad_output_and_grad_input_objects():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    x, _ = batch()
    g = np.random.default_rng(2).normal(size=(5, 3))
    calls = []
    layer.register_backward_hook(lambda m, go, gi: calls.append((m, go, gi)))
    layer.forward(x)
    assert calls == []  # forward does not fire backward hooks
    grad_input = layer.backward(x, g)
    assert len(calls) == 1
    module, grad_output, hook_grad_input = calls[0]
    assert module is layer
    assert grad_output is g
    assert hook_grad_input is grad_input and grad_input is layer.grad_input
    np.testing.assert_allclose(grad_input, g @ layer.W.T, rtol=1e-12)


@pytest.mark.parametrize("make_layer, param_grads", [
    (lambda rng: Linear(4, 3, rng=rng),
     lambda x, g: {"W": x.T @ g, "b": g.sum(axis=0)}),
    (lambda rng: Scaling(4, rng=rng),
     lambda x, g: {"gamma": (g * x).sum(axis=0, keepdims=True), "beta": g.sum(axis=0, keepdims=True)}),
], ids=["Linear", "Scaling"])
def test_backward_hook_sees_this_batchs_parameter_gradients(make_layer, param_grads):
    layer = make_layer(np.random.default_rng(0))
    x, _ = batch()
    layer.forward(x)
    g = np.random.default_rng(3).normal(size=layer.output.shape)
    for _, _, grad in layer.named_parameters():
        grad.fill(np.nan)  # stale values a too-early hook would see
    seen = {}
    layer.register_backward_hook(
        lambda m, go, gi: seen.update({name: grad.copy() for name, _, grad in m.named_parameters()}))
    layer.backward(x, g)
    expected = param_grads(x, g)
    assert set(seen) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(seen[name], value, rtol=1e-12, atol=1e-15)


def test_backward_hook_inside_sequential_sees_ready_gradients_of_its_layer():
    model = make_mlp()
    x, y = batch()
    reference = copy.deepcopy(model)
    inputs, seen = {}, {}
    for i, layer in enumerate(model):
        layer.register_forward_hook(lambda m, inp, out, i=i: inputs.__setitem__(i, inp))
        layer.register_backward_hook(
            lambda m, go, gi, i=i: seen.__setitem__(i, (go, {n: g.copy() for n, _, g in m.named_parameters()})))
    model.zero_grad_params()
    out = model.forward(x)
    crit = NLLCriterion()
    crit.forward(out, y)
    model.backward(x, crit.backward(out, y))
    # fresh computation on an identical copy of the model
    ref_out = reference.forward(x)
    ref_crit = NLLCriterion()
    ref_crit.forward(ref_out, y)
    reference.backward(x, ref_crit.backward(ref_out, y))
    x0, g0 = inputs[0], seen[0][0]
    np.testing.assert_allclose(seen[0][1]["W"], x0.T @ g0, rtol=1e-12, atol=1e-15)
    x2, g2 = inputs[2], seen[2][0]
    np.testing.assert_allclose(seen[2][1]["gamma"], (g2 * x2).sum(axis=0, keepdims=True), rtol=1e-12)
    for i, ref_layer in enumerate(reference):
        for name, _, ref_grad in ref_layer.named_parameters():
            np.testing.assert_allclose(seen[i][1][name], ref_grad, rtol=1e-12, atol=1e-15)
    assert seen[1][1] == {} and seen[4][1] == {}


# --- order across a Sequential ---------------------------------------------------------------

def test_sequential_children_hooks_fire_in_order_and_its_own_hooks_fire_last():
    model = make_mlp()
    x, y = batch()
    events = []
    for i, layer in enumerate(model):
        layer.register_forward_hook(lambda m, inp, out, i=i: events.append(("forward", i)))
        layer.register_backward_hook(lambda m, go, gi, i=i: events.append(("backward", i)))
    seq_calls = []
    model.register_forward_hook(lambda m, inp, out: (events.append(("forward", "seq")),
                                                     seq_calls.append((m, inp, out))))
    model.register_backward_hook(lambda m, go, gi: (events.append(("backward", "seq")),
                                                    seq_calls.append((m, go, gi))))
    out = model.forward(x)
    crit = NLLCriterion()
    crit.forward(out, y)
    g = crit.backward(out, y)
    grad_input = model.backward(x, g)
    n = len(model)
    assert events == ([("forward", i) for i in range(n)] + [("forward", "seq")]
                      + [("backward", i) for i in reversed(range(n))] + [("backward", "seq")])
    (m1, inp, output), (m2, go, gi) = seq_calls
    assert m1 is model and m2 is model
    assert inp is x and output is out and output is model[-1].output
    assert go is g and gi is grad_input and gi is model[0].grad_input


def test_child_hooks_see_the_arrays_flowing_between_layers():
    model = make_mlp()
    x, y = batch()
    fwd, bwd = {}, {}
    for i, layer in enumerate(model):
        layer.register_forward_hook(lambda m, inp, out, i=i: fwd.__setitem__(i, (inp, out)))
        layer.register_backward_hook(lambda m, go, gi, i=i: bwd.__setitem__(i, (go, gi)))
    out = model.forward(x)
    g = NLLCriterion().backward(out, y)
    model.backward(x, g)
    n = len(model)
    assert fwd[0][0] is x and fwd[n - 1][1] is out
    for i in range(n - 1):
        assert fwd[i + 1][0] is fwd[i][1]  # layer i+1 receives exactly layer i's output
        assert bwd[i][0] is bwd[i + 1][1]  # layer i receives exactly layer i+1's grad_input
    assert bwd[n - 1][0] is g


# --- removal ----------------------------------------------------------------------------------

def test_handle_remove_stops_the_hook_and_is_idempotent():
    layer = ReLU()
    x = np.array([[1.0, -2.0]])
    calls = []
    handle = layer.register_forward_hook(lambda m, i, o: calls.append(1))
    assert isinstance(handle, RemovableHandle)
    layer.forward(x)
    handle.remove()
    layer.forward(x)
    handle.remove()  # a second remove is harmless
    assert calls == [1]
    assert layer._forward_hooks == {}


def test_handle_as_context_manager_removes_on_exit_even_after_an_exception():
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    x, g = np.ones((3, 2)), np.ones((3, 2))
    calls = []
    with layer.register_backward_hook(lambda m, go, gi: calls.append("in")) as handle:
        assert isinstance(handle, RemovableHandle)
        layer.forward(x)
        layer.backward(x, g)
    layer.backward(x, g)
    assert calls == ["in"]
    assert layer._backward_hooks == {}
    with pytest.raises(RuntimeError, match="boom"):
        with layer.register_forward_hook(lambda m, i, o: calls.append("f")):
            raise RuntimeError("boom")
    assert layer._forward_hooks == {}


def test_removing_one_hook_keeps_the_others():
    layer = ReLU()
    x = np.ones((1, 2))
    calls = []
    first = layer.register_forward_hook(lambda m, i, o: calls.append("a"))
    layer.register_forward_hook(lambda m, i, o: calls.append("b"))
    first.remove()
    layer.forward(x)
    assert calls == ["b"]


@pytest.mark.parametrize("kind", ["forward", "backward"])
def test_hook_may_remove_itself_while_running(kind):
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    x, g = np.ones((3, 2)), np.ones((3, 2))
    register = getattr(layer, f"register_{kind}_hook")
    calls = []
    handles = {}

    def once(*args):
        calls.append("once")
        handles["once"].remove()

    handles["once"] = register(once)
    register(lambda *args: calls.append("after"))  # registered later: must still fire this time
    for _ in range(2):
        layer.forward(x)
        layer.backward(x, g)
    assert calls == ["once", "after", "after"]
    assert len(getattr(layer, f"_{kind}_hooks")) == 1


def test_several_hooks_fire_in_registration_order():
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    x, g = np.ones((3, 2)), np.ones((3, 2))
    calls = []
    for name in "cab":
        layer.register_forward_hook(lambda m, i, o, name=name: calls.append(("f", name)))
        layer.register_backward_hook(lambda m, go, gi, name=name: calls.append(("b", name)))
    same = lambda m, i, o: calls.append(("f", "same"))  # noqa: E731
    layer.register_forward_hook(same)
    layer.register_forward_hook(same)  # the same function twice fires twice
    layer.forward(x)
    layer.backward(x, g)
    assert calls == [("f", "c"), ("f", "a"), ("f", "b"), ("f", "same"), ("f", "same"),
                     ("b", "c"), ("b", "a"), ("b", "b")]


@pytest.mark.parametrize("bad", [None, 42, "hook", np.zeros(2)])
def test_non_callable_hook_is_rejected(bad):
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="callable"):
        layer.register_forward_hook(bad)
    with pytest.raises(ValueError, match="callable"):
        layer.register_backward_hook(bad)
    assert layer._forward_hooks == {} and layer._backward_hooks == {}


# --- hooks only observe -----------------------------------------------------------------------

def train(model, x, y, steps, optimizer):
    outputs = []
    crit = NLLCriterion()
    for _ in range(steps):
        model.zero_grad_params()
        out = model.forward(x)
        loss = crit.forward(out, y)
        grad_input = model.backward(x, crit.backward(out, y))
        optimizer.step(model.get_parameters(), model.get_grad_params())
        outputs.append((out.copy(), loss, grad_input.copy()))
    return outputs


def test_outputs_are_identical_with_and_without_hooks():
    rng = np.random.default_rng(0)
    plain = Sequential(Linear(4, 6, rng=rng), ReLU(), Dropout(0.3, rng=np.random.default_rng(5)),
                       Scaling(6, rng=rng), Linear(6, 3, rng=rng), LogSoftMax())
    hooked = copy.deepcopy(plain)
    x, y = batch()
    seen = []
    for layer in list(hooked) + [hooked]:
        layer.register_forward_hook(lambda m, i, o: seen.append((i.copy(), o.sum())))
        layer.register_backward_hook(
            lambda m, go, gi: seen.append([g.copy() for _, _, g in m.named_parameters()]))
    expected = train(plain, x, y, 3, SGD(0.1, 0.9))
    got = train(hooked, x, y, 3, SGD(0.1, 0.9))
    assert len(seen) == 3 * 2 * (len(hooked) + 1)
    for (o1, l1, g1), (o2, l2, g2) in zip(expected, got):
        np.testing.assert_array_equal(o1, o2)
        assert l1 == l2
        np.testing.assert_array_equal(g1, g2)
    for (n1, v1, _), (n2, v2, _) in zip(plain.named_parameters(), hooked.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(v1, v2)


def test_hooks_on_a_single_module_with_a_criterion():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(4, 3))
    y = np.zeros((4, 2))
    events = []
    layer.register_forward_hook(lambda m, i, o: events.append("f"))
    layer.register_backward_hook(lambda m, go, gi: events.append("b"))
    crit = MSECriterion()
    out = layer.forward(x)
    crit.forward(out, y)
    layer.backward(x, crit.backward(out, y))
    assert events == ["f", "b"]


# --- named_parameters -------------------------------------------------------------------------

def test_named_parameters_of_a_sequential_are_prefixed_ordered_and_live():
    model = make_mlp()  # Linear, ReLU, Scaling, Linear, LogSoftMax
    named = model.named_parameters()
    assert [name for name, _, _ in named] == ["0.W", "0.b", "2.gamma", "2.beta", "3.W", "3.b"]
    expected = [(model[0].W, model[0].gradW), (model[0].b, model[0].gradb),
                (model[2].gamma, model[2].gradGamma), (model[2].beta, model[2].gradBeta),
                (model[3].W, model[3].gradW), (model[3].b, model[3].gradb)]
    for (_, value, grad), (want_value, want_grad) in zip(named, expected):
        assert value is want_value and grad is want_grad
    flat_params = [p for layer in model.get_parameters() for p in layer]
    flat_grads = [g for layer in model.get_grad_params() for g in layer]
    assert all(v is p for (_, v, _), p in zip(named, flat_params))
    assert all(g is q for (_, _, g), q in zip(named, flat_grads))
    # live: a training step changes what the earlier returned arrays hold
    before = [value.copy() for _, value, _ in named]
    x, y = batch()
    train(model, x, y, 1, SGD(0.5, 0.0))
    for (name, value, grad), old in zip(named, before):
        assert not np.array_equal(value, old), name
        assert np.any(grad != 0), name
    np.testing.assert_array_equal(named[0][1], model[0].W)


def test_named_parameters_of_single_modules():
    linear = Linear(3, 2, rng=np.random.default_rng(0))
    assert [(n, v is getattr(linear, n)) for n, v, _ in linear.named_parameters()] == [("W", True),
                                                                                    ("b", True)]
    assert linear.named_parameters()[0][2] is linear.gradW
    scaling = Scaling(3, rng=np.random.default_rng(0))
    assert [n for n, _, _ in scaling.named_parameters()] == ["gamma", "beta"]
    assert ReLU().named_parameters() == []
    assert Sequential().named_parameters() == []
    assert Sequential(ReLU(), LogSoftMax()).named_parameters() == []


def test_named_parameters_skip_indices_of_parameter_free_layers():
    rng = np.random.default_rng(0)
    model = Sequential(ReLU(), ReLU(), Linear(2, 2, rng=rng))
    assert [n for n, _, _ in model.named_parameters()] == ["2.W", "2.b"]
