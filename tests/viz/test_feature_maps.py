"""viz.feature_maps: the first Conv2d's maps under the Train page's images, and every Conv2d's kernels."""
import numpy as np
import plotly.graph_objects as go
import pytest

from engine import Flatten, Linear, LogSoftMax, ReLU, Sequential
from engine import data
from engine.conv import Conv2d
from engine.pool import MaxPool2d
from viz.feature_maps import (MAX_CHANNELS, MAP_ROW_PX, conv_kernels, conv_layers, feature_maps,
                              feature_maps_caption, feature_maps_figure, first_conv, kernel_figures,
                              kernels_caption, kernels_figure, tiled)
from viz.predictions import image_samples_figure, predict_probabilities


def cnn(first=4, second=None, seed=0):
    """Conv2d 1->first k3, ReLU, MaxPool2d 2 [, Conv2d first->second k3], Flatten, Linear -> 10, LogSoftMax."""
    rng = np.random.default_rng(seed)
    layers = [Conv2d(1, first, 3, rng=rng), ReLU(), MaxPool2d(2)]
    if second:
        layers.append(Conv2d(first, second, 3, rng=rng))
    layers += [Flatten(), Linear((second or first) * 16, 10, rng=rng), LogSoftMax()]
    return Sequential(*layers)


@pytest.fixture(scope="module")
def digits():
    ds = data.load("digits")
    return ds, ds.X_test.reshape(-1, 1, 8, 8)


def arr(values):
    return np.asarray(values, dtype=np.float64)


# --- the layers ---

def test_the_conv_layers_and_copies_of_their_kernels():
    model = cnn(4, 6)
    assert first_conv(model) is model.modules[0]
    assert [i for i, _ in conv_layers(model)] == [0, 3]
    kept = conv_kernels(model)
    assert {i: w.shape for i, w in kept.items()} == {0: (4, 1, 3, 3), 3: (6, 4, 3, 3)}
    np.testing.assert_array_equal(kept[3], model.modules[3].W)
    model.modules[0].W += 1.0  # training moves the weights: the copy stays as it was
    np.testing.assert_array_equal(kept[0] + 1.0, model.modules[0].W)
    mlp = Sequential(Linear(64, 10, rng=np.random.default_rng(0)), LogSoftMax())
    assert first_conv(mlp) is None and conv_layers(mlp) == [] and conv_kernels(mlp) == {}
    assert first_conv(Sequential(MaxPool2d(2), Flatten(), Linear(16, 10))) is None  # first layer not a Conv2d


def test_feature_maps_are_the_layer_s_forward_on_each_image_alone(digits):
    _, X = digits
    layer = cnn().modules[0]
    layer.train()
    maps = feature_maps(layer, X[[5, 40]])
    assert maps.shape == (2, 4, 8, 8) and layer.training  # evaluate mode only while drawing
    for j, i in enumerate((5, 40)):
        np.testing.assert_allclose(maps[j], Conv2d.forward(layer, X[i][None])[0], rtol=1e-12, atol=1e-15)
    w, b = layer.W[2, 0], layer.b[2]  # y[2, 3, 4] by hand: the 3 x 3 window around pixel (3, 4)
    np.testing.assert_allclose(maps[1, 2, 3, 4], b + np.sum(w * X[40, 0, 2:5, 3:6]), rtol=1e-12)


# --- the maps under the images ---

