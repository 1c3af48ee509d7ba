"""Activation curves from the engine match the closed forms; vanishing bands; formulas; the histogram."""
import numpy as np
import pytest

from engine import ELU, LeakyReLU, Linear, LogSoftMax, ReLU, Sequential, SoftMax, SoftPlus
from viz.activations import (LANE_HALF, activation_curves, activation_formulas, activation_indices, gradient_peak,
                             preactivation_figure, preactivation_histogram, vanishing_count,
                             vanishing_intervals, x_bounds, x_grid)
from viz.colors import ACTIVATION_COLORS, OTHER_COLOR, activation_color, family

X = np.linspace(-6.0, 4.0, 501)


def traces(fig):
    return {t.name: t for t in fig.data}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_curves_are_eight_scatters_in_two_panels():
    fig = activation_curves(X, slope=0.2, alpha=0.5)
    names = [t.name for t in fig.data]
    assert names == ["ReLU", "ReLU′", "LeakyReLU(slope=0.2)", "LeakyReLU′", "ELU(α=0.5)", "ELU′",
                     "SoftPlus", "SoftPlus′"]
    assert all(t.type == "scatter" and len(t.x) == X.size and len(t.y) == X.size for t in fig.data)
    assert [t.yaxis for t in fig.data] == ["y", "y2"] * 4
    assert all(t.line.dash == "dash" for t in fig.data[1::2])
    assert fig.layout.xaxis3.title.text == "pre-activation x"
    assert fig.layout.yaxis.title.text == "f(x)" and fig.layout.yaxis2.title.text == "f′(x)"


def test_values_equal_the_closed_forms():
    alpha, slope = 0.5, 0.2
    t = traces(activation_curves(X, slope=slope, alpha=alpha))
    np.testing.assert_allclose(t["ReLU"].y, np.maximum(X, 0), atol=0)
    np.testing.assert_allclose(t["LeakyReLU(slope=0.2)"].y, np.where(X > 0, X, slope * X), rtol=1e-15)
    neg = X < 0
    np.testing.assert_allclose(t["ELU(α=0.5)"].y[neg], alpha * (np.exp(X[neg]) - 1), rtol=1e-12)
    np.testing.assert_array_equal(t["ELU(α=0.5)"].y[~neg], X[~neg])
    np.testing.assert_allclose(t["SoftPlus"].y, np.log1p(np.exp(X)), rtol=1e-12)


def test_derivatives_equal_the_closed_forms():
    alpha, slope = 0.5, 0.2
    t = traces(activation_curves(X, slope=slope, alpha=alpha))
    np.testing.assert_array_equal(t["ReLU′"].y, (X > 0).astype(float))
    np.testing.assert_allclose(t["LeakyReLU′"].y, np.where(X > 0, 1.0, slope))
    neg = X < 0
    np.testing.assert_allclose(t["ELU′"].y[neg], alpha * np.exp(X[neg]), rtol=1e-12)
    np.testing.assert_allclose(t["SoftPlus′"].y, sigmoid(X), rtol=1e-12)


def bands(fig):
    return {s.name.split(":")[0]: (s.x0, s.x1) for s in fig.layout.shapes}


def test_vanishing_gradient_bars_one_lane_per_function():
    fig = activation_curves(X, slope=0.03, alpha=1.0)
    b = bands(fig)
    assert set(b) == {"ReLU", "ELU(α=1)", "SoftPlus"}  # slope 0.03 > 1e-2: LeakyReLU does not vanish
    assert b["ReLU"][0] == X[0] and abs(b["ReLU"][1]) < 0.03
    step = X[1] - X[0]
    assert b["ELU(α=1)"][0] == X[0] and abs(b["ELU(α=1)"][1] - np.log(1e-2)) <= step
    peak = sigmoid(X[-1])
    assert abs(b["SoftPlus"][1] - np.log(1e-2 * peak / (1 - 1e-2 * peak))) <= step
    lanes = {"ReLU": 0, "ELU(α=1)": 2, "SoftPlus": 3}
    for shape in fig.layout.shapes:  # each bar in its own lane of the bottom panel: no two ever overlap
        name = shape.name.split(":")[0]
        assert shape.xref == "x3" and shape.yref == "y3" and shape.fillcolor == activation_color(name)
        assert (shape.y0, shape.y1) == (lanes[name] - LANE_HALF, lanes[name] + LANE_HALF) and LANE_HALF < 0.5
    axis = fig.layout.yaxis3
    assert list(axis.tickvals) == [0, 1, 2, 3] and list(axis.range) == [3.5, -0.5]
    assert [f">{name}</span>" in text and ACTIVATION_COLORS[name] in text
            for name, text in zip(ACTIVATION_COLORS, axis.ticktext)] == [True] * 4
    (note,) = fig.layout.annotations[3:]  # after the three panel titles: LeakyReLU's empty lane says so
    assert note.yref == "y3" and note.y == 1 and "everywhere" in note.text
    small = bands(activation_curves(X, slope=0.001))
    assert "LeakyReLU(slope=0.001)" in small and len(activation_curves(X, slope=0.001).layout.annotations) == 3


