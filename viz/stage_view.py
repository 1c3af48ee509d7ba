"""One stage of an IterationTrace as panels (heatmap figure, LaTeX, caption) for the Step page."""
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import plotly.graph_objects as go

from engine.data import one_hot
from i18n import N_, domain
from lab.network import settings_summary
from viz import entries
from viz.entries import PARAM_SYMBOLS
from viz.formulas import backward_formula, criterion_formula, criterion_name, forward_formula
from viz.optimizer_formulas import adam_formula, update_formula
from viz.grid import Tile, grid, is_vector
from viz.picture import picture

_, ngettext = domain("viz")
KIND_TITLES = {"forward": N_("Forward · layer {index} · {layer}"), "backward": N_("Backward · layer {index} · {layer}"),
               "update": N_("Update · layer {index} · {layer}")}


@dataclass(frozen=True)
class Panel:
    """One thing to draw: tensors, a figure, LaTeX and/or a caption; consecutive panels with the same `row` go side
    by side (wrapping to the next line where the page is too narrow). `tiles` [(viz.grid.Tile, strip)]: tensors
    drawn as one grid `scale` times its size, as a Plotly figure (`figure`) or a picture for the page's component
    (`picture`, viz.picture), each made when first asked for; `tiled`: blocks (viz.tiled.Tiled, a CNN's channel
    maps or kernels) drawn either way alike; `chart`: a figure drawn as it is. `tensors`: the ids of the tensors
    drawn (entries.Tensor.id), whose cells a click selects."""
    title: str
    chart: go.Figure | None = None
    latex: str | None = None
    caption: str | None = None
    row: str = ""
    key: str = ""
    tensors: tuple = ()
    tiles: tuple = field(default=(), repr=False, compare=False)
    scale: float = 1.0
    tiled: object = field(default=None, repr=False, compare=False)

    @property
    def drawn(self):
        """True for a panel with a chart or tensors (not only text)."""
        return self.chart is not None or bool(self.tiles) or self.tiled is not None

    @cached_property
    def figure(self):
        if self.tiled is not None:
            return self.tiled.figure
        return self.chart if self.chart is not None else grid(list(self.tiles), self.scale) if self.tiles else None

    @cached_property
    def picture(self):
        if self.tiled is not None:
            return self.tiled.picture
        return picture(list(self.tiles), self.scale) if self.tiles else None


def with_pictures(panels):
    """panels, each one's picture made (viz.picture): for a thread that prepares the next stage before it is shown."""
    for panel in panels:
        _ = panel.picture
    return panels


def panel_rows(panels):
    """[[Panel]]: consecutive panels sharing a non-empty `row` grouped, each other panel alone."""
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
        return _("Loss · {criterion}").format(criterion=trace.criterion)
    title = KIND_TITLES.get(stage.kind)
    if title is None:
        return f"{stage.kind.capitalize()} · layer {stage.index} · {layer_name(trace, stage.index)}"
    return _(title).format(index=stage.index, layer=layer_name(trace, stage.index))


def optimizer_text(trace):
    """"SGD lr 0.01, momentum 0.9" or "Adam lr 0.001, β1 0.9, β2 0.999, ε 1e-08, step t = 3"."""
    if getattr(trace, "optimizer", "SGD") == "Adam":
        return _("{settings}, step t = {t}").format(settings=settings_summary("Adam", trace.config), t=trace.config["t"])
    return settings_summary("SGD", {"learning_rate": trace.learning_rate, "momentum": trace.momentum})


def stage_labels(trace):
    """stage_label of every stage, in trace.stages order (for a strip or a jump control)."""
    return [stage_label(trace, stage) for stage in trace.stages]


def magnitude(array):
    """"max |.| = 0.1234", with the NaN/inf count when there are any."""
    a = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(a)
    text = f"max |·| = {np.max(np.abs(a[finite])):.4g}" if finite.any() else _("no finite value")
    bad = a.size - int(np.count_nonzero(finite))
    return text + (f", ⚠ {bad} NaN/inf" if bad else "")


def value_range(array):
    a = np.asarray(array, dtype=np.float64)
    finite = a[np.isfinite(a)]
    return f"[{finite.min():.4g}, {finite.max():.4g}]" if finite.size else _("no finite value")


