"""viz.grid: a stage's tensors as one figure, each at its own size, packed into rows of an 800-px window."""
import numpy as np
import pytest

from viz.geometry import MAX_PLOT_HEIGHT, MAX_WIDTH, MIN_STRIP
from viz.grid import GAP_X, Tile, grid, matrix_item


def one(array, title="x", axes=("sample", "feature"), marks=(), strip=False):
    return grid([(Tile("t", title, array, axes, tuple(marks)), strip)])


def axis(fig, trace, which):
    return fig.layout[f"{which}axis" + getattr(trace, f"{which}axis")[1:]]


def pixels(fig, trace):
    """(left, top, width, height) of a trace's plot area in pixels."""
    xd, yd = axis(fig, trace, "x").domain, axis(fig, trace, "y").domain
    w, h = fig.layout.width, fig.layout.height
    return xd[0] * w, (1 - yd[1]) * h, (xd[1] - xd[0]) * w, (yd[1] - yd[0]) * h


def test_every_exact_value_rides_an_invisible_clickable_cell_layer():
    a = np.random.default_rng(1).normal(size=(32, 64))
    fig = one(a, "input x")
    heat, cells = fig.data
    assert heat.type == "heatmap" and heat.hoverinfo == "skip" and heat.showscale is False
    assert cells.meta == "t" and cells.marker.maxdisplayed == 1 and cells.marker.opacity == 0
    np.testing.assert_array_equal(cells.customdata, a.ravel())             # exact, float64
    assert list(cells.x[:3]) == [0, 1, 2] and list(cells.y[64:66]) == [1, 1]
    assert np.asarray(cells.x).dtype == np.uint8                           # 2 bytes a cell for its place
    assert np.asarray(heat.z).dtype == np.int8 and heat.zmax == 127          # a colour level a byte
    assert np.asarray(heat.z).flat[np.argmax(np.abs(a))] in (-127, 127)
    assert fig.layout.width <= MAX_WIDTH and fig.layout.clickmode == "event+select"
    assert fig.layout.annotations[0].text.replace("<br>", " ").replace("\xa0", " ") == f"input x (32, 64) · ±{np.abs(a).max():.3g}"
    assert axis(fig, heat, "y").title.text == "sample" and axis(fig, heat, "x").title.text == "feature"
    assert "input x<br>sample %{y}, feature %{x}<br>value %{customdata}" in cells.hovertemplate


def test_values_are_printed_only_where_they_fit_the_cells():
    assert one(np.array([[0.194, -0.326], [-0.649, -0.684]])).data[0].texttemplate == "%{z:.3g}"
    assert one(np.random.default_rng(0).normal(size=(8, 2))).data[0].texttemplate == "%{z:.3g}"
    smudge = np.random.default_rng(0).normal(size=(2, 32)) * 0.1   # the lr-too-high preset's W (2, 32)
    assert one(smudge).data[0].texttemplate is None
    assert one(np.random.default_rng(0).normal(size=(1, 32))).data[0].texttemplate is None
    assert one(np.arange(32.0)[None] % 3).data[0].texttemplate == "%{z:.3g}"   # one digit fits
    labelled = one(np.array([[0.1 + 0.2, 1.0]])).data[0]
    assert np.asarray(labelled.z).dtype == np.float64                      # printed from the exact values


def test_huge_finite_values_keep_their_colour():
    a = np.random.default_rng(2).normal(size=(10, 50))
    a[0, 0] = 1e300  # a diverging network's weights: finite in float64, inf in float32
    heat, cells = one(a).data
    assert heat.texttemplate is None and np.asarray(heat.z)[0, 0] == 127 and np.asarray(heat.z)[0, 1] == 0
    assert np.asarray(cells.customdata)[0] == 1e300


def test_nonfinite_cells_are_crossed_and_counted():
    a = np.zeros((3, 3))
    a[0, 1], a[2, 2] = np.nan, -np.inf
    fig = one(a)
    heat, _, crosses = fig.data
    assert list(crosses.x) == [1, 2] and list(crosses.y) == [0, 2] and list(crosses.text) == ["nan", "-inf"]
    assert np.isnan(np.asarray(heat.z, dtype=float)[2, 2])
    assert "2 NaN/inf cells" in fig.layout.annotations[0].text


