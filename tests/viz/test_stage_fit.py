"""Every stage of both CNN presets is short enough for three 1400-px screens although it draws every operand:
the flattened batch views are flat, a Conv2d's 4-D kernels are drawn once (as kernel grids, under the channel
maps) and the update's 4-D tensors go several a row."""
import numpy as np
import pytest

from engine.sequential import layers_of
from lab.presets import PRESETS
from tests.uploaded import preset_lab
from viz.channel_view import Position, channel_panels
from viz.grid import FLAT_BATCH_HEIGHT, GAP_X, HALF_WIDTH, Tile, grid
from viz.geometry import MAX_WIDTH
from viz.stage_view import stage_label, stage_panels

PAGE = 1240  # px: the Step page's content at 1400 px (Streamlit's wide layout)
GAP = 16     # px: between charts side by side (gap="medium")


def laid_out(widths_heights, width=PAGE):
    """The height of figures (width, height) placed left to right, wrapped at `width` (as a horizontal
    st.container wraps them)."""
    total, x, row = 0, 0, 0
    for w, h in widths_heights:
        if x and x + GAP + w > width:
            total, x, row = total + row + GAP, 0, 0
        x += (GAP if x else 0) + w
        row = max(row, h)
    return total + row


@pytest.fixture(scope="module")
def csv_cnn():
    lab = preset_lab("cnn_csv")
    return lab.trace, layers_of(lab.model)


def stage_at(trace, text):
    return next(s for s in trace.stages if stage_label(trace, s) == text)


def test_a_conv_backward_draws_its_kernels_once_and_flat_batch_views(csv_cnn):
    """The CSV CNN's backward of Conv2d(8 -> 16) drew W and ∂L/∂W both as 16 x 72 heatmaps in the grid and as
    kernel grids below it, and each flattened batch 260 px tall: a 3,701-px page."""
    trace, layers = csv_cnn
    stage = stage_at(trace, "Backward · layer 3 · Conv2d(8 -> 16, 3x3)")
    panels = stage_panels(trace, stage, layers)
    (grid,) = [p for p in panels if p.figure is not None]
    metas = [t.meta for t in grid.figure.data if t.meta]
    assert metas == ["grad_output", "input", "grad_input", "grad:b"]
    (note,) = [p for p in panels if "param:W" in p.tensors]
    assert note.figure is None and note.tensors == ("param:W", "grad:W") and "drawn below" in note.caption
    assert "(16, 8, 3, 3)" in note.caption
    for axis in ("yaxis", "yaxis2", "yaxis3"):  # the flattened batches: 32 flat rows each
        low, high = grid.figure.layout[axis].domain
        assert (high - low) * grid.figure.layout.height <= FLAT_BATCH_HEIGHT + 1
    assert grid.figure.layout.width <= MAX_WIDTH and grid.figure.layout.height <= 800
    below = channel_panels(trace, stage, layers[stage.index], 0, Position(0, 0, 0))
    assert [p.key.rsplit("-", 1)[-1] for p in below] == ["g", "W", "dW", "dx"]  # the kernels are drawn there
    hidden = stage_panels(trace, stage, layers, hide_results=True)  # ∂L/∂W hidden; W still said to be below
    assert [p.tensors for p in hidden if p.figure is None and p.tensors] == [("param:W",)]


def test_the_bug_hunt_which_has_no_channel_maps_draws_the_kernels_in_its_grid(csv_cnn):
    trace, layers = csv_cnn
    stage = stage_at(trace, "Backward · layer 3 · Conv2d(8 -> 16, 3x3)")
    (grid,) = [p for p in stage_panels(trace, stage, layers, kernels_below=False) if p.figure is not None]
    assert {"param:W", "grad:W"} <= {t.meta for t in grid.figure.data if t.meta}
    boxes = [grid.figure.layout[name].domain for name in ("xaxis3", "xaxis5")]  # W and ∂L/∂W: half a row each
    assert all((high - low) * grid.figure.layout.width <= HALF_WIDTH for low, high in boxes)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_stage_s_figures_fit_well_within_three_screens(name):
    """The figures of a stage (grid, then the channel maps side by side) stay under 2,000 px at 1400 px, which
    with the page's header, formulas and folds (about 1,250 px in Chromium, the by-hand working folded) stays
    under 3 screens of 1,100 px (tests/e2e/test_cnn_browser.py measures the CSV CNN's pages themselves, the
    tallest)."""
    lab = preset_lab(name)
    trace, layers = lab.trace, layers_of(lab.model)
    heights = {}
    for stage in trace.stages:
        panels = stage_panels(trace, stage, layers)
        figures = [(p.figure.layout.width, p.figure.layout.height) for p in panels if p.figure is not None]
        height = sum(h for _, h in figures) + GAP * len(figures)
        if stage.index is not None:  # a CNN's channel maps, side by side ([] elsewhere)
            maps = channel_panels(trace, stage, layers[stage.index], 0, None)
            height += laid_out([(p.figure.layout.width, p.figure.layout.height) for p in maps])
        heights[stage_label(trace, stage)] = height
    assert max(heights.values()) <= 2000, sorted(heights.items(), key=lambda item: -item[1])[:4]


def test_an_update_s_small_kernels_go_three_a_row(csv_cnn):
    trace, layers = csv_cnn
    stage = stage_at(trace, "Update · layer 0 · Conv2d(1 -> 8, 3x3)")
    (weights,) = [p for p in stage_panels(trace, stage, layers) if "before:W" in p.tensors]
    lefts = sorted({round(weights.figure.layout[f"xaxis{k or ''}"].domain[0], 3) for k in [0, 2, 3, 4, 5, 6]})
    assert len(lefts) == 3  # six (8, 1, 3, 3) tensors in two rows of three, not three rows of two
    assert weights.figure.layout.height <= 2 * 240 + GAP_X


def test_a_linear_s_tall_narrow_tensors_share_the_first_row_above_the_wide_ones():
    """A CNN's Linear(64 -> 10) backward drew g, x, W, ∂L/∂x, ∂L/∂W one a row (five 380-px rows): the narrow
    ones of one height now share the first row, the wide ones keep their order below."""
    rng = np.random.default_rng(5)
    shapes = (("g", (32, 10)), ("x", (32, 64)), ("W", (64, 10)), ("dx", (32, 64)), ("dW", (64, 10)))
    figure = grid([(Tile(name, name, rng.normal(size=shape), ("r", "c")), False) for name, shape in shapes])
    heats = {t.name: t for t in figure.data if t.type == "heatmap"}
    top = {name: 1 - figure.layout[f"yaxis{t.yaxis[1:]}"].domain[1] for name, t in heats.items()}
    assert top["g"] == top["W"] == top["dW"] < top["x"] < top["dx"]
    assert [t.meta for t in figure.data if t.meta] == ["g", "x", "W", "dx", "dW"]  # the tensors' order kept
    assert figure.layout.width <= MAX_WIDTH
