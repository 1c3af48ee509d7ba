"""trace_iteration and Recorder on a CNN (4-D tensors) and with Adam (m, v, t recorded as SGD's velocity)."""
import copy
import io

import numpy as np
import pytest

from engine import (SGD, Adam, Conv2d, Flatten, Linear, LogSoftMax, MaxPool2d, NLLCriterion, ReLU,
                    Sequential, adam_optimizer)
from engine.recorder import Recorder
from engine.trace import trace_iteration

from .test_recorder import assert_iteration_matches, step
from .test_trace import assert_snapshot_unchanged, check_trace_against_hand, hand_iteration, snapshot

TOL = dict(rtol=1e-12, atol=1e-15)


def make_cnn(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2d(1, 4, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, rng=rng),
                      LogSoftMax())


def images(seed=1, n=6):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 8, 8)), rng.integers(0, 10, size=n)


def test_a_cnn_trace_with_sgd_equals_the_hand_written_loop():
    model, criterion, optimizer = make_cnn(), NLLCriterion(), SGD(0.1, 0.9)
    twin, config, state = copy.deepcopy(model), {"learning_rate": 0.1, "momentum": 0.9}, {}
    for seed in (1, 2):
        x, y = images(seed)
        trace = trace_iteration(model, criterion, optimizer, x, y)
        check_trace_against_hand(trace, hand_iteration(twin, NLLCriterion(), x, y, config, state), len(model))
    assert [str(s) for s in trace.stages if s.kind == "update"] == ["update 0", "update 4"]
    assert [r.output.shape for r in trace.forward] == [(6, 4, 8, 8), (6, 4, 8, 8), (6, 4, 4, 4), (6, 64),
                                                       (6, 10), (6, 10)]
    assert trace.backward_record(0).grad_params["W"].shape == (4, 1, 3, 3)
    assert trace.forward[2].name == "MaxPool2d(2)" and trace.first_nonfinite is None
    assert trace.optimizer == "SGD" and trace.config == config


def test_the_recorder_on_a_cnn_sees_the_models_own_4d_fields():
    model = make_cnn()
    with Recorder(model) as recorder:
        loss, fields = step(model, NLLCriterion(), SGD(0.1, 0.9), *images())
    assert_iteration_matches(recorder.iterations[-1], fields, model)
    assert recorder.forward[0].input.shape == (6, 1, 8, 8)


def hand_adam(model, x, y, config, state):
    """The handout's loop with adam_optimizer; returns parameters, moments before and after."""
    hand = hand_iteration(model, NLLCriterion(), x, y, {"learning_rate": 0.0, "momentum": 0.0}, {})
    moments = ([m.copy() for m in state.get("m", [])], [v.copy() for v in state.get("v", [])])
    adam_optimizer(model.get_parameters(), model.get_grad_params(), config, state)
    after = {(i, name): value.copy() for i, layer in enumerate(model) for name, value, _ in layer.named_parameters()}
    return hand, moments, after


def test_an_adam_trace_records_m_v_t_and_the_step_over_two_iterations():
    model, criterion, optimizer = make_cnn(), NLLCriterion(), Adam(0.01, 0.8, 0.99, 1e-6)
    twin, config, state = copy.deepcopy(model), dict(optimizer.config), {}
    traces = []
    for t, seed in enumerate((1, 2), start=1):
        x, y = images(seed)
        trace = trace_iteration(model, criterion, optimizer, x, y)
        traces.append(trace)
        hand, (previous_m, previous_v), after = hand_adam(twin, x, y, config, state)
        assert trace.optimizer == "Adam" and trace.config == dict(config, t=t)
        assert (trace.learning_rate, trace.momentum) == (0.01, 0.8)  # momentum: Adam's beta1
        assert [(u.index, u.param) for u in trace.updates] == [(0, "W"), (0, "b"), (4, "W"), (4, "b")]
        for k, u in enumerate(trace.updates):
            np.testing.assert_allclose(u.before, hand["before"][(u.index, u.param)], **TOL)
            np.testing.assert_allclose(u.grad, hand["grad_params"][u.index][u.param], **TOL)
            np.testing.assert_allclose(u.m, state["m"][k], **TOL)
            np.testing.assert_allclose(u.v, state["v"][k], **TOL)
            np.testing.assert_allclose(u.after, after[(u.index, u.param)], **TOL)
            assert u.t == t
            if t == 1:
                assert u.previous_m is None and u.previous_v is None
            else:
                np.testing.assert_array_equal(u.previous_m, previous_m[k])
                np.testing.assert_array_equal(u.previous_v, previous_v[k])
            # velocity is the step: lr m_hat / (sqrt(v_hat) + eps), and after = before - velocity
            m_hat, v_hat = u.m / (1 - 0.8 ** t), u.v / (1 - 0.99 ** t)
            np.testing.assert_allclose(u.velocity, 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6), rtol=1e-8, atol=1e-15)
            np.testing.assert_array_equal(u.step, u.velocity)
        assert u.after is u.stepped
    for (_, value, _), u in zip(model.named_parameters(), traces[-1].updates):
        np.testing.assert_array_equal(u.after, value)  # exactly the parameter the optimizer left
    for u1, u2 in zip(*[trace.updates for trace in traces]):
        np.testing.assert_array_equal(u2.previous_m, u1.m)
        np.testing.assert_array_equal(u2.before, u1.after)


