"""trace_iteration: one training iteration recorded stage by stage, as read-only copies."""
import copy

import numpy as np
import pytest

from engine import (SGD, BatchNormalization, Dropout, LayerError, Linear, LogSoftMax, MSECriterion,
                    NLLCriterion, ReLU, Scaling, Sequential, sgd_momentum)
from engine.trace import IterationTrace, Stage, trace_iteration

TOL = dict(rtol=1e-12, atol=1e-15)


def make_mlp(seed=0, n_in=4, hidden=6, k=3):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(n_in, hidden, rng=rng), ReLU(), Linear(hidden, k, rng=rng), LogSoftMax())


def make_mixed(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, 5, rng=rng), BatchNormalization(alpha=0.5), Scaling(5, rng=rng), ReLU(),
                      Dropout(0.3, rng=np.random.default_rng(seed + 100)), Linear(5, 3, rng=rng),
                      LogSoftMax())


def batch(seed=1, n=8, n_in=4, k=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, k, size=n)


def hand_iteration(model, criterion, x, y, config, state):
    """The handout's loop, layer by layer, returning what each stage computed (copies)."""
    layers = list(model) if isinstance(model, Sequential) else [model]
    model.zero_grad_params()
    inputs, outputs = [], []
    h = x
    for layer in layers:
        inputs.append(h)
        h = layer.forward(h)
        outputs.append(h.copy())
    loss = criterion.forward(h, y)
    loss_grad = criterion.backward(h, y)
    grad_inputs, grad_params = {}, {}
    g = loss_grad
    for i in reversed(range(len(layers))):
        g = layers[i].backward(inputs[i], g)
        grad_inputs[i] = g.copy()
        grad_params[i] = {name: grad.copy() for name, _, grad in layers[i].named_parameters()}
    before = {(i, name): value.copy() for i, layer in enumerate(layers)
              for name, value, _ in layer.named_parameters()}
    variables = model.get_parameters() if isinstance(model, Sequential) else [model.get_parameters()]
    gradients = model.get_grad_params() if isinstance(model, Sequential) else [model.get_grad_params()]
    sgd_momentum(variables, gradients, config, state)
    after = {(i, name): value.copy() for i, layer in enumerate(layers)
             for name, value, _ in layer.named_parameters()}
    return dict(inputs=[a.copy() for a in inputs], outputs=outputs, loss=loss, loss_grad=loss_grad.copy(),
                grad_inputs=grad_inputs, grad_params=grad_params, before=before, after=after,
                velocities={k: v.copy() for k, v in state["accumulated_grads"].items()})


def trace_arrays(trace):
    """Every array a trace holds, with a label."""
    arrays = [("loss_grad", trace.loss_grad), ("target", trace.target)]
    for r in trace.forward:
        arrays += [(f"forward {r.index} input", r.input), (f"forward {r.index} output", r.output)]
    for r in trace.backward:
        arrays += [(f"backward {r.index} grad_output", r.grad_output),
                   (f"backward {r.index} grad_input", r.grad_input)]
        arrays += [(f"backward {r.index} grad {n}", g) for n, g in r.grad_params.items()]
    for u in trace.updates:
        arrays += [(f"update {u.index}.{u.param} {f}", getattr(u, f))
                   for f in ("before", "grad", "velocity", "after")]
    return arrays


def snapshot(trace):
    return [(label, np.array(a, copy=True)) for label, a in trace_arrays(trace)], trace.loss


def assert_snapshot_unchanged(trace, snap):
    arrays, loss = snap
    assert trace.loss == loss
    current = trace_arrays(trace)
    assert [label for label, _ in current] == [label for label, _ in arrays]
    for (label, now), (_, then) in zip(current, arrays):
        np.testing.assert_array_equal(now, then, err_msg=label)


# --- stages -----------------------------------------------------------------------------------

