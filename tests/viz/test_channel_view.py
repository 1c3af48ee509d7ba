"""viz.channel_view: one sample's channel maps of a CNN's stages, the receptive field and MaxPool's winners."""
import numpy as np
import pytest

from engine import Sequential
from engine.pool import MaxPool2d
from tests.viz.cnn import cnn_trace
from engine.sequential import layers_of
from tests.uploaded import preset_lab
from viz.channel_view import (Position, channel_panels, kernels_tiled, maps_tiled, pages, shown_channels,
                               winners)
from viz.stage_view import panel_rows
from viz.formulas import backward_formula, forward_formula
from viz.jacobian_view import as_recorded, layer_sample_jacobians, tied_windows


def heatmaps(panel):
    return [trace for trace in panel.figure.to_plotly_json()["data"] if trace["type"] == "heatmap"]


def boxes(panel):
    return [shape for shape in panel.figure.to_plotly_json()["layout"]["shapes"]]


def block(panel, *first):
    """(custom, (row, column)): the tiled figure's customdata and where the block whose first indices are
    `first` (a channel; or an output and an input channel) starts."""
    custom = np.asarray(panel.figure.data[0].customdata, dtype=float)
    key = np.array(list(first) + [0, 0], dtype=float)
    hits = np.argwhere(np.all(custom[..., :len(key)] == key, axis=-1))
    assert len(hits) == 1, (first, hits)
    return custom, tuple(hits[0])


def test_a_conv_forward_shows_the_sample_s_input_channels_the_kernels_and_the_output_maps():
    layers, trace = cnn_trace(channels=2)
    forward = trace.stages[0]
    panels = channel_panels(trace, forward, layers[0], sample=3)
    assert [p.title for p in panels] == ["input maps", "kernels", "output maps"]
    assert [len(heatmaps(p)) for p in panels] == [1, 1, 1]  # each tensor one chart of one heatmap
    x_maps, kernels, y_maps = panels
    assert x_maps.figure.layout.title.text == "x[n=3] (2, 8, 8)"
    labels = [a.text for a in y_maps.figure.layout.annotations]
    y = trace.forward[0].output[3]
    assert labels == [f"c={c} · ±{np.abs(y[c]).max():.2g}" for c in range(4)]
    custom, (r, c) = block(y_maps, 1)  # channel 1's map: its exact values on hover, its own colour scale
    z = np.asarray(y_maps.figure.data[0].z, dtype=float)
    assert np.array_equal(custom[r:r + 8, c:c + 8, 3], y[1])
    assert np.allclose(z[r:r + 8, c:c + 8], y[1] / np.abs(y[1]).max(), atol=1e-3)
    W = trace.update_records(0)[0].before
    custom, (r, c) = block(kernels, 2, 1)  # W[2, 1] in kernel row 2, column 1, on ONE scale with a colour bar
    assert np.array_equal(custom[r:r + 3, c:c + 3, 4], W[2, 1])
    assert kernels.figure.data[0].showscale and np.nanmax(np.abs(np.asarray(kernels.figure.data[0].z, float))) == 1
    assert kernels.row == "forward 0-kernels"


def test_hidden_results_leave_only_the_inputs_and_kernels():
    layers, trace = cnn_trace()
    assert [p.title for p in channel_panels(trace, trace.stages[0], layers[0], hide_results=True)] == [
        "input maps", "kernels"]
    backward0 = next(stage for stage in trace.stages if str(stage) == "backward 0")
    panels = channel_panels(trace, backward0, layers[0])
    assert [p.title for p in panels] == ["grad_output maps", "kernels", "kernel gradients", "grad_input maps"]
    assert panels[1].row == panels[2].row != panels[3].row  # the gradients beside the kernels
    assert [p.title for p in channel_panels(trace, backward0, layers[0], hide_results=True)] == [
        "grad_output maps", "kernels"]


