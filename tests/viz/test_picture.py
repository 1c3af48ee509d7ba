"""viz.picture: the Step page's tensors as an SVG with hover and click data, laid out as viz.grid lays them out."""
import base64
import re
import zlib

import numpy as np
import pytest

from viz.grid import EXACT_CELLS, Tile, grid
from viz.heatmap import entry_of_cell, shown
from viz.picture import LEVELS, palette, picture, three_digits

RNG = np.random.default_rng(0)


def tiles_of(*arrays, marks=()):
    return [(Tile(f"t{k}", f"tensor {k}", a, ("sample", "unit"), tuple(marks) if k == 0 else ()), False)
            for k, a in enumerate(arrays)]


def values(tile):
    """The hover values of a tile of a picture, decoded as the component decodes them."""
    return np.frombuffer(base64.b64decode(tile["values"]), "<f8" if tile["dtype"] == "f8" else "<f4")


def pngs(svg):
    """Each tile's image as (rows, cols, 4) RGBA, read back from the PNG's single IDAT chunk (no filter)."""
    out = []
    for data in re.findall(r'href="data:image/png;base64,([^"]+)"', svg):
        raw = base64.b64decode(data)
        w, h = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
        idat = raw.index(b"IDAT")
        body = zlib.decompress(raw[idat + 4:idat + 4 + int.from_bytes(raw[idat - 4:idat], "big")])
        rows = np.frombuffer(body, np.uint8).reshape(h, 1 + 4 * w)
        assert not rows[:, 0].any()  # filter byte 0 on every row
        out.append(rows[:, 1:].reshape(h, w, 4))
    return out


def test_each_tile_sits_where_the_plotly_grid_puts_its_axes():
    arrays = (RNG.normal(size=(8, 2)), RNG.normal(size=(2, 2)), RNG.normal(size=(64, 128)))
    p, figure = picture(tiles_of(*arrays)), grid(tiles_of(*arrays))
    assert (p["width"], p["height"]) == (figure.layout.width, figure.layout.height)
    for k, tile in enumerate(p["tiles"]):
        x, y = figure.layout[f"xaxis{k + 1 if k else ''}"], figure.layout[f"yaxis{k + 1 if k else ''}"]
        left, top, width, height = tile["box"]
        assert left == pytest.approx(x.domain[0] * p["width"], abs=0.01)
        assert left + width == pytest.approx(x.domain[1] * p["width"], abs=0.01)
        assert top == pytest.approx((1 - y.domain[1]) * p["height"], abs=0.01)
        assert top + height == pytest.approx((1 - y.domain[0]) * p["height"], abs=0.01)
        assert (tile["rows"], tile["cols"]) == arrays[k].shape


def test_hover_values_are_exact_and_a_large_tiles_are_7_digits_that_say_a_click_gives_the_exact_one():
    small, large = RNG.normal(size=(8, 3)), RNG.normal(size=(128, 64))
    small[2, 1] = np.nan
    small[5, 0] = -np.inf
    p = picture(tiles_of(small, large))
    exact, rounded = p["tiles"]
    assert exact["exact"] and exact["dtype"] == "f8" and "click" not in exact["after"]
    np.testing.assert_array_equal(values(exact), small.ravel())  # NaN and -inf included, bit for bit
    assert large.size > EXACT_CELLS and not rounded["exact"] and "exact value" in rounded["after"]
    np.testing.assert_allclose(values(rounded), large.ravel(), rtol=1e-7)
    assert (exact["y_label"], exact["x_label"], exact["title"], exact["id"]) == ("sample", "unit", "tensor 0", "t0")


def test_nan_and_inf_cells_are_crossed_transparent_and_counted_in_the_notes():
    a = RNG.normal(size=(4, 5))
    a[1, 2], a[3, 4] = np.nan, np.inf
    p = picture(tiles_of(a))
    assert len(re.findall(r'class="nonfinite"', p["svg"])) == 2
    assert "2 NaN/inf cells" in p["svg"]
    alpha = pngs(p["svg"])[0][..., 3]
    assert alpha[1, 2] == alpha[3, 4] == 0 and np.count_nonzero(alpha == 255) == a.size - 2


