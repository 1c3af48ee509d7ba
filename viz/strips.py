"""strips: vectors of one length drawn as one figure, one strip each, each with its own colour scale.

The update of a bias (before, gradient, velocity, step, after), BatchNorm's batch mean and variance: side
by side they read as one picture, and one chart costs the browser less than five.
"""
import numpy as np
from plotly.subplots import make_subplots

from viz.geometry import BOTTOM, LEFT, MIN_STRIP, NOTE_LINE, NOTE_PX, RIGHT, TOP_PAD, geometry, wrap
from viz.geometry import label_width
from viz.heatmap import cell_trace, heat_trace, mark_shapes, nonfinite_trace, printed, shape_text, shown, tick_step

GAP = 26  # px between strips: room for the next strip's title


def strips(rows, x_label, marks=None, title=None):
    """One figure of k vectors (n,) or (1, n) as k strips sharing the x axis.

    rows: [(tensor id, title, array)]; marks: {tensor id: [(kind, row, col)]} outlined as in heatmap.panel.
    Every strip's cells can be clicked: the cell trace's `meta` is its tensor id.
    """
    marks = marks or {}
    parts = [(tensor, name, shown(array)) for tensor, name, array in rows]
    n = parts[0][2].values.shape[1]
    if any(s.values.shape != (1, n) for _, _, s in parts):
        raise ValueError(f"strips: every row must be a vector of {n} entries, got "
                         f"{[s.original_shape for _, _, s in parts]}")
    notes = sorted({note for _, _, s in parts for note in s.notes()})
    labels = [label for _, _, s in parts for label in (printed(s) or ["x" * 99])]
    g = geometry((1, n), max((f"{name} {shape_text(s.original_shape)}" for _, name, s in parts), key=len), notes,
                 labels=labels)
    labelled = g.cell_width >= label_width(labels)
    k = len(parts)
    plot_height = k * MIN_STRIP + (k - 1) * GAP
    note_lines = tuple(line for note in notes for line in wrap(note, g.width - 12, NOTE_PX))
    top = TOP_PAD + 22 + NOTE_LINE * len(note_lines) + (22 if title else 0)
    fig = make_subplots(rows=k, cols=1, shared_xaxes=True, vertical_spacing=GAP / plot_height if k > 1 else 0,
                        subplot_titles=[f"{name} {shape_text(s.original_shape)}" for _, name, s in parts])
    for i, (tensor, name, s) in enumerate(parts, start=1):
        domain = fig.layout[f"yaxis{'' if i == 1 else i}"].domain
        bar = dict(thickness=10, len=MIN_STRIP + GAP - 4, lenmode="pixels", y=(domain[0] + domain[1]) / 2,
                   yanchor="middle", tickfont=dict(size=9), outlinewidth=0, tickmode="array",
                   tickvals=[-s.limit, 0, s.limit], ticktext=[f"{-s.limit:.2g}", "0", f"{s.limit:.2g}"])
        fig.add_trace(heat_trace(s, name, float32=not labelled, labelled=labelled,
                                 coloraxis=f"coloraxis{'' if i == 1 else i}"), row=i, col=1)
        fig.layout[f"coloraxis{'' if i == 1 else i}"] = dict(colorscale="RdBu_r", cmid=0.0, cmin=-s.limit,
                                                               cmax=s.limit, colorbar=bar)
        fig.add_trace(cell_trace(s, "row", x_label, meta=tensor), row=i, col=1)
        crosses = nonfinite_trace(s, "row", x_label)
        if crosses:
            fig.add_trace(crosses, row=i, col=1)
        fig.update_yaxes(showticklabels=False, autorange="reversed", row=i, col=1)
        for shape in mark_shapes(s, marks.get(tensor, ())):
            fig.add_shape(shape, row=i, col=1)
    fig.update_xaxes(title=dict(text=x_label, standoff=6), row=k, col=1,
                     dtick=tick_step(n, parts[0][2].blocks[1], g.ticks(n, "x")))
    fig.update_annotations(font_size=12, xanchor="left", x=0)
    fig.update_layout(showlegend=False, width=g.width, height=int(top + plot_height + BOTTOM),
                      title=dict(text=(title or "") + "".join(f"<br><sup>{line}</sup>" for line in note_lines),
                                 font=dict(size=13), x=0, xanchor="left") if title or note_lines else None,
                      hoverdistance=int(max(20, g.cell_width)), clickmode="event+select",
                      margin=dict(l=LEFT, r=RIGHT, t=top, b=BOTTOM, autoexpand=False))
    return fig


def is_vector(array):
    """True for a tensor drawn as one strip: (n,) or (1, n)."""
    a = np.asarray(array)
    return a.ndim == 1 or (a.ndim == 2 and a.shape[0] == 1)
