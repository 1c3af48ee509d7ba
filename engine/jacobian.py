"""Jacobians of a module: from its own backward, by central differences, and in closed form.

Convention everywhere: rows = outputs, columns = inputs (or parameter entries), both
flattened row-major, so J[j, i] = d y.flat[j] / d x.flat[i].  For a batch x (N, n_in)
-> y (N, n_out) the Jacobian is (N*n_out, N*n_in); sample s is the block
J[s*n_out:(s+1)*n_out, s*n_in:(s+1)*n_in], and the blocks between different samples
are zero unless the layer couples the samples (BatchNormalization in training mode).

No function here changes the module it is given: each works on ``float64_copy(module)``,
a deep copy in float64 (every floating array of every layer is cast, x too, so a float32
model is examined in float64), with its hooks removed (so a recorder attached to the
module sees nothing) and every Dropout's ``freeze_mask`` set: the mask of the module's
last forward is reused when its shape fits, otherwise one is sampled once and then held.
"""
import copy

import numpy as np

from i18n import domain

from .activations import Activation
from .batchnorm import BatchNormalization
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .gradcheck import GradcheckEntry, GradcheckResult, gradcheck
from .image_jacobians import conv2d_jacobian, maxpool2d_jacobian
from .linear import Linear
from .module import LayerError, Module, is_real
from .pool import MaxPool2d
from .scaling import Scaling
from .sequential import Sequential
from .softmax import LogSoftMax, SoftMax

_, ngettext = domain("engine")

__all__ = [
    "float64_copy", "input_jacobian", "numerical_input_jacobian", "param_jacobian",
    "numerical_param_jacobian", "param_jacobians", "numerical_param_jacobians",
    "analytic_jacobian", "gradcheck", "GradcheckResult", "GradcheckEntry",
]


# --- checks and the frozen float64 copy ---

def describe(module):
    """A one-line name: "Linear(4 -> 3)" or "Sequential(Linear(4 -> 3), ReLU)"."""
    text = repr(module).replace("\n", ", ")
    return f"Sequential({text})" if isinstance(module, Sequential) and len(module) else text


def check_module(module):
    if not isinstance(module, Module):
        raise ValueError(_("expected an engine Module, got {type}").format(type=type(module).__name__))


def as_float64(x, what="x"):
    """A float64 copy of x; ValueError unless x is a non-empty numeric NumPy array."""
    if not isinstance(x, np.ndarray):
        raise ValueError(_("{what} must be a NumPy array, got {type}").format(what=what, type=type(x).__name__))
    if x.dtype.kind not in "biuf" or x.size == 0:
        raise ValueError(_("{what} must be a non-empty real array, got dtype {dtype} shape {shape}").format(
            what=what, dtype=x.dtype, shape=x.shape))
    return np.array(x, dtype=np.float64)


def check_eps(eps):
    if not is_real(eps) or eps <= 0:
        raise ValueError(_("eps must be a finite number > 0, got {value}").format(value=repr(eps)))
    return float(eps)


def float64_copy(module):
    """A float64 deep copy of module without hooks and with every Dropout mask frozen."""
    check_module(module)
    # Map the hook dicts to fresh empty ones in deepcopy's memo: the hooks (and whatever
    # objects they are bound to) are neither copied nor fired by the copy.
    memo = {}
    for m in module.walk():
        for attr in ("_forward_hooks", "_backward_hooks"):
            if isinstance(getattr(m, attr, None), dict):
                memo[id(getattr(m, attr))] = {}
    clone = copy.deepcopy(module, memo)
    for m in clone.walk():
        if isinstance(m, Dropout):
            m.freeze_mask = True
        for attr, value in list(vars(m).items()):
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float64:
                setattr(m, attr, value.astype(np.float64))
    return clone


def parameter_names(module):
    return [name for name, _, _ in module.named_parameters()]


def check_name(module, name):
    names = parameter_names(module)
    if name not in names:
        raise ValueError(_("{layer}: no parameter named {name}; known names: {names}").format(
            layer=describe(module), name=repr(name), names=names))


