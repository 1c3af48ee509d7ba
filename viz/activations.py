"""Activation curves f(x) and f'(x) from the engine's own forward/backward, vanishing-gradient bands, formulas, histograms."""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import ELU, LeakyReLU, ReLU, SoftPlus
from engine.jacobian import float64_copy
from engine.sequential import layers_of
from i18n import N_, domain
from viz.colors import ACTIVATION_COLORS, OTHER_COLOR, activation_color, family

_, ngettext = domain("viz")

VANISH_RATIO = 1e-2   # f'(x) < VANISH_RATIO * max f' counts as a vanishing gradient
X_LABEL = N_("pre-activation x")
KINDS = (ReLU, LeakyReLU, ELU, SoftPlus)
LANE_HALF = 0.32      # half the height of a lane's bar (lanes are 1 apart)
PEAK_GRID = np.linspace(-50.0, 50.0, 2001)   # holds 0: f' of ELU with alpha > 1 peaks at x = 0
UNDER, UNDER_OPACITY = dict(width=7), 0.45  # ReLU: a wide light band under LeakyReLU, which equals it for x > 0


def default_x():
    return np.linspace(-5.0, 5.0, 401)


def x_bounds(x_range):
    """(lo, hi) as floats; an empty range (lo >= hi) is widened to (lo - 1, lo + 1)."""
    lo, hi = float(x_range[0]), float(x_range[1])
    return (lo, hi) if lo < hi else (lo - 1.0, lo + 1.0)


def x_grid(x_range, n=401):
    """n points over x_bounds(x_range)."""
    return np.linspace(*x_bounds(x_range), n)


def activation_indices(model):
    """Indices of the model's ReLU, LeakyReLU, ELU and SoftPlus layers."""
    return [i for i, layer in enumerate(layers_of(model)) if isinstance(layer, KINDS)]


def activation_layers(slope=0.03, alpha=1.0):
    """{legend name: engine layer} for ReLU, LeakyReLU(slope), ELU(alpha), SoftPlus."""
    return {"ReLU": ReLU(), f"LeakyReLU(slope={slope:g})": LeakyReLU(slope),
            f"ELU(α={alpha:g})": ELU(alpha), "SoftPlus": SoftPlus()}


def curve(layer, x):
    """(f(x), f'(x)) by layer.forward(x) and layer.backward(x, ones): the engine's own numbers."""
    y = np.array(layer.forward(x), dtype=np.float64)
    dydx = np.array(layer.backward(x, np.ones_like(x)), dtype=np.float64)
    return y, dydx


def vanishing_intervals(x, dydx, ratio=VANISH_RATIO, peak=None):
    """[(x0, x1)] of the runs of x where f'(x) < ratio * peak, peak = max f' unless given (x sorted ascending)."""
    if peak is None:
        peak = float(np.max(dydx)) if dydx.size else 0.0
    small = dydx < ratio * peak if peak > 0 else np.ones(dydx.shape, dtype=bool)
    edges = np.diff(np.concatenate([[0], small.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(x[a]), float(x[b])) for a, b in zip(starts, stops)]


def lane_shapes(fig, lane, name, x, dydx, ratio):
    """Lane `lane` of the bottom panel: a bar in the function's colour over each x where f' < ratio max f'."""
    intervals = vanishing_intervals(x, dydx, ratio)
    for x0, x1 in intervals:
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=lane - LANE_HALF, y1=lane + LANE_HALF, row=3, col=1,
                      fillcolor=activation_color(name), opacity=0.9, line_width=0,
                      name=f"{name}: f′ < {ratio:g}·max f′")
    if not intervals:
        fig.add_annotation(x=(x[0] + x[-1]) / 2, y=lane, xref="x3", yref="y3", showarrow=False,
                           text=_("f′ ≥ {ratio}·max f′ everywhere here").format(ratio=f"{ratio:g}"),
                           font=dict(size=10, color="#666"))
    return intervals


def activation_curves(x=None, slope=0.03, alpha=1.0, vanish_ratio=VANISH_RATIO):
    """Three panels over x: f(x) (solid), f'(x) (dashed) of the four activations, and one lane per function
    with a bar in its colour where f'(x) < vanish_ratio · max f' on this range (the gradient vanishes)."""
    x = default_x() if x is None else np.sort(np.ravel(np.asarray(x, dtype=np.float64)))
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, row_heights=[0.42, 0.36, 0.22],
                        subplot_titles=("f(x): layer.forward", _("f′(x): layer.backward with grad_output = 1"),
                                        _("where f′ < {ratio}·max f′: the gradient vanishes").format(
                                            ratio=f"{vanish_ratio:g}")))
    layers = activation_layers(slope, alpha)
    for lane, (name, layer) in enumerate(layers.items()):
        y, dydx = curve(layer, x)
        color = activation_color(name)
        line = UNDER if name == "ReLU" else dict(width=2)
        fig.add_trace(go.Scatter(x=x, y=y, name=name, legendgroup=name, line=dict(line, color=color),
                                 opacity=UNDER_OPACITY if name == "ReLU" else 1.0,
                                 hovertemplate=f"{name}<br>x=%{{x:.4g}}<br>f=%{{y:.4g}}<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=dydx, name=f"{family(name)}′", legendgroup=name,
                                 line=dict(line, color=color, dash="dash"),
                                 opacity=UNDER_OPACITY if name == "ReLU" else 1.0,
                                 hovertemplate=f"{family(name)}′<br>x=%{{x:.4g}}<br>f′=%{{y:.4g}}<extra></extra>"),
                      row=2, col=1)
        lane_shapes(fig, lane, name, x, dydx, vanish_ratio)
    names = [family(name) for name in layers]
    fig.update_xaxes(title_text=_(X_LABEL), row=3, col=1)
    fig.update_yaxes(title_text="f(x)", row=1, col=1)
    fig.update_yaxes(title_text="f′(x)", row=2, col=1)
    fig.update_yaxes(row=3, col=1, range=[len(names) - 0.5, -0.5], fixedrange=True, showgrid=False,
                     zeroline=False, tickmode="array", tickvals=list(range(len(names))),
                     ticktext=[f'<span style="color:{ACTIVATION_COLORS[n]}">{n}</span>' for n in names])
    fig.update_layout(title=dict(text=_("Activations f, their derivatives f′, and where f′ vanishes")),
                      height=640, margin=dict(l=80, r=20, t=80, b=50), hovermode="x unified")
    return fig