@pytest.mark.parametrize("row, col, rows, cols", [(3, 4, (2, 4), (3, 5)), (0, 7, (0, 1), (6, 7))])
def test_the_receptive_field_outlines_the_window_of_every_input_channel_clipped_at_the_border(row, col, rows, cols):
    layers, trace = cnn_trace(channels=2)
    panels = channel_panels(trace, trace.stages[0], layers[0], 0, Position(2, row, col))
    x_boxes = boxes(panels[0])
    assert len(x_boxes) == 2  # one window on each input channel
    for channel, box in enumerate(x_boxes):
        _, (r, c) = block(panels[0], channel)
        assert (box["y0"] - r, box["y1"] - r, box["x0"] - c, box["x1"] - c) == (
            rows[0] - 0.5, rows[1] + 0.5, cols[0] - 0.5, cols[1] + 0.5)
    for channel, box in enumerate(boxes(panels[1])):  # the kernels W[2, 0] and W[2, 1]
        _, (r, c) = block(panels[1], 2, channel)
        assert (box["y0"] - r, box["x0"] - c, box["y1"] - r, box["x1"] - c) == (-0.5, -0.5, 2.5, 2.5)
    (cell,) = boxes(panels[2])
    _, (r, c) = block(panels[2], 2)
    assert (cell["y0"] + 0.5 - r, cell["x0"] + 0.5 - c) == (row, col)


def test_the_winners_are_the_first_maximum_of_each_window_as_the_engine_routes_the_gradient():
    x = np.array([[[[1., 1., 0., 2.], [0., 1., 2., 2.], [5., 0., 3., 3.], [0., 5., 3., 3.]]]])
    expected = np.array([[[[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]]], dtype=float)
    assert np.array_equal(winners(x, 2), expected)
    pool = MaxPool2d(2)
    pool.forward(x)
    assert np.array_equal(winners(x, 2), pool.winner_mask().astype(float))
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (3, 2, 6, 6)).astype(float)  # many ties
    pool = MaxPool2d(3)
    pool.forward(x)
    assert np.array_equal(winners(x, 3), pool.winner_mask().astype(float))


def test_stages_without_4d_tensors_have_no_maps_and_maxpool_shows_its_winners():
    layers, trace = cnn_trace()
    by_name = {str(stage): stage for stage in trace.stages}
    for name in ("forward 4", "loss", "backward 5", "update 0"):
        stage = by_name[name]
        assert channel_panels(trace, stage, layers[stage.index] if stage.index is not None else None) == []
    assert [p.title for p in channel_panels(trace, by_name["backward 2"], layers[2])] == [
        "grad_output maps", "winners", "grad_input maps"]
    assert [p.title for p in channel_panels(trace, by_name["forward 3"], layers[3])] == ["input maps"]  # Flatten


def test_the_formulas_name_both_correlations_and_the_padding():
    layers, trace = cnn_trace()
    x, y = trace.forward[0].input.shape, trace.forward[0].output.shape
    assert r"i+p-1" in forward_formula(layers[0], x, y) and "padding 1" in forward_formula(layers[0], x, y)
    backward = backward_formula(layers[0], x, y)
    assert "flipped kernel" in backward and "input correlated with the gradient" in backward
    assert r"\max_{0 \le p,q < 2}" in forward_formula(layers[2], trace.forward[2].input.shape,
                                                       trace.forward[2].output.shape)
    assert "first in row-major order" in backward_formula(layers[2], trace.forward[2].input.shape,
                                                           trace.forward[2].output.shape)


def test_the_jacobians_of_a_pool_after_relu_say_where_ties_make_finite_differences_differ():
    layers, trace = cnn_trace()
    model = Sequential()
    for layer in layers:
        model.add(layer)
    x = trace.forward_record(2).input
    ties = tied_windows(layers[2], x[0])
    assert ties > 0  # ReLU's zeros tie in some windows
    sj = layer_sample_jacobians(as_recorded(model[2], trace, 2), x, 0, grad_output=trace.backward_record(2).grad_output)
    assert f"{ties} of this sample's pooling windows" in sj.note and sj.max_abs_error == 0.5
    assert sj.closed_error == 0 and np.array_equal(sj.closed, sj.backprop)
    conv = layer_sample_jacobians(as_recorded(model[0], trace, 0), trace.forward_record(0).input, 1,
                                  grad_output=trace.backward_record(0).grad_output)
    assert conv.max_abs_error < 1e-8 and conv.closed_error < 1e-12 and "pooling" not in conv.note