def test_stage_list_for_linear_relu_linear_logsoftmax():
    model = make_mlp()
    x, y = batch()
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    assert isinstance(trace, IterationTrace)
    assert [(s.kind, s.index) for s in trace.stages] == [
        ("forward", 0), ("forward", 1), ("forward", 2), ("forward", 3), ("loss", None),
        ("backward", 3), ("backward", 2), ("backward", 1), ("backward", 0),
        ("update", 0), ("update", 2)]
    assert [str(s) for s in trace.stages][:5] == ["forward 0", "forward 1", "forward 2", "forward 3", "loss"]
    assert [r.index for r in trace.forward] == [0, 1, 2, 3]
    assert [r.name for r in trace.forward] == ["Linear(4 -> 6)", "ReLU", "Linear(6 -> 3)", "LogSoftMax"]
    assert [r.index for r in trace.backward] == [3, 2, 1, 0]
    assert [r.name for r in trace.backward] == [repr(layer) for layer in reversed(list(model))]
    assert [(u.index, u.param) for u in trace.updates] == [(0, "W"), (0, "b"), (2, "W"), (2, "b")]
    assert trace.first_nonfinite is None


# --- values equal a hand-written loop ---------------------------------------------------------

def check_trace_against_hand(trace, hand, n_layers):
    assert len(trace.forward) == n_layers and len(trace.backward) == n_layers
    for i, record in enumerate(trace.forward):
        assert record.index == i
        np.testing.assert_allclose(record.input, hand["inputs"][i], **TOL)
        np.testing.assert_allclose(record.output, hand["outputs"][i], **TOL)
    assert isinstance(trace.loss, float)
    assert trace.loss == pytest.approx(hand["loss"], rel=1e-12)
    np.testing.assert_allclose(trace.loss_grad, hand["loss_grad"], **TOL)
    for i in range(n_layers):
        record = trace.backward_record(i)
        assert record.index == i
        np.testing.assert_allclose(record.grad_input, hand["grad_inputs"][i], **TOL)
        assert set(record.grad_params) == set(hand["grad_params"][i])
        for name, grad in hand["grad_params"][i].items():
            np.testing.assert_allclose(record.grad_params[name], grad, **TOL)
    assert [(u.index, u.param) for u in trace.updates] == list(hand["before"])
    for k, u in enumerate(trace.updates):
        np.testing.assert_allclose(u.before, hand["before"][(u.index, u.param)], **TOL)
        np.testing.assert_allclose(u.grad, hand["grad_params"][u.index][u.param], **TOL)
        np.testing.assert_allclose(u.velocity, hand["velocities"][k], **TOL)
        np.testing.assert_allclose(u.after, hand["after"][(u.index, u.param)], **TOL)


def test_records_equal_a_hand_written_loop_over_two_iterations():
    model = make_mlp()
    twin = copy.deepcopy(model)
    criterion, optimizer = NLLCriterion(), SGD(0.1, 0.9)
    config, state = {"learning_rate": 0.1, "momentum": 0.9}, {}
    traces = []
    for seed in (1, 2):
        x, y = batch(seed)
        traces.append(trace_iteration(model, criterion, optimizer, x, y))
        hand = hand_iteration(twin, NLLCriterion(), x, y, config, state)
        check_trace_against_hand(traces[-1], hand, len(model))
        np.testing.assert_allclose(traces[-1].predictions, hand["outputs"][-1], **TOL)
        np.testing.assert_array_equal(traces[-1].target, y)
    # the model afterwards equals the hand-updated one
    for (n1, v1, _), (n2, v2, _) in zip(model.named_parameters(), twin.named_parameters()):
        assert n1 == n2
        np.testing.assert_allclose(v1, v2, **TOL)
    # the update arithmetic, across the two traces
    first, second = traces
    for u1, u2 in zip(first.updates, second.updates):
        assert (u1.index, u1.param) == (u2.index, u2.param)
        np.testing.assert_allclose(u1.velocity, 0.1 * u1.grad, **TOL)  # v starts at 0
        np.testing.assert_allclose(u2.velocity, 0.9 * u1.velocity + 0.1 * u2.grad, **TOL)
        for u in (u1, u2):
            np.testing.assert_allclose(u.after, u.before - u.velocity, **TOL)
            np.testing.assert_allclose(u.step, u.velocity, rtol=1e-9, atol=1e-15)
        np.testing.assert_array_equal(u2.before, u1.after)
        assert u1.previous_velocity is None  # no velocity before the first step
        np.testing.assert_array_equal(u2.previous_velocity, u1.velocity)
        # the optimizer's own arithmetic, bit for bit: v = momentum * v_prev + lr * g
        np.testing.assert_array_equal(u2.velocity, 0.9 * u2.previous_velocity + 0.1 * u2.grad)
    assert (second.learning_rate, second.momentum) == (0.1, 0.9)
    assert second.criterion == "NLLCriterion"


