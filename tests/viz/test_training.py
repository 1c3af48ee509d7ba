"""viz.training: live loss, per-epoch curves with the stop marked, activation comparison, history table."""
import numpy as np
import plotly.graph_objects as go
import pytest

from engine import ELU, SGD, LeakyReLU, Linear, LogSoftMax, MSECriterion, NLLCriterion, ReLU, Sequential, \
    SoftPlus
from engine import data
from engine.training import History, fit
from viz.colors import ACTIVATION_COLORS
from viz.training import (MAX_POINTS, comparison_figure, comparison_table, downsample_curve, history_figures,
                          history_table, live_loss_figure)

ACTIVATIONS = {"ReLU": ReLU, "LeakyReLU": LeakyReLU, "ELU": ELU, "SoftPlus": SoftPlus}


def mlp(n_in, hidden, n_out, activation=ReLU, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(n_in, hidden, rng=rng), activation(), Linear(hidden, n_out, rng=rng), LogSoftMax())


@pytest.fixture(scope="module")
def digits_history():
    ds = data.load("digits")
    model = mlp(64, 16, 10)
    return fit(model, NLLCriterion(), SGD(0.1, 0.9), ds.X_train, ds.y_train, epochs=3, batch_size=64, rng=0,
               X_val=ds.X_test, y_val=ds.y_test)


@pytest.fixture(scope="module")
def regression_history():
    ds = data.load("regression")
    rng = np.random.default_rng(0)
    model = Sequential(Linear(1, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng))
    return fit(model, MSECriterion(), SGD(0.01, 0.9), ds.X_train, ds.y_train, epochs=2, batch_size=64, rng=0)


@pytest.fixture(scope="module")
def diverged_history():
    ds = data.load("blobs")
    history = fit(mlp(2, 8, 2), NLLCriterion(), SGD(1e6, 0.9), ds.X_train * 1e150, ds.y_train, epochs=20,
                  batch_size=64, rng=0)
    assert history.stopped_reason == "non-finite loss"
    return history


def ys(trace):
    return np.asarray(trace.y, dtype=np.float64)


def xs(trace):
    return np.asarray(trace.x, dtype=np.float64)


# --- live loss ---

def test_live_loss_is_the_iteration_loss(digits_history):
    losses = digits_history.iteration_loss
    fig = live_loss_figure(losses, n_iterations=50)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    trace = fig.data[0]
    assert isinstance(trace, go.Scatter) and len(trace.y) == len(losses) == 3 * 22
    np.testing.assert_array_equal(xs(trace), np.arange(1, len(losses) + 1))
    np.testing.assert_array_equal(ys(trace), losses)
    assert fig.layout.xaxis.title.text == "iteration" and fig.layout.yaxis.title.text == "loss"
    assert tuple(fig.layout.xaxis.range) == (1, 50)
    assert fig.layout.yaxis.type == "linear"
    assert f"{losses[-1]:.4g}" in fig.layout.title.text


def test_live_loss_log_scale_and_empty():
    assert live_loss_figure([0.5, 0.25], log_y=True).layout.yaxis.type == "log"
    fig = live_loss_figure([], n_iterations=10)
    assert len(fig.data[0].y) == 0 and "0 / 10" in fig.layout.title.text


def test_long_curve_is_downsampled_keeping_every_spike():
    rng = np.random.default_rng(0)
    losses = np.abs(rng.standard_normal(20_000)) + 1.0
    losses[12_345], losses[777] = 50.0, 0.001
    trace = live_loss_figure(losses).data[0]
    x, y = xs(trace).astype(int), ys(trace)
    assert len(y) <= MAX_POINTS and np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(y, losses[x - 1])  # every drawn point is a real (iteration, loss)
    assert y.max() == 50.0 and x[np.argmax(y)] == 12_346
    assert y.min() == 0.001 and x[np.argmin(y)] == 778


