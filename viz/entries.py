"""entries: the tensors of one stage, what their axes mean, and which entries one result is computed from.

Every tensor a stage shows carries a role per axis of its matrix view: y[n, j] of a Linear has roles
(sample, out), its input x (sample, in), W (in, out), b (-, out). An entry of a result fixes its roles;
the entries of the other tensors it is computed from are those that share them: y[n, j] = sum_i x[n, i]
W[i, j] + b[j] uses row n of x, column j of W and b[j]. So a click on any cell picks the result entry
that uses it, and the page outlines what that entry is made of.
"""
from dataclasses import dataclass, field

import numpy as np

from engine import BatchNormalization, Linear, LogSoftMax, SoftMax
from engine.grade.iteration import parse_layer
from i18n import N_, domain
from viz.operands import backward_operands, forward_operands, loss_operands, update_operands
from viz.grid import is_vector, prints_values
from viz.heatmap import as_matrix
from viz.latex_sums import MAX_TERMS

_, ngettext = domain("viz")

# Axis labels stay English here (viz.grid reads "sample"); viz.grid and viz.heatmap show them translated.
AXES = (N_("sample"), N_("feature"), N_("unit"), N_("row"), N_("column"), N_("class"), N_("output"))
PARAM_AXES = {"W": (N_("input feature"), N_("output unit")), "b": ("row", N_("output unit")),
              "gamma": ("row", "feature"), "beta": ("row", "feature")}
FLATTENED = {"feature": N_("feature (flattened row-major)"), "unit": N_("unit (flattened row-major)")}
PARAM_SYMBOLS = {"gamma": "γ", "beta": "β"}


@dataclass(frozen=True)
class Tensor:
    """One tensor of a stage: id ("output", "param:W", "grad:W", "velocity:b", ...), its title, the array,
    the role of each axis of its matrix view (None: an axis of length 1), axis labels, whether the
    stage computes it (a result), and what a result is computed from."""
    id: str
    title: str
    array: np.ndarray = field(repr=False)
    roles: tuple
    axes: tuple
    result: bool = False
    reads: tuple = ()  # a result's operands: the ids of the tensors its formula reads (viz.operands)


@dataclass(frozen=True)
class Focus:
    """The result entry being explained: the result's id and the index of every role its entry fixes; the
    cell clicked (tensor id, row, column of its matrix view) and its roles too, if it came from a click
    (the other results' entries follow those: a click on grad_output[n, j] picks dW[i, j] and db[j])."""
    primary: str
    roles: dict
    clicked: tuple = None
    context: dict = None

    @property
    def key(self):
        """A hashable key of the focus (for caches)."""
        return (self.primary, tuple(sorted(self.roles.items())), self.clicked,
                tuple(sorted((self.context or {}).items())))

    @property
    def choice(self):
        return {**(self.context or {}), **self.roles}


def biggest(m, fixed=None):
    """(row, col) of the largest finite |value| of matrix m, among rows/columns fixed by `fixed` (row, col)."""
    a = np.abs(np.asarray(m, dtype=np.float64))
    a[~np.isfinite(a)] = -1.0
    row, col = fixed or (None, None)
    rows = range(a.shape[0]) if row is None else [row]
    cols = range(a.shape[1]) if col is None else [col]
    sub = a[np.ix_(list(rows), list(cols))]
    r, c = np.unravel_index(int(np.argmax(sub)), sub.shape)
    return list(rows)[r], list(cols)[c]


def entry(tensor, roles):
    """(row, col) in tensor's matrix view: the axes whose role is in `roles` fixed, the rest the largest |value|."""
    m = as_matrix(tensor.array)
    fixed = tuple(0 if role is None else roles.get(role) for role in tensor.roles)
    fixed = tuple(None if (i is None or not 0 <= i < size) else i for i, size in zip(fixed, m.shape))
    return biggest(m, fixed)


def roles_at(tensor, row, col):
    """{role: index} of the entry (row, col) of tensor's matrix view."""
    return {role: index for role, index in zip(tensor.roles, (row, col)) if role is not None}


# --- the tensors of each stage, with their roles ---

def layer_roles(layer, training):
    """((x roles), (y roles), (grad_output roles), (grad_input roles)): how an entry of y depends on x, and
    an entry of grad_input on grad_output."""
    if isinstance(layer, (Linear, SoftMax, LogSoftMax)):  # y[n, j] and dx[n, i] use whole rows
        return ("sample", "in"), ("sample", "out"), ("sample", "out"), ("sample", "in")
    if isinstance(layer, BatchNormalization) and training:  # ... and here whole columns of the batch
        return ("batch", "unit"), ("sample", "unit"), ("batch", "unit"), ("sample", "unit")
    return (("sample", "unit"),) * 4  # elementwise


