"""heatmap: zero-centred diverging colours, shape and axes in the figure, NaN/inf flagged, downsampling."""
import numpy as np
import pytest

from viz.heatmap import MAX_CELLS, as_matrix, downsample, heatmap, tick_step


def test_small_matrix_is_drawn_exactly():
    a = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -0.25]])
    fig = heatmap(a, "output", y_label="sample", x_label="unit")
    (trace,) = fig.data
    assert trace.type == "heatmap" and trace.zmid == 0.0 and trace.zmin == -3.0 and trace.zmax == 3.0
    assert np.array_equal(np.asarray(trace.z), a)
    assert trace.text[1][2] == "-0.25"  # the exact value on hover
    assert fig.layout.title.text == "output (2, 3)"
    assert fig.layout.xaxis.title.text == "unit" and fig.layout.yaxis.title.text == "sample"


def test_hover_keeps_full_precision():
    fig = heatmap(np.array([[0.1 + 0.2]]), "x")
    assert fig.data[0].text[0][0] == repr(0.1 + 0.2)


@pytest.mark.parametrize("array, shape", [(np.arange(3.0), (1, 3)), (np.float64(2.0), (1, 1)),
                                          (np.zeros((2, 3, 4)), (2, 12))])
def test_vectors_scalars_and_images_become_matrices(array, shape):
    assert as_matrix(array).shape == shape
    assert np.asarray(heatmap(array, "t").data[0].z).shape == shape


def test_nonfinite_cells_are_crossed_and_counted():
    a = np.zeros((3, 3))
    a[0, 1], a[2, 2] = np.nan, -np.inf
    fig = heatmap(a, "grad")
    heat, crosses = fig.data
    assert crosses.type == "scatter" and list(crosses.x) == [1, 2] and list(crosses.y) == [0, 2]
    assert list(crosses.text) == ["nan", "-inf"]
    assert np.isnan(np.asarray(heat.z, dtype=float)[2, 2])  # JSON has no inf: the cell is a gap
    assert "2 NaN/inf cells" in fig.layout.title.text


def test_large_matrices_are_downsampled_with_a_note_and_bounded_size():
    a = np.random.default_rng(0).normal(size=(784, 128))
    a[700, 3] = 50.0
    fig = heatmap(a, "W", y_label="input feature", x_label="output unit")
    z = np.asarray(fig.data[0].z)
    assert z.size <= MAX_CELLS and z.shape == (112, 128)
    assert z.max() == 50.0  # each block keeps its largest-magnitude value
    assert list(fig.data[0].y[:3]) == [0, 7, 14]  # ticks are the original row indices
    assert "downsampled for display to 112×128" in fig.layout.title.text
    assert "W (784, 128)" in fig.layout.title.text
    assert len(fig.to_json()) < 1_000_000


def test_downsample_picks_the_extreme_and_keeps_nonfinite():
    m = np.array([[1.0, -5.0, 2.0, np.nan], [0.5, 4.0, 0.0, 1.0]])
    assert downsample(m, 2, 2).tolist()[0][0] == -5.0
    assert np.isnan(downsample(m, 2, 2)[0, 1])


def test_values_are_printed_where_they_fit_the_cells_of_a_page_column():
    assert heatmap(np.ones((8, 2)), "x").data[0].texttemplate == "%{z:.3g}"
    assert heatmap(np.ones((8, 100)), "x").data[0].texttemplate is None
    assert heatmap(np.full((1, 32), -0.1234), "J").data[0].texttemplate is None  # a 1 x 32 Jacobian would smear
    assert heatmap(np.full((3, 3), -0.1234), "J").data[0].texttemplate == "%{z:.3g}"


def test_ticks_fall_on_round_numbers_and_block_boundaries():
    assert tick_step(2, 1) == 1 and tick_step(128, 1) == 20 and tick_step(112, 7) == 7 * 20
    assert heatmap(np.zeros((32, 128)), "x").layout.xaxis.dtick == 20


# --- what a click on a drawn cell means ---

from viz.heatmap import entry_of_cell  # noqa: E402


def test_a_click_on_a_downsampled_cell_means_the_entry_it_shows():
    a = np.zeros((784, 128))
    a[702, 3] = -9.0
    assert entry_of_cell(a, 700, 3) == (702, 3)   # the block 700..706 shows its largest |value|
    assert entry_of_cell(np.zeros((2, 3)), 1, 2) == (1, 2)
    assert entry_of_cell(np.arange(4.0), 0, 3) == (0, 3)
    with pytest.raises(ValueError, match="outside the matrix of shape"):
        entry_of_cell(np.zeros((2, 3)), 5, 0)