def test_marks_outline_cells_rows_and_columns_in_drawn_coordinates():
    fig = one(np.zeros((4, 3)), marks=[("cell", 1, 2), ("band", 3, None), ("band", None, 0)])
    rects = [(s.x0, s.x1, s.y0, s.y1, s.xref, s.yref) for s in fig.layout.shapes]
    assert rects == [(1.5, 2.5, 0.5, 1.5, "x", "y"), (-0.5, 2.5, 2.5, 3.5, "x", "y"),
                     (-0.5, 0.5, -0.5, 3.5, "x", "y")]
    assert one(np.zeros((4, 3)), marks=[("cell", 9, 0)]).layout.shapes == ()   # outside: ignored
    (shape,) = one(np.zeros((784, 128)), marks=[("cell", 700, 3)]).layout.shapes  # 7 x 1 blocks
    assert (shape.y0, shape.y1) == (696.5, 703.5) and (shape.x0, shape.x1) == (2.5, 3.5)


def test_small_tiles_share_a_row_and_a_wide_one_takes_its_own():
    rng = np.random.default_rng(3)
    tiles = [(Tile(name, name, rng.normal(size=shape), ("r", "c")), False)
             for name, shape in (("x", (8, 2)), ("W", (2, 2)), ("y", (8, 2)), ("big", (64, 128)), ("after", (2, 2)))]
    fig = grid(tiles)
    heats = [t for t in fig.data if t.type == "heatmap"]
    boxes = {t.name: pixels(fig, t) for t in heats}
    assert boxes["x"][1] == boxes["W"][1] == boxes["y"][1]                    # one row, tops aligned
    assert boxes["x"][0] < boxes["W"][0] < boxes["y"][0]                      # left to right
    assert boxes["big"][1] > boxes["x"][1] + boxes["x"][3] and boxes["after"][1] > boxes["big"][1]
    assert boxes["big"][2] / boxes["big"][3] == pytest.approx(2, rel=0.05)   # the matrix's aspect
    assert all(box[3] <= MAX_PLOT_HEIGHT + 1 for box in boxes.values())
    assert fig.layout.width <= MAX_WIDTH and len(fig.layout.annotations) == 5


def test_consecutive_vectors_stack_as_strips_each_on_its_own_scale():
    rng = np.random.default_rng(0)
    rows = [(Tile(f"t{i}", f"title {i}", rng.normal(size=128) * 10.0 ** -i, ("row", "output unit"),
                  (("cell", 0, 7),) if i == 2 else ()), True) for i in range(5)]
    fig = grid(rows)
    heats = [t for t in fig.data if t.type == "heatmap"]
    assert [t.meta for t in fig.data if t.meta] == ["t0", "t1", "t2", "t3", "t4"]
    for i, heat in enumerate(heats):
        top = np.abs(rows[i][0].array).max()
        assert fig.layout.annotations[i].text.replace("<br>", " ").replace("\xa0", " ").endswith(f"±{top:.3g}")  # its own scale
        assert np.abs(np.asarray(heat.z)).max() == 127
        assert pixels(fig, heat)[3] == pytest.approx(MIN_STRIP) and axis(fig, heat, "y").showticklabels is False
    tops = [pixels(fig, heat)[1] for heat in heats]
    assert tops == sorted(tops) and len(set(tops)) == 5
    assert [a.text.replace("<br>", " ").replace("\xa0", " ").split(" · ")[0] for a in fig.layout.annotations] == [
        f"title {i} (128,)" for i in range(5)]
    titled = [axis(fig, heat, "x").title.text for heat in heats]
    assert titled == [None] * 4 + ["output unit"]                             # the x axis named once
    (shape,) = fig.layout.shapes
    assert (shape.x0, shape.x1, shape.yref) == (6.5, 7.5, heats[2].yaxis)


def test_short_vectors_print_their_values_and_long_ones_do_not():
    def strips(n):
        return grid([(Tile(f"t{i}", "v", np.arange(n) - i, ("row", "unit")), True) for i in range(3)])
    assert all(t.texttemplate == "%{z:.3g}" for t in strips(3).data if t.type == "heatmap")
    assert all(t.texttemplate is None for t in strips(128).data if t.type == "heatmap")