def param_roles(layer, name):
    if isinstance(layer, Linear):
        return ("in", "out") if name == "W" else (None, "out")
    return (None, "unit")


def param_axes(name, value):
    rows, cols = PARAM_AXES.get(name, ("row", "column"))
    return ("row", cols) if np.ndim(value) < 2 else (rows, cols)


def symbol(name):
    return PARAM_SYMBOLS.get(name, name)


def feature_label(array, word):
    """"feature", or "feature (flattened row-major)" for a tensor of more than two axes."""
    return FLATTENED.get(word, word + " (flattened row-major)") if np.ndim(array) > 2 else word


def training_of(layer):
    return getattr(layer, "training", True)


def kind_of(trace, stage, layer):
    """The layer's class name (from the record where the model has no such layer)."""
    return type(layer).__name__ if layer is not None else parse_layer(trace.forward[stage.index].name)[0]


def dropout_mask(trace, index):
    """M (0 or 1) of a training Dropout: kept where y or the gradient passed through it."""
    forward, backward = trace.forward[index], trace.backward_record(index)
    return ((forward.output != 0) | (backward.grad_input != 0)).astype(np.float64)


def operand_tensor(trace, stage, layer, tensor_id):
    """The Tensor of one operand of a forward or backward stage (viz.operands), as the forward recorded it."""
    record, index = trace.forward[stage.index], stage.index
    x, y = record.input, record.output
    x_roles, y_roles, g_roles, _dx_roles = layer_roles(layer, training_of(layer))
    if stage.kind == "backward":
        y_roles = g_roles  # y and grad_output share their shape: one role per axis
    unit_axes = ("sample", feature_label(y, "unit"))
    if tensor_id == "input":
        return Tensor("input", _("input x (forward)") if stage.kind == "backward" else _("input x"), x, x_roles,
                      ("sample", feature_label(x, "feature")))
    if tensor_id == "output":
        return Tensor("output", _("output y (forward)"), y, y_roles, unit_axes)
    if tensor_id == "softmax":
        with np.errstate(over="ignore"):
            return Tensor("softmax", "a = softmax(x) = e^y", np.exp(y), y_roles, unit_axes)
    if tensor_id == "mask":
        return Tensor("mask", _("mask M (1 kept, 0 dropped)"), dropout_mask(trace, index), y_roles, unit_axes)
    if tensor_id.startswith("param:"):
        u = next(u for u in trace.update_records(index) if u.param == tensor_id[len("param:"):])
        return Tensor(tensor_id, _("{param} (before update)").format(param=symbol(u.param)), u.before, param_roles(layer, u.param),
                      param_axes(u.param, u.before))
    with np.errstate(invalid="ignore"):
        stats = {"mean": (N_("batch mean μ_B"), lambda: x.mean(axis=0)),
                 "variance": (N_("batch variance σ²_B"), lambda: x.var(axis=0)),
                 "moving_mean": (N_("moving mean m"), lambda: np.asarray(layer.moving_mean)),
                 "moving_variance": (N_("moving variance v"), lambda: np.asarray(layer.moving_variance))}
        title, value = stats[tensor_id]
        return Tensor(tensor_id, _(title), value(), (None, "unit"), ("row", "feature"))


OPERAND_ORDER = ("input", "output", "softmax", "mask", "mean", "variance", "moving_mean", "moving_variance")


def drawing_order(tensor_id):
    """x first, then what the forward made of it, then the parameters (as the forward draws them)."""
    return OPERAND_ORDER.index(tensor_id) if tensor_id in OPERAND_ORDER else len(OPERAND_ORDER)


def operand_tensors(trace, stage, layer, declared, skip=()):
    """The Tensors of every operand `declared` ({result: operand ids}) reads, except `skip`, x first."""
    ids = dict.fromkeys(i for reads in declared.values() for i in reads if i not in skip)
    return [operand_tensor(trace, stage, layer, i) for i in sorted(ids, key=drawing_order)]


