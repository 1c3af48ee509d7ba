"""heatmap: one tensor as a Plotly heatmap centred at zero, NaN/inf flagged, large ones downsampled."""
import numpy as np
import plotly.graph_objects as go

COLORSCALE = "RdBu_r"      # diverging: negative blue, zero white, positive red
MAX_CELLS = 16_384         # at most 128 x 128 cells drawn: z + hover text stay well under 1 MB
MAX_LABELLED = 64         # matrices this small show their values in the cells, to follow by hand
NONFINITE_MARKER = dict(symbol="x", size=9, color="black", line=dict(width=1))


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


def downsample(m, br, bc):
    """Each (br x bc) block -> its value of largest magnitude (extremes and NaN/inf survive)."""
    if br == bc == 1:
        return m
    rows, cols = m.shape
    R, C = -(-rows // br), -(-cols // bc)
    padded = np.full((R * br, C * bc), 0.0)
    padded[:rows, :cols] = m
    blocks = padded.reshape(R, br, C, bc).transpose(0, 2, 1, 3).reshape(R, C, br * bc)
    bad = ~np.isfinite(blocks)
    magnitude = np.where(bad, np.inf, np.abs(blocks))  # a non-finite entry wins its block
    pick = np.argmax(magnitude, axis=2)
    return np.take_along_axis(blocks, pick[..., None], axis=2)[..., 0]


def hover_text(m):
    """Every cell's exact value as Python prints it (shortest repr that round-trips)."""
    return [[repr(float(v)) for v in row] for row in m]


def heatmap(array, title, y_label="sample", x_label="feature", max_cells=MAX_CELLS, height=None,
            compact=False):
    """A go.Figure of a tensor: zmid=0 diverging colours, shape in the title, axis meaning on the axes.

    Non-finite cells are drawn as black crosses and counted in the title.  A matrix
    of more than max_cells cells is downsampled (each block -> its largest-magnitude
    value) and the title says so; axis ticks keep the original indices.  compact: a
    thinner colour bar, smaller title and margins, for a figure in a page column.
    The figure is built in one constructor call: every rerun of a page builds several.
    """
    original = np.asarray(array)
    m = as_matrix(original)
    rows, cols = m.shape
    br, bc = block_sizes(m.shape, max_cells)
    shown = downsample(m, br, bc)
    ys, xs = np.arange(0, rows, br), np.arange(0, cols, bc)
    finite = np.isfinite(shown)
    z = np.where(finite, shown, np.nan)
    limit = float(np.max(np.abs(z[finite]))) if finite.any() else 1.0
    limit = limit if limit > 0 else 1.0
    traces = [go.Heatmap(
        z=z, x=xs, y=ys, text=hover_text(shown), colorscale=COLORSCALE, zmid=0.0,
        zmin=-limit, zmax=limit, hoverongaps=False, name=title,
        hovertemplate=f"{y_label} %{{y}}, {x_label} %{{x}}<br>value %{{text}}<extra></extra>",
        texttemplate="%{z:.3g}" if shown.size <= MAX_LABELLED else None, textfont=dict(size=10),
        colorbar=dict(exponentformat="e", thickness=12 if compact else None))]  # 1e-10, not "100p"
    notes = []
    if not finite.all():
        bad_rows, bad_cols = np.nonzero(~finite)
        count = int(np.count_nonzero(~np.isfinite(m)))
        notes.append(f"⚠ {count} NaN/inf cell{'s' if count != 1 else ''} (×)")
        traces.append(go.Scatter(
            x=xs[bad_cols], y=ys[bad_rows], mode="markers", marker=NONFINITE_MARKER,
            name="NaN / inf", text=[repr(float(shown[r, c])) for r, c in zip(bad_rows, bad_cols)],
            hovertemplate=f"{y_label} %{{y}}, {x_label} %{{x}}<br>%{{text}}<extra></extra>"))
    if (br, bc) != (1, 1):
        notes.append(f"downsampled for display to {shown.shape[0]}×{shown.shape[1]}: "
                     f"each cell is the largest-magnitude value of a {br}×{bc} block")
    subtitle = "".join(f"<br><sup>{note}</sup>" for note in notes)
    return go.Figure(data=traces, layout=dict(
        title=dict(text=f"{title} {shape_text(original.shape)}{subtitle}",
                   font=dict(size=14) if compact else None),
        xaxis=dict(title=dict(text=x_label), side="bottom", dtick=tick_step(len(xs), bc)),
        yaxis=dict(title=dict(text=y_label), autorange="reversed", dtick=tick_step(len(ys), br)),
        showlegend=False, height=height or heatmap_height(shown.shape[0]),
        margin=dict(l=50 if compact else 60, r=10 if compact else 20, t=70 + 18 * len(notes), b=50)))


NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def tick_step(n_shown, block, max_ticks=10):
    """Whole-number tick spacing (1, 2, 5, 10, 20, ... blocks): at most max_ticks ticks, on block boundaries."""
    wanted = -(-n_shown // max_ticks)
    return block * next((step for step in NICE_STEPS if step >= wanted), wanted)


def shape_text(shape):
    """(8, 2) -> "(8, 2)", (3,) -> "(3,)", () -> "scalar"."""
    return str(tuple(int(s) for s in shape)) if len(shape) else "scalar"


def heatmap_height(rows):
    return int(min(520, max(180, 120 + 14 * rows)))