def test_helpers_backward_record_update_records_predictions():
    model = make_mlp()
    x, y = batch()
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    for i in range(len(model)):
        assert trace.backward_record(i).index == i
        assert trace.forward_record(i) is trace.forward[i]
    assert [u.param for u in trace.update_records(0)] == ["W", "b"]
    assert [u.param for u in trace.update_records(2)] == ["W", "b"]
    assert trace.update_records(1) == [] and trace.update_records(3) == []
    assert trace.predictions is trace.forward[-1].output
    np.testing.assert_array_equal(trace.predictions, model.output)
    assert trace.backward_record(1).grad_params == {}


# --- copies -----------------------------------------------------------------------------------

def test_trace_is_unchanged_by_later_iterations_and_in_place_edits():
    model = make_mlp()
    criterion, optimizer = NLLCriterion(), SGD(0.1, 0.9)
    x, y = batch()
    trace = trace_iteration(model, criterion, optimizer, x, y)
    snap = snapshot(trace)
    x2, y2 = batch(7)
    trace_iteration(model, criterion, optimizer, x2, y2)
    for _, value, grad in model.named_parameters():
        value[...] = 123.0
        grad[...] = -5.0
    for velocity in optimizer.state["accumulated_grads"].values():
        with pytest.raises(ValueError):  # sgd_momentum's fresh velocities are kept, read-only
            velocity[...] = 7.0
    with pytest.raises(ValueError):  # the trace keeps the layers' own fresh outputs, read-only
        model[0].output[...] = 0.0
    x[...] = 0.0  # the caller's batch and labels
    y[...] = 0
    assert_snapshot_unchanged(trace, snap)


class InPlaceSGD(SGD):
    """The handout's own sgd_momentum: v is updated in place with np.add(..., out=v)."""

    def step(self, variables, gradients):
        velocities = self.state.setdefault("accumulated_grads", {})
        config, k = self.config, 0
        for layer_variables, layer_gradients in zip(variables, gradients):
            for variable, gradient in zip(layer_variables, layer_gradients):
                v = velocities.setdefault(k, np.zeros_like(gradient))
                np.add(config["momentum"] * v, config["learning_rate"] * gradient, out=v)
                variable -= v
                k += 1


def test_trace_copies_velocities_an_optimizer_updates_in_place():
    model = make_mlp()
    reference = copy.deepcopy(model)
    optimizer, plain = InPlaceSGD(0.1, 0.9), SGD(0.1, 0.9)
    traces = []
    for seed in (0, 1, 2):
        x, y = batch(seed)
        traces.append(trace_iteration(model, NLLCriterion(), optimizer, x, y))
        trace_iteration(reference, NLLCriterion(), plain, x, y)
    snap = snapshot(traces[1])
    trace_iteration(model, NLLCriterion(), optimizer, *batch(3))  # writes into the same v again
    assert_snapshot_unchanged(traces[1], snap)
    for held in optimizer.state["accumulated_grads"].values():
        assert held.flags.writeable  # the optimizer's own arrays are left alone
    for u1, u2 in zip(traces[1].updates, traces[2].updates):  # copied before each step
        np.testing.assert_array_equal(u2.previous_velocity, u1.velocity)
    np.testing.assert_allclose(traces[2].updates[0].velocity, plain.state["accumulated_grads"][0],
                               rtol=1e-12)


