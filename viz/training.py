"""Training curves: the live per-iteration loss, per-epoch train/test curves, activation comparisons."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from i18n import N_, domain
from viz.colors import activation_color

_, ngettext = domain("viz")

MAX_POINTS = 2000          # a curve longer than this is downsampled (min and max of each bucket)
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#ff7f0e"
STOP_COLOR = "#d62728"
METRICS = {                # History field -> (x axis, y axis, legend suffix): English, shown through _()
    "iteration_loss": (N_("iteration"), N_("loss"), N_("batch loss")),
    "train_loss": (N_("epoch"), "loss", N_("train loss")),
    "val_loss": ("epoch", "loss", N_("test loss")),
    "train_accuracy": ("epoch", N_("accuracy"), N_("train accuracy")),
    "val_accuracy": ("epoch", "accuracy", N_("test accuracy")),
}
REASONS = {"callback": N_("callback")}  # History.stopped_reason other than a non-finite loss, for a reader
PER = {"epoch": N_("{what} per epoch"), "iteration": N_("{what} per iteration")}  # a figure's title


# --- helpers ---

def finite_or_nan(values):
    """values as float64 (n,), NaN/inf replaced by NaN (Plotly leaves a gap there)."""
    y = np.asarray(values, dtype=np.float64).reshape(-1)
    return np.where(np.isfinite(y), y, np.nan)


def downsample_curve(x, y, max_points=MAX_POINTS):
    """(x, y) kept whole up to max_points; else each bucket's min and max points, in order.

    Keeping both extremes of every bucket preserves spikes that plain striding would drop.
    """
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max(1, max_points // 2)
    size = -(-n // buckets)
    padded = np.full(buckets * size, np.nan)
    padded[:n] = y
    blocks = padded.reshape(buckets, size)
    missing = np.isnan(blocks)
    low = np.argmin(np.where(missing, np.inf, blocks), axis=1)
    high = np.argmax(np.where(missing, -np.inf, blocks), axis=1)
    starts = np.arange(buckets) * size
    keep = np.unique(np.concatenate([starts + low, starts + high]))
    keep = keep[keep < n]
    return x[keep], y[keep]


def stop_text(history):
    """One line saying where and why training stopped, or None when it ran every epoch."""
    if not history.stopped_reason:
        return None
    where = _("epoch {epoch}, iteration {iteration}").format(epoch=history.stopped_epoch,
                                                             iteration=history.stopped_iteration)
    if history.stopped_reason == "non-finite loss":
        layer = ("<br>" + _("first NaN/inf output: {layer}").format(layer=history.nonfinite_layer)
                 if history.nonfinite_layer else "")
        return _("⚠ stopped: non-finite loss at {where}").format(where=where) + layer
    reason = _(REASONS[history.stopped_reason]) if history.stopped_reason in REASONS else history.stopped_reason
    return _("stopped ({reason}) at {where}").format(reason=reason, where=where)


def mark_stop(fig, history, x):
    """A dashed vertical line at x (the stop's epoch or iteration) with stop_text as annotation."""
    text = stop_text(history)
    if text is None or x is None:
        return fig
    color = STOP_COLOR if history.stopped_reason == "non-finite loss" else "grey"
    fig.add_vline(x=x, line=dict(color=color, dash="dash", width=1.5))
    fig.add_annotation(x=x, y=1, xref="x", yref="paper", text=text, showarrow=False,
                       xanchor="right", yanchor="top", align="right",
                       font=dict(color=color, size=11), bgcolor="rgba(255,255,255,0.8)")
    return fig


def _layout(fig, title, x_label, y_label, log_y=False, height=320):
    fig.update_layout(
        title=dict(text=title), height=height, margin=dict(l=60, r=20, t=60, b=50),
        xaxis=dict(title=dict(text=x_label)),
        yaxis=dict(title=dict(text=y_label), type="log" if log_y else "linear"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    return fig


# --- live curve ---

def add_nonfinite_markers(fig, raw, y):
    """Red crosses at the iterations whose loss was NaN/inf, drawn at the largest finite loss."""
    bad = np.flatnonzero(~np.isfinite(raw))[:100]  # fit stops at the first one; cap any other input
    if bad.size == 0:
        return fig
    level = float(np.nanmax(y)) if np.isfinite(y).any() else 0.0
    fig.add_trace(go.Scatter(
        x=bad + 1, y=np.full(bad.size, level), mode="markers", name=_("NaN / inf loss"),
        marker=dict(symbol="x", size=10, color=STOP_COLOR), text=[repr(float(raw[i])) for i in bad],
        hovertemplate=_("iteration") + " %{x}<br>" + _("loss") + " %{text}<extra></extra>"))
    return fig


def live_loss_figure(iteration_losses, n_iterations=None, log_y=False):
    """Batch loss per iteration: x = 1..n (downsampled to <= MAX_POINTS), y = loss; x range [1, n_iterations]."""
    y = finite_or_nan(iteration_losses)
    x = np.arange(1, len(y) + 1)
    xs, ys = downsample_curve(x, y)
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers" if len(ys) <= 60 else "lines",
                               name=_("batch loss"), line=dict(color=TRAIN_COLOR, width=1.5),
                               marker=dict(size=4),
                               hovertemplate=_("iteration") + " %{x}<br>" + _("loss") + " %{y:.6g}<extra></extra>"))
    add_nonfinite_markers(fig, np.asarray(iteration_losses, dtype=np.float64).reshape(-1), y)
    done = (f" ({len(y)} / {n_iterations})" if n_iterations
            else " " + ngettext("({n} iteration)", "({n} iterations)", len(y)).format(n=len(y)))
    last = ", " + _("last {value}").format(value=f"{y[-1]:.4g}") if len(y) and np.isfinite(y[-1]) else ""
    _layout(fig, _("loss per iteration") + done + last, _("iteration"), _("loss"), log_y)
    if n_iterations:
        fig.update_xaxes(range=[1, max(2, int(n_iterations))])
    return fig


# --- per-epoch curves ---

def _epoch_trace(values, name, color, y_label):
    y = finite_or_nan(values)
    return go.Scatter(x=np.arange(1, len(y) + 1), y=y, mode="lines+markers", name=name,
                      line=dict(color=color), marker=dict(size=5),
                      hovertemplate=_("epoch") + f" %{{x}}<br>{y_label} %{{y:.6g}}<extra>{name}</extra>")


def _epoch_figure(history, train, test, y_label):
    """Train and (when present) test curves of one quantity per epoch, with the stop marked."""
    fig = go.Figure()
    if train:
        fig.add_trace(_epoch_trace(train, _("train"), TRAIN_COLOR, _(y_label)))
    if test:
        fig.add_trace(_epoch_trace(test, _("test"), TEST_COLOR, _(y_label)))
    _layout(fig, _(PER["epoch"]).format(what=_(y_label)), _("epoch"), _(y_label))
    if max(len(train), len(test), history.stopped_epoch or 0) <= 20:
        fig.update_xaxes(dtick=1)  # whole epochs only
    return mark_stop(fig, history, history.stopped_epoch)


def history_figures(history):
    """(loss figure, accuracy figure or None): train and test curves per epoch, x = 1..epochs_run."""
    loss_fig = _epoch_figure(history, history.train_loss, history.val_loss, "loss")
    if not (history.train_accuracy or history.val_accuracy):
        return loss_fig, None
    accuracy_fig = _epoch_figure(history, history.train_accuracy, history.val_accuracy, "accuracy")
    accuracy_fig.update_yaxes(range=[0, 1.02])
    return loss_fig, accuracy_fig


def comparison_figure(histories, metric="train_loss", log_y=False):
    """One curve per run name (e.g. activation, in its viz.colors colour) of history.<metric>; metric one of
    METRICS."""
    if metric not in METRICS:
        raise ValueError(f"comparison_figure: metric must be one of {', '.join(METRICS)}, got {metric!r}")
    x_label, y_label, what = METRICS[metric]
    fig = go.Figure()
    for name, history in histories.items():
        y = finite_or_nan(getattr(history, metric))
        x, y = downsample_curve(np.arange(1, len(y) + 1), y)
        stopped = " " + _("⚠ non-finite loss") if history.stopped_reason == "non-finite loss" else ""
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines" if x_label == "iteration" else "lines+markers", name=f"{name}{stopped}",
            marker=dict(size=5), line=dict(color=activation_color(name)),
            hovertemplate=f"{_(x_label)} %{{x}}<br>{_(y_label)} %{{y:.6g}}<extra>{name}</extra>"))
    _layout(fig, _(PER[x_label]).format(what=_(what)), _(x_label), _(y_label), log_y, height=360)
    if y_label == "accuracy":
        fig.update_yaxes(range=[0, 1.02])
    return fig


