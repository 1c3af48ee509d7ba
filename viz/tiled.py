"""tiled: many small matrices of one shape (a sample's channel maps, a Conv2d's kernels) as ONE heatmap of
blocks with gaps between them, so that 128 kernels are one chart of one size, not 128 charts.

A block's colours run from blue -limit through white 0 to red +limit, with one limit per block (maps: each
channel its own, said in its label) or one for all blocks (kernels: comparable, with a colour bar). The
exact value, and which block and entry it is, show on hover.
"""
import re

import numpy as np
import plotly.graph_objects as go

from viz.heatmap import COLORSCALE, FIXED_AXIS, MARK_LINE, symmetric_limit

LABEL_PX = 16       # room above a block for its label (maps)
TITLE_PX = 30       # the figure's title
TITLE_CHAR_PX = 7.6  # width of one of its characters (13 px)


def tile(values, gap_rows, gap_cols):
    """(R, C, h, w, ...) -> one (R(h+gap_rows)-gap_rows, C(w+gap_cols)-gap_cols, ...) array: block [r, c]'s entry
    [p, q] at row r(h+gap_rows)+p, column c(w+gap_cols)+q, NaN between the blocks."""
    values = np.asarray(values, dtype=np.float64)
    r, c, h, w = values.shape[:4]
    out = np.full((r, h + gap_rows, c, w + gap_cols) + values.shape[4:], np.nan)
    out[:, :h, :, :w] = np.moveaxis(values, 2, 1)
    return out.reshape((r * (h + gap_rows), c * (w + gap_cols)) + values.shape[4:])[:r * (h + gap_rows) - gap_rows,
                                                                                    :c * (w + gap_cols) - gap_cols]


def balanced(n, fit):
    """How many of n blocks go in each row when at most `fit` go in a row: as few rows as that allows, the
    blocks spread evenly over them, the longer rows first (4 maps where 3 fit: [2, 2], not [3, 1])."""
    fit = max(1, min(fit, n))
    rows = -(-n // fit)
    return [n // rows + (r < n % rows) for r in range(rows)]


def block_index(shape):
    """(R, C, h, w, 4): entry [r, c, p, q] holds (r, c, p, q), for the hover of each cell."""
    return np.stack(np.meshgrid(*map(np.arange, shape), indexing="ij"), axis=-1).astype(np.float64)


def shifted(mark, origin, size):
    """A mark ("box", (r0, r1), (c0, c1)) or ("cell", r, c) of one block -> a rectangle in tiled coordinates,
    clipped to the block (its top-left corner at `origin`, its (h, w) = size)."""
    kind, rows, cols = mark
    rows, cols = (rows, rows) if kind == "cell" else rows, (cols, cols) if kind == "cell" else cols
    (r0, r1), (c0, c1) = [(max(a, 0), min(b, n - 1)) for (a, b), n in ((rows, size[0]), (cols, size[1]))]
    (y, x) = origin
    return dict(type="rect", x0=x + c0 - 0.5, x1=x + c1 + 0.5, y0=y + r0 - 0.5, y1=y + r1 + 0.5,
                line=MARK_LINE["cell"], fillcolor="rgba(0,0,0,0)")


def tiled_figure(values, customdata, hover, title, cell, gaps, shared=None, labels=None, ticks=None, marks=(),
                 scale=1.0):
    """One go.Figure of blocks values (R, C, h, w) (NaN: no block there), `cell` px a side, `gaps` (rows,
    columns) of empty cells between blocks. customdata (R, C, h, w, d) and `hover` (a hovertemplate on it)
    say what a cell is; shared: the colour bar's title, one limit for all blocks (else one per block);
    labels [[str]]: each block's label above it; ticks ((y title, [row names]), (x title, [column names]))
    label the blocks along the axes; marks [(r, c, mark)]: rectangles (see shifted) on block [r, c];
    scale: everything larger (presenter mode)."""
    values = np.asarray(values, dtype=np.float64)
    R, C, h, w = values.shape
    gy, gx = gaps
    if shared is not None:
        limits = np.full((R, C), symmetric_limit(values))
    else:
        limits = np.array([[symmetric_limit(b) for b in row] for row in values.reshape(R, C, -1)])
    z = tile(np.round(values / limits[:, :, None, None], 3), gy, gx)
    rows, cols = z.shape
    px = cell * scale
    left, bottom = (52 if ticks else 8) * scale, (40 if ticks else 6) * scale
    right = (64 if shared is not None else 10) * scale
    top = (TITLE_PX + (LABEL_PX if labels else 0)) * scale
    title_width = max(len(line) for line in re.sub(r"<sup>.*?</sup>", "", title).split("<br>")) * TITLE_CHAR_PX * scale
    right += max(0.0, title_width + 12 * scale - (left + cols * px + right))  # a narrow grid: room for its title
    width, height = int(np.ceil(left + cols * px + right)), int(np.ceil(top + rows * px + bottom))
    heat = go.Heatmap(z=z, customdata=tile(customdata, gy, gx), colorscale=COLORSCALE, zmin=-1, zmid=0, zmax=1,
                      hoverongaps=False, hovertemplate=hover + "<extra></extra>", showscale=shared is not None,
                      name=title, xgap=0, ygap=0)
    if shared is not None:  # the bar's ticks in the values' own units
        limit = limits[0, 0]
        heat.colorbar = dict(title=dict(text=shared, side="right"), thickness=12 * scale, len=1.0, nticks=5,
                             tickvals=[-1, -0.5, 0, 0.5, 1], ticktext=[f"{v * limit:.2g}" for v in (-1, -.5, 0, .5, 1)],
                             tickfont=dict(size=10 * scale))
    axis = dict(showgrid=False, zeroline=False, showline=False, ticks="", tickfont=dict(size=10 * scale), **FIXED_AXIS)
    layout = dict(width=width, height=height, showlegend=False, plot_bgcolor="rgba(0,0,0,0)",
                  margin=dict(l=left, r=right, t=top, b=bottom, autoexpand=False),
                  title=dict(text=title, x=0, xref="paper", xanchor="left", y=1 - 6 * scale / height, yanchor="top",
                             font=dict(size=13 * scale)),
                  xaxis=dict(axis, range=[-0.5, cols - 0.5], showticklabels=bool(ticks)),
                  yaxis=dict(axis, range=[rows - 0.5, -0.5], showticklabels=bool(ticks)), annotations=[], shapes=[])
    if ticks:
        (y_title, y_names), (x_title, x_names) = ticks
        centre = (h - 1) / 2, (w - 1) / 2
        layout["yaxis"].update(tickmode="array", tickvals=[r * (h + gy) + centre[0] for r in range(R)],
                               ticktext=y_names, title=dict(text=y_title, font=dict(size=11 * scale), standoff=4))
        layout["xaxis"].update(tickmode="array", tickvals=[c * (w + gx) + centre[1] for c in range(C)],
                               ticktext=x_names, title=dict(text=x_title, font=dict(size=11 * scale), standoff=4))
    for r in range(R):
        for c in range(C):
            if labels and labels[r][c]:
                layout["annotations"].append(dict(
                    text=labels[r][c], x=c * (w + gx) - 0.5, y=r * (h + gy) - 0.5, xref="x", yref="y",
                    xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11 * scale)))
    layout["shapes"] = [dict(shifted(mark, (r * (h + gy), c * (w + gx)), (h, w)), xref="x", yref="y")
                        for r, c, mark in marks]
    return go.Figure(data=[heat], layout=layout)