def test_trace_keeps_a_read_only_batch_and_copies_a_writeable_one():
    model = make_mlp()
    x, y = batch()
    x.flags.writeable = False
    y.flags.writeable = False
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    assert trace.forward[0].input is x and trace.target is y  # nothing can change them: no copy
    base = batch(1)[0]
    view = base[:, :]
    view.flags.writeable = False  # read-only, but its base is not
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), view, y)
    assert trace.forward[0].input is not view
    snap = trace.forward[0].input.copy()
    base[...] = 0.0
    np.testing.assert_array_equal(trace.forward[0].input, snap)


def test_trace_arrays_are_read_only():
    model = make_mlp()
    x, y = batch()
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    for label, array in trace_arrays(trace):
        assert not array.flags.writeable, label
    with pytest.raises(ValueError):
        trace.forward[0].output[0, 0] = 1.0
    with pytest.raises(ValueError):
        trace.updates[0].after[...] = 0.0
    with pytest.raises(ValueError):
        trace.backward_record(0).grad_params["W"][...] = 0.0
    with pytest.raises(ValueError):
        trace.loss_grad.fill(0.0)


def test_shared_copies_are_consistent():
    model = make_mlp()
    x, y = batch()
    trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    n = len(model)
    np.testing.assert_array_equal(trace.forward[0].input, x)
    for i in range(n - 1):
        np.testing.assert_array_equal(trace.forward[i + 1].input, trace.forward[i].output)
        np.testing.assert_array_equal(trace.backward_record(i).grad_output,
                                      trace.backward_record(i + 1).grad_input)
    np.testing.assert_array_equal(trace.backward_record(n - 1).grad_output, trace.loss_grad)
    for u in trace.updates:
        np.testing.assert_array_equal(u.grad, trace.backward_record(u.index).grad_params[u.param])
    # one copy per tensor: the records of a tensor that flows between layers share it
    for i in range(n - 1):
        assert trace.forward[i + 1].input is trace.forward[i].output
        assert trace.backward_record(i).grad_output is trace.backward_record(i + 1).grad_input


# --- other models -----------------------------------------------------------------------------

def test_single_linear_module_with_mse():
    rng = np.random.default_rng(0)
    model = Linear(3, 2, rng=rng)
    twin = copy.deepcopy(model)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    trace = trace_iteration(model, MSECriterion(), SGD(0.05, 0.5), x, y)
    assert [(s.kind, s.index) for s in trace.stages] == [("forward", 0), ("loss", None), ("backward", 0),
                                                         ("update", 0)]
    hand = hand_iteration(twin, MSECriterion(), x, y, {"learning_rate": 0.05, "momentum": 0.5}, {})
    check_trace_against_hand(trace, hand, 1)
    assert trace.forward[0].name == "Linear(3 -> 2)"
    np.testing.assert_allclose(trace.loss, np.sum((x @ hand["before"][(0, "W")] + hand["before"][(0, "b")]
                                                   - y) ** 2) / 6, rtol=1e-12)
    np.testing.assert_allclose(model.W, twin.W, **TOL)
    assert model._forward_hooks == {} and model._backward_hooks == {}