# --- table ---

def history_table(history):
    """One row per epoch run: epoch, train loss, test loss, train accuracy, test accuracy (empty ones dropped)."""
    n = history.epochs_run
    columns = {_("epoch"): np.arange(1, n + 1)}
    for name, values in (("train loss", history.train_loss), ("test loss", history.val_loss),
                         ("train accuracy", history.train_accuracy),
                         ("test accuracy", history.val_accuracy)):
        if values:
            column = np.full(n, np.nan)
            column[:len(values)] = values[:n]
            columns[_(name)] = column
    return pd.DataFrame(columns)


def _last(values):
    return float(values[-1]) if values else np.nan


def comparison_table(histories):
    """One row per run: name, epochs run, last epoch's train/test loss and accuracy, where it stopped."""
    rows = [{"activation": name, "epochs": history.epochs_run,
             "train loss": _last(history.train_loss), "test loss": _last(history.val_loss),
             "train accuracy": _last(history.train_accuracy), "test accuracy": _last(history.val_accuracy),
             "stopped": (stop_text(history) or "").replace("<br>", "; ")}
            for name, history in histories.items()]
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    blank = table.replace("", np.nan).isna().all()  # a column no run filled (e.g. accuracy for regression)
    table = table.drop(columns=[c for c in table.columns[2:] if len(table) and blank[c]])
    return table.rename(columns={c: _(c) for c in table.columns})


COMPARISON_COLUMNS = (N_("activation"), N_("epochs"), "train loss", "test loss", "train accuracy", "test accuracy",
                      N_("stopped"))