def forward_tensors(trace, stage, layer):
    """Every operand of the forward (x, the parameters before the update, BatchNorm's statistics, Dropout's
    mask), then y (the result)."""
    record = trace.forward[stage.index]
    declared = forward_operands(kind_of(trace, stage, layer), training_of(layer))
    if record.input.ndim != 2:  # statistics of a feature vector only
        declared = {"output": tuple(i for i in declared["output"] if "mean" not in i and "variance" not in i)}
    y_roles = layer_roles(layer, training_of(layer))[1]
    return operand_tensors(trace, stage, layer, declared) + [Tensor(
        "output", _("output y"), record.output, y_roles, ("sample", feature_label(record.output, "unit")),
        result=True, reads=declared["output"])]


def backward_tensors(trace, stage, layer):
    """grad_output and every other operand of the backward (viz.operands), then grad_input and each
    parameter gradient (the results)."""
    record = trace.backward_record(stage.index)
    declared = backward_operands(kind_of(trace, stage, layer), training_of(layer))
    _x_roles, _y_roles, g_roles, dx_roles = layer_roles(layer, training_of(layer))
    tensors = [Tensor("grad_output", "∂L/∂y (grad_output)", record.grad_output, g_roles,
                      ("sample", feature_label(record.grad_output, "unit")))]
    tensors += operand_tensors(trace, stage, layer, declared, skip=("grad_output",))
    tensors.append(Tensor("grad_input", "∂L/∂x (grad_input)", record.grad_input, dx_roles,
                          ("sample", feature_label(record.grad_input, "feature")), result=True,
                          reads=declared["grad_input"]))
    tensors += [Tensor(f"grad:{name}", f"∂L/∂{symbol(name)}", grad, param_roles(layer, name),
                       param_axes(name, grad), result=True, reads=declared.get(f"grad:{name}", ()))
                for name, grad in record.grad_params.items()]
    return tensors


def loss_tensors(trace, targets, x_label):
    """Predictions, the targets as drawn, and the criterion's grad_input (the result)."""
    roles = ("sample", "class")
    return [Tensor("predictions", _("predictions ŷ"), trace.predictions, roles, ("sample", x_label)),
            Tensor("targets", targets[1], targets[0], roles, ("sample", x_label)),
            Tensor("loss_grad", _("∂L/∂ŷ (criterion grad_input)"), trace.loss_grad, roles, ("sample", x_label),
                   result=True, reads=loss_operands()["loss_grad"])]


def first_step(u):
    """True at an optimizer's first step: no velocity (or m and v) kept from a last one, i.e. all 0."""
    return (u.previous_velocity if u.m is None else u.previous_m) is None


def update_tensors(trace, stage):
    """Per parameter: before, gradient, what the last step kept (velocity, or Adam's m and v), then the
    results (velocity or m and v, Adam's step, after). SGD's step before − after is its velocity, drawn once."""
    tensors = []
    for u in trace.update_records(stage.index):
        s, roles, axes = symbol(u.param), (f"{u.param}:row", f"{u.param}:col"), param_axes(u.param, u.before)
        roles = (None, roles[1]) if np.ndim(u.before) < 2 or u.param in ("gamma", "beta") else roles
        first = first_step(u)
        if u.m is not None:
            held = (("m_prev", _("m of {param} from the last step").format(param=s), u.previous_m),
                    ("v_prev", _("v of {param} from the last step").format(param=s), u.previous_v))
            moving = (("m", _("m of {param} (1st moment)").format(param=s), u.m),
                      ("v", _("v of {param} (2nd moment)").format(param=s), u.v))
        else:
            held = (("velocity_prev", _("velocity v_{param} from the last step").format(param=s), u.previous_velocity),)
            moving = (("velocity", _("velocity v_{param}").format(param=s), u.velocity),)
        step = (("step", _("step = before − after"), u.step),) if u.m is not None else ()  # SGD's is v
        held = () if first else held  # the first step's are 0: the caption says so (viz.stage_view)
        declared = update_operands(u.param, u.m is not None, first)
        tensors += [Tensor(f"{what}:{u.param}", title, array, roles, axes, result=what in ("velocity", "m", "v", "after"),
                           reads=declared.get(f"{what}:{u.param}", ()))
                    for what, title, array in (("before", _("{param} before").format(param=s), u.before),
                                               ("grad", f"∂L/∂{s}", u.grad), *held, *moving,
                                               *step,
                                               ("after", _("{param} after").format(param=s), u.after))]
    return tensors


# --- focus: which result entry, and what it is made of ---

def default_primary(tensors):
    return next(t.id for t in tensors if t.result)


