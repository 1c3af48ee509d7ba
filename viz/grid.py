"""grid: the tensors of one stage as ONE figure, each at its own size (viz.geometry), packed into rows.

A browser draws one chart with five heatmaps in far less time than five charts (each chart has its own
React element, SVG layers, fonts and axes set-up), so a stage is one chart. The figure is at most
MAX_WIDTH wide, so it keeps its size in an 800-pixel window. Every item keeps what a panel of its own
would show: its title (with the colour range, as there is no colour bar) and notes, axis titles, ticks
spaced from its pixels, values printed only where they fit its cells, NaN/inf crossed, every cell
clickable (an invisible point layer whose trace `meta` is the tensor id), marks outlined.
"""
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from viz.geometry import (BOTTOM, LEFT, MAX_CELL, MAX_WIDTH, MIN_STRIP, NOTE_LINE, NOTE_PX, RIGHT, TITLE_LINE, TITLE_PX,
                          TOP_PAD, geometry, label_width, tick_count, wrap)
from plotly.colors import get_colorscale

from i18n import domain
from viz.heatmap import (COLORSCALE, FIXED_AXIS, MARK_LINE, NONFINITE_MARKER, axis_name, printed, shape_text, shown,
                         tick_step)

_, ngettext = domain("viz")
SCALE = get_colorscale(COLORSCALE)  # written out: the figure is not validated, so no name is expanded for it
INK = "#31333F"                     # titles in the page's text colour (Streamlit's theme greys annotations)

NBSP = "\u00a0"                    # a space the title's wrapping does not break at
EXACT_CELLS = 4096                 # tiles up to this size hover their exact values; larger ones 7 digits
LEVELS = 127                       # colour levels each side of zero (int8)
GAP_X, GAP_Y = 18, 10              # between items of a row, between rows
STRIP_GAP = 24                     # between the strips of a strips item: room for the next one's title
KERNEL_CELL = 16                   # px: a 4-D tensor's cells at most (a Conv2d's W, its update's tensors: two a row)
HALF_WIDTH = (MAX_WIDTH - GAP_X) / 2  # px: a 4-D parameter's item at most, so two go side by side
NEARLY = 0.9                       # a matrix is drawn HALF_WIDTH wide when its cells stay this large or more
FLAT_BATCH_HEIGHT = 96             # px: a flattened batch of maps (N, C, H, W) at most this tall (its maps: below)


@dataclass(frozen=True)
class Tile:
    """One tensor to draw: id, title, array, (y label, x label), marks [(kind, row, col)] ("box": row and col
    are (first, last) ranges), the largest cell in pixels."""
    id: str
    title: str
    array: np.ndarray = field(repr=False)
    axes: tuple
    marks: tuple = ()
    max_cell: float = MAX_CELL
    values: bool = True  # print values in cells where they fit (the small maps of a channel grid: hover only)


def colour_range(s):
    """"±0.684" (the colours run from blue -limit through white 0 to red +limit), or "all 0"."""
    finite = s.values[np.isfinite(s.values)]
    return _("all 0") if not finite.size or not np.any(finite) else f"±{s.limit:.3g}"


def tile_title(tile, s):
    """"W (before update) (2, 2) · ±0.684": wrapped only between the words of the name (no-break spaces after)."""
    return f"{tile.title} " + f"{shape_text(s.original_shape)} · {colour_range(s)}".replace(" ", NBSP)


# --- one item: its size and its traces and layout, relative to its own top-left corner ---

@dataclass
class Item:
    """A laid-out element of the grid: one matrix tile, or several vector tiles stacked as strips."""
    tiles: list
    strips: bool
    width: float = 0
    height: float = 0
    parts: list = field(default_factory=list)  # per tile: (shown, title lines, notes, top, plot height, cell w/h)


def matrix_item(tile):
    s = shown(tile.array)
    title = tile_title(tile, s)
    kernel = np.ndim(tile.array) == 4  # a Conv2d's W and its update's tensors: small cells, values on hover
    batch = kernel and tile.axes[0] == "sample"  # a batch of maps, flattened: flat rows, full width
    labels = printed(s) if tile.values and not kernel else None
    g = geometry(s.values.shape, title, s.notes(), labels=labels,
                 max_cell=min(tile.max_cell, KERNEL_CELL) if kernel else tile.max_cell,
                 max_width=HALF_WIDTH if kernel and not batch else MAX_WIDTH,
                 max_height=FLAT_BATCH_HEIGHT if batch else None)
    if not kernel and g.width > HALF_WIDTH:  # a square-ish matrix a little too wide to share its row
        half = geometry(s.values.shape, title, s.notes(), labels=labels, max_cell=tile.max_cell,
                        max_width=HALF_WIDTH)
        if half.cell_height >= NEARLY * g.cell_height and (labels is None or half.fits(labels) == g.fits(labels)):
            g = half  # cells as large, or nearly: two go side by side, the stage half as tall
    item = Item([tile], False, g.width, g.height)
    item.parts.append((s, g.title_lines, g.note_lines, g.top, g.plot_height, labels is not None and g.fits(labels)))
    return item


