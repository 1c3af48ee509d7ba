"""Recorder: hooks that copy every layer's forward and backward tensors for a hand-written loop."""
import copy

import numpy as np
import pytest

from engine import (SGD, Dropout, Linear, LogSoftMax, MSECriterion, NLLCriterion, ReLU, Scaling,
                    Sequential)
from engine.recorder import BackwardRecord, ForwardRecord, Recorder


def make_model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, 6, rng=rng), ReLU(), Scaling(6, rng=rng), Linear(6, 3, rng=rng),
                      LogSoftMax())


def batch(seed, n=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, size=n)


def assert_no_hooks(model):
    for layer in [model] + list(model):
        assert layer._forward_hooks == {} and layer._backward_hooks == {}, repr(layer)


def step(model, criterion, optimizer, x, y):
    """One iteration of the handout's loop; returns the model's own fields right after backward."""
    model.zero_grad_params()
    out = model.forward(x)
    loss = criterion.forward(out, y)
    model.backward(x, criterion.backward(out, y))
    fields = {
        "output": [layer.output.copy() for layer in model],
        "grad_input": [layer.grad_input.copy() for layer in model],
        "grad_params": [{n: g.copy() for n, _, g in layer.named_parameters()} for layer in model],
        "loss_grad": criterion.grad_input.copy(),
        "x": x.copy(),
    }
    optimizer.step(model.get_parameters(), model.get_grad_params())
    return loss, fields


def assert_iteration_matches(iteration, fields, model):
    n = len(model)
    forward, backward = iteration["forward"], iteration["backward"]
    assert [r.index for r in forward] == list(range(n))
    assert [r.index for r in backward] == list(reversed(range(n)))
    assert [r.name for r in forward] == [repr(layer) for layer in model]
    assert all(isinstance(r, ForwardRecord) for r in forward)
    assert all(isinstance(r, BackwardRecord) for r in backward)
    for i, record in enumerate(forward):
        expected_input = fields["x"] if i == 0 else fields["output"][i - 1]
        np.testing.assert_array_equal(record.input, expected_input)
        np.testing.assert_array_equal(record.output, fields["output"][i])
    for record in backward:
        i = record.index
        expected_grad_output = fields["loss_grad"] if i == n - 1 else fields["grad_input"][i + 1]
        np.testing.assert_array_equal(record.grad_output, expected_grad_output)
        np.testing.assert_array_equal(record.grad_input, fields["grad_input"][i])
        assert set(record.grad_params) == set(fields["grad_params"][i])
        for name, grad in fields["grad_params"][i].items():
            np.testing.assert_array_equal(record.grad_params[name], grad)


def test_keep_none_records_every_iteration_equal_to_the_models_fields():
    model = make_model()
    criterion, optimizer = NLLCriterion(), SGD(0.1, 0.9)
    snapshots = []
    with Recorder(model, keep=None) as recorder:
        assert recorder.forward == [] and recorder.backward == []
        for seed in (1, 2, 3):
            _, fields = step(model, criterion, optimizer, *batch(seed))
            snapshots.append(fields)
    assert len(recorder.iterations) == 3
    for iteration, fields in zip(recorder.iterations, snapshots):
        assert len(iteration["forward"]) == len(model) and len(iteration["backward"]) == len(model)
        assert_iteration_matches(iteration, fields, model)
    # iterations differ (a training step happened between them)
    assert not np.array_equal(recorder.iterations[0]["forward"][0].output,
                              recorder.iterations[2]["forward"][0].output)
    assert recorder.forward is recorder.iterations[-1]["forward"]
    assert recorder.backward is recorder.iterations[-1]["backward"]
    assert_no_hooks(model)


@pytest.mark.parametrize("keep", [1, 2])
def test_keep_limits_the_iterations_to_the_latest(keep):
    model = make_model()
    criterion, optimizer = NLLCriterion(), SGD(0.1, 0.9)
    snapshots = []
    with Recorder(model, keep=keep) as recorder:
        for seed in (1, 2, 3):
            snapshots.append(step(model, criterion, optimizer, *batch(seed))[1])
            assert len(recorder.iterations) == min(len(snapshots), keep)
            assert_iteration_matches(recorder.iterations[-1], snapshots[-1], model)
    for iteration, fields in zip(recorder.iterations, snapshots[-keep:]):
        assert_iteration_matches(iteration, fields, model)
    assert_iteration_matches({"forward": recorder.forward, "backward": recorder.backward},
                             snapshots[-1], model)


