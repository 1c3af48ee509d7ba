"""viz.strips: vectors of one length as one figure, a strip and a colour scale each, every cell clickable."""
import numpy as np
import pytest

from viz.geometry import MAX_WIDTH
from viz.strips import is_vector, strips


def rows(n=128, k=5, seed=0):
    rng = np.random.default_rng(seed)
    return [(f"t{i}", f"title {i}", rng.normal(size=n) * 10.0 ** -i) for i in range(k)]


def test_one_strip_and_one_colour_scale_per_vector():
    data = rows()
    fig = strips(data, "output unit", marks={"t2": [("cell", 0, 7)]})
    heats = [t for t in fig.data if t.type == "heatmap"]
    cells = [t for t in fig.data if t.meta]
    assert len(heats) == 5 and [c.meta for c in cells] == ["t0", "t1", "t2", "t3", "t4"]
    for i, (heat, cell, (_, _, array)) in enumerate(zip(heats, cells, data), start=1):
        axis = "coloraxis" if i == 1 else f"coloraxis{i}"
        assert heat.coloraxis == axis and fig.layout[axis].cmax == pytest.approx(np.abs(array).max())
        np.testing.assert_array_equal(cell.customdata, array)
        assert np.asarray(heat.z).shape == (1, 128)
    bars = [fig.layout[f"coloraxis{'' if i == 1 else i}"].colorbar.y for i in range(1, 6)]
    assert bars == sorted(bars, reverse=True) and len(set(bars)) == 5   # one beside each strip, no overlap
    assert [a.text for a in fig.layout.annotations] == [f"title {i} (128,)" for i in range(5)]
    assert fig.layout.xaxis5.title.text == "output unit" and fig.layout.width <= MAX_WIDTH
    (shape,) = fig.layout.shapes
    assert (shape.x0, shape.x1, shape.yref) == (6.5, 7.5, "y3")


def test_short_vectors_print_their_values_and_long_ones_do_not():
    assert all(t.texttemplate == "%{z:.3g}" for t in strips(rows(n=3), "unit").data if t.type == "heatmap")
    assert all(t.texttemplate is None for t in strips(rows(n=128), "unit").data if t.type == "heatmap")


def test_rows_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="every row must be a vector of 3 entries"):
        strips([("a", "a", np.zeros(3)), ("b", "b", np.zeros(4))], "unit")


def test_is_vector():
    assert is_vector(np.zeros(3)) and is_vector(np.zeros((1, 3))) and not is_vector(np.zeros((2, 3)))
