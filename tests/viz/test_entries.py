"""viz.entries: the roles of every tensor's axes, the focus a click gives, what it outlines, the by-hand choice."""
import numpy as np
import pytest

from engine import SGD, BatchNormalization, Linear, LogSoftMax, NLLCriterion, ReLU, Sequential
from engine.data import load
from engine.sequential import layers_of
from engine.trace import Stage, trace_iteration
from viz.by_hand import by_hand
from viz.entries import biggest, chooser, default_focus, entry, focus_at, marks
from viz.stage_view import stage_tensors


@pytest.fixture(scope="module")
def net():
    data, rng = load("blobs"), np.random.default_rng(0)
    model = Sequential(Linear(2, 3, rng=rng), BatchNormalization(), ReLU(), Linear(3, 2, rng=rng), LogSoftMax())
    trace = trace_iteration(model, NLLCriterion(), SGD(0.05, 0.9), data.X_train[:6], data.y_train[:6])
    return trace, layers_of(model)


def tensors(net, stage):
    trace, layers = net
    return {t.id: t for t in stage_tensors(trace, stage, layers)}


def test_biggest_respects_fixed_rows_and_columns():
    m = np.array([[1.0, -5.0, 2.0], [np.inf, 4.0, -3.0]])
    assert biggest(m) == (0, 1) and biggest(m, (1, None)) == (1, 1) and biggest(m, (None, 2)) == (1, 2)


def test_a_click_on_an_input_picks_the_output_entry_that_uses_it(net):
    stage = Stage("forward", 0)
    t = tensors(net, stage)
    y = t["output"].array
    focus = focus_at(list(t.values()), "input", 4, 1)              # x[4, 1]
    assert focus.primary == "output" and focus.roles == {"sample": 4, "out": int(np.argmax(np.abs(y[4])))}
    drawn = marks(list(t.values()), focus)
    j = focus.roles["out"]
    assert drawn["input"] == [("band", 4, None), ("cell", 4, 1)]   # row 4 of x is summed, the clicked cell
    assert drawn["param:W"] == [("band", None, j)]                 # column j of W
    assert drawn["param:b"] == [("cell", 0, j)] and drawn["output"] == [("cell", 4, j)]


def test_a_click_on_a_result_explains_that_entry_and_the_others_follow_its_cells(net):
    trace, layers = net
    stage = Stage("backward", 3)
    t = list(tensors(net, stage).values())
    focus = focus_at(t, "grad_output", 2, 1)                       # g[2, 1] of the last Linear
    worked = {w.tensor: w for w in by_hand(trace, stage, layers, chooser(t, focus))}
    assert worked["grad:W"].index[1] == 1 and worked["grad:b"].index == (1,)   # dW[:, 1], db[1] use g[:, 1]
    assert worked["grad_input"].index[0] == 2                                  # dx[2, :] uses g[2, :]
    direct = focus_at(t, "grad:W", 0, 1)
    assert direct.primary == "grad:W" and marks(t, direct)["grad_output"] == [("band", None, 1)]


def test_batchnorm_in_training_uses_whole_columns_of_the_batch(net):
    t = list(tensors(net, Stage("forward", 1)).values())
    focus = focus_at(t, "output", 3, 2)
    assert marks(t, focus)["input"] == [("band", None, 2)]                     # y[3, 2] uses x[:, 2]
    assert marks(t, focus)["mean"] == [("cell", 0, 2)] and marks(t, focus)["variance"] == [("cell", 0, 2)]
    back = list(tensors(net, Stage("backward", 1)).values())
    assert marks(back, focus_at(back, "grad_input", 3, 2))["grad_output"] == [("band", None, 2)]


def test_log_softmax_uses_whole_rows(net):
    t = list(tensors(net, Stage("forward", 4)).values())
    assert marks(t, focus_at(t, "output", 5, 0))["input"] == [("band", 5, None)]


def test_the_default_focus_is_the_largest_entry_and_the_chooser_defaults_to_it(net):
    trace, layers = net
    for stage in trace.stages:
        t = stage_tensors(trace, stage, layers)
        focus = default_focus(t)
        primary = next(x for x in t if x.result)
        assert focus.primary == primary.id and entry(primary, focus.roles) == biggest(
            np.asarray(primary.array).reshape(len(np.atleast_2d(primary.array)), -1))
        plain = by_hand(trace, stage, layers)
        assert [w.index for w in by_hand(trace, stage, layers, chooser(t, None))] == [w.index for w in plain]


def test_update_entries_of_one_parameter_share_their_index(net):
    trace, layers = net
    stage = Stage("update", 0)
    t = stage_tensors(trace, stage, layers)
    focus = focus_at(t, "before:W", 1, 2)
    assert focus.primary == "velocity:W" and focus.roles == {"W:row": 1, "W:col": 2}
    assert all(m == [("cell", 1, 2)] for k, m in marks(t, focus).items() if k.endswith(":W"))
    worked = {w.what: w for w in by_hand(trace, stage, layers, chooser(t, focus))}
    assert worked["v of W"].index == (1, 2) and worked["W after"].index == (1, 2)
    b = trace.update_records(0)[1]
    assert worked["v of b"].index == (int(np.argmax(np.abs(b.velocity))),)  # b keeps its own largest


def test_the_loss_gradient_entry_of_another_class_is_explained_as_zero(net):
    trace, layers = net
    t = stage_tensors(trace, Stage("loss"), layers)
    label = int(trace.target[0])
    worked = by_hand(trace, Stage("loss"), layers, chooser(t, focus_at(t, "predictions", 0, 1 - label)))
    grad = next(w for w in worked if w.tensor == "loss_grad")
    assert grad.index == (0, 1 - label) and grad.computed == grad.engine == 0.0
    assert r"\ne y_{0}" in grad.latex