def test_batchnorm_and_dropout_in_a_model():
    model = make_mixed()
    twin = copy.deepcopy(model)  # the Dropout's generator is copied too: same masks
    criterion, optimizer = NLLCriterion(), SGD(0.1, 0.9)
    config, state = {"learning_rate": 0.1, "momentum": 0.9}, {}
    for seed in (1, 2):
        x, y = batch(seed)
        trace = trace_iteration(model, criterion, optimizer, x, y)
        hand = hand_iteration(twin, NLLCriterion(), x, y, config, state)
        check_trace_against_hand(trace, hand, len(model))
    assert [(s.kind, s.index) for s in trace.stages if s.kind == "update"] == [("update", 0), ("update", 2),
                                                                              ("update", 5)]
    assert trace.backward_record(1).grad_params == {} and trace.backward_record(4).grad_params == {}
    dropout = trace.forward[4]
    np.testing.assert_allclose(dropout.output, dropout.input * model[4].mask, **TOL)
    np.testing.assert_allclose(trace.backward_record(4).grad_input,
                               trace.backward_record(4).grad_output * model[4].mask, **TOL)
    bn_out = trace.forward[1].output
    np.testing.assert_allclose(bn_out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(model[1].moving_mean, twin[1].moving_mean, **TOL)


# --- first_nonfinite --------------------------------------------------------------------------

def first_nonfinite_by_hand(trace):
    """An independent scan of the stages in the documented order."""
    def bad(*arrays):
        return any(not np.all(np.isfinite(a)) for a in arrays)
    for stage in trace.stages:
        if stage.kind == "forward":
            broken = bad(trace.forward[stage.index].output)
        elif stage.kind == "loss":
            broken = bad(np.array(trace.loss), trace.loss_grad)
        elif stage.kind == "backward":
            record = trace.backward_record(stage.index)
            broken = bad(record.grad_input, *record.grad_params.values())
        else:
            broken = bad(*[u.after for u in trace.update_records(stage.index)])
        if broken:
            return stage
    return None


def test_first_nonfinite_for_an_infinite_input():
    model = make_mlp()
    x, y = batch()
    x[2, 1] = np.inf
    with np.errstate(all="ignore"):
        trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    assert trace.first_nonfinite == Stage("forward", 0)
    assert trace.forward[0].nonfinite
    assert np.isinf(trace.forward[0].input[2, 1])


def test_first_nonfinite_names_the_layer_that_broke_first():
    model = make_mlp()
    model[2].W[0, 0] = np.nan
    x, y = batch()
    with np.errstate(all="ignore"):
        trace = trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    assert not trace.forward[0].nonfinite and not trace.forward[1].nonfinite
    assert trace.first_nonfinite == Stage("forward", 2)


def test_first_nonfinite_in_the_update_stage():
    rng = np.random.default_rng(0)
    model = Sequential(ReLU(), Linear(3, 2, rng=rng))
    x, y = 10 * np.ones((4, 3)), -10 * np.ones((4, 2))
    with np.errstate(all="ignore"):
        trace = trace_iteration(model, MSECriterion(), SGD(1e308, 0.0), x, y)
    assert trace.first_nonfinite == Stage("update", 1)
    assert np.isfinite(trace.loss) and not trace.backward_record(1).nonfinite


def test_first_nonfinite_with_a_huge_learning_rate_over_several_iterations():
    model = Linear(3, 2, rng=np.random.default_rng(0))
    x, y = np.ones((4, 3)), np.zeros((4, 2))
    optimizer = SGD(1e200, 0.0)
    traces = []
    with np.errstate(all="ignore"):
        for _ in range(5):
            traces.append(trace_iteration(model, MSECriterion(), optimizer, x, y))
            if traces[-1].first_nonfinite is not None:
                break
    # iteration 1 is finite (weights become ~1e200); iteration 2's loss ~1e400 overflows
    assert len(traces) == 2
    assert traces[0].first_nonfinite is None
    assert traces[1].first_nonfinite == Stage("loss")
    assert not traces[1].forward[0].nonfinite


def test_first_nonfinite_agrees_with_an_independent_scan_as_a_deep_model_diverges():
    model = make_mlp(seed=3)
    optimizer = SGD(1e60, 0.9)
    x, y = batch(4)
    found = None
    with np.errstate(all="ignore"):
        for iteration in range(30):
            trace = trace_iteration(model, NLLCriterion(), optimizer, x, y)
            assert trace.first_nonfinite == first_nonfinite_by_hand(trace), iteration
            if trace.first_nonfinite is not None:
                found = trace.first_nonfinite
                break
    assert found is not None
    assert iteration > 0  # the model started finite and diverged


# --- errors -----------------------------------------------------------------------------------

def assert_no_hooks(model):
    for layer in [model] + list(model):
        assert layer._forward_hooks == {} and layer._backward_hooks == {}, repr(layer)


@pytest.mark.parametrize("model_factory, n_features, where", [
    (make_mlp, 3, "layer 0"),
    (lambda: Sequential(Linear(4, 5, rng=np.random.default_rng(0)), ReLU(),
                        Linear(6, 2, rng=np.random.default_rng(1))), 4, "layer 2"),
], ids=["first-layer", "middle-layer"])
def test_forward_error_raises_and_leaves_model_unchanged_without_hooks(model_factory, n_features, where):
    model = model_factory()
    before = [(name, value.copy()) for name, value, _ in model.named_parameters()]
    optimizer = SGD(0.1, 0.9)
    x = np.ones((5, n_features))
    with pytest.raises(ValueError, match=where) as info:
        trace_iteration(model, NLLCriterion(), optimizer, x, np.zeros(5, dtype=int))
    assert isinstance(info.value, LayerError)
    for (name, old), (_, value, _) in zip(before, model.named_parameters()):
        np.testing.assert_array_equal(value, old, err_msg=name)
    assert optimizer.state == {}
    assert_no_hooks(model)


def test_criterion_error_raises_and_leaves_model_unchanged_without_hooks():
    model = make_mlp()
    before = [value.copy() for _, value, _ in model.named_parameters()]
    x, _ = batch()
    with pytest.raises(ValueError, match="NLLCriterion"):
        trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, np.zeros((len(x), 5)))
    for old, (_, value, _) in zip(before, model.named_parameters()):
        np.testing.assert_array_equal(value, old)
    assert_no_hooks(model)


