"""derivation_strip: the whole vectors of the LogSoftMax / SoftMax derivation, one heatmap strip each.

The derivation's formulas show long vectors as their first entries, "⋯" and the last; this figure
holds every entry: x, the output (b, a), g and grad_input of one sample against the class index k
(from 0, as in the formulas and everywhere in the app), each strip with its own colour scale centred at zero (its range written beside its title).
"""
import numpy as np
import plotly.graph_objects as go

from i18n import N_, domain
from viz.derivation import log_softmax_numbers, softmax_numbers
from viz.heatmap import COLORSCALE

_, ngettext = domain("viz")

STRIP_PX = 34          # height of one strip
GAP_PX = 22            # between strips: room for the next strip's title
MAX_PRINTED = 12       # vectors up to this long print their values in the cells
X_TITLE = N_("class k (from 0, as in the formulas and everywhere in the app)")


def derivation_vectors(kind, x_row, g_row):
    """{strip title: vector (K,)} of the derivation of `kind` ("LogSoftMax" or "SoftMax") for one sample."""
    if kind == "LogSoftMax":
        n = log_softmax_numbers(x_row, g_row)
        return {_("x: the layer's input"): n["x"], _("b = log softmax(x): its output"): n["b"],
                _("a = e^b: the probabilities"): n["a"], "g = ∂L/∂b: grad_output": n["g"],
                "grad_input = g − a Σₖ gₖ": n["grad_input"]}
    if kind == "SoftMax":
        n = softmax_numbers(x_row, g_row)
        return {_("x: the layer's input"): n["x"], _("a = softmax(x): its output"): n["a"],
                "g = ∂L/∂a: grad_output": n["g"], "grad_input = a ⊙ (g − g·a)": n["grad_input"]}
    raise ValueError(f"derivation_vectors: kind must be LogSoftMax or SoftMax, got {kind!r}")


def limit(v):
    """Half-width of a strip's colour scale: its largest finite |entry| (1 when there is none or it is 0)."""
    finite = np.abs(v[np.isfinite(v)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def strip_trace(v, title, axis):
    """One vector as a (1, K) heatmap on colour axis `axis`, exact values on hover, NaN/inf left as gaps."""
    k = np.arange(v.size)
    return go.Heatmap(z=np.where(np.isfinite(v), v, np.nan)[None], x=k, y=[0], coloraxis=axis, name=title,
                      customdata=[[repr(float(e)) for e in v]], hoverongaps=False,
                      texttemplate="%{z:.3g}" if v.size <= MAX_PRINTED else None, textfont=dict(size=10),
                      hovertemplate=f"{title}<br>k = %{{x}}: %{{customdata}}<extra></extra>")


def derivation_strip(kind, x_row, g_row, sample=0):
    """A go.Figure of derivation_vectors as stacked (1, K) strips sharing the x axis (class index k).

    The layout is written out in one go.Figure call (make_subplots costs ~50 ms for five strips)."""
    vectors = derivation_vectors(kind, x_row, g_row)
    n, size = len(vectors), next(iter(vectors.values())).size
    plot = n * STRIP_PX + (n - 1) * GAP_PX
    traces, layout, notes = [], {}, []
    for i, (title, v) in enumerate(vectors.items(), start=1):
        suffix = "" if i == 1 else str(i)
        top = limit(v)
        high = 1 - (i - 1) * (STRIP_PX + GAP_PX) / plot
        trace = strip_trace(v, title, f"coloraxis{suffix}")
        trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        traces.append(trace)
        layout[f"coloraxis{suffix}"] = dict(colorscale=COLORSCALE, cmid=0.0, cmin=-top, cmax=top, showscale=False)
        layout[f"yaxis{suffix}"] = dict(domain=[high - STRIP_PX / plot, high], visible=False, fixedrange=True,
                                        anchor=f"x{suffix}")
        last = i == n
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", matches=None if i == 1 else "x", showgrid=False,
                                        zeroline=False, showticklabels=last, ticks="outside" if last else "",
                                        dtick=1 if size <= 20 else None,
                                        title=dict(text=_(X_TITLE), standoff=6) if last else None)
        scale = _("(colours: ±{limit})").format(limit=f"{top:.3g}")
        notes.append(dict(text=f"{title}   <span style='color:#888'>{scale}</span>", x=0, y=high,
                          xref="paper", yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                          font=dict(size=12)))
    top_px = 58
    return go.Figure(data=traces, layout=dict(
        title=dict(text=_("{layer}, sample {sample}: every entry, each strip on its own colour scale").format(
                       layer=kind, sample=sample),
                   font=dict(size=13), x=0, xanchor="left"),
        annotations=notes, height=top_px + plot + 50, showlegend=False,
        margin=dict(l=20, r=20, t=top_px, b=50), **layout))