def test_an_adam_trace_is_read_only_and_unchanged_by_later_iterations():
    model, optimizer = make_cnn(), Adam(0.01)
    trace_iteration(model, NLLCriterion(), optimizer, *images(1))
    trace = trace_iteration(model, NLLCriterion(), optimizer, *images(2))
    snap = snapshot(trace)
    moments = [(u.m.copy(), u.v.copy(), u.previous_m.copy()) for u in trace.updates]
    trace_iteration(model, NLLCriterion(), optimizer, *images(3))
    for _, value, grad in model.named_parameters():
        value[...] = 5.0
        grad[...] = -1.0
    assert_snapshot_unchanged(trace, snap)
    for u, (m, v, previous_m) in zip(trace.updates, moments):
        assert not any(a.flags.writeable for a in (u.m, u.v, u.previous_m, u.previous_v, u.after, u.velocity))
        np.testing.assert_array_equal(u.m, m)
        np.testing.assert_array_equal(u.v, v)
        np.testing.assert_array_equal(u.previous_m, previous_m)


class InPlaceAdam(Adam):
    """The homework's own adam_optimizer: m and v updated in place with np.add(..., out=)."""

    def step(self, variables, gradients):
        c, state = self.config, self.state
        state.setdefault("m", []), state.setdefault("v", [])
        state["t"] = t = state.get("t", 0) + 1
        k = 0
        for layer_variables, layer_gradients in zip(variables, gradients):
            for variable, gradient in zip(layer_variables, layer_gradients):
                if k == len(state["m"]):
                    state["m"].append(np.zeros_like(gradient))
                    state["v"].append(np.zeros_like(gradient))
                m, v = state["m"][k], state["v"][k]
                np.add(c["beta1"] * m, (1 - c["beta1"]) * gradient, out=m)
                np.add(c["beta2"] * v, (1 - c["beta2"]) * gradient ** 2, out=v)
                variable -= (c["learning_rate"] * m / (1 - c["beta1"] ** t)
                             / (np.sqrt(v / (1 - c["beta2"] ** t)) + c["epsilon"]))
                k += 1


def test_the_trace_copies_moments_an_optimizer_updates_in_place():
    model, reference = make_cnn(), make_cnn()
    optimizer, plain = InPlaceAdam(0.01), Adam(0.01)
    traces = [trace_iteration(model, NLLCriterion(), optimizer, *images(seed)) for seed in (1, 2)]
    for seed in (1, 2):
        trace_iteration(reference, NLLCriterion(), plain, *images(seed))
    first_m = [u.m.copy() for u in traces[0].updates]
    for u, m in zip(traces[0].updates, first_m):
        np.testing.assert_array_equal(u.m, m)  # the optimizer wrote into its m again; the trace kept a copy
    for u1, u2 in zip(*[trace.updates for trace in traces]):
        np.testing.assert_array_equal(u2.previous_m, u1.m)
    assert all(m.flags.writeable for m in optimizer.state["m"])  # its own arrays are left alone
    np.testing.assert_allclose(traces[1].updates[0].after, reference[0].W, rtol=1e-12)


def test_adam_arrays_name_the_moments_and_survive_npz_without_pickle():
    model, optimizer = make_cnn(), Adam(0.01, 0.8, 0.99, 1e-6)
    first = trace_iteration(model, NLLCriterion(), optimizer, *images(1))
    trace = trace_iteration(model, NLLCriterion(), optimizer, *images(2))
    arrays = trace.arrays()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    loaded = np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False)
    assert sorted(loaded.files) == sorted(arrays)
    assert str(loaded["optimizer"]) == "Adam" and int(loaded["t"]) == 2
    assert (float(loaded["beta1"]), float(loaded["beta2"]), float(loaded["epsilon"])) == (0.8, 0.99, 1e-6)
    for u, u1 in zip(trace.updates, first.updates):
        prefix = f"update.{u.index}.{u.param}"
        for name in ("before", "grad", "velocity", "after", "m", "v"):
            np.testing.assert_array_equal(loaded[f"{prefix}.{name}"], getattr(u, name))
        np.testing.assert_array_equal(loaded[f"{prefix}.previous_m"], u1.m)
        np.testing.assert_array_equal(loaded[f"{prefix}.previous_v"], u1.v)
    assert not any(key.endswith(("previous_m", "previous_v")) for key in first.arrays())
    assert not any(key.endswith("velocity") and "previous" in key for key in arrays)


def test_sgd_arrays_keep_their_names():
    trace = trace_iteration(make_cnn(), NLLCriterion(), SGD(0.1, 0.9), *images())
    arrays = trace.arrays()
    assert not {"optimizer", "t", "beta1"} & set(arrays)
    assert not any(key.endswith((".m", ".v")) for key in arrays)


def test_a_model_without_parameters_traces_with_adam():
    model = Sequential(MaxPool2d(2), Flatten(), LogSoftMax())
    trace = trace_iteration(model, NLLCriterion(), Adam(), *images())
    assert trace.updates == [] and trace.config["t"] == 1
    assert [s.kind for s in trace.stages].count("update") == 0
    assert trace.arrays()["t"] == 1


@pytest.mark.parametrize("layer, x", [(Conv2d(2, 3, 3, rng=np.random.default_rng(0)), np.ones((2, 2, 4, 4))),
                                      (MaxPool2d(2), np.arange(32.0).reshape(2, 1, 4, 4))])
def test_hooks_see_the_4d_arrays_of_the_image_layers(layer, x):
    seen = []
    with layer.register_forward_hook(lambda m, i, o: seen.append((i, o))):
        with layer.register_backward_hook(lambda m, g, gi: seen.append((g, gi))):
            y = layer.forward(x)
            grad = layer.backward(x, np.ones_like(y))
    assert seen[0][0] is x and seen[0][1] is y
    assert seen[1][1] is grad and grad.shape == x.shape
    assert layer._forward_hooks == {} and layer._backward_hooks == {}