def test_trace_leaves_user_hooks_in_place_and_fires_them():
    model = make_mlp()
    calls = []
    handle = model[2].register_forward_hook(lambda m, i, o: calls.append("user"))
    x, y = batch()
    trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    assert calls == ["user"]
    assert list(model[2]._forward_hooks) == [handle.id]
    assert all(layer._backward_hooks == {} for layer in model)


class Overrides(Linear):
    """A student's layer that overrides backward itself, so its backward hooks never run."""

    def backward(self, input, grad_output):
        self.update_grad_input(input, grad_output)
        self.update_grad_params(input, grad_output)
        return self.grad_input


def test_a_layer_that_skips_its_hooks_gets_a_clear_error():
    model = Sequential(Overrides(3, 2, rng=np.random.default_rng(0)), LogSoftMax())
    before = [value.copy() for _, value, _ in model.named_parameters()]
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\(3 -> 2\)\) ran its backward hooks 0 times"):
        trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), np.ones((4, 3)), np.array([0, 1, 0, 1]))
    for old, (_, value, _) in zip(before, model.named_parameters()):
        np.testing.assert_array_equal(old, value)  # no update happened
    assert not model[0]._forward_hooks and not model[0]._backward_hooks


def test_arrays_name_every_tensor_and_survive_npz_without_pickle():
    import io
    model = make_mlp()
    optimizer = SGD(0.1, 0.9)
    x, y = batch()
    first = trace_iteration(model, NLLCriterion(), optimizer, x, y)
    trace = trace_iteration(model, NLLCriterion(), optimizer, x, y)
    arrays = trace.arrays()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    loaded = np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False)
    assert sorted(loaded.files) == sorted(arrays)
    np.testing.assert_array_equal(loaded["x"], x)
    np.testing.assert_array_equal(loaded["target"], y)
    assert float(loaded["loss"]) == trace.loss
    for record in trace.forward:
        np.testing.assert_array_equal(loaded[f"forward.{record.index}.output"], record.output)
    for record in trace.backward:
        np.testing.assert_array_equal(loaded[f"backward.{record.index}.grad_input"], record.grad_input)
        for name, grad in record.grad_params.items():
            np.testing.assert_array_equal(loaded[f"backward.{record.index}.grad.{name}"], grad)
    for u, u1 in zip(trace.updates, first.updates):
        prefix = f"update.{u.index}.{u.param}"
        np.testing.assert_array_equal(loaded[f"{prefix}.after"], u.after)
        np.testing.assert_array_equal(loaded[f"{prefix}.previous_velocity"], u1.velocity)
    assert not any(key.endswith("previous_velocity") for key in first.arrays())  # v started at 0
    assert list(loaded["layers"]) == [record.name for record in trace.forward]