def focus_at(tensors, tensor_id, row, col):
    """The Focus of a click on cell (row, col) of tensor `tensor_id`'s matrix view: that result entry, or
    for an input the entry of the stage's main result that uses it."""
    by_id = {t.id: t for t in tensors}
    clicked = by_id[tensor_id]
    roles = roles_at(clicked, row, col)
    if clicked.result:
        primary = clicked
    else:
        shared = [t for t in tensors if t.result and set(roles) & {r for r in t.roles if r}]
        primary = shared[0] if shared else by_id[default_primary(tensors)]
    return Focus(primary.id, roles_at(primary, *entry(primary, roles)), (tensor_id, int(row), int(col)), roles)


def default_focus(tensors):
    """The focus before any click: the largest-magnitude entry of the stage's main result."""
    primary = next(t for t in tensors if t.result)
    return Focus(primary.id, roles_at(primary, *entry(primary, {})))


def marks(tensors, focus):
    """{tensor id: [(kind, row, col)]}: the focused entry ("cell"), and in every operand its result reads
    the rows, columns or cells it is computed from; the clicked cell outlined too."""
    out = {}
    reads = next((t.reads for t in tensors if t.id == focus.primary), ())
    for t in tensors:
        if t.id == focus.primary:
            out[t.id] = [("cell", *entry(t, focus.roles))]
        elif not t.result and (not reads or t.id in reads):
            fixed = [None if role is None else focus.roles.get(role) for role in t.roles]
            fixed = [0 if role is None else i for role, i in zip(t.roles, fixed)]
            known = [i is not None for i in fixed]
            if all(known):
                out[t.id] = [("cell", fixed[0], fixed[1])]
            elif any(known) and any(role is not None and role in focus.roles for role in t.roles):
                out[t.id] = [("band", fixed[0], fixed[1])]
    if focus.clicked and focus.clicked[0] != focus.primary:
        tensor_id, row, col = focus.clicked
        out.setdefault(tensor_id, [])
        if ("cell", row, col) not in out[tensor_id]:
            out[tensor_id].append(("cell", row, col))
    return out


def prints_numbers(tensor):
    """True when the Step page prints a tensor's numbers in its cells (a vector of a row role: as a strip); a
    larger one is only coloured, its numbers on hover."""
    strip = tensor.roles[0] is None and is_vector(tensor.array) and np.size(tensor.array) > 1
    return prints_values(tensor.array, tensor.title, strip)


def hovers(tensors, focus, patch=0):
    """How many cells of one operand that prints no numbers the focused entry reads, at most: what a learner
    hovers to work it out from the page (a cell: 1; a row or a column: its length). patch: the cells of x an entry
    of y reads where the grid outlines one (a Conv2d's C_in × k × k window, outlined on the channel maps)."""
    most, marked = 0, marks(tensors, focus)
    for t in tensors:
        if t.result or prints_numbers(t):
            continue
        rows, cols = as_matrix(t.array).shape
        for kind, row, col in marked.get(t.id, ()):
            cells = 1 if kind == "cell" else cols if col is None else rows
            most = max(most, patch if t.id == "input" and focus.primary == "output" else 0, cells)
    return most


def answerable(tensors, patch=0, most=MAX_TERMS):
    """A predicate on a stage's Predict-first question (lab.predict.question's readable): False for an entry's
    value that reads more than `most` cells of one tensor that prints no numbers (on the digits MLP, y[10, 55]
    reads 128 cells of x and 128 of W, hovered one by one), so the stage asks another kind. A single cell, or a
    row of 10 to hover, is asked. patch: as in hovers."""
    results = {t.id for t in tensors if t.result}

    def answerable_here(question):
        return question.about is None or question.about[0] not in results \
            or hovers(tensors, focus_at(tensors, *question.about), patch) <= most
    return answerable_here


def chooser(tensors, focus):
    """at(result id, array) -> the index (in the array's own shape) of the entry to work out by hand: the
    focus's entry for results that share its roles, else the result's largest-magnitude entry."""
    by_id = {t.id: t for t in tensors}

    def at(tensor_id, array):
        tensor = by_id.get(tensor_id)
        m = as_matrix(array)
        r, c = entry(tensor, focus.choice) if tensor is not None and focus is not None else biggest(m)
        return (c,) if np.ndim(array) == 1 else (r, c) if np.ndim(array) == 2 else \
            tuple(int(i) for i in np.unravel_index(r * m.shape[1] + c, np.shape(array)))
    return at