def test_colours_run_from_blue_through_white_to_red_over_the_range_in_the_title():
    a = np.array([[-2.0, 0.0, 2.0, 1.0]])
    p = picture(tiles_of(a))
    (image,) = pngs(p["svg"])
    scale = palette()
    assert (image[0, :, :3] == scale[[0, LEVELS, 2 * LEVELS, LEVELS + 64]]).all()  # 1.0 of ±2: level 63.5 -> 64
    assert scale[0, 2] > scale[0, 0] and scale[-1, 0] > scale[-1, 2] and scale[LEVELS].min() > 240
    assert "±2" in p["svg"]


def test_values_are_printed_where_they_fit_with_3_digits_as_plotly_printed_them():
    small, large = np.array([[0.1, -4.9], [3.0, 0.00382]]), RNG.normal(size=(64, 64))
    p = picture(tiles_of(small, large))
    printed = re.findall(r'text-anchor="middle" fill="(?:white|#31333F)">([^<]+)</text>', p["svg"])
    assert printed == ["0.100", "-4.90", "3.00", "0.00382"]
    assert [three_digits(v) for v in (1234.5, 0.0, 100.0)] == ["1.23e+03", "0.00", "100"]


def test_a_click_maps_to_the_entry_a_plotly_click_chose_downsampled_blocks_included():
    a = RNG.normal(size=(1000, 40))  # more than 128 × 128 cells: rows in blocks, drawn cell r starts at entry r·block
    p = picture(tiles_of(a))
    (tile,) = p["tiles"]
    s = shown(a)
    assert tile["ys"] == s.ys.tolist() and tile["xs"] == s.xs.tolist() and tile["rows"] == len(s.ys)
    assert tile["ys"][:3] == [0, s.blocks[0], 2 * s.blocks[0]] and s.blocks[0] > 1
    assert "largest of its" in tile["after"]
    row, col = tile["ys"][7], tile["xs"][4]  # what the component sends for drawn cell (7, 4)
    r, c = entry_of_cell(a, row, col)
    block = a[row:row + s.blocks[0], col]
    assert c == col and a[r, c] == block[np.argmax(np.abs(block))]


def test_marks_are_outlined_on_their_cells_rows_and_boxes():
    a = RNG.normal(size=(8, 2))
    p = picture(tiles_of(a, marks=[("cell", 3, 1), ("band", 6, None)]))
    left, top, width, height = p["tiles"][0]["box"]
    rects = [tuple(float(v) for v in m) for m in re.findall(
        r'<rect class="mark" x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"', p["svg"])]
    cell_w, cell_h = width / 2, height / 8
    assert rects[0] == pytest.approx((left + cell_w, top + 3 * cell_h, cell_w, cell_h), abs=0.1)
    assert rects[1] == pytest.approx((left, top + 6 * cell_h, width, cell_h), abs=0.1)
    assert 'stroke-dasharray' in p["svg"].split('<rect class="mark"')[2]  # a band: dotted, a cell: solid


def test_titles_axis_titles_and_ticks_are_drawn_and_presenter_mode_only_scales_them():
    a = RNG.normal(size=(8, 2))
    plain, large = picture(tiles_of(a)), picture(tiles_of(a), scale=1.5)
    assert plain["svg"] == large["svg"] and (large["scale"], plain["scale"]) == (1.5, 1.0)
    titles = re.findall(r'<g class="title">(.*?)</g>', plain["svg"])
    lines = re.findall(r">([^<]+)</text>", titles[0]) if len(titles) == 1 else []
    assert " ".join(lines).replace("\u00a0", " ") == "tensor 0 (8, 2) · ±" + f"{np.abs(a).max():.3g}"
    assert ">sample</text>" in plain["svg"] and ">unit</text>" in plain["svg"]
    ticks = re.findall(r'text-anchor="end" fill="#808495">(\d+)</text>', plain["svg"])
    assert ticks == [str(k) for k in range(8)]


def test_vectors_of_one_length_stack_as_strips_with_one_x_axis():
    tiles = [(Tile(f"v{k}", f"vector {k}", RNG.normal(size=(5,)), ("", "unit")), True) for k in range(3)]
    p = picture(tiles)
    boxes = [t["box"] for t in p["tiles"]]
    assert len({b[0] for b in boxes}) == 1 and boxes[0][1] < boxes[1][1] < boxes[2][1]
    assert p["svg"].count(">unit</text>") == 1