def strips_item(tiles):
    parts = [shown(t.array) for t in tiles]
    n = parts[0].values.shape[1]
    titles = [tile_title(t, s) for t, s in zip(tiles, parts)]
    notes = sorted({note for s in parts for note in s.notes()})
    labels = [label for s in parts for label in (printed(s) or ["x" * 99])]
    g = geometry((1, n), max(titles, key=len), notes, labels=labels)
    width = g.width
    labelled = g.cell_width >= label_width(labels)
    note_lines = tuple(line for note in notes for line in wrap(note, width - 12, NOTE_PX))
    top = TOP_PAD + NOTE_LINE * len(note_lines)
    item = Item(list(tiles), True, width, 0)
    y = top
    for tile, s, title in zip(tiles, parts, titles):
        lines = wrap(title, width - 12, TITLE_PX)
        y += TITLE_LINE * len(lines)
        item.parts.append((s, lines, note_lines if tile is tiles[0] else (), y, MIN_STRIP, labelled))
        y += MIN_STRIP + STRIP_GAP - TITLE_LINE
    item.height = y - STRIP_GAP + TITLE_LINE + BOTTOM
    return item


def items_of(tiles):
    """Tiles -> Items: consecutive vectors of one length (strip=True in their tile's roles) stack as strips."""
    items, run = [], []

    def flush():
        if run:
            items.append(strips_item(run) if len(run) > 1 else matrix_item(run[0]))
            run.clear()

    for tile, strip in tiles:
        if not strip or (run and np.size(run[-1].array) != np.size(tile.array)):
            flush()
        if strip:
            run.append(tile)
        else:
            items.append(matrix_item(tile))
    flush()
    return items


def pack(items):
    """[(item, x, y)] in pixels, rows filled left to right up to MAX_WIDTH; the grid's (width, height). An item
    that does not fit the current row but fits beside an earlier row as tall as itself joins it rather than
    standing alone (a Linear's tall W and ∂L/∂W beside the as tall ∂L/∂y, above the wide x and ∂L/∂x)."""
    rows = []  # [[(item, x)], used width, height]
    for item in items:
        target = rows[-1] if rows and rows[-1][1] + GAP_X + item.width <= MAX_WIDTH else None
        if target is None:
            target = next((row for row in rows[:-1] if row[1] + GAP_X + item.width <= MAX_WIDTH
                           and abs(item.height - row[2]) <= 0.05 * row[2]), None)
        if target is None:
            target = [[], -GAP_X, 0.0]
            rows.append(target)
        x = target[1] + GAP_X
        target[0].append((item, x))
        target[1], target[2] = x + item.width, max(target[2], item.height)
    placed, y = [], 0.0
    for row, _, height in rows:
        placed += [(item, x, y) for item, x in row]
        y += height + GAP_Y
    order = {id(item): k for k, item in enumerate(items)}  # the traces keep the tensors' order
    placed.sort(key=lambda p: order[id(p[0])])
    width = max((x for _, x, _ in rows), default=0.0)
    return placed, int(np.ceil(width)), int(np.ceil(max(y - GAP_Y, 0.0)))


# --- the figure ---