def test_default_keep_is_one():
    model = make_model()
    with Recorder(model) as recorder:
        for seed in (1, 2):
            step(model, NLLCriterion(), SGD(0.1, 0.9), *batch(seed))
    assert recorder.keep == 1 and len(recorder.iterations) == 1


@pytest.mark.parametrize("keep", [0, -1])
def test_impossible_keep_is_rejected_up_front(keep):
    # Today Recorder accepts keep=0 and then fails with IndexError inside a hook in the middle
    # of the user's model.forward; an impossible argument should be a ValueError at construction.
    model = make_model()
    with pytest.raises(ValueError, match="keep"):
        Recorder(model, keep=keep)
    assert_no_hooks(model)


def test_a_forward_without_backward_starts_a_new_iteration():
    model = make_model()
    x, y = batch(1)
    with Recorder(model, keep=None) as recorder:
        step(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
        model.forward(x)  # e.g. a prediction pass
    assert [len(it["forward"]) for it in recorder.iterations] == [5, 5]
    assert [len(it["backward"]) for it in recorder.iterations] == [5, 0]
    assert recorder.backward == []


def test_records_are_read_only_copies_unchanged_by_later_edits():
    model = make_model()
    x, y = batch(1)
    with Recorder(model) as recorder:
        _, fields = step(model, NLLCriterion(), SGD(0.1, 0.9), x, y)
    records = recorder.forward + recorder.backward
    arrays = [a for r in recorder.forward for a in (r.input, r.output)]
    arrays += [a for r in recorder.backward for a in (r.grad_output, r.grad_input, *r.grad_params.values())]
    assert all(not a.flags.writeable for a in arrays)
    with pytest.raises(ValueError):
        recorder.forward[0].output[0, 0] = 1.0
    # edit the model, the batch and the layers' fields in place: the records keep their values
    x[...] = 0.0
    for layer in model:
        layer.output[...] = 0.0
        layer.grad_input[...] = 0.0
        for _, value, grad in layer.named_parameters():
            value[...] = 9.0
            grad[...] = 9.0
    step(model, NLLCriterion(), SGD(0.1, 0.9), *batch(2))  # outside the block: not recorded
    assert recorder.forward + recorder.backward == records
    assert_iteration_matches({"forward": recorder.forward, "backward": recorder.backward}, fields, model)


def test_recording_does_not_change_training():
    plain = make_model()
    recorded = copy.deepcopy(plain)
    criterion, optimizer_a, optimizer_b = NLLCriterion(), SGD(0.1, 0.9), SGD(0.1, 0.9)
    with Recorder(recorded, keep=None):
        for seed in (1, 2, 3):
            x, y = batch(seed)
            loss_a, fields_a = step(plain, criterion, optimizer_a, x, y)
            loss_b, fields_b = step(recorded, criterion, optimizer_b, x, y)
            assert loss_a == loss_b
            for a, b in zip(fields_a["output"] + fields_a["grad_input"],
                            fields_b["output"] + fields_b["grad_input"]):
                np.testing.assert_array_equal(a, b)
    for (_, a, _), (_, b, _) in zip(plain.named_parameters(), recorded.named_parameters()):
        np.testing.assert_array_equal(a, b)


# --- hooks removed ----------------------------------------------------------------------------

def test_hooks_are_registered_inside_and_removed_after_exit():
    model = make_model()
    with Recorder(model) as recorder:
        for layer in model:
            assert len(layer._forward_hooks) == 1 and len(layer._backward_hooks) == 1
    assert_no_hooks(model)
    assert recorder.handles == []
    model.forward(batch(1)[0])
    assert recorder.iterations == []  # nothing recorded after exit


def test_hooks_are_removed_after_an_exception_in_the_block():
    model = make_model()
    with pytest.raises(ValueError, match="layer 0"):
        with Recorder(model) as recorder:
            model.forward(np.ones((2, 7)))  # wrong feature count
    assert_no_hooks(model)
    with pytest.raises(KeyError):
        with Recorder(model, keep=None) as recorder:
            step(model, NLLCriterion(), SGD(0.1, 0.9), *batch(1))
            raise KeyError("user code failed")
    assert_no_hooks(model)
    assert len(recorder.iterations) == 1  # what was recorded before the error stays


def test_user_hooks_survive_the_recorder():
    model = make_model()
    calls = []
    handle = model[1].register_forward_hook(lambda m, i, o: calls.append("user"))
    with Recorder(model):
        model.forward(batch(1)[0])
    model.forward(batch(2)[0])
    assert calls == ["user", "user"]
    assert list(model[1]._forward_hooks) == [handle.id]


def test_recorder_on_a_single_module():
    layer = Linear(4, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(5, 4))
    y = np.zeros((5, 2))
    criterion = MSECriterion()
    with Recorder(layer, keep=None) as recorder:
        for _ in range(2):
            layer.zero_grad_params()
            out = layer.forward(x)
            criterion.forward(out, y)
            layer.backward(x, criterion.backward(out, y))
            layer.W -= 0.1 * layer.gradW
    assert len(recorder.iterations) == 2
    (record,) = recorder.backward
    assert record.index == 0 and record.name == "Linear(4 -> 2)"
    np.testing.assert_array_equal(record.grad_params["W"], layer.gradW)
    np.testing.assert_array_equal(recorder.forward[0].output, layer.output)
    assert layer._forward_hooks == {} and layer._backward_hooks == {}


def test_dropout_records_the_masked_output():
    rng = np.random.default_rng(0)
    model = Sequential(Linear(4, 6, rng=rng), Dropout(0.5, rng=np.random.default_rng(1)),
                       Linear(6, 3, rng=rng), LogSoftMax())
    with Recorder(model) as recorder:
        step(model, NLLCriterion(), SGD(0.1, 0.9), *batch(1))
    record = recorder.forward[1]
    np.testing.assert_array_equal(record.output, record.input * model[1].mask)
    np.testing.assert_array_equal(recorder.backward[2].grad_input,
                                  recorder.backward[2].grad_output * model[1].mask)


# --- first_nonfinite --------------------------------------------------------------------------

def test_first_nonfinite_is_none_when_everything_is_finite():
    model = make_model()
    with Recorder(model) as recorder:
        assert recorder.first_nonfinite() is None  # nothing recorded yet
        step(model, NLLCriterion(), SGD(0.1, 0.9), *batch(1))
    assert recorder.first_nonfinite() is None


def test_first_nonfinite_finds_the_first_layer_producing_nan():
    model = make_model()
    model[2].gamma[0, 1] = np.nan  # layer 2 (Scaling) turns a finite input into NaN
    with np.errstate(all="ignore"):
        with Recorder(model) as recorder:
            model.zero_grad_params()
            out = model.forward(batch(1)[0])
            model.backward(batch(1)[0], NLLCriterion().backward(out, batch(1)[1]))
    record = recorder.first_nonfinite()
    assert isinstance(record, ForwardRecord)
    assert record.index == 2
    assert np.all(np.isfinite(record.input))
    assert not recorder.forward[1].nonfinite and recorder.forward[3].nonfinite


def test_first_nonfinite_looks_at_the_latest_iteration():
    model = make_model()
    x, y = batch(1)
    with np.errstate(all="ignore"):
        with Recorder(model, keep=None) as recorder:
            model.forward(x)
            model[3].W[0, 0] = np.nan
            model.forward(x)
    assert recorder.first_nonfinite().index == 3
    assert not any(r.nonfinite for r in recorder.iterations[0]["forward"])


def test_first_nonfinite_in_the_backward_pass():
    model = make_model()
    x, _ = batch(1)
    grad = np.zeros((len(x), 3))
    grad[0, 0] = np.inf  # a broken loss gradient reaches the last layer
    with np.errstate(all="ignore"):
        with Recorder(model) as recorder:
            model.forward(x)
            model.backward(x, grad)
    record = recorder.first_nonfinite()
    assert isinstance(record, BackwardRecord)
    assert record.index == len(model) - 1


def test_a_batch_buffer_reused_in_place_is_recorded_with_its_new_values():
    # Dropout in evaluate mode returns its input object itself, so the recorder sees the same
    # array again; its values changed in place, so an old copy must not be reused.
    model = Sequential(Dropout(0.5)).evaluate()
    buffer = np.ones((2, 3))
    with Recorder(model, keep=None) as recorder:
        model.forward(buffer)
        buffer[...] = 2.0
        model.forward(buffer)
        buffer[...] = 3.0
        model.backward(buffer, buffer)
    first, second = recorder.iterations
    np.testing.assert_array_equal(first["forward"][0].input, np.ones((2, 3)))
    np.testing.assert_array_equal(second["forward"][0].input, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(second["forward"][0].output, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(second["backward"][0].grad_output, np.full((2, 3), 3.0))
    np.testing.assert_array_equal(second["backward"][0].grad_input, np.full((2, 3), 3.0))