def activation_formulas(slope=0.03, alpha=1.0):
    """{legend name: (LaTeX of f(x), LaTeX of f'(x))}, names as in activation_curves; each short enough for
    half of an 800-pixel window."""
    s, a = f"{slope:g}", f"{alpha:g}"
    cases = r"\begin{{cases}} {} & x > 0 \\ {} & x \le 0 \end{{cases}}"
    return {
        "ReLU": (r"f(x) = \max(0, x)", r"f'(x) = " + cases.format("1", "0")),
        f"LeakyReLU(slope={s})": (r"f(x) = " + cases.format("x", f"{s}\\,x"),
                                  r"f'(x) = " + cases.format("1", s)),
        f"ELU(α={a})": (r"f(x) = " + cases.format("x", f"{a}\\,(e^{{x}} - 1)"),
                        r"f'(x) = " + cases.format("1", f"{a}\\,e^{{x}}")),
        "SoftPlus": (r"f(x) = \log(1 + e^{x})", r"f'(x) = \sigma(x) = \frac{1}{1 + e^{-x}}"),
    }


def preactivation_histogram(values, layer_label, x_range=(-5.0, 5.0), bins=60):
    """Bar histogram of the values inside x_range (same x axis as activation_curves); outside/NaN counted in the title."""
    v = np.ravel(np.asarray(values, dtype=np.float64))
    lo, hi = float(x_range[0]), float(x_range[1])
    finite = v[np.isfinite(v)]
    inside = finite[(finite >= lo) & (finite <= hi)]
    counts, edges = np.histogram(inside, bins=bins, range=(lo, hi))
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    fig = go.Figure(go.Bar(x=centres, y=counts, width=width, name=layer_label, marker_color=OTHER_COLOR,
                           customdata=np.stack([edges[:-1], edges[1:]], axis=1),
                           hovertemplate="[%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{y}<extra></extra>"))
    notes = [f"{v.size - finite.size} NaN/inf"] if finite.size < v.size else []
    if inside.size < finite.size:
        notes.append(_("{n} of {total} outside [{lo}, {hi}]").format(n=finite.size - inside.size, total=v.size,
                                                                      lo=f"{lo:g}", hi=f"{hi:g}"))
    note = f"<br><sup>{'; '.join(notes)}</sup>" if notes else ""
    title = ngettext("Pre-activations of {layer}: {n} value", "Pre-activations of {layer}: {n} values",
                     v.size).format(layer=layer_label, n=v.size)
    fig.update_layout(title=dict(text=title + note),
                      xaxis=dict(title=dict(text=_(X_LABEL)), range=[lo, hi]),
                      yaxis=dict(title=dict(text=_("count"))), bargap=0, showlegend=False,
                      height=260, margin=dict(l=60, r=20, t=70, b=50))
    return fig


# --- the current model's pre-activations ---

def gradient_peak(layer):
    """sup f' of the activation layer, from its own backward on a wide grid: 1, or alpha for ELU with alpha > 1."""
    return float(np.max(curve(float64_copy(layer), PEAK_GRID)[1]))


def vanishing_count(layer, values, ratio=VANISH_RATIO):
    """(n with f'(v) < ratio * sup f', n finite, n total) of the values, f' from the layer's own backward."""
    v = np.ravel(np.asarray(values, dtype=np.float64))
    finite = v[np.isfinite(v)]
    dydx = curve(float64_copy(layer), finite)[1] if finite.size else finite
    return int(np.count_nonzero(dydx < ratio * gradient_peak(layer))), int(finite.size), int(v.size)


def preactivation_figure(layer, values, layer_label, x_range=(-5.0, 5.0), bins=60, ratio=VANISH_RATIO):
    """preactivation_histogram with the layer's own vanishing-gradient region (f' < ratio sup f') shaded in
    the layer's colour (viz.colors)."""
    fig = preactivation_histogram(values, layer_label, x_bounds(x_range), bins)
    x = x_grid(x_range)
    dydx = curve(float64_copy(layer), x)[1]
    for x0, x1 in vanishing_intervals(x, dydx, ratio, peak=gradient_peak(layer)):
        fig.add_vrect(x0=x0, x1=x1, fillcolor=activation_color(type(layer).__name__), opacity=0.25, line_width=0,
                      layer="below",
                      name=f"{layer_label}: f′ < {ratio:g}·sup f′")
    return fig