def grid(tiles, scale=1.0):
    """One go.Figure of tiles [(Tile, strip: bool)], packed; see the module docstring. `scale` enlarges the
    whole figure, its text included, for a projector (presenter mode): the layout is the same, only bigger."""
    placed, width, height = pack(items_of(tiles))
    data, layout = [], dict(width=width, height=height, showlegend=False, clickmode="event+select",
                            margin=dict(l=0, r=0, t=0, b=0, autoexpand=False), annotations=[], shapes=[],
                            hoverdistance=20, plot_bgcolor="rgba(0,0,0,0)")
    axis = 0
    for item, x0, y0 in placed:
        plot_left, plot_width = x0 + LEFT, item.width - LEFT - RIGHT
        for k, (tile, (s, title_lines, note_lines, top, plot_height, labelled)) in enumerate(
                zip(item.tiles, item.parts)):
            axis += 1
            suffix = "" if axis == 1 else str(axis)
            last = not item.strips or k == len(item.tiles) - 1
            y_label, x_label = axis_name(tile.axes[0]), axis_name(tile.axes[1])
            x_domain = [plot_left / width, (plot_left + plot_width) / width]
            y_domain = [1 - (y0 + top + plot_height) / height, 1 - (y0 + top) / height]
            br, bc = s.blocks
            cell_w, cell_h = plot_width / s.values.shape[1], plot_height / s.values.shape[0]
            layout[f"xaxis{suffix}"] = dict(
                domain=x_domain, anchor=f"y{suffix}", range=[s.xs[0] - bc / 2, s.xs[-1] + bc / 2],
                dtick=tick_step(len(s.xs), bc, tick_count(plot_width, len(s.xs), "x")), showticklabels=last,
                title=dict(text=x_label, standoff=6) if last else None, tickfont=dict(size=10), tickangle=0,
                **FIXED_AXIS)  # the ticks are spaced to fit level (tick_count): no label to measure for a slant
            layout[f"yaxis{suffix}"] = dict(
                domain=y_domain, anchor=f"x{suffix}", range=[s.ys[-1] + br / 2, s.ys[0] - br / 2],
                dtick=tick_step(len(s.ys), br, tick_count(plot_height, len(s.ys), "y")),
                showticklabels=not item.strips, title=dict(text=None if item.strips else y_label, standoff=4),
                tickfont=dict(size=10), **FIXED_AXIS)
            lines = "<br>".join(title_lines) + "".join(f"<br><sup>{n}</sup>" for n in note_lines)
            layout["annotations"].append(dict(
                text=lines if not item.strips else "<br>".join(title_lines), showarrow=False, align="left",
                x=(x0 + (LEFT if item.strips else 4)) / width, xanchor="left", xref="paper",
                y=1 - (y0 + top - 2) / height, yanchor="bottom", yref="paper",
                font=dict(size=12 if item.strips else 13, color=INK)))
            if item.strips and k == 0 and note_lines:
                layout["annotations"].append(dict(
                    text="<br>".join(f"<sup>{n}</sup>" for n in note_lines), showarrow=False, align="left",
                    x=(x0 + 4) / width, xanchor="left", xref="paper", y=1 - (y0 + 4) / height, yanchor="top",
                    yref="paper", font=dict(color=INK)))
            refs = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
            data += traces(s, tile, labelled, refs)
            layout["hoverdistance"] = int(max(layout["hoverdistance"], cell_w, cell_h))
            layout["shapes"] += [dict(shape, xref=f"x{suffix}", yref=f"y{suffix}") for shape in marks(s, tile.marks)]
    if scale != 1.0:
        enlarge(layout, data, scale)
    return go.Figure(data=data, layout=layout, _validate=False)


def enlarge(layout, data, scale):
    """Multiply the figure's size, every font and the click markers by `scale`, in place; the axes'
    domains are fractions of the figure, so everything keeps its place and its room."""
    layout["width"], layout["height"] = int(np.ceil(layout["width"] * scale)), int(np.ceil(layout["height"] * scale))
    layout["font"] = dict(size=12 * scale)
    for annotation in layout["annotations"]:
        annotation["font"] = dict(annotation["font"], size=annotation["font"].get("size", 12) * scale)
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            axis["tickfont"] = dict(size=axis["tickfont"]["size"] * scale)
            if axis.get("title"):
                axis["title"] = dict(axis["title"], standoff=axis["title"]["standoff"] * scale)
    layout["hoverdistance"] = int(layout["hoverdistance"] * scale)
    layout["hoverlabel"] = dict(font=dict(size=13 * scale))
    for trace in data:
        if "textfont" in trace:
            trace["textfont"] = dict(size=trace["textfont"]["size"] * scale)
        if trace["type"] == "scatter":
            trace["marker"] = dict(trace["marker"], size=trace["marker"].get("size", 8) * scale)