def test_one_colour_per_activation_in_every_figure():
    assert len(set(ACTIVATION_COLORS.values())) == 4 and OTHER_COLOR not in ACTIVATION_COLORS.values()
    fig = activation_curves(X, slope=0.2, alpha=0.5)
    assert [t.line.color for t in fig.data] == [c for c in ACTIVATION_COLORS.values() for _ in (0, 1)]
    for layer in (ReLU(), LeakyReLU(0.001), ELU(1.0), SoftPlus()):
        (band,) = preactivation_figure(layer, X, "l", x_range=(-8, 2)).layout.shapes
        assert band.fillcolor == ACTIVATION_COLORS[type(layer).__name__]


def test_family_reads_every_name_of_an_activation():
    names = {"ELU(α=1.5)": "ELU", "ELU′": "ELU", "3 · ELU(alpha=1)": "ELU", "LeakyReLU(slope=0.03)": "LeakyReLU",
             "SoftPlus": "SoftPlus", "ReLU ⚠ non-finite loss": "ReLU"}
    assert {name: family(name) for name in names} == names and family("") == ""
    assert activation_color("ELU(α=2)") == ACTIVATION_COLORS["ELU"] and activation_color("Linear") == OTHER_COLOR


def test_vanishing_intervals_finds_every_run():
    x = np.arange(8.0)
    d = np.array([0.0, 0.0, 1.0, 1.0, 0.001, 0.5, 0.0, 0.0])
    assert vanishing_intervals(x, d) == [(0.0, 1.0), (4.0, 4.0), (6.0, 7.0)]
    assert vanishing_intervals(x, np.zeros(8)) == [(0.0, 7.0)]


def test_default_range():
    fig = activation_curves()
    assert fig.data[0].x[0] == -5.0 and fig.data[0].x[-1] == 5.0


def test_formulas_match_the_legend_and_hold_the_parameters():
    formulas = activation_formulas(slope=0.2, alpha=0.5)
    value_names = [t.name for t in activation_curves(X, slope=0.2, alpha=0.5).data[::2]]
    assert list(formulas) == value_names
    assert r"0.2\,x" in formulas["LeakyReLU(slope=0.2)"][0] and "0.2 &" in formulas["LeakyReLU(slope=0.2)"][1]
    value, derivative = formulas["ELU(α=0.5)"]
    assert r"0.5\,(e^{x} - 1)" in value and r"0.5\,e^{x}" in derivative
    for value, derivative in formulas.values():  # f and f' apart: each fits half an 800-pixel window
        assert value.startswith("f(x) =") and derivative.startswith("f'(x) =") and "f'" not in value
        assert all(text.count("{") == text.count("}") for text in (value, derivative))


def test_preactivation_histogram_counts_and_axes():
    values = np.concatenate([np.linspace(-2, 2, 100), [7.0, -9.0, np.nan, np.inf]])
    fig = preactivation_histogram(values.reshape(2, -1), "layer 4 (ReLU)", x_range=(-5, 5), bins=20)
    bar = fig.data[0]
    assert bar.type == "bar" and len(bar.x) == len(bar.y) == 20
    assert sum(bar.y) == 100
    counts, _ = np.histogram(np.linspace(-2, 2, 100), bins=20, range=(-5, 5))
    np.testing.assert_array_equal(bar.y, counts)
    assert list(fig.layout.xaxis.range) == [-5, 5]
    assert fig.layout.xaxis.title.text == "pre-activation x" and fig.layout.yaxis.title.text == "count"
    title = fig.layout.title.text
    assert "layer 4 (ReLU)" in title and "2 NaN/inf" in title and "2 of 104 outside [-5, 5]" in title


