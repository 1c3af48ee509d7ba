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
from viz.heatmap import as_matrix

PARAM_AXES = {"W": ("input feature", "output unit"), "b": ("row", "output unit"),
              "gamma": ("row", "feature"), "beta": ("row", "feature")}
PARAM_SYMBOLS = {"gamma": "γ", "beta": "β"}


@dataclass(frozen=True)
class Tensor:
    """One tensor of a stage: id ("output", "param:W", "grad:W", "velocity:b", ...), its title, the array,
    the role of each axis of its matrix view (None: an axis of length 1), axis labels, and whether the
    stage computes it (a result)."""
    id: str
    title: str
    array: np.ndarray = field(repr=False)
    roles: tuple
    axes: tuple
    result: bool = False


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
    return word + (" (flattened row-major)" if np.ndim(array) > 2 else "")


def forward_tensors(trace, stage, layer):
    """x, the parameters before the update, y (the result); BatchNorm's batch statistics in training."""
    record = trace.forward[stage.index]
    x_roles, y_roles, _, _ = layer_roles(layer, getattr(layer, "training", True))
    tensors = [Tensor("input", "input x", record.input, x_roles, ("sample", feature_label(record.input, "feature")))]
    tensors += [Tensor(f"param:{u.param}", f"{symbol(u.param)} (before update)", u.before,
                       param_roles(layer, u.param), param_axes(u.param, u.before))
                for u in trace.update_records(stage.index)]
    tensors.append(Tensor("output", "output y", record.output, y_roles,
                          ("sample", feature_label(record.output, "unit")), result=True))
    if isinstance(layer, BatchNormalization) and layer.training and record.input.ndim == 2:
        with np.errstate(invalid="ignore"):
            mean, variance = record.input.mean(axis=0), record.input.var(axis=0)
        tensors += [Tensor("mean", "batch mean μ_B", mean, (None, "unit"), ("row", "feature")),
                    Tensor("variance", "batch variance σ²_B", variance, (None, "unit"), ("row", "feature"))]
    return tensors


def backward_tensors(trace, stage, layer):
    """grad_output, grad_input and each parameter gradient (the results)."""
    record = trace.backward_record(stage.index)
    _, _, g_roles, dx_roles = layer_roles(layer, getattr(layer, "training", True))
    tensors = [Tensor("grad_output", "∂L/∂y (grad_output)", record.grad_output, g_roles,
                      ("sample", feature_label(record.grad_output, "unit"))),
               Tensor("grad_input", "∂L/∂x (grad_input)", record.grad_input, dx_roles,
                      ("sample", feature_label(record.grad_input, "feature")), result=True)]
    tensors += [Tensor(f"grad:{name}", f"∂L/∂{symbol(name)}", grad, param_roles(layer, name),
                       param_axes(name, grad), result=True) for name, grad in record.grad_params.items()]
    return tensors


def loss_tensors(trace, targets, x_label):
    """Predictions, the targets as drawn, and the criterion's grad_input (the result)."""
    roles = ("sample", "class")
    return [Tensor("predictions", "predictions ŷ", trace.predictions, roles, ("sample", x_label)),
            Tensor("targets", targets[1], targets[0], roles, ("sample", x_label)),
            Tensor("loss_grad", "∂L/∂ŷ (criterion grad_input)", trace.loss_grad, roles, ("sample", x_label),
                   result=True)]


def update_tensors(trace, stage):
    """Per parameter: before, gradient, velocity, step (results: velocity and after)."""
    tensors = []
    for u in trace.update_records(stage.index):
        s, roles, axes = symbol(u.param), (f"{u.param}:row", f"{u.param}:col"), param_axes(u.param, u.before)
        roles = (None, roles[1]) if np.ndim(u.before) < 2 or u.param in ("gamma", "beta") else roles
        moving = ((("m", f"m of {s} (1st moment)", u.m), ("v", f"v of {s} (2nd moment)", u.v)) if u.m is not None
                  else (("velocity", f"velocity v_{s}", u.velocity),))
        tensors += [Tensor(f"{what}:{u.param}", title, array, roles, axes, result=what in ("velocity", "m", "v", "after"))
                    for what, title, array in (("before", f"{s} before", u.before), ("grad", f"∂L/∂{s}", u.grad),
                                               *moving, ("step", "step = before − after", u.step),
                                               ("after", f"{s} after", u.after))]
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
    """{tensor id: [(kind, row, col)]}: the focused entry ("cell"), and in every tensor that is not a
    result the rows, columns or cells it is computed from; the clicked cell outlined too."""
    out = {}
    for t in tensors:
        if t.id == focus.primary:
            out[t.id] = [("cell", *entry(t, focus.roles))]
        elif not t.result:
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
