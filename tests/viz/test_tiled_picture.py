"""viz.tiled_picture: a CNN stage's channel maps and kernels as the SVG picture the Step page draws, laid out as
their Plotly figure (viz.tiled.Tiled.figure) is, with each block's exact values for the hover."""
import base64
import re

import numpy as np
import pytest

from i18n import use
from tests.i18n.prose import english_words
from tests.viz.cnn import cnn_trace
from tests.viz.test_picture import pngs
from viz.channel_view import Position, channel_panels, kernels_tiled, maps_tiled, shown_channels
from viz.picture import LEVELS, palette

RNG = np.random.default_rng(3)


def block_values(tile):
    return np.frombuffer(base64.b64decode(tile["values"]), "<f8").reshape(tile["rows"], tile["cols"])


def plot_area(figure):
    """(left, top, width, height) of the figure's heatmap in px, and the px of one cell (the figure's size is
    rounded up to whole px, so its cells are a little larger than the picture's: compare within a px)."""
    layout = figure.layout
    z = np.asarray(figure.data[0].z, dtype=float)
    width = layout.width - layout.margin.l - layout.margin.r
    height = layout.height - layout.margin.t - layout.margin.b
    return (layout.margin.l, layout.margin.t, width, height), width / z.shape[1]


@pytest.mark.parametrize("channels, side", [(4, 8), (12, 14), (16, 28)])
def test_the_maps_sit_where_the_plotly_figure_puts_them_with_their_exact_values(channels, side):
    x = RNG.standard_normal((2, channels, side, side))
    tiled = maps_tiled("x", x, 1, shown_channels(channels))
    p, figure = tiled.picture, tiled.figure
    assert (p["width"], p["height"]) == (figure.layout.width, figure.layout.height)
    (left, top, width, height), cell = plot_area(figure)
    custom = np.asarray(figure.data[0].customdata, dtype=float)
    assert [t["title"] for t in p["tiles"]] == [f"x[n=1, c={c}]" for c in range(channels)]
    for c, tile in enumerate(p["tiles"]):
        (r0, c0), = np.argwhere((custom[..., 0] == c) & (custom[..., 1] == 0) & (custom[..., 2] == 0))
        assert tile["box"] == pytest.approx([left + c0 * cell, top + r0 * cell, side * cell, side * cell], abs=1)
        assert np.array_equal(block_values(tile), x[1, c])  # the hover's value is the exact float64
        assert tile["heading"] == f"c={c} · ±{np.abs(x[1, c]).max():.2g}"
        assert (tile["y_label"], tile["x_label"], tile["exact"]) == ("row", "column", True)
    rows, cols = tiled.z.shape  # the image spans exactly the blocks' cells
    assert f'width="{cols * tiled.cell:.1f}" height="{rows * tiled.cell:.1f}"' in p["svg"]
    assert (width, height) == pytest.approx((cols * tiled.cell, rows * tiled.cell), abs=1)


def test_each_cell_has_the_colour_of_its_value_against_its_own_block_s_limit_and_the_gaps_stay_clear():
    x = RNG.standard_normal((1, 5, 6, 6))
    x[0, 2] *= 100  # one channel much larger: on its own scale, it is as strong as the others
    tiled = maps_tiled("x", x, 0, shown_channels(5))
    (image,) = pngs(tiled.picture["svg"])
    z = np.asarray(tiled.figure.data[0].z, dtype=float)
    assert image.shape[:2] == z.shape
    finite = np.isfinite(z)
    assert np.all(image[..., 3][~finite] == 0) and np.all(image[..., 3][finite] == 255)
    expected = palette()[np.rint(np.clip(np.where(finite, z, 0), -1, 1) * LEVELS).astype(int) + LEVELS]
    assert np.array_equal(image[..., :3][finite], expected[finite])
    for c in range(5):  # each map reaches an end of the scale, the large one no more than the others
        (r0, c0), = np.argwhere(np.asarray(tiled.figure.data[0].customdata, float)[..., 0] == c)[:1]
        assert np.abs(z[r0:r0 + 6, c0:c0 + 6]).max() == 1


def test_kernels_share_one_colour_bar_in_the_values_units_and_name_their_channels():
    W = RNG.standard_normal((20, 3, 3, 3))
    tiled = kernels_tiled("W", W, shown_channels(20, 16), shown_channels(3), marked=5)
    p, figure = tiled.picture, tiled.figure
    assert (p["width"], p["height"]) == (figure.layout.width, figure.layout.height)
    bar = figure.data[0].colorbar
    texts = re.findall(r">([^<]*)</text>", p["svg"])
    assert set(bar.ticktext) <= set(texts)  # the bar's five ticks as Plotly writes them
    assert [str(o) for o in range(4, 20)] == [t for t in texts if t in {str(o) for o in range(4, 20)}][:16]
    assert "output channel o" in texts and "input channel c" in texts
    assert "output channels 4 to 19 of 20, input channels 0 to 2 of 3" in p["title"]
    assert [t["title"] for t in p["tiles"][:4]] == ["W[4, 0]", "W[4, 1]", "W[4, 2]", "W[5, 0]"]
    assert np.array_equal(block_values(p["tiles"][3]), W[5, 0])
    outlined = [t["title"] for t in p["tiles"] if t["marks"]]  # output channel 5's row of kernels
    assert outlined == ["W[5, 0]", "W[5, 1]", "W[5, 2]"]
    assert p["svg"].count('class="mark"') == len(figure.layout.shapes) == 3


def test_the_receptive_field_is_outlined_where_the_figure_outlines_it():
    layers, trace = cnn_trace(channels=2)
    panels = channel_panels(trace, trace.stages[0], layers[0], 0, Position(2, 0, 7))
    for panel in panels:
        p, figure = panel.picture, panel.figure
        (left, top, _w, _h), cell = plot_area(figure)
        drawn = [float(v) for m in re.findall(
            r'class="mark" x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"', p["svg"]) for v in m]
        expected = [v for s in figure.layout.shapes for v in (
            left + (s.x0 + 0.5) * cell, top + (s.y0 + 0.5) * cell, (s.x1 - s.x0) * cell, (s.y1 - s.y0) * cell)]
        assert len(drawn) == len(expected) and drawn == pytest.approx(expected, abs=1), panel.title
    x_maps = panels[0].picture
    assert [t["marks"] for t in x_maps["tiles"]] == [[dict(x0=5.5, x1=7.5, y0=-0.5, y1=1.5)]] * 2


def test_a_cnn_stage_s_pictures_in_russian_have_no_english_words():
    layers, trace = cnn_trace()
    found = []
    with use("ru"):
        for stage in trace.stages:
            layer = layers[stage.index] if stage.index is not None else None
            position = Position(0, 1, 1) if type(layer).__name__ == "Conv2d" else None
            for panel in channel_panels(trace, stage, layer, position=position):
                p = panel.picture
                shown = re.findall(r">([^<]*)</text>", p["svg"]) + [p["title"]] + [
                    " ".join((t["y_label"], t["x_label"], t["value_word"], t["heading"])) for t in p["tiles"]]
                found += [(str(stage), w) for text in shown for w in english_words(text)]
    assert not found, found
