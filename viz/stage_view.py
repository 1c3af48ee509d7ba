"""One stage of an IterationTrace as panels (heatmap figure, LaTeX, caption) for the Step page."""
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.data import one_hot
from viz.formulas import backward_formula, criterion_formula, criterion_name, forward_formula, update_formula
from viz.heatmap import as_matrix, heatmap, heatmap_height

MAX_HEIGHT = 420   # a figure in a column of the page never grows taller than this
# Parameter name -> (row meaning, column meaning) of its heatmap; gradients and velocities alike.
PARAM_AXES = {"W": ("input feature", "output unit"), "b": ("row", "output unit"),
              "gamma": ("row", "feature"), "beta": ("row", "feature")}
PARAM_SYMBOLS = {"gamma": "γ", "beta": "β"}


@dataclass(frozen=True)
class Panel:
    """One thing to draw: a figure, LaTeX and/or a caption; consecutive panels with the same `row` go side by side."""
    title: str
    figure: go.Figure | None = None
    latex: str | None = None
    caption: str | None = None
    row: str = ""
    key: str = ""


def panel_rows(panels):
    """[[Panel]]: consecutive panels sharing a non-empty `row` grouped, each other panel alone (one st.columns each)."""
    rows = []
    for panel in panels:
        if rows and panel.row and rows[-1][0].row == panel.row:
            rows[-1].append(panel)
        else:
            rows.append([panel])
    return rows


# --- labels and summaries ---

def layer_name(trace, index):
    return trace.forward[index].name


def stage_label(trace, stage):
    """"Forward · layer 1 · LogSoftMax", "Loss · NLLCriterion", "Update · layer 0 · Linear(2 -> 2)"."""
    if stage.kind == "loss":
        return f"Loss · {trace.criterion}"
    return f"{stage.kind.capitalize()} · layer {stage.index} · {layer_name(trace, stage.index)}"


def stage_labels(trace):
    """stage_label of every stage, in trace.stages order (for a strip or a jump control)."""
    return [stage_label(trace, stage) for stage in trace.stages]


def magnitude(array):
    """"max |.| = 0.1234", with the NaN/inf count when there are any."""
    a = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(a)
    text = f"max |·| = {np.max(np.abs(a[finite])):.4g}" if finite.any() else "no finite value"
    bad = a.size - int(np.count_nonzero(finite))
    return text + (f", ⚠ {bad} NaN/inf" if bad else "")


def value_range(array):
    a = np.asarray(array, dtype=np.float64)
    finite = a[np.isfinite(a)]
    return f"[{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "no finite value"


def stage_summary(trace, stage):
    """Markdown: what this stage produced (shapes, ranges, loss value, max |grad|, first NaN/inf)."""
    if stage.kind == "forward":
        record = trace.forward[stage.index]
        text = (f"`{record.name}` maps {tuple(record.input.shape)} → {tuple(record.output.shape)}; "
                f"output in {value_range(record.output)}, {magnitude(record.output)}")
        if record.name == "ReLU" and record.output.ndim == 2:
            zeros = record.output == 0
            dead = int(np.count_nonzero(zeros.all(axis=0)))
            text += (f"; {np.count_nonzero(zeros)} of {record.output.size} outputs are 0, "
                     f"{dead} of {record.output.shape[1]} units are 0 for every sample of the batch"
                     + (" (no gradient reaches their weights)" if dead else ""))
        if record.name.startswith("Dropout"):
            dropped = int(np.count_nonzero((record.output == 0) & (record.input != 0)))
            text += f"; {dropped} of {record.input.size} units zeroed"
    elif stage.kind == "loss":
        text = (f"L = {trace.loss:.6g} ({trace.criterion}, batch of {len(trace.predictions)}); "
                f"∂L/∂ŷ: {magnitude(trace.loss_grad)}")
    elif stage.kind == "backward":
        record = trace.backward_record(stage.index)
        parts = [f"∂L/∂x: {magnitude(record.grad_input)}"]
        parts += [f"∂L/∂{name}: {magnitude(grad)}" for name, grad in record.grad_params.items()]
        text = "; ".join(parts)
    else:
        text = "; ".join(f"{u.param} moved by {magnitude(u.step)}" for u in trace.update_records(stage.index))
    if trace.first_nonfinite == stage:
        text += "  \n⚠ **The first NaN/inf of this iteration appears at this stage.**"
    return text


# --- figures ---

