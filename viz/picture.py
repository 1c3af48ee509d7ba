"""picture: a stage's tensors as one SVG drawing plus the data to hover and click it, for the browser component of
ui/tensor_grid.py (no Plotly in the page: a Next redraws the SVG in place instead of mounting a new chart).

The layout is viz.grid's (items_of, pack: the same sizes, rows, titles, ticks and marks), and every tile keeps
what viz/grid.py's docstring promises: its title with the colour range and its notes, axis titles and ticks,
values printed where they fit, NaN/inf crossed, marks outlined. Each tile's colours are one PNG (a pixel a drawn
cell, stretched; made with the standard library's zlib), so a 128×128 tile is one element, not 16,384. The
exact values travel as base64 float64 (float32, 7 digits, on tiles of more than EXACT_CELLS) for the hover,
which the component works out from the pointer and the tile's geometry, as it does the clicked cell.
"""
import base64
import struct
import zlib
from functools import lru_cache
from html import escape

import numpy as np
from plotly.colors import sample_colorscale

from i18n import domain
from viz.geometry import LEFT, NOTE_LINE, RIGHT, TITLE_LINE, tick_count
from viz.grid import EXACT_CELLS, INK, SCALE, items_of, marks, pack, tile_title
from viz.heatmap import axis_name, tick_step

_, ngettext = domain("viz")
LEVELS = 127       # colour levels each side of zero, as viz.grid's int8 levels
AXIS = "#808495"   # ticks and axis titles, grey as Streamlit's theme has Plotly draw them


@lru_cache(maxsize=1)
def palette():
    """(255, 3) uint8: the colour scale at levels -LEVELS..LEVELS (index level + LEVELS)."""
    colours = sample_colorscale(SCALE, [k / (2 * LEVELS) for k in range(2 * LEVELS + 1)], colortype="tuple")
    return np.array([[round(c * 255) if c <= 1 else round(c) for c in colour] for colour in colours], np.uint8)


def levels(values, limit):
    """The colour level (-LEVELS..LEVELS) of each value against the colour range ±limit (non-finite: 0)."""
    finite = np.isfinite(values)
    return np.clip(np.rint(np.where(finite, values, 0.0) / limit * LEVELS), -LEVELS, LEVELS).astype(np.int16)


def png(rgba):
    """A (h, w, 4) uint8 image as PNG bytes (8-bit RGBA, no filter)."""
    h, w, _depth = rgba.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), rgba.reshape(h, w * 4)], axis=1)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def colours(s):
    """The tile's cells as RGBA: the colour of each level, NaN/inf transparent (as Plotly leaves a gap)."""
    rgb = palette()[levels(s.values, s.limit) + LEVELS]
    alpha = np.where(np.isfinite(s.values), 255, 0).astype(np.uint8)[..., None]
    return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=-1))


def ink_on(level):
    """The colour of a value printed on a cell of this level: white on the dark ends of the scale."""
    r, g, b = palette()[level + LEVELS] / 255
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else INK


def three_digits(value):
    """A printed cell value as Plotly printed it ("%{z:.3g}"): 3 significant digits, trailing zeros kept ("0.100")."""
    return f"{value:#.3g}".replace(".e", "e").rstrip(".")


def text(x, y, body, size, anchor="start", **attributes):
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(body)}</text>'


def ticks(first, last, block, length, count_axis):
    """[(tick value, fraction along the axis)]: whole-number ticks every tick_step as viz.grid's axes have them."""
    n = len(range(first, last + 1, block))
    step = tick_step(n, block, tick_count(length, n, count_axis))
    low, high = first - block / 2, last + block / 2
    values = range(int(np.ceil(low / step)) * step, int(high) + 1, step)
    return [(v, (v - low) / (high - low)) for v in values if low <= v <= high]