def test_a_large_tile_hovers_seven_digits_and_a_small_one_the_exact_value():
    big = np.random.default_rng(4).normal(size=(64, 128))   # 8192 cells: the digits MLP's W
    cells = one(big).data[1]
    assert np.asarray(cells.customdata).dtype == np.float32 and "≈ %{customdata:.7g}" in cells.hovertemplate
    np.testing.assert_array_equal(cells.customdata, big.ravel().astype(np.float32))
    small = one(big[:32, :64]).data[1]
    assert np.asarray(small.customdata).dtype == np.float64 and "value %{customdata}<" in small.hovertemplate
    huge = big.copy()
    huge[0, 0] = 1e300                                       # beyond float32: kept exact, not inf
    assert np.asarray(one(huge).data[1].customdata).dtype == np.float64


def test_a_conv_kernel_s_tensors_are_small_enough_for_two_a_row():
    """The CSV CNN's Adam update of Conv2d(1 -> 8) drew six (8, 1, 3, 3) tensors one a row, values printed:
    a 4,200-px page. A 4-D tensor's cells are at most KERNEL_CELL, its values on hover."""
    W = np.random.default_rng(0).standard_normal((8, 1, 3, 3))
    item = matrix_item(Tile("W", "W before", W, ("o", "c·p·q")))
    assert item.width * 2 + GAP_X <= 740 and not item.parts[0][-1]
    figure = grid([(Tile(f"W{i}", "W before", W, ("o", "c·p·q")), False) for i in range(6)])
    assert figure.layout.height <= 3 * item.height + 2 * 10


def fixed_axes(layout):
    """Every axis of a figure's layout: [(name, automargin, ticklabeloverflow, tickangle)]."""
    return [(name, axis.get("automargin"), axis.get("ticklabeloverflow"), axis.get("tickangle"))
            for name, axis in layout.items() if name.startswith(("xaxis", "yaxis"))]


def test_no_axis_asks_the_browser_to_measure_its_tick_labels():
    """Streamlit's theme turns automargin on and Plotly hides tick labels past the chart's edge by default: both
    measure every tick label, a forced layout of the page each, on every Next (issue 19, every click fast). The
    grid places its axes itself and spaces its ticks to fit level, so none is asked for, in presenter mode too."""
    rng = np.random.default_rng(0)
    tiles = [(Tile("x", "x", rng.normal(size=(128, 64)), ("sample", "feature")), False),
             (Tile("b", "b", rng.normal(size=8), ("", "unit")), True),
             (Tile("c", "c", rng.normal(size=8), ("", "unit")), True),
             (Tile("W", "W", rng.normal(size=(4, 2, 3, 3)), ("out", "in")), False)]
    for scale in (1.0, 1.5):
        axes = fixed_axes(grid(tiles, scale).to_plotly_json()["layout"])
        assert len(axes) == 8 and all(margin is False and overflow == "allow" for _, margin, overflow, _ in axes), axes
        assert all(angle == 0 for name, *_, angle in axes if name.startswith("x")), axes


@pytest.mark.parametrize("shape, halved", [((32, 32), True), ((128, 128), True), ((64, 128), False),
                                           ((32, 128), False)])
def test_a_matrix_whose_cells_barely_shrink_at_half_the_width_goes_two_a_row(shape, halved):
    """A 32 x 32 W and its gradient side by side (cells 9.1 instead of 9.4 px): the stage half as tall; a 64 x
    128 W keeps the whole width, where half of it would halve its cells."""
    rng = np.random.default_rng(0)
    tiles = [(Tile(name, name, rng.normal(size=shape), ("input feature", "output unit")), False) for name in "AB"]
    figure = grid(tiles)
    whole = matrix_item(tiles[0][0])
    assert (whole.width <= (MAX_WIDTH - GAP_X) / 2) == halved
    tops = sorted({round(figure.layout[f"yaxis{k}"].domain[1], 3) for k in ("", "2")})
    assert (len(tops) == 1) == halved  # side by side, or one under the other