def tensor_figure(array, title, y_label, x_label, height):
    """heatmap() compacted for a page column: thin colour bar, smaller title, the given height."""
    return heatmap(array, title, y_label=y_label, x_label=x_label, height=height, compact=True)


def shown_rows(array):
    return min(as_matrix(array).shape[0], 128)


def row_height(arrays):
    """One height for figures side by side: the tallest one's heatmap height, at most MAX_HEIGHT."""
    return min(MAX_HEIGHT, max(heatmap_height(shown_rows(a)) for a in arrays))


def feature_label(array, word):
    """"feature", or "feature (flattened row-major)" for a tensor of more than two axes."""
    return word + (" (flattened row-major)" if np.ndim(array) > 2 else "")


def param_axes(name, value):
    rows, cols = PARAM_AXES.get(name, ("row", "column"))
    return ("row", cols) if np.ndim(value) < 2 else (rows, cols)


def tensor_panel(array, title, axes, row, key, height):
    return Panel(title=title, figure=tensor_figure(array, title, axes[0], axes[1], height), row=row, key=key)


def target_matrix(target, pred_shape, criterion=""):
    """(targets for display, description): class labels (N,) or (N, 1) in [0, K) become one-hot (N, K)."""
    target = np.asarray(target)
    n, k = pred_shape[0], pred_shape[-1]
    same = target.shape == tuple(pred_shape) and not (k == 1 and target.dtype.kind in "iu")
    if same or criterion_name(criterion) == "MSECriterion" or target.shape not in ((n,), (n, 1)):
        return target, "targets y"
    with np.errstate(invalid="ignore"):
        labels = target.reshape(n).astype(np.float64)
        fits = bool(np.all((labels >= 0) & (labels < k) & (np.mod(labels, 1) == 0)))
    if not fits:
        return target, "targets y"
    return one_hot(labels.astype(np.int64), k), "targets y (one-hot of labels)"


def predictions_vs_targets(predictions, target, criterion="", height=None):
    """Two heatmaps side by side: predictions ŷ (N, K) | targets y (N, K), rows = sample, columns = class/output."""
    targets, description = target_matrix(target, np.shape(predictions), criterion)
    classes = "NLL" in criterion_name(criterion)
    x_label = "class" if classes else "output"
    pred_title = "predictions ŷ" + (" (log-probabilities)" if criterion_name(criterion) == "NLLCriterion" else "")
    panels = [heatmap(predictions, pred_title, "sample", x_label), heatmap(targets, description, "sample", x_label)]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.16,
                        subplot_titles=[part.layout.title.text for part in panels])
    for col, part in enumerate(panels, start=1):
        for trace in part.data:
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(title_text=x_label, dtick=part.layout.xaxis.dtick, row=1, col=col)
        fig.update_yaxes(title_text="sample", autorange="reversed", dtick=part.layout.yaxis.dtick,
                         row=1, col=col)
    fig.update_traces(colorbar={"thickness": 12, "len": 0.9}, selector={"type": "heatmap"})
    fig.data[0].colorbar.x = 0.43
    fig.update_annotations(font_size=13)
    fig.update_layout(showlegend=False, height=height or max(260, row_height([predictions])),
                      margin={"l": 50, "r": 10, "t": 80, "b": 50})
    return fig


# --- panels of each stage kind ---

def heading(trace, stage, latex):
    return Panel(title=stage_label(trace, stage), latex=latex, caption=stage_summary(trace, stage),
                 key=f"{stage}-heading")


def forward_panels(trace, stage, layer):
    """Formula; input x, parameters before the update, output y; BatchNorm's batch statistics."""
    i = stage.index
    record = trace.forward[i]
    params = [(u.param, u.before) for u in trace.update_records(i)]
    height = row_height([record.input, record.output] + [value for _, value in params])
    latex = forward_formula(layer, record.input.shape, record.output.shape) if layer is not None else None
    row = f"{stage}-tensors"
    panels = [heading(trace, stage, latex),
              tensor_panel(record.input, "input x", ("sample", feature_label(record.input, "feature")),
                           row, f"{stage}-input", height)]
    panels += [tensor_panel(value, f"{PARAM_SYMBOLS.get(name, name)} (before update)", param_axes(name, value),
                            row, f"{stage}-param:{name}", height) for name, value in params]
    panels.append(tensor_panel(record.output, "output y", ("sample", feature_label(record.output, "unit")),
                               row, f"{stage}-output", height))
    if type(layer).__name__ == "BatchNormalization" and layer.training:
        panels += batch_statistics_panels(record.input, stage)
    return panels