def tile_svg(tile, s, box, labelled, show_x, show_y, shapes):
    """A tile's image, printed values, NaN crosses, ticks, axis titles and outlines (`shapes`: viz.grid.marks);
    box = (left, top, width, height) of its plot area."""
    left, top, width, height = box
    rows, cols = s.values.shape
    cell_w, cell_h = width / cols, height / rows
    image = base64.b64encode(png(colours(s))).decode()
    out = [f'<image x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" preserveAspectRatio="none"'
           f' style="image-rendering:pixelated" href="data:image/png;base64,{image}"/>']
    if labelled:
        lv = levels(s.values, s.limit)
        for r, c in zip(*np.nonzero(np.isfinite(s.values))):
            out.append(text(left + (c + 0.5) * cell_w, top + (r + 0.5) * cell_h + 3.5, three_digits(s.values[r, c]),
                            10, "middle", fill=ink_on(int(lv[r, c]))))
    for r, c in zip(*np.nonzero(~np.isfinite(s.values))):
        x, y = left + (c + 0.5) * cell_w, top + (r + 0.5) * cell_h
        out.append(f'<path class="nonfinite" d="M{x - 4:.1f},{y - 4:.1f}l8,8m0,-8l-8,8" stroke="black"'
                   ' stroke-width="2"/>')
    br, bc = s.blocks
    if show_x:
        out += [text(left + f * width, top + height + 14, str(v), 10, "middle", fill=AXIS)
                for v, f in ticks(int(s.xs[0]), int(s.xs[-1]), bc, width, "x")]
        out.append(text(left + width / 2, top + height + 34, axis_name(tile.axes[1]), 12, "middle", fill=AXIS))
    if show_y:
        labels = ticks(int(s.ys[0]), int(s.ys[-1]), br, height, "y")
        out += [text(left - 5, top + f * height + 3.5, str(v), 10, "end", fill=AXIS) for v, f in labels]
        room = 5 + 6 * max((len(str(v)) for v, _f in labels), default=1) + 10
        out.append(f'<text transform="translate({left - room:.1f},{top + height / 2:.1f}) rotate(-90)" font-size="12"'
                   f' text-anchor="middle" fill="{AXIS}">{escape(axis_name(tile.axes[0]))}</text>')
    for shape in shapes:  # in the drawn cells' coordinates, as viz.grid gives them to Plotly
        x0 = left + (shape["x0"] - (s.xs[0] - bc / 2)) / (len(s.xs) * bc) * width
        x1 = left + (shape["x1"] - (s.xs[0] - bc / 2)) / (len(s.xs) * bc) * width
        y0 = top + (shape["y0"] - (s.ys[0] - br / 2)) / (len(s.ys) * br) * height
        y1 = top + (shape["y1"] - (s.ys[0] - br / 2)) / (len(s.ys) * br) * height
        line = shape["line"]
        dash = ' stroke-dasharray="2,3"' if line.get("dash") else ""
        out.append(f'<rect class="mark" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
                   f'fill="none" stroke="{line["color"]}" stroke-width="{line["width"]}"{dash}/>')
    return out


def hover_data(tile, s, box, shapes):
    """What the component needs to hover and click a tile: its plot box, drawn cells' first entries, the texts; its
    full title ("heading") and its outlines in its entries' coordinates ("marks"), as a reader of the page sees them."""
    finite = s.values[np.isfinite(s.values)]
    exact = s.values.size <= EXACT_CELLS or bool(finite.size and np.abs(finite).max() > 3e38)
    values = np.ascontiguousarray(s.values, dtype="<f8" if exact else "<f4")
    block = "" if s.blocks == (1, 1) else " " + _("(largest of its {rows}×{cols} block)").format(
        rows=s.blocks[0], cols=s.blocks[1])
    return dict(id=tile.id, title=tile.title, heading=tile_title(tile, s), box=[round(float(v), 2) for v in box],
                marks=[{k: float(shape[k]) for k in ("x0", "x1", "y0", "y1")} for shape in shapes],
                rows=int(s.values.shape[0]), cols=int(s.values.shape[1]), ys=[int(v) for v in s.ys],
                xs=[int(v) for v in s.xs],
                y_label=axis_name(tile.axes[0]), x_label=axis_name(tile.axes[1]), value_word=_("value"),
                exact=exact, after=block if exact else " " + _("(click: the exact value)") + block,
                values=base64.b64encode(values.tobytes()).decode(), dtype="f8" if exact else "f4")


def title_svg(x, y, lines, size, note_lines=()):
    """Title lines (their first baseline at y), then the notes in a smaller type."""
    out = [text(x, y + TITLE_LINE * k, line, size, fill=INK) for k, line in enumerate(lines) if line]
    y += TITLE_LINE * (len(lines) - 1)
    out += [text(x, y + NOTE_LINE * (k + 1), note, 11, fill=INK) for k, note in enumerate(note_lines)]
    return ['<g class="title">', *out, "</g>"]


def picture(tiles, scale=1.0):
    """{"width", "height", "scale", "svg", "tiles"} of tiles [(Tile, strip: bool)], packed as viz.grid.grid packs
    them: "svg" is the drawing's markup in a width × height box (shown `scale` times larger), "tiles" per tensor
    its plot box and hover data (hover_data)."""
    placed, width, height = pack(items_of(tiles))
    svg, hovers = [], []
    for item, x0, y0 in placed:
        plot_left, plot_width = x0 + LEFT, item.width - LEFT - RIGHT
        for k, (tile, (s, title_lines, note_lines, top, plot_height, labelled)) in enumerate(
                zip(item.tiles, item.parts)):
            box = (plot_left, y0 + top, plot_width, plot_height)
            last = not item.strips or k == len(item.tiles) - 1
            if item.strips:
                if k == 0 and note_lines:
                    svg += title_svg(x0 + 4, y0 + 4 - NOTE_LINE + 11, ("",), 12, note_lines)
                svg += title_svg(x0 + LEFT, y0 + top - 6 - TITLE_LINE * (len(title_lines) - 1), title_lines, 12)
            else:
                first = y0 + top - 6 - NOTE_LINE * len(note_lines) - TITLE_LINE * (len(title_lines) - 1)
                svg += title_svg(x0 + 4, first, title_lines, 13, note_lines)
            shapes = marks(s, tile.marks)
            svg += tile_svg(tile, s, box, labelled, last, not item.strips, shapes)
            hovers.append(hover_data(tile, s, box, shapes))
    return dict(width=width, height=height, scale=scale, svg="".join(svg), tiles=hovers)