def test_feature_maps_figure_draws_each_channel_of_each_image_under_it(digits):
    ds, X = digits
    model = cnn()
    indices = np.array([3, 1, 7])
    maps = feature_maps(model.modules[0], X[indices])
    fig = feature_maps_figure(maps, indices, "layer 0, Conv2d(1 -> 4, 3x3)")
    assert len(fig.data) == 4 * 3 and all(isinstance(t, go.Heatmap) for t in fig.data)
    for c in range(4):
        limit = np.abs(maps[:, c]).max()
        for j, i in enumerate(indices):
            trace = fig.data[c * 3 + j]
            assert arr(trace.z).shape == (8, 8) and trace.name == f"#{i} channel {c}"
            np.testing.assert_allclose(arr(trace.z), Conv2d.forward(model.modules[0], X[i][None])[0, c], rtol=1e-6,
                                       atol=1e-6)  # float32 in the figure
            assert (trace.zmin, trace.zmid, trace.zmax) == pytest.approx((-limit, 0.0, limit))  # a row's scale
    layout = fig.layout
    assert [layout[f"xaxis{10 + j}"].title.text for j in range(3)] == ["#3", "#1", "#7"]  # the bottom row
    assert layout.yaxis.title.text == f"ch 0 · ±{np.abs(maps[:, 0]).max():.2g}" and layout.yaxis2.title.text is None
    assert layout.yaxis.autorange == "reversed" and layout.yaxis.scaleanchor == "x"  # row 0 on top, square pixels
    assert layout.height == 60 + 30 + 4 * MAP_ROW_PX
    assert "its 4 output channels" in layout.title.text
    # the columns are the image strip's columns: each image's maps straight below it
    p = predict_probabilities(model, X)
    images = image_samples_figure(X, ds.y_test, p, (8, 8), indices=indices)
    for j in range(3):
        suffix = "" if j == 0 else str(j + 1)
        np.testing.assert_allclose(layout[f"xaxis{suffix}"].domain, images.layout[f"xaxis{suffix}"].domain)
        np.testing.assert_allclose(layout[f"xaxis{3 * 3 + j + 1}"].domain, images.layout[f"xaxis{suffix}"].domain)
    assert (layout.margin.l, layout.margin.r) == (images.layout.margin.l, images.layout.margin.r)


def test_more_channels_than_the_cap_show_the_first_and_say_so(digits):
    _, X = digits
    layer = Conv2d(1, 16, 3, rng=np.random.default_rng(1))
    maps = feature_maps(layer, X[:2])
    fig = feature_maps_figure(maps, [0, 1], "layer 0")
    assert len(fig.data) == MAX_CHANNELS * 2 == 16
    np.testing.assert_allclose(arr(fig.data[-1].z), maps[1, MAX_CHANNELS - 1], rtol=1e-6, atol=1e-6)
    assert "the first 8 of its 16 channels" in fig.layout.title.text
    assert "Only the first 8 of its 16 channels are drawn." in feature_maps_caption(layer)
    assert "Only the first" not in feature_maps_caption(Conv2d(1, 8, 3))
    assert "a column of 8 maps" in feature_maps_caption(Conv2d(1, 8, 3))
    with pytest.raises(ValueError, match="2 images of maps but 3 indices"):
        feature_maps_figure(maps, [0, 1, 2], "layer 0")


def test_an_all_zero_or_nonfinite_channel_still_draws():
    maps = np.zeros((2, 2, 4, 4))
    maps[1, 1, 0, 0], maps[0, 1, 1, 1] = np.inf, -3.0
    fig = feature_maps_figure(maps, [0, 1], "layer 0")
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1.0, 1.0)  # all 0: a unit scale, not 0 / 0
    assert (fig.data[2].zmin, fig.data[2].zmax) == (-3.0, 3.0)  # the finite values set the scale


# --- the kernels ---

def test_tiled_places_each_kernel_entry_with_nan_between():
    w = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    t = tiled(w, 2)
    assert t.shape == (2 * 3 - 1, 3 * 3 - 1)
    for o, c, p, q in np.ndindex(w.shape):
        assert t[o * 3 + p, c * 3 + q] == w[o, c, p, q]
    assert np.isnan(t[2]).all() and np.isnan(t[:, 2]).all() and np.isnan(t[:, 5]).all()
    assert np.isfinite(t).sum() == w.size


def test_kernels_figure_values_are_w_on_one_symmetric_scale():
    model = cnn(4, 6)
    layer = model.modules[3]
    fig = kernels_figure(3, layer)
    (trace,) = fig.data
    assert isinstance(trace, go.Heatmap) and trace.name == "now" and trace.showscale
    z, where = arr(trace.z), np.asarray(trace.customdata)
    assert z.shape == (6 * 4 - 1, 4 * 4 - 1) and where.shape == z.shape + (4,)
    for o, c, p, q in np.ndindex(layer.W.shape):
        assert z[o * 4 + p, c * 4 + q] == layer.W[o, c, p, q]
        np.testing.assert_array_equal(where[o * 4 + p, c * 4 + q], [o, c, p, q])  # the hover names the entry
    limit = np.abs(layer.W).max()
    assert (trace.zmin, trace.zmid, trace.zmax) == (-limit, 0.0, limit)
    assert fig.layout.xaxis.title.text == "input channel c" and fig.layout.yaxis.title.text == "output channel o"
    assert list(fig.layout.xaxis.ticktext) == [str(c) for c in range(4)]
    assert list(fig.layout.yaxis.ticktext) == [str(o) for o in range(6)]
    assert fig.layout.title.text == f"layer 3, Conv2d(4 -> 6, 3x3): W (6, 4, 3, 3) · ±{limit:.3g}"