def stage_summary(trace, stage):
    """Markdown: what this stage produced (shapes, ranges, loss value, max |grad|, first NaN/inf)."""
    if stage.kind == "forward":
        record = trace.forward[stage.index]
        text = _("`{layer}` maps {input} → {output}; output in {range}, {magnitude}").format(
            layer=record.name, input=tuple(record.input.shape), output=tuple(record.output.shape),
            range=value_range(record.output), magnitude=magnitude(record.output))
        if record.name == "ReLU" and record.output.ndim == 2:
            zeros = record.output == 0
            dead = int(np.count_nonzero(zeros.all(axis=0)))
            text += "; " + ngettext("{zeros} of {n} output is 0", "{zeros} of {n} outputs are 0", record.output.size).format(
                zeros=np.count_nonzero(zeros), n=record.output.size)
            text += ", " + ngettext("{dead} of {n} unit is 0 for every sample of the batch",
                                    "{dead} of {n} units are 0 for every sample of the batch",
                                    record.output.shape[1]).format(dead=dead, n=record.output.shape[1])
            text += (" " + _("(no gradient reaches their weights)") if dead else "")
        if record.name.startswith("Dropout"):
            dropped = int(np.count_nonzero((record.output == 0) & (record.input != 0)))
            text += "; " + ngettext("{dropped} of {n} unit zeroed", "{dropped} of {n} units zeroed",
                                    record.input.size).format(dropped=dropped, n=record.input.size)
    elif stage.kind == "loss":
        text = _("L = {loss} ({criterion}, batch of {n}); ∂L/∂ŷ: {magnitude}").format(
            loss=f"{trace.loss:.4g}", criterion=trace.criterion, n=len(trace.predictions),
            magnitude=magnitude(trace.loss_grad))
    elif stage.kind == "backward":
        record = trace.backward_record(stage.index)
        parts = [f"∂L/∂x: {magnitude(record.grad_input)}"]
        parts += [f"∂L/∂{name}: {magnitude(grad)}" for name, grad in record.grad_params.items()]
        text = "; ".join(parts)
    else:
        moved = _("{param} moved by {magnitude}")
        text = "; ".join(moved.format(param=u.param, magnitude=magnitude(u.step)) for u in trace.update_records(stage.index))
    if trace.first_nonfinite == stage:
        text += "  \n" + _("⚠ **The first NaN/inf of this iteration appears at this stage.**")
    return text


# --- figures ---

def target_matrix(target, pred_shape, criterion=""):
    """(targets for display, description): class labels (N,) or (N, 1) in [0, K) become one-hot (N, K)."""
    target = np.asarray(target)
    n, k = pred_shape[0], pred_shape[-1]
    same = target.shape == tuple(pred_shape) and not (k == 1 and target.dtype.kind in "iu")
    if same or criterion_name(criterion) == "MSECriterion" or target.shape not in ((n,), (n, 1)):
        return target, _("targets y")
    with np.errstate(invalid="ignore"):
        labels = target.reshape(n).astype(np.float64)
        fits = bool(np.all((labels >= 0) & (labels < k) & (np.mod(labels, 1) == 0)))
    if not fits:
        return target, _("targets y")
    return one_hot(labels.astype(np.int64), k), _("targets y (one-hot of labels)")


def tensor_panels(tensors, stage, focus, row, scale=1.0, every=None):
    """A stage's tensors as one figure (viz.grid): each matrix at its own size, consecutive vectors of one
    length stacked as strips; the focused entry and what it is made of outlined (`every`: all the stage's
    tensors, the hidden results too, whose operands say what that is)."""
    if not tensors:
        return []
    marks = entries.marks(every or tensors, focus) if focus is not None else {}
    tiles = [(Tile(t.id, t.title, t.array, t.axes, tuple(marks.get(t.id, ()))),
              t.roles[0] is None and is_vector(t.array) and np.size(t.array) > 1) for t in tensors]
    return [Panel(title=tensors[0].title, tiles=tuple(tiles), scale=scale, row=row, key=row,
                  tensors=tuple(t.id for t in tensors))]


def is_revealing(tensor):
    """True for what a stage computes (its results, and an update's step): hidden while the learner predicts."""
    return tensor.result or tensor.id.startswith("step:")


def waiting(tensors):
    """The caption that stands for a stage's hidden results."""
    names = ", ".join(dict.fromkeys(t.title for t in tensors if is_revealing(t)))
    return _("Hidden until you answer: {names}. The inputs are drawn as they are.").format(names=names)


def stage_tensors(trace, stage, layers=()):
    """The entries.Tensor list of a stage, in drawing order."""
    layer = layers[stage.index] if stage.index is not None and stage.index < len(layers or ()) else None
    if stage.kind == "forward":
        return entries.forward_tensors(trace, stage, layer)
    if stage.kind == "loss":
        x_label = N_("class") if "NLL" in criterion_name(trace.criterion) else N_("output")
        return entries.loss_tensors(trace, target_matrix(trace.target, np.shape(trace.predictions), trace.criterion),
                                    x_label)
    if stage.kind == "backward":
        return entries.backward_tensors(trace, stage, layer)
    if stage.kind == "update":
        return entries.update_tensors(trace, stage)
    raise ValueError(f"stage_tensors: unknown stage kind {stage.kind!r} (stage {stage})")


