"""viz.channel_view: one sample's channel maps of a CNN's stages, the receptive field and MaxPool's winners."""
import numpy as np
import pytest

from engine import Sequential
from engine.pool import MaxPool2d
from tests.viz.cnn import cnn_trace
from viz.channel_view import Position, channel_panels, winners
from viz.formulas import backward_formula, forward_formula
from viz.jacobian_view import as_recorded, layer_sample_jacobians, tied_windows


def names(panels):
    return [[trace["name"] for trace in panel.figure.to_plotly_json()["data"] if trace["type"] == "heatmap"]
            for panel in panels]


def boxes(panel):
    return [shape for shape in panel.figure.to_plotly_json()["layout"]["shapes"]]


def test_a_conv_forward_shows_the_sample_s_input_channels_the_kernels_and_the_output_maps():
    layers, trace = cnn_trace(channels=2)
    forward = trace.stages[0]
    panels = channel_panels(trace, forward, layers[0], sample=3)
    assert [p.title for p in panels] == ["input maps", "kernels", "output maps"]
    x_maps, kernels, y_maps = names(panels)
    assert x_maps == ["x[n=3, c=0]", "x[n=3, c=1]"] and len(kernels) == 4 * 2 and kernels[1] == "W[0, 1]"
    assert y_maps == [f"y[n=3, c={c}]" for c in range(4)]
    z = panels[2].figure.data[0].z  # the first output map's colour levels follow y
    y = trace.forward[0].output[3, 0]
    assert np.array_equal(np.sign(np.asarray(z, dtype=float)), np.sign(np.rint(y / np.abs(y).max() * 127)))


def test_hidden_results_leave_only_the_inputs_and_kernels():
    layers, trace = cnn_trace()
    assert [p.title for p in channel_panels(trace, trace.stages[0], layers[0], hide_results=True)] == [
        "input maps", "kernels"]
    backward0 = next(stage for stage in trace.stages if str(stage) == "backward 0")
    assert [p.title for p in channel_panels(trace, backward0, layers[0])] == [
        "grad_output maps", "kernels", "grad_input maps", "kernel gradients"]
    assert [p.title for p in channel_panels(trace, backward0, layers[0], hide_results=True)] == [
        "grad_output maps", "kernels"]


@pytest.mark.parametrize("row, col, rows, cols", [(3, 4, (2, 4), (3, 5)), (0, 7, (0, 1), (6, 7))])
def test_the_receptive_field_outlines_the_window_of_every_input_channel_clipped_at_the_border(row, col, rows, cols):
    layers, trace = cnn_trace(channels=2)
    panels = channel_panels(trace, trace.stages[0], layers[0], 0, Position(2, row, col))
    x_boxes = boxes(panels[0])
    assert len(x_boxes) == 2  # one window on each input channel
    for box in x_boxes:
        assert (box["y0"], box["y1"], box["x0"], box["x1"]) == (rows[0] - 0.5, rows[1] + 0.5, cols[0] - 0.5,
                                                                cols[1] + 0.5)
    assert len(boxes(panels[1])) == 2  # the kernels W[2, 0] and W[2, 1]
    (cell,) = boxes(panels[2])
    assert (cell["y0"] + 0.5, cell["x0"] + 0.5) == (row, col)


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
