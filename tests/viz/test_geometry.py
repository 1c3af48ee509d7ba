"""viz.geometry: a panel's pixel size from its shape; printed values only where the cells hold them."""
import pytest

from viz.geometry import (BOTTOM, LEFT, MAX_CELL, MAX_PLOT_HEIGHT, MAX_WIDTH, MIN_STRIP, RIGHT, geometry,
                          label_width, tick_count, wrap)


@pytest.mark.parametrize("shape", [(8, 2), (2, 2), (1, 2), (32, 64), (64, 128), (128, 128), (1, 128), (128, 10),
                                   (1, 1), (2, 16), (1, 32), (784, 1), (3, 1000)])
def test_every_panel_fits_an_800_pixel_window_and_its_plot_fits_the_figure(shape):
    g = geometry(shape, "a title")
    assert g.width <= MAX_WIDTH
    assert abs(g.width - LEFT - RIGHT - g.plot_width) < 1e-9
    assert g.height == pytest.approx(g.top + g.plot_height + BOTTOM, abs=1)
    assert g.plot_height <= max(MAX_PLOT_HEIGHT, MIN_STRIP * shape[0])
    assert g.cell_width * shape[1] == pytest.approx(g.plot_width)


def test_small_matrices_get_large_square_cells_and_wide_ones_the_full_width():
    g = geometry((2, 2), "W (2, 2)")
    assert g.cell_height == MAX_CELL and g.cell_width >= MAX_CELL
    wide = geometry((64, 128), "W (64, 128)")
    assert wide.width <= MAX_WIDTH and wide.plot_height == MAX_PLOT_HEIGHT and wide.cell_width == wide.cell_height
    assert wide.plot_width / wide.plot_height == pytest.approx(2, rel=0.05)  # the aspect of the matrix


def test_a_vector_is_a_readable_strip_and_a_tall_matrix_gets_readable_columns():
    strip = geometry((1, 128), "b (128,)")
    assert strip.cell_height == MIN_STRIP and strip.width == MAX_WIDTH
    tall = geometry((128, 10), "∂L/∂y (128, 10)")
    assert tall.cell_width >= 12 and tall.plot_height == MAX_PLOT_HEIGHT


def test_cells_widen_to_hold_the_printed_values_when_the_row_still_fits():
    labels = ["-0.684", "0.194"]
    assert label_width(labels) == 6 * 6.2 + 6
    g = geometry((8, 2), "input x (8, 2)", labels=labels)
    assert g.fits(labels) and g.cell_width >= label_width(labels)
    crowded = geometry((2, 32), "W (2, 32)", labels=labels)  # the lr-too-high preset's W: 32 columns
    assert not crowded.fits(labels)
    squashed = geometry((1, 32), "W (1, 32)", labels=["1"])
    assert squashed.cell_height == MIN_STRIP and squashed.fits(["1"])


def test_titles_and_notes_are_wrapped_whole_to_the_width():
    note = "downsampled for display to 112×128: each cell shows the largest-magnitude value of its 7×1 block"
    g = geometry((2, 2), "step = before − after (64, 128)", notes=[note])
    assert " ".join(g.title_lines) == "step = before − after (64, 128)"
    assert " ".join(g.note_lines) == note and len(g.note_lines) >= 2
    assert all(len(line) * 6.0 <= g.width for line in g.note_lines)
    assert wrap("", 100, 7) == ("",)


def test_tick_counts_follow_the_plot_size():
    g = geometry((32, 128), "x")
    assert tick_count(g.plot_width, 128, "x") == int(g.plot_width // 36)
    assert tick_count(g.plot_height, 32, "y") == min(32, int(g.plot_height // 16))
    assert tick_count(26, 1, "y") == 1 and tick_count(5, 9, "x") == 1