def block_rows(panel):
    """How many maps each row of the tiled figure holds."""
    custom = np.asarray(panel.figure.data[0].customdata, dtype=float)
    starts = np.argwhere((custom[..., 1] == 0) & (custom[..., 2] == 0))
    return [int(np.sum(starts[:, 0] == r)) for r in np.unique(starts[:, 0])]


@pytest.mark.parametrize("side", [8, 14, 28])
@pytest.mark.parametrize("channels", [2, 4, 5, 8, 12, 16])
def test_a_sample_s_maps_are_one_chart_in_rows_of_even_length_that_fit_800_pixels(side, channels):
    x = np.random.default_rng(side).standard_normal((2, channels, side, side))
    figure = maps_tiled("x", x, 1, shown_channels(channels)).figure
    rows = block_rows(type("P", (), {"figure": figure}))
    assert sum(rows) == channels and max(rows) - min(rows) <= 1, rows  # 4 maps: 4 or 2 + 2, never 3 + 1
    assert len(figure.data) == 1 and figure.layout.width <= 740 and figure.layout.height <= 560


def test_the_kernels_of_a_wide_layer_are_one_chart_a_page_of_channels_at_a_time():
    W = np.random.default_rng(0).standard_normal((64, 40, 3, 3))
    assert pages(64) == [0, 16, 32, 48] and pages(16) == [0] and list(shown_channels(40, 32)) == list(range(24, 40))
    figure = kernels_tiled("W", W, shown_channels(64, 16), shown_channels(40, 0)).figure
    custom = np.asarray(figure.data[0].customdata, dtype=float)
    assert set(np.unique(custom[..., 0][np.isfinite(custom[..., 0])])) == set(range(16, 32))
    assert "output channels 16 to 31 of 64, input channels 0 to 15 of 40" in figure.layout.title.text
    assert figure.layout.height <= 560 and figure.layout.width <= 360  # two side by side fit 800 px
    assert list(figure.layout.yaxis.ticktext) == [str(o) for o in range(16, 32)]


def test_every_cnn_preset_stage_s_maps_are_one_chart_per_tensor_and_short():
    """The CNN on a 28 x 28 CSV: the backward of Conv2d(8 -> 16) drew 128 kernels and 128 gradients as 256
    charts, 5,878 px tall each; now each tensor is one chart and the stage's maps fit one 1100-px screen."""
    for name in ("cnn_digits", "cnn_csv"):
        lab = preset_lab(name)
        layers = layers_of(lab.model)
        for stage in lab.trace.stages:
            layer = layers[stage.index] if stage.index is not None else None
            panels = channel_panels(lab.trace, stage, layer, 0, Position(0, 0, 0))
            assert all(len(p.figure.data) == 1 for p in panels), stage
            for p in panels:  # the title fits its figure (a grid of one column of kernels was narrower)
                title = p.figure.layout.title.text.split("<br>")[0]
                assert len(title) * 7.3 + 8 <= p.figure.layout.width, (stage, title, p.figure.layout.width)
            rows = panel_rows(panels)
            height = sum(max(p.figure.layout.height for p in row) for row in rows)
            assert height <= 1400 and all(sum(p.figure.layout.width for p in row) <= 740 for row in rows), (
                name, stage, height)


def test_the_channel_charts_ask_no_tick_label_measuring():
    """As the stage grid (tests/viz/test_grid.py): no automargin, no hiding of labels past the edge."""
    layers, trace = cnn_trace(channels=2)
    for panel in channel_panels(trace, trace.stages[0], layers[0], sample=3):
        layout = panel.figure.to_plotly_json()["layout"]
        axes = [axis for name, axis in layout.items() if name.startswith(("xaxis", "yaxis"))]
        assert axes and all(a.get("automargin") is False and a.get("ticklabeloverflow") == "allow" for a in axes)
