"""derivation_strip: the whole vectors of the LogSoftMax / SoftMax derivation, one heatmap strip each.

The derivation's formulas show long vectors as their first entries, "⋯" and the last; this figure
holds every entry: x, the output (b, a), g and grad_input of one sample against the class index k
(1-based, as in the formulas), each strip with its own colour scale centred at zero (its range written beside its title).
"""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.derivation import log_softmax_numbers, softmax_numbers
from viz.heatmap import COLORSCALE

STRIP_PX = 34          # height of one strip
GAP_PX = 22            # between strips: room for the next strip's title
MAX_PRINTED = 12       # vectors up to this long print their values in the cells
X_TITLE = "class k (1-based, as in the formulas)"


def derivation_vectors(kind, x_row, g_row):
    """{strip title: vector (K,)} of the derivation of `kind` ("LogSoftMax" or "SoftMax") for one sample."""
    if kind == "LogSoftMax":
        n = log_softmax_numbers(x_row, g_row)
        return {"x: the layer's input": n["x"], "b = log softmax(x): its output": n["b"],
                "a = e^b: the probabilities": n["a"], "g = ∂L/∂b: grad_output": n["g"],
                "grad_input = g − a Σₖ gₖ": n["grad_input"]}
    if kind == "SoftMax":
        n = softmax_numbers(x_row, g_row)
        return {"x: the layer's input": n["x"], "a = softmax(x): its output": n["a"],
                "g = ∂L/∂a: grad_output": n["g"], "grad_input = a ⊙ (g − g·a)": n["grad_input"]}
    raise ValueError(f"derivation_vectors: kind must be LogSoftMax or SoftMax, got {kind!r}")


def limit(v):
    """Half-width of a strip's colour scale: its largest finite |entry| (1 when there is none or it is 0)."""
    finite = np.abs(v[np.isfinite(v)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def strip_trace(v, title, axis):
    """One vector as a (1, K) heatmap on colour axis `axis`, exact values on hover, NaN/inf left as gaps."""
    k = np.arange(1, v.size + 1)
    return go.Heatmap(z=np.where(np.isfinite(v), v, np.nan)[None], x=k, y=[0], coloraxis=axis, name=title,
                      customdata=[[repr(float(e)) for e in v]], hoverongaps=False,
                      texttemplate="%{z:.3g}" if v.size <= MAX_PRINTED else None, textfont=dict(size=10),
                      hovertemplate=f"{title}<br>k = %{{x}}: %{{customdata}}<extra></extra>")


def derivation_strip(kind, x_row, g_row, sample=0):
    """A go.Figure of derivation_vectors as stacked (1, K) strips sharing the x axis (class index k)."""
    vectors = derivation_vectors(kind, x_row, g_row)
    n = len(vectors)
    plot = n * STRIP_PX + (n - 1) * GAP_PX
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=GAP_PX / plot,
                        subplot_titles=list(vectors))
    for i, (title, v) in enumerate(vectors.items(), start=1):
        axis = "coloraxis" if i == 1 else f"coloraxis{i}"
        fig.add_trace(strip_trace(v, title, axis), row=i, col=1)
        top = limit(v)
        fig.layout[axis] = dict(colorscale=COLORSCALE, cmid=0.0, cmin=-top, cmax=top, showscale=False)
        fig.layout.annotations[i - 1].text = f"{title}   <span style='color:#888'>(colours: ±{top:.3g})</span>"
        fig.update_yaxes(visible=False, fixedrange=True, row=i, col=1)
        if i < n:
            fig.update_xaxes(ticks="", row=i, col=1)  # the class ticks only under the last strip
    size = next(iter(vectors.values())).size
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_xaxes(title=dict(text=X_TITLE, standoff=6), dtick=1 if size <= 20 else None, row=n, col=1)
    fig.update_annotations(font_size=12, xanchor="left", x=0)
    top_px = 58
    fig.update_layout(title=dict(text=f"{kind}, sample {sample}: every entry, each strip on its own colour scale",
                                 font=dict(size=13), x=0, xanchor="left"),
                      height=top_px + plot + 50, showlegend=False, margin=dict(l=20, r=20, t=top_px, b=50))
    return fig