def batch_statistics_panels(x, stage):
    """μ_B and σ²_B (1, K) of the layer's input, biased variance, as the training forward uses them."""
    with np.errstate(invalid="ignore"):
        mean, variance = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    height = row_height([mean])
    return [tensor_panel(mean, "batch mean μ_B", ("row", "feature"), f"{stage}-stats", f"{stage}-batch-mean",
                         height),
            tensor_panel(variance, "batch variance σ²_B", ("row", "feature"), f"{stage}-stats",
                         f"{stage}-batch-variance", height)]


def loss_panels(trace, stage):
    """Loss formula and value; predictions beside targets; the criterion's grad_input ∂L/∂ŷ."""
    predictions = trace.predictions
    x_label = "class" if "NLL" in criterion_name(trace.criterion) else "output"
    height = row_height([predictions])
    return [heading(trace, stage, criterion_formula(trace.criterion, predictions.shape)),
            Panel(title="predictions vs targets", key="loss-predictions-vs-targets",
                  figure=predictions_vs_targets(predictions, trace.target, trace.criterion, height)),
            tensor_panel(trace.loss_grad, "∂L/∂ŷ (criterion grad_input)", ("sample", x_label),
                         "loss-grad", "loss-grad_input", height)]


def backward_panels(trace, stage, layer):
    """Formula with shapes; grad_output ∂L/∂y, grad_input ∂L/∂x, each parameter's gradient."""
    record = trace.backward_record(stage.index)
    forward = trace.forward[stage.index]
    height = row_height([record.grad_output, record.grad_input] + list(record.grad_params.values()))
    latex = backward_formula(layer, forward.input.shape, forward.output.shape) if layer is not None else None
    row = f"{stage}-tensors"
    panels = [heading(trace, stage, latex),
              tensor_panel(record.grad_output, "∂L/∂y (grad_output)",
                           ("sample", feature_label(record.grad_output, "unit")), row, f"{stage}-grad_output",
                           height),
              tensor_panel(record.grad_input, "∂L/∂x (grad_input)",
                           ("sample", feature_label(record.grad_input, "feature")), row, f"{stage}-grad_input",
                           height)]
    panels += [tensor_panel(grad, f"∂L/∂{PARAM_SYMBOLS.get(name, name)}", param_axes(name, grad), row,
                            f"{stage}-grad:{name}", height) for name, grad in record.grad_params.items()]
    return panels


def update_panels(trace, stage):
    """Per parameter: the SGD-momentum formula with the numbers; before, gradient, velocity, step, after."""
    panels = [heading(trace, stage, None)]
    for u in trace.update_records(stage.index):
        symbol, axes, height = PARAM_SYMBOLS.get(u.param, u.param), param_axes(u.param, u.before), \
            row_height([u.before])
        row = f"{stage}-{u.param}"
        panels.append(Panel(title=f"{symbol}: SGD with momentum", key=f"{stage}-formula:{u.param}",
                            latex=update_formula(u.param, trace.learning_rate, trace.momentum, u.before.shape),
                            caption=f"v is the momentum buffer (velocity) kept between iterations; "
                                    f"{u.param} moved by {magnitude(u.step)}"))
        panels += [tensor_panel(array, title, axes, row, f"{stage}-{what}:{u.param}", height)
                   for what, title, array in (("before", f"{symbol} before", u.before),
                                              ("grad", f"∂L/∂{symbol}", u.grad),
                                              ("velocity", f"velocity v_{symbol}", u.velocity),
                                              ("step", "step = before − after", u.step),
                                              ("after", f"{symbol} after", u.after))]
    return panels


def stage_panels(trace, stage, layers=()):
    """The panels of one stage, in drawing order; `layers` = engine.sequential.layers_of(model), for formulas."""
    layer = layers[stage.index] if stage.index is not None and stage.index < len(layers or ()) else None
    with np.errstate(invalid="ignore", over="ignore"):
        if stage.kind == "forward":
            return forward_panels(trace, stage, layer)
        if stage.kind == "loss":
            return loss_panels(trace, stage)
        if stage.kind == "backward":
            return backward_panels(trace, stage, layer)
        if stage.kind == "update":
            return update_panels(trace, stage)
    raise ValueError(f"stage_panels: unknown stage kind {stage.kind!r} (stage {stage})")
