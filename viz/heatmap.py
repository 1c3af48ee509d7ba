"""heatmap: one tensor as a Plotly heatmap centred at zero, NaN/inf flagged, large ones downsampled.

heatmap() fills the page column it is drawn in (the Jacobians page); viz.grid draws a stage's tensors,
each at its own size. Both share what is drawn of a tensor (shown) and its traces.
"""
import textwrap
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from i18n import domain
from viz.geometry import label_width

_, ngettext = domain("viz")


def axis_name(label):
    """An axis label ("sample", "output unit", ...) in the current language ("" stays "": gettext would give
    the catalogue's header)."""
    return _(label) if label else label


COLORSCALE = "RdBu_r"      # diverging: negative blue, zero white, positive red
MAX_CELLS = 16_384         # at most 128 x 128 cells drawn: z + hover stay well under 1 MB
COLUMN_WIDTH = 360         # px: heatmap() fills a page column at least this wide (a third of a laptop's page)
TITLE_CHARS, NOTE_CHARS = 34, 44   # heatmap() wraps its title and notes to these: a third of an 800-px page
NONFINITE_MARKER = dict(symbol="x", size=9, color="black", line=dict(width=1))
# The figures place their axes themselves: Plotly need not measure every tick label (a forced layout of the whole
# page each) to push the margins or to hide labels past the chart's edge, as Streamlit's theme has it do.
FIXED_AXIS = dict(automargin=False, ticklabeloverflow="allow")
MARK_LINE = {"cell": dict(color="black", width=2.5), "band": dict(color="#444", width=1.5, dash="dot")}


def symmetric_limit(values):
    """max |v| over the finite values (1.0 when there are none or all are 0): the colours run -limit..+limit."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def as_matrix(array):
    """A 2-D float64 view of a tensor: (n,) -> (1, n); (N, ...) -> (N, rest flattened); scalar -> (1, 1)."""
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def block_sizes(shape, max_cells=MAX_CELLS):
    """(row block, column block): each side longer than sqrt(max_cells) is cut into that many blocks."""
    rows, cols = shape
    if rows * cols <= max_cells:
        return 1, 1
    side = int(np.sqrt(max_cells))
    return -(-rows // side) if rows > side else 1, -(-cols // side) if cols > side else 1


def block_view(m, br, bc):
    """(R, C, br*bc): the entries of each (br x bc) block of m, zero-padded at the ends."""
    rows, cols = m.shape
    R, C = -(-rows // br), -(-cols // bc)
    padded = np.full((R * br, C * bc), 0.0)
    padded[:rows, :cols] = m
    return padded.reshape(R, br, C, bc).transpose(0, 2, 1, 3).reshape(R, C, br * bc)


def block_pick(blocks):
    """(R, C) position inside each block of its largest-magnitude entry (a non-finite one wins)."""
    magnitude = np.where(~np.isfinite(blocks), np.inf, np.abs(blocks))
    return np.argmax(magnitude, axis=2)


def downsample(m, br, bc):
    """Each (br x bc) block -> its value of largest magnitude (extremes and NaN/inf survive)."""
    if br == bc == 1:
        return m
    blocks = block_view(m, br, bc)
    return np.take_along_axis(blocks, block_pick(blocks)[..., None], axis=2)[..., 0]


def entry_of_cell(array, row, col, max_cells=MAX_CELLS):
    """The (row, column) of as_matrix(array) that the drawn cell at (row, col) shows: the cell itself, or
    in a downsampled heatmap the largest-magnitude entry of the block that starts there."""
    m = as_matrix(array)
    br, bc = block_sizes(m.shape, max_cells)
    r0, c0 = int(row) // br * br, int(col) // bc * bc
    block = m[r0:r0 + br, c0:c0 + bc]
    if block.size == 0:
        raise ValueError(f"entry_of_cell: cell ({row}, {col}) is outside the matrix of shape {m.shape}")
    r, c = np.unravel_index(int(block_pick(block.reshape(1, 1, -1))[0, 0]), block.shape)
    return r0 + int(r), c0 + int(c)


def hover_text(m):
    """Every cell's exact value as Python prints it (shortest repr that round-trips)."""
    return [[repr(float(v)) for v in row] for row in m]


@dataclass(frozen=True)
class Shown:
    """What a heatmap draws of a tensor: the matrix, its block sizes, the drawn values and their positions."""
    original_shape: tuple
    matrix: np.ndarray
    blocks: tuple
    values: np.ndarray       # the drawn cells (downsampled), NaN/inf kept
    xs: np.ndarray           # column index of each drawn column's first entry
    ys: np.ndarray

    @property
    def limit(self):
        """The colour scale's half-width: symmetric_limit of the drawn cells."""
        return symmetric_limit(self.values)

    def notes(self):
        """The title's notes: how many cells are NaN/inf, and how the matrix was downsampled."""
        notes = []
        count = int(np.count_nonzero(~np.isfinite(self.matrix)))
        if count:
            notes.append(ngettext("⚠ {count} NaN/inf cell (×)", "⚠ {count} NaN/inf cells (×)", count).format(count=count))
        br, bc = self.blocks
        if (br, bc) != (1, 1):
            notes.append(_("downsampled for display to {rows}×{cols}: each cell shows the largest-magnitude value "
                           "of its {br}×{bc} block").format(rows=self.values.shape[0], cols=self.values.shape[1],
                                                             br=br, bc=bc))
        return notes