def heading(trace, stage, latex, caption=None):
    return Panel(title=stage_label(trace, stage), latex=latex, caption=caption or stage_summary(trace, stage),
                 key=f"{stage}-heading")


def stage_panels(trace, stage, layers=(), focus=None, hide_results=False, scale=1.0, kernels_below=True):
    """The panels of one stage, in drawing order; `layers` = engine.sequential.layers_of(model), for
    formulas; `focus` (entries.Focus): the entry worked out by hand, outlined with what it is made of.
    hide_results: only the formula and the inputs' heatmaps, no summary of the results (Predict first,
    a faded by-hand entry); scale: every figure enlarged (presenter mode); kernels_below: the page draws
    a Conv2d's kernels W and ∂L/∂W as kernel grids under the stage (viz.channel_view, the Step page), so the
    grid leaves them out and a caption says where they are (False: the grid draws them, the bug hunt)."""
    layer = layers[stage.index] if stage.index is not None and stage.index < len(layers or ()) else None
    with np.errstate(invalid="ignore", over="ignore"):
        tensors = stage_tensors(trace, stage, layers)
        focus = focus or entries.default_focus(tensors)
        if stage.kind == "update":
            return update_panels(trace, stage, tensors, focus, hide_results, scale)
        if stage.kind == "forward":
            record = trace.forward[stage.index]
            latex = forward_formula(layer, record.input.shape, record.output.shape) if layer is not None else None
        elif stage.kind == "loss":
            latex = criterion_formula(trace.criterion, trace.predictions.shape)
        else:
            record = trace.forward[stage.index]
            latex = backward_formula(layer, record.input.shape, record.output.shape) if layer is not None else None
        shown = [t for t in tensors if not is_revealing(t)] if hide_results else tensors
        below = [t for t in shown if kernels_below and t.id in KERNEL_IDS and np.ndim(t.array) == 4]
        return [heading(trace, stage, latex, waiting(tensors) if hide_results else None)] + tensor_panels(
            [t for t in shown if t.id not in {b.id for b in below}], stage, focus, f"{stage}-tensors", scale, tensors) + (
            [kernels_note(below, stage)] if below else [])


KERNEL_IDS = ("param:W", "grad:W")  # a Conv2d's 4-D kernels and their gradient: drawn by viz.channel_view


def kernels_note(tensors, stage):
    """The caption that stands for a Conv2d's kernels in the grid: they are drawn once, as kernel grids below."""
    names = (" " + _("and") + " ").join(f"{t.title} {tuple(np.shape(t.array))}" for t in tensors)
    return Panel(title=_("kernels"), caption=_("{names}: drawn below as grids of kernels, one row per output channel "
                 "o and one column per input channel c, under “One sample's channels”.").format(names=names),
                 key=f"{stage}-kernels-note",
                 tensors=tuple(t.id for t in tensors))


def update_panels(trace, stage, tensors, focus, hide_results=False, scale=1.0):
    """Per parameter: the SGD-momentum formula with the numbers; before, gradient, velocity, step, after."""
    panels = [heading(trace, stage, None, waiting(tensors) if hide_results else None)]
    for u in trace.update_records(stage.index):
        symbol = PARAM_SYMBOLS.get(u.param, u.param)
        moved = "" if hide_results else "; " + _("{param} moved by {magnitude}").format(
            param=u.param, magnitude=magnitude(u.step))
        moved = ("; " + _("this is the first step, so what was kept from the last one is 0") if entries.first_step(u)
                 else "") + moved
        if getattr(trace, "optimizer", "SGD") == "Adam":
            panels.append(Panel(title=f"{symbol}: Adam", key=f"{stage}-formula:{u.param}",
                                latex=adam_formula(u.param, trace.config, u.before.shape),
                                caption=_("m and v (the moving averages of the gradient and of its square) are "
                                          "kept between iterations; the bias correction divides them by "
                                          "1 − β^t") + moved))
        else:
            panels.append(Panel(title=_("{param}: SGD with momentum").format(param=symbol), key=f"{stage}-formula:{u.param}",
                                latex=update_formula(u.param, trace.learning_rate, trace.momentum, u.before.shape),
                                caption=_("v is the momentum buffer (velocity) kept between iterations") + moved))
        mine = [t for t in tensors if t.id.endswith(f":{u.param}")]
        own = focus if focus.primary.endswith(f":{u.param}") else entries.default_focus(mine)
        shown = [t for t in mine if not is_revealing(t)] if hide_results else mine
        panels += tensor_panels(shown, stage, own, f"{stage}-{u.param}", scale, mine)
    return panels
