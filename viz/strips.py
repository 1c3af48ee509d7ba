"""strips: vectors of one length drawn as one figure, one strip each, each with its own colour scale.

The update of a bias (before, gradient, velocity, step, after), BatchNorm's batch mean and variance: side
by side they read as one picture, and one chart costs the browser less than five. The layout is written
out in one go.Figure call (plotly's make_subplots and add_trace(row=...) take ~0.3 s for five strips).
"""
import numpy as np
import plotly.graph_objects as go

from viz.geometry import (BOTTOM, LEFT, MIN_STRIP, NOTE_LINE, NOTE_PX, RIGHT, TOP_PAD, geometry, label_width,
                          wrap)
from viz.heatmap import cell_trace, heat_trace, mark_shapes, nonfinite_trace, printed, shape_text, shown, tick_step

GAP = 26         # px between strips: room for the next strip's title
TITLE_ROOM = 22  # px above the first strip for its title


def strips(rows, x_label, marks=None, title=None):
    """One figure of k vectors (n,) or (1, n) as k strips sharing the x axis.

    rows: [(tensor id, title, array)]; marks: {tensor id: [(kind, row, col)]} outlined as in heatmap.panel.
    Every strip's cells can be clicked: the cell trace's `meta` is its tensor id.
    """
    marks = marks or {}
    parts = [(tensor, f"{name} {shape_text(s.original_shape)}", s)
             for tensor, name, s in ((t, n, shown(a)) for t, n, a in rows)]
    n = parts[0][2].values.shape[1]
    if any(s.values.shape != (1, n) for _, _, s in parts):
        raise ValueError(f"strips: every row must be a vector of {n} entries, got "
                         f"{[s.original_shape for _, _, s in parts]}")
    notes = sorted({note for _, _, s in parts for note in s.notes()})
    labels = [label for _, _, s in parts for label in (printed(s) or ["x" * 99])]
    g = geometry((1, n), max((name for _, name, _ in parts), key=len), notes, labels=labels)
    labelled = g.cell_width >= label_width(labels)
    k = len(parts)
    plot_height = k * MIN_STRIP + (k - 1) * GAP
    note_lines = tuple(line for note in notes for line in wrap(note, g.width - 12, NOTE_PX))
    top = TOP_PAD + TITLE_ROOM + NOTE_LINE * len(note_lines) + (22 if title else 0)
    layout = dict(showlegend=False, width=g.width, height=int(top + plot_height + BOTTOM),
                  hoverdistance=int(max(20, g.cell_width)), clickmode="event+select",
                  margin=dict(l=LEFT, r=RIGHT, t=top, b=BOTTOM, autoexpand=False), annotations=[], shapes=[])
    if title or note_lines:
        layout["title"] = dict(text=(title or "") + "".join(f"<br><sup>{line}</sup>" for line in note_lines),
                               font=dict(size=13), x=0, xanchor="left")
    data = []
    for i, (tensor, name, s) in enumerate(parts, start=1):
        suffix = "" if i == 1 else str(i)
        y1 = 1 - (i - 1) * (MIN_STRIP + GAP) / plot_height
        y0 = y1 - MIN_STRIP / plot_height
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, y0), min(1.0, y1)], showticklabels=False, anchor=f"x{suffix}",
                                        range=[0.5, -0.5], fixedrange=True)
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", matches="x" if i > 1 else None,
                                        showticklabels=i == k, range=[-0.5 * s.blocks[1], (n - 0.5) * s.blocks[1]],
                                        dtick=tick_step(n, s.blocks[1], g.ticks(n, "x")),
                                        title=dict(text=x_label, standoff=6) if i == k else None)
        layout[f"coloraxis{suffix}"] = dict(colorscale="RdBu_r", cmid=0.0, cmin=-s.limit, cmax=s.limit, colorbar=dict(
            thickness=10, len=MIN_STRIP + GAP - 4, lenmode="pixels", y=(y0 + y1) / 2, yanchor="middle",
            tickfont=dict(size=9), outlinewidth=0, tickmode="array", tickvals=[-s.limit, 0, s.limit],
            ticktext=[f"{-s.limit:.2g}", "0", f"{s.limit:.2g}"]))
        layout["annotations"].append(dict(text=name, x=0, xref="paper", xanchor="left", y=y1, yref="paper",
                                          yanchor="bottom", showarrow=False, font=dict(size=12)))
        axes = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        data.append(heat_trace(s, name, float32=not labelled, labelled=labelled, coloraxis=f"coloraxis{suffix}",
                               **axes))
        data.append(cell_trace(s, "row", x_label, meta=tensor).update(**axes))
        crosses = nonfinite_trace(s, "row", x_label)
        if crosses:
            data.append(crosses.update(**axes))
        layout["shapes"] += [{**shape, "xref": f"x{suffix}", "yref": f"y{suffix}"}
                             for shape in mark_shapes(s, marks.get(tensor, ()))]
    return go.Figure(data=data, layout=layout)


def is_vector(array):
    """True for a tensor drawn as one strip: (n,) or (1, n)."""
    a = np.asarray(array)
    return a.ndim == 1 or (a.ndim == 2 and a.shape[0] == 1)