def lookup(module, name):
    """(value, grad) of the named parameter, read afresh (layers may rebind their grad fields)."""
    for known, value, grad in module.named_parameters():
        if known == name:
            return value, grad
    raise ValueError(_("{layer}: no parameter named {name}").format(layer=describe(module), name=repr(name)))


# --- the engines: they work on a frozen copy, which they may change ---

def forward_copy(clone, x):
    """A float64 copy of clone.forward(x) (Dropout in evaluate mode returns its input itself)."""
    return np.array(clone.forward(x), dtype=np.float64)


def backprop_jacobians(clone, x, names=()):
    """One forward, then backward(x, e_j) per output j: (J_input (y.size, x.size), {name: (y.size, p.size)})."""
    out = clone.forward(x)
    J_input = np.empty((out.size, x.size))
    J_params = {name: np.empty((out.size, lookup(clone, name)[0].size)) for name in names}
    for j in range(out.size):
        e_j = np.zeros(out.shape)
        e_j.flat[j] = 1.0
        J_input[j] = np.ravel(clone.backward(x, e_j))  # the row assignment copies
        for name, J in J_params.items():
            J[j] = np.ravel(lookup(clone, name)[1])
    return J_input, J_params


def central_input_jacobian(clone, x, eps):
    """Column i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps);  (y.size, x.size)."""
    base = forward_copy(clone, x)  # also samples the Dropout masks held for every perturbation
    J = np.empty((base.size, x.size))
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += eps
        minus.flat[i] -= eps
        J[:, i] = np.ravel(forward_copy(clone, plus) - forward_copy(clone, minus)) / (2 * eps)
    return J


def central_param_jacobian(clone, x, name, eps):
    """Column i = (f(p + eps e_i) - f(p - eps e_i)) / (2 eps) for parameter entry i;  (y.size, p.size)."""
    value = lookup(clone, name)[0]
    base = forward_copy(clone, x)
    J = np.empty((base.size, value.size))
    for i in range(value.size):
        original = value.flat[i]
        value.flat[i] = original + eps
        plus = forward_copy(clone, x)
        value.flat[i] = original - eps
        minus = forward_copy(clone, x)
        value.flat[i] = original
        J[:, i] = np.ravel(plus - minus) / (2 * eps)
    return J


# --- public: each call works on its own frozen copy ---

def input_jacobian(module, x):
    """dy/dx from the module's own backward, one-hot grad_outputs;  x (N, ...) -> (y.size, x.size), rows = outputs."""
    x = as_float64(x)
    return backprop_jacobians(float64_copy(module), x)[0]


def numerical_input_jacobian(module, x, eps=1e-6):
    """dy/dx by central differences in float64;  x (N, ...) -> (y.size, x.size), rows = outputs."""
    x, eps = as_float64(x), check_eps(eps)
    return central_input_jacobian(float64_copy(module), x, eps)


def param_jacobian(module, x, name):
    """dy/dp for the named parameter (e.g. "W", "0.W") from backward;  (y.size, p.size), columns = p entries."""
    x = as_float64(x)
    check_module(module)
    check_name(module, name)
    return backprop_jacobians(float64_copy(module), x, [name])[1][name]


def numerical_param_jacobian(module, x, name, eps=1e-6):
    """dy/dp for the named parameter by central differences;  (y.size, p.size), columns = p entries."""
    x, eps = as_float64(x), check_eps(eps)
    check_module(module)
    check_name(module, name)
    return central_param_jacobian(float64_copy(module), x, name, eps)


def param_jacobians(module, x):
    """{name: dy/dp (y.size, p.size)} for every named parameter, from backward; {} without parameters."""
    x = as_float64(x)
    clone = float64_copy(module)
    return backprop_jacobians(clone, x, parameter_names(clone))[1]


def numerical_param_jacobians(module, x, eps=1e-6):
    """{name: dy/dp (y.size, p.size)} for every named parameter, by central differences."""
    x, eps = as_float64(x), check_eps(eps)
    clone = float64_copy(module)
    return {name: central_param_jacobian(clone, x, name, eps) for name in parameter_names(clone)}