@pytest.mark.parametrize("values", [np.zeros(0), np.full(3, np.nan)])
def test_histogram_of_nothing_finite(values):
    fig = preactivation_histogram(values, "layer 0", x_range=(-1, 1), bins=4)
    assert sum(fig.data[0].y) == 0


# --- the current model's pre-activations ---

def test_x_grid_and_bounds():
    assert x_bounds((-2, 3)) == (-2.0, 3.0) and x_bounds((1, 1)) == (0.0, 2.0)
    g = x_grid((-2, 3), n=11)
    assert g[0] == -2.0 and g[-1] == 3.0 and g.size == 11
    assert x_grid((4, 4))[0] == 3.0


def test_activation_indices():
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 3, rng=rng), ReLU(), Linear(3, 3, rng=rng), ELU(0.5), LeakyReLU(0.1),
                       SoftPlus(), SoftMax())
    assert activation_indices(model) == [1, 3, 4, 5]
    assert activation_indices(Sequential(Linear(2, 2, rng=rng), LogSoftMax())) == []
    assert activation_indices(ReLU()) == [0]


def test_gradient_peak():
    assert gradient_peak(ReLU()) == 1.0 and gradient_peak(LeakyReLU(0.5)) == 1.0
    assert gradient_peak(ELU(2.5)) == 2.5 and gradient_peak(ELU(0.5)) == 1.0
    assert gradient_peak(SoftPlus()) == pytest.approx(1.0, abs=1e-12)


def test_vanishing_count_uses_the_layers_own_derivative():
    values = np.array([[-3.0, -0.5, 0.0, 0.2], [2.0, -6.0, np.nan, -4.0]])
    assert vanishing_count(ReLU(), values) == (5, 7, 8)           # x <= 0
    assert vanishing_count(LeakyReLU(0.03), values) == (0, 7, 8)  # 0.03 >= 1e-2
    assert vanishing_count(LeakyReLU(0.001), values) == (5, 7, 8)
    assert vanishing_count(ELU(1.0), values) == (1, 7, 8)         # e^x < 1e-2: x < -4.61
    assert vanishing_count(SoftPlus(), values) == (1, 7, 8)       # sigmoid(x) < 1e-2: x < -4.6
    assert vanishing_count(ELU(1.0), values, ratio=0.05) == (3, 7, 8)  # x < log 0.05 = -2.996
    assert vanishing_count(ReLU(), np.zeros(0)) == (0, 0, 0)


def test_preactivation_figure_shades_where_the_layer_vanishes():
    values = np.linspace(-3, 3, 61)
    fig = preactivation_figure(ReLU(), values, "layer 1 · ReLU", x_range=(-4, 4), bins=8)
    bar = fig.data[0]
    assert bar.type == "bar" and len(bar.x) == 8 and sum(bar.y) == 61
    assert fig.layout.xaxis.title.text == "pre-activation x" and list(fig.layout.xaxis.range) == [-4, 4]
    (band,) = fig.layout.shapes
    assert band.x0 == -4.0 and abs(band.x1) < 0.02 and band.name.startswith("layer 1 · ReLU")
    assert not preactivation_figure(LeakyReLU(0.2), values, "l", x_range=(-4, 4)).layout.shapes
    elu = preactivation_figure(ELU(1.0), values, "l", x_range=(-8, 2)).layout.shapes
    assert len(elu) == 1 and elu[0].x0 == -8.0 and abs(elu[0].x1 - np.log(1e-2)) < 0.03
    same = preactivation_figure(ReLU(), values, "l", x_range=(1, 1))
    assert list(same.layout.xaxis.range) == [0, 2]


def test_relu_stays_visible_under_leaky_relu_in_both_panels():
    """LeakyReLU equals ReLU for x > 0 (f and f′), and was drawn over it with the same line: ReLU vanished.
    ReLU is drawn first, as a wide light band, LeakyReLU thin on top of it."""
    fig = activation_curves(slope=0.03)
    for suffix in ("", "′"):
        relu, leaky = [next(i for i, t in enumerate(fig.data) if t.name == f"{name}{suffix}")
                       for name in (("ReLU", "LeakyReLU(slope=0.03)") if not suffix else ("ReLU", "LeakyReLU"))]
        assert relu < leaky  # underneath
        assert fig.data[relu].line.width >= 3 * fig.data[leaky].line.width and fig.data[relu].opacity < 1