def shown(array, max_cells=MAX_CELLS):
    original = np.asarray(array)
    m = as_matrix(original)
    br, bc = block_sizes(m.shape, max_cells)
    return Shown(tuple(original.shape), m, (br, bc), downsample(m, br, bc),
                 np.arange(0, m.shape[1], bc), np.arange(0, m.shape[0], br))


def heat_trace(s, title, hovertemplate=None, text=None, labelled=False, **extra):
    """The go.Heatmap of s: zero-centred colours from -limit to +limit, non-finite cells left as gaps."""
    z = np.where(np.isfinite(s.values), s.values, np.nan)
    return go.Heatmap(z=z, x=s.xs, y=s.ys, colorscale=COLORSCALE, zmid=0.0, zmin=-s.limit, zmax=s.limit,
                      hoverongaps=False, name=title, text=text, hovertemplate=hovertemplate,
                      hoverinfo=None if hovertemplate else "skip",
                      texttemplate="%{z:.3g}" if labelled else None, textfont=dict(size=10), **extra)


def nonfinite_trace(s, y_label, x_label):
    """Black crosses on the NaN/inf cells (None when every cell is finite)."""
    bad_rows, bad_cols = np.nonzero(~np.isfinite(s.values))
    if not bad_rows.size:
        return None
    y_label, x_label = axis_name(y_label), axis_name(x_label)
    return go.Scatter(x=s.xs[bad_cols], y=s.ys[bad_rows], mode="markers", marker=NONFINITE_MARKER,
                      name="NaN / inf", text=[repr(float(s.values[r, c])) for r, c in zip(bad_rows, bad_cols)],
                      hovertemplate=f"{y_label} %{{y}}, {x_label} %{{x}}<br>%{{text}}<extra></extra>")


def fits_column(s, height, width=COLUMN_WIDTH):
    """True when s's printed values fit its cells in a figure of this height and at least this width."""
    labels = printed(s)
    rows, cols = s.values.shape
    cell_width, cell_height = (width - 90) / cols, (height - 120 - 18 * len(s.notes())) / rows
    return labels is not None and cell_height >= 13 and cell_width >= label_width(labels)


def heatmap(array, title, y_label="sample", x_label="feature", max_cells=MAX_CELLS, height=None,
            compact=False):
    """A go.Figure of a tensor that fills its page column: zmid=0 diverging colours, shape in the title,
    axis meaning on the axes, exact values on hover, NaN/inf crossed and counted, large ones downsampled
    (each block -> its largest-magnitude value; axis ticks keep the original indices); values printed
    where they fit the cells of a column COLUMN_WIDTH wide."""
    s = shown(array, max_cells)
    height = height or heatmap_height(s.values.shape[0])
    shown_y, shown_x, value = axis_name(y_label), axis_name(x_label), _("value")
    traces = [heat_trace(s, title, text=hover_text(s.values), labelled=fits_column(s, height),
                         hovertemplate=f"{shown_y} %{{y}}, {shown_x} %{{x}}<br>{value} %{{text}}<extra></extra>",
                         colorbar=dict(exponentformat="e", thickness=12 if compact else None))]
    crosses = nonfinite_trace(s, y_label, x_label)
    notes = s.notes()
    subtitle = "".join(f"<br><sup>{line}</sup>" for note in notes for line in textwrap.wrap(note, NOTE_CHARS, break_on_hyphens=False))
    lines = len(textwrap.wrap(f"{title} {shape_text(s.original_shape)}", TITLE_CHARS, break_on_hyphens=False))
    return go.Figure(data=traces + ([crosses] if crosses else []), layout=dict(
        title=dict(text="<br>".join(textwrap.wrap(f"{title} {shape_text(s.original_shape)}", TITLE_CHARS,
                                                break_on_hyphens=False)) + subtitle,
                   font=dict(size=14) if compact else None),
        xaxis=dict(title=dict(text=shown_x), side="bottom", dtick=tick_step(len(s.xs), s.blocks[1])),
        yaxis=dict(title=dict(text=shown_y), autorange="reversed", dtick=tick_step(len(s.ys), s.blocks[0])),
        showlegend=False, height=height,
        margin=dict(l=50 if compact else 60, r=10 if compact else 20, t=52 + 18 * (lines + subtitle.count("<sup>")),
                    b=50)))


def printed(s):
    """The values a heatmap would print in its cells ("%{z:.3g}"); None for more than 4096 cells."""
    return [f"{v:.3g}" for v in s.values[np.isfinite(s.values)].ravel()] if s.values.size <= 4096 else None


NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def tick_step(n_shown, block, max_ticks=10):
    """Whole-number tick spacing (1, 2, 5, 10, 20, ... blocks): at most max_ticks ticks, on block boundaries."""
    wanted = -(-n_shown // max(1, max_ticks))
    return block * next((step for step in NICE_STEPS if step >= wanted), wanted)


def shape_text(shape):
    """(8, 2) -> "(8, 2)", (3,) -> "(3,)", () -> "scalar"."""
    return str(tuple(int(s) for s in shape)) if len(shape) else _("scalar")


def heatmap_height(rows):
    return int(min(520, max(180, 120 + 14 * rows)))