def traces(s, tile, labelled, refs):
    """The heatmap (colour levels in a byte a cell, or exact values where they are printed), the invisible
    cell layer (hover and click: exact values, or 7 digits in float32 on a tile of more than EXACT_CELLS, where
    half the bytes matter and a click shows the exact one) and the crosses on NaN/inf cells of one tile."""
    finite = np.isfinite(s.values)
    if labelled:  # the printed values come from z: exact
        z, top = np.where(finite, s.values, np.nan), s.limit
    else:  # z only picks a colour: 255 levels are as many as the eye tells apart, in a byte a cell
        z, top = np.rint(np.where(finite, s.values, 0.0) / s.limit * LEVELS).astype(np.int8), LEVELS
    heat = dict(type="heatmap", z=z, x=s.xs, y=s.ys, colorscale=SCALE, zmid=0.0, zmin=-top,
                zmax=top, showscale=False, hoverinfo="skip", name=tile.title,
                texttemplate="%{z:.3g}" if labelled else None, textfont=dict(size=10), **refs)
    rows, cols = np.meshgrid(s.ys, s.xs, indexing="ij")
    dtype = np.uint8 if max(s.matrix.shape) < 256 else np.uint16 if max(s.matrix.shape) < 2**16 else np.int32
    y_label, x_label = axis_name(tile.axes[0]), axis_name(tile.axes[1])
    block = "" if s.blocks == (1, 1) else " " + _("(largest of its {rows}×{cols} block)").format(
        rows=s.blocks[0], cols=s.blocks[1])
    finite = s.values[np.isfinite(s.values)]
    exact = s.values.size <= EXACT_CELLS or (finite.size and np.abs(finite).max() > 3e38)
    value = "%{customdata}" if exact else "≈ %{customdata:.7g} " + _("(click: the exact value)")
    value_word = _("value")
    cells = dict(type="scatter", x=cols.ravel().astype(dtype), y=rows.ravel().astype(dtype), mode="markers",
                 customdata=s.values.ravel() if exact else s.values.ravel().astype(np.float32),
                 name=tile.title, meta=tile.id, showlegend=False, marker=dict(opacity=0, size=8, maxdisplayed=1),
                 hovertemplate=f"{tile.title}<br>{y_label} %{{y}}, {x_label} %{{x}}<br>{value_word} {value}{block}"
                               "<extra></extra>", **refs)
    out = [heat, cells]
    bad_rows, bad_cols = np.nonzero(~np.isfinite(s.values))
    if bad_rows.size:
        out.append(dict(type="scatter", x=s.xs[bad_cols], y=s.ys[bad_rows], mode="markers", marker=NONFINITE_MARKER,
                        name="NaN / inf", text=[repr(float(s.values[r, c])) for r, c in zip(bad_rows, bad_cols)],
                        hovertemplate=f"{y_label} %{{y}}, {x_label} %{{x}}<br>%{{text}}<extra></extra>", **refs))
    return out


def marks(s, tile_marks):
    """Rectangles (in the drawn cells' coordinates) around marked entries ("cell"), rows or columns ("band")."""
    shapes = []
    br, bc = s.blocks
    rows, cols = s.matrix.shape
    for kind, row, col in tile_marks:
        if kind == "box":  # a window: rows row[0]..row[1], columns col[0]..col[1], clipped to the tile
            (r0, r1), (c0, c1) = (max(row[0], 0), min(row[1], rows - 1)), (max(col[0], 0), min(col[1], cols - 1))
            shapes.append(dict(type="rect", x0=(c0 // bc - 0.5) * bc, x1=(c1 // bc + 0.5) * bc,
                               y0=(r0 // br - 0.5) * br, y1=(r1 // br + 0.5) * br, line=MARK_LINE["cell"],
                               fillcolor="rgba(0,0,0,0)"))
            continue
        if (row is not None and not 0 <= row < rows) or (col is not None and not 0 <= col < cols):
            continue
        y0, y1 = (-0.5 * br, (len(s.ys) - 0.5) * br) if row is None else ((row // br - 0.5) * br, (row // br + 0.5) * br)
        x0, x1 = (-0.5 * bc, (len(s.xs) - 0.5) * bc) if col is None else ((col // bc - 0.5) * bc, (col // bc + 0.5) * bc)
        shapes.append(dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, line=MARK_LINE["cell" if kind == "cell" else "band"],
                           fillcolor="rgba(0,0,0,0)"))
    return shapes


def is_vector(array):
    """True for a tensor that can be drawn as one strip: (n,) or (1, n)."""
    a = np.asarray(array)
    return a.ndim == 1 or (a.ndim == 2 and a.shape[0] == 1)


def prints_values(array, title="", strip=False):
    """True when a tile of `array` titled `title` (a strip: one of consecutive vectors) prints its values in its
    cells, as grid() draws it; a larger tensor is coloured only, its values on hover."""
    tile = Tile("", title, np.asarray(array), ("", ""))
    item = strips_item([tile]) if strip else matrix_item(tile)
    return bool(item.parts[0][5])