# --- closed forms for one sample ---

def analytic_jacobian(module, x_row, sample=0):
    """Closed-form dy/dx for ONE sample x_row (n,) or (1, ...) -> (y.size, x_row.size), rows = outputs, or None.

    Linear: W^T.  ReLU, LeakyReLU, ELU, SoftPlus: diag(f'(x)).  SoftMax: diag(a) - a a^T.
    LogSoftMax: I - 1 a^T, a = softmax(x).  Scaling: diag(gamma).  Flatten: I.  Conv2d (x_row
    (1, C_in, H, W)): the banded matrix of W, J[(o,i,j), (c,i+a-p,j+b-p)] = W[o,c,a,b].
    MaxPool2d: the selection matrix of each window's winner.
    Dropout: evaluate mode I; training mode diag(row `sample` of the mask of its last
    forward), None if it has no mask yet.  BatchNormalization: evaluate mode
    diag(1/sqrt(moving_variance + EPS)); training mode None (the samples of a batch are
    coupled: there is no one-sample Jacobian).  Sequential: J_{n-1} ... J_0, each at the
    input that layer receives for this sample; None if any factor is None.  Any other
    module: None.
    """
    h = as_float64(x_row, "x_row")
    if h.ndim == 1:
        h = h[None]
    elif h.shape[0] != 1:
        raise ValueError(_("x_row must be one sample, of shape (n,) or (1, ...), got shape {shape}")
                         .format(shape=h.shape))
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 0:
        raise ValueError(_("sample must be an integer >= 0, got {value}").format(value=repr(sample)))
    return closed_form(float64_copy(module), h, int(sample))[0]


def closed_form(layer, h, sample):
    """(J, y) at the row h (1, ...): the layer's closed-form Jacobian (None if none) and its output row."""
    if isinstance(layer, Sequential):
        J = np.eye(h.size)
        for child in layer:
            J_child, h = closed_form(child, h, sample)
            if J_child is None:
                return None, h
            J = J_child @ J
        return J, h
    if isinstance(layer, Dropout) and layer.training:
        return dropout_row(layer, h, sample)
    y = forward_copy(layer, h)  # the layer's own forward checks the shapes
    x = h.ravel()
    if isinstance(layer, Linear):
        return layer.W.T.copy(), y
    if isinstance(layer, Activation):
        return np.diag(np.asarray(layer.derivative(x), dtype=np.float64)), y
    if isinstance(layer, SoftMax):
        a = y.ravel()
        return np.diag(a) - np.outer(a, a), y
    if isinstance(layer, LogSoftMax):
        a = np.exp(y.ravel())
        return np.eye(a.size) - np.outer(np.ones(a.size), a), y
    if isinstance(layer, Scaling):
        return np.diag(layer.gamma.ravel()), y
    if isinstance(layer, Conv2d):
        return conv2d_jacobian(layer.W, *h.shape[2:]), y
    if isinstance(layer, MaxPool2d):
        return maxpool2d_jacobian(layer.indices[0], layer.kernel_size, *h.shape[2:]), y
    if isinstance(layer, (Flatten, Dropout)):  # Dropout here is in evaluate mode
        return np.eye(x.size), y
    if isinstance(layer, BatchNormalization) and not layer.training:
        return np.diag(1.0 / np.sqrt(layer.moving_variance + layer.EPS)), y
    return None, y


def dropout_row(layer, h, sample):
    """(diag(mask[sample]), h * mask[sample]) from the last training forward; (None, h) without a mask."""
    if layer.mask is None:
        return None, h
    if sample >= len(layer.mask) or layer.mask[sample].shape != h.shape[1:]:
        raise LayerError(layer, _("its last mask has shape {mask}: no row {sample} for a sample of shape {shape}")
                         .format(mask=layer.mask.shape, sample=sample, shape=h.shape[1:]))
    row = layer.mask[sample]
    return np.diag(row.ravel()), h * row