def test_downsample_short_curve_unchanged_and_nan_bucket():
    x, y = np.arange(5), np.array([1.0, 2, 3, 4, 5])
    assert downsample_curve(x, y) == (x, y)
    y = np.r_[np.full(10, np.nan), np.arange(10.0)]
    dx, dy = downsample_curve(np.arange(20), y, max_points=4)
    assert len(dy) <= 4 and 9.0 in dy and 0.0 in dy


def test_live_loss_marks_the_non_finite_iteration(diverged_history):
    fig = live_loss_figure(diverged_history.iteration_loss)
    assert len(fig.data) == 2
    crosses = fig.data[1]
    assert crosses.marker.symbol == "x" and list(xs(crosses)) == [diverged_history.stopped_iteration]
    assert np.isnan(ys(fig.data[0])[-1])


# --- per-epoch curves ---

def test_history_figures_train_and_test_curves(digits_history):
    h = digits_history
    loss_fig, accuracy_fig = history_figures(h)
    assert [t.name for t in loss_fig.data] == ["train", "test"]
    assert all(isinstance(t, go.Scatter) for t in loss_fig.data + accuracy_fig.data)
    for fig, train, test, label in ((loss_fig, h.train_loss, h.val_loss, "loss"),
                                    (accuracy_fig, h.train_accuracy, h.val_accuracy, "accuracy")):
        np.testing.assert_array_equal(xs(fig.data[0]), [1, 2, 3])
        np.testing.assert_array_equal(ys(fig.data[0]), train)
        np.testing.assert_array_equal(ys(fig.data[1]), test)
        assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.title.text == label
        assert len(fig.layout.annotations) == 0 and len(fig.layout.shapes) == 0
    assert 0 <= min(h.val_accuracy) and max(h.train_accuracy) <= 1


def test_regression_history_has_no_accuracy_figure(regression_history):
    loss_fig, accuracy_fig = history_figures(regression_history)
    assert accuracy_fig is None
    assert [t.name for t in loss_fig.data] == ["train"]
    np.testing.assert_array_equal(ys(loss_fig.data[0]), regression_history.train_loss)


def test_stopped_history_shows_the_annotation(diverged_history):
    h = diverged_history
    for fig in history_figures(h):
        (note,) = fig.layout.annotations
        assert "non-finite loss" in note.text and h.nonfinite_layer in note.text
        assert f"iteration {h.stopped_iteration}" in note.text
        (line,) = fig.layout.shapes
        assert line.x0 == line.x1 == h.stopped_epoch


def test_stopped_on_the_first_iteration_still_draws():
    """The first batch is already non-finite: no epoch closed, only the stop line."""
    ds = data.load("blobs")
    X = ds.X_train.copy()
    X[:] = np.inf
    h = fit(mlp(2, 4, 2), NLLCriterion(), SGD(0.01), X, ds.y_train, epochs=3, batch_size=64, rng=0)
    loss_fig, accuracy_fig = history_figures(h)
    assert h.train_loss == [] and len(loss_fig.data) == 0 and accuracy_fig is None
    assert "layer 0 (Linear(2 -> 4))" in loss_fig.layout.annotations[0].text
    assert loss_fig.layout.shapes[0].x0 == 1


def test_callback_stop_is_annotated_without_warning_sign():
    ds = data.load("blobs")
    h = fit(mlp(2, 4, 2), NLLCriterion(), SGD(0.01), ds.X_train, ds.y_train, epochs=3, batch_size=64, rng=0,
            callback=lambda p: "stop" if p.iteration == 5 else None)
    note = history_figures(h)[0].layout.annotations[0].text
    assert note == "stopped (callback) at epoch 1, iteration 5"


# --- comparison of activations ---

@pytest.fixture(scope="module")
def activation_histories():
    ds = data.load("circles")
    return {name: fit(mlp(2, 8, 2, activation, seed=1), NLLCriterion(), SGD(0.05, 0.9), ds.X_train,
                      ds.y_train, epochs=3, batch_size=64, rng=1, X_val=ds.X_test, y_val=ds.y_test)
            for name, activation in ACTIVATIONS.items()}


