"""tiled: many small matrices of one shape (a sample's channel maps, a Conv2d's kernels) as ONE heatmap of
blocks with gaps between them, so that 128 kernels are one chart of one size, not 128 charts.

A block's colours run from blue -limit through white 0 to red +limit, with one limit per block (maps: each
channel its own, said in its label) or one for all blocks (kernels: comparable, with a colour bar). The
exact value, and which block and entry it is, show on hover.
"""
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import plotly.graph_objects as go

from viz.heatmap import COLORSCALE, FIXED_AXIS, MARK_LINE, symmetric_limit
from viz.tiled_picture import picture as tiled_picture

LABEL_PX = 16       # room above a block for its label (maps)
TITLE_PX = 30       # the figure's title
TITLE_CHAR_PX = 7.6  # width of one of its characters (13 px)
BAR_TICKS = (-1, -0.5, 0, 0.5, 1)  # the shared colour bar's ticks, as fractions of its limit


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


@dataclass(frozen=True, eq=False)
class Tiled:
    """Blocks values (R, C, h, w) (NaN: no block there) laid out as ONE heatmap, `cell` px a side, with `gaps`
    (rows, columns) of empty cells between blocks; drawn as a Plotly figure (`figure`) or as a picture for the
    Step page's component (`picture`, viz.tiled_picture), each made when first asked for.

    names [[str]]: each block's name on hover ("x[n=3, c=1]"), its entries named by `axes` (row word, column
    word); customdata (R, C, h, w, d) and `hover` (a hovertemplate on it) say the same to Plotly; title: lines
    joined by "<br>", a smaller one in <sup>; shared: the colour bar's title, one limit for all blocks (else one
    per block); labels [[str]]: each block's label above it; ticks ((y title, [row names]), (x title, [column
    names])) label the blocks along the axes; marks [(r, c, mark)]: rectangles (see shifted) on block [r, c];
    scale: everything larger (presenter mode)."""
    values: np.ndarray
    names: list
    axes: tuple
    customdata: np.ndarray
    hover: str
    title: str
    cell: float
    gaps: tuple
    shared: str | None = None
    labels: list | None = None
    ticks: tuple | None = None
    marks: tuple = ()
    scale: float = 1.0

    @cached_property
    def limits(self):
        """(R, C): each block's colour limit (one for all with a shared scale)."""
        values = np.asarray(self.values, dtype=np.float64)
        if self.shared is not None:
            return np.full(values.shape[:2], symmetric_limit(values))
        return np.array([[symmetric_limit(b) for b in row] for row in values.reshape(*values.shape[:2], -1)])

    @cached_property
    def z(self):
        """The blocks tiled into one matrix, each divided by its limit (-1..1, 3 decimals), NaN between them."""
        return tile(np.round(self.values / self.limits[:, :, None, None], 3), *self.gaps)

    def margins(self, scale=1.0):
        """(left, right, top, bottom, width, height) in px: the plot area's margins and the whole size."""
        rows, cols = self.z.shape
        px = self.cell * scale
        left, bottom = (52 if self.ticks else 8) * scale, (40 if self.ticks else 6) * scale
        right = (64 if self.shared is not None else 10) * scale
        top = (TITLE_PX + (LABEL_PX if self.labels else 0)) * scale
        title_width = max(len(line) for line in re.sub(r"<sup>.*?</sup>", "", self.title).split("<br>")) \
            * TITLE_CHAR_PX * scale
        right += max(0.0, title_width + 12 * scale - (left + cols * px + right))  # a narrow grid: room for its title
        return left, right, top, bottom, int(np.ceil(left + cols * px + right)), int(np.ceil(top + rows * px + bottom))

    def block_marks(self):
        """[(r, c, rectangle)]: each mark as shifted() places it, in the tiled matrix's coordinates."""
        h, w = np.shape(self.values)[2:4]
        gy, gx = self.gaps
        return [(r, c, shifted(mark, (r * (h + gy), c * (w + gx)), (h, w))) for r, c, mark in self.marks]

    @cached_property
    def figure(self):
        """The blocks as one go.Figure: one heatmap, block labels as annotations, marks as shapes."""
        values, limits, z = np.asarray(self.values, dtype=np.float64), self.limits, self.z
        R, C, h, w = values.shape
        gy, gx = self.gaps
        scale = self.scale
        rows, cols = z.shape
        left, right, top, bottom, width, height = self.margins(scale)
        heat = go.Heatmap(z=z, customdata=tile(self.customdata, gy, gx), colorscale=COLORSCALE, zmin=-1, zmid=0,
                          zmax=1, hoverongaps=False, hovertemplate=self.hover + "<extra></extra>",
                          showscale=self.shared is not None, name=self.title, xgap=0, ygap=0)
        if self.shared is not None:  # the bar's ticks in the values' own units
            limit = limits[0, 0]
            heat.colorbar = dict(title=dict(text=self.shared, side="right"), thickness=12 * scale, len=1.0, nticks=5,
                                 tickvals=list(BAR_TICKS), ticktext=[f"{v * limit:.2g}" for v in BAR_TICKS],
                                 tickfont=dict(size=10 * scale))
        axis = dict(showgrid=False, zeroline=False, showline=False, ticks="", tickfont=dict(size=10 * scale),
                    **FIXED_AXIS)
        layout = dict(width=width, height=height, showlegend=False, plot_bgcolor="rgba(0,0,0,0)",
                      margin=dict(l=left, r=right, t=top, b=bottom, autoexpand=False),
                      title=dict(text=self.title, x=0, xref="paper", xanchor="left", y=1 - 6 * scale / height,
                                 yanchor="top", font=dict(size=13 * scale)),
                      xaxis=dict(axis, range=[-0.5, cols - 0.5], showticklabels=bool(self.ticks)),
                      yaxis=dict(axis, range=[rows - 0.5, -0.5], showticklabels=bool(self.ticks)), annotations=[],
                      shapes=[])
        if self.ticks:
            (y_title, y_names), (x_title, x_names) = self.ticks
            centre = (h - 1) / 2, (w - 1) / 2
            layout["yaxis"].update(tickmode="array", tickvals=[r * (h + gy) + centre[0] for r in range(R)],
                                   ticktext=y_names, title=dict(text=y_title, font=dict(size=11 * scale), standoff=4))
            layout["xaxis"].update(tickmode="array", tickvals=[c * (w + gx) + centre[1] for c in range(C)],
                                   ticktext=x_names, title=dict(text=x_title, font=dict(size=11 * scale), standoff=4))
        for r in range(R):
            for c in range(C):
                if self.labels and self.labels[r][c]:
                    layout["annotations"].append(dict(
                        text=self.labels[r][c], x=c * (w + gx) - 0.5, y=r * (h + gy) - 0.5, xref="x", yref="y",
                        xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11 * scale)))
        layout["shapes"] = [dict(shape, xref="x", yref="y") for _r, _c, shape in self.block_marks()]
        return go.Figure(data=[heat], layout=layout)

    @cached_property
    def picture(self):
        """The blocks as an SVG with hover data for ui.tensor_grid (viz.tiled_picture.picture)."""
        return tiled_picture(self)