def test_kernels_before_the_run_share_the_scale_and_sit_on_the_left():
    layer = cnn().modules[0]
    before = np.array(layer.W, copy=True)
    layer.W *= 3.0
    fig = kernels_figure(0, layer, before)
    old, new = fig.data
    assert (old.name, new.name) == ("before the last training run", "now")
    np.testing.assert_array_equal(arr(old.z)[np.isfinite(arr(old.z))], before[:, 0].reshape(4, 3, 3).ravel())
    np.testing.assert_array_equal(arr(new.z)[np.isfinite(arr(new.z))], layer.W[:, 0].reshape(4, 3, 3).ravel())
    limit = np.abs(layer.W).max()
    assert old.zmax == new.zmax == limit and old.zmin == new.zmin == -limit and not old.showscale
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]  # before | now, side by side
    assert [a.text for a in fig.layout.annotations] == ["before the last training run", "now"]
    with pytest.raises(ValueError, match=r"before have shape \(4, 1, 3\), now \(4, 1, 3, 3\)"):
        kernels_figure(0, layer, before[..., 0])


@pytest.mark.parametrize("shape, drawn", [((4, 1, 3, 3), (4, 1)), ((8, 1, 3, 3), (8, 1)), ((16, 8, 3, 3), (16, 8)),
                                          ((64, 16, 5, 5), (16, 11)), ((64, 64, 7, 7), (13, 8))])
def test_kernel_grids_fit_an_800_pixel_window(shape, drawn):
    layer = Conv2d(shape[1], shape[0], shape[2], rng=np.random.default_rng(0))
    fig = kernels_figure(0, layer, np.zeros_like(layer.W))
    assert fig.layout.width <= 760 and fig.layout.height <= 600
    (o, c), k = drawn, shape[2]
    assert arr(fig.data[1].z).shape == (o * (k + 1) - 1, c * (k + 1) - 1)
    np.testing.assert_array_equal(arr(fig.data[1].z)[-k:, -k:], layer.W[o - 1, c - 1])  # the last kernel drawn
    x0, x1 = fig.layout.xaxis.domain
    y0, y1 = fig.layout.yaxis.domain
    cell_w = (x1 - x0) * fig.layout.width / (c * (k + 1) - 1)
    cell_h = (y1 - y0) * fig.layout.height / (o * (k + 1) - 1)
    assert cell_w == pytest.approx(cell_h) and cell_w >= 4  # square entries, never smaller than 4 px
    capped = f"drawn: output channels 0 to {o - 1} of {shape[0]}, input channels 0 to {c - 1} of {shape[1]}"
    assert (capped in fig.layout.title.text) == (drawn != shape[:2])


def test_kernel_figures_of_every_conv_with_the_kept_kernels():
    model = cnn(4, 6)
    kept = conv_kernels(model)
    figures = kernel_figures(model, {0: kept[0], 3: kept[3][:, :2]})  # layer 3's kept shape no longer fits
    assert [i for i, _ in figures] == [0, 3]
    assert len(figures[0][1].data) == 2 and len(figures[1][1].data) == 1
    assert [len(fig.data) for _, fig in kernel_figures(model)] == [1, 1]
    assert kernel_figures(Sequential(Linear(2, 2))) == []


def test_kernels_caption_says_what_is_drawn():
    assert "initial kernels, random" in kernels_caption(0, False)
    assert "after 1 epoch in total" in kernels_caption(1, True) and "Left: the kernels before" in kernels_caption(3, True)
    assert "after 3 epochs" in kernels_caption(3, True)
    assert "Only the current kernels" in kernels_caption(2, False)
    assert all("edges" in kernels_caption(n, kept) for n, kept in ((0, False), (1, True), (2, False)))