@pytest.mark.parametrize("metric, x_label, y_label", [
    ("train_loss", "epoch", "loss"), ("val_accuracy", "epoch", "accuracy"),
    ("iteration_loss", "iteration", "loss")])
def test_comparison_overlays_one_curve_per_activation(activation_histories, metric, x_label, y_label):
    fig = comparison_figure(activation_histories, metric)
    assert [t.name for t in fig.data] == list(ACTIVATIONS)
    for trace, history in zip(fig.data, activation_histories.values()):
        assert isinstance(trace, go.Scatter)
        np.testing.assert_array_equal(ys(trace), getattr(history, metric))
        np.testing.assert_array_equal(xs(trace), np.arange(1, len(getattr(history, metric)) + 1))
    assert fig.layout.xaxis.title.text == x_label and fig.layout.yaxis.title.text == y_label
    assert [t.line.color for t in fig.data] == [ACTIVATION_COLORS[name] for name in ACTIVATIONS]


def test_comparison_curves_differ_but_start_from_the_same_batches(activation_histories):
    first = [h.train_loss[0] for h in activation_histories.values()]
    assert len(set(first)) == 4  # same seed and data, different activations: different losses
    assert all(len(h.iteration_loss) == 3 * 12 for h in activation_histories.values())


def test_comparison_names_a_diverged_run_and_rejects_unknown_metrics(diverged_history, digits_history):
    fig = comparison_figure({"ReLU": digits_history, "ELU": diverged_history}, "iteration_loss", log_y=True)
    assert [t.name for t in fig.data] == ["ReLU", "ELU ⚠ non-finite loss"]
    assert [t.line.color for t in fig.data] == [ACTIVATION_COLORS["ReLU"], ACTIVATION_COLORS["ELU"]]
    assert fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="metric must be one of"):
        comparison_figure({"ReLU": digits_history}, "loss")


# --- table ---

def test_history_table_rows_are_the_epochs(digits_history):
    h = digits_history
    table = history_table(h)
    assert list(table.columns) == ["epoch", "train loss", "test loss", "train accuracy", "test accuracy"]
    assert table.shape == (3, 5)
    np.testing.assert_array_equal(table["epoch"], [1, 2, 3])
    np.testing.assert_array_equal(table["train loss"], h.train_loss)
    np.testing.assert_array_equal(table["test loss"], h.val_loss)
    np.testing.assert_array_equal(table["train accuracy"], h.train_accuracy)
    np.testing.assert_array_equal(table["test accuracy"], h.val_accuracy)


def test_history_table_regression_and_empty(regression_history):
    table = history_table(regression_history)
    assert list(table.columns) == ["epoch", "train loss"]
    np.testing.assert_array_equal(table["train loss"], regression_history.train_loss)
    assert history_table(History()).shape == (0, 1)


def test_comparison_table_has_the_last_epoch_of_each_run(activation_histories, diverged_history,
                                                         regression_history):
    table = comparison_table(activation_histories)
    assert list(table.columns) == ["activation", "epochs", "train loss", "test loss", "train accuracy",
                                   "test accuracy"]
    assert list(table["activation"]) == list(ACTIVATIONS) and list(table["epochs"]) == [3] * 4
    for (_, row), history in zip(table.iterrows(), activation_histories.values()):
        assert row["train loss"] == history.train_loss[-1] and row["test loss"] == history.val_loss[-1]
        assert row["test accuracy"] == history.val_accuracy[-1]
    table = comparison_table({"ReLU": regression_history, "ELU": diverged_history})
    assert list(table.columns) == ["activation", "epochs", "train loss", "train accuracy", "stopped"]
    assert table["stopped"][0] == "" and table["stopped"][1].startswith("⚠ stopped: non-finite loss at epoch")
    assert "<br>" not in table["stopped"][1]
    assert np.isnan(table["train accuracy"][0])
    assert comparison_table({}).shape == (0, 7)
