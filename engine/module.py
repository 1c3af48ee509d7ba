"""Module: the abstract layer with forward/backward, parameters and hooks."""
import math

import numpy as np

from i18n import domain

from .hooks import register

_, ngettext = domain("engine")


class LayerError(ValueError):
    """ValueError naming the layer: "Linear(5 -> 2): ..." or, inside a Sequential, "layer 2 (Linear(5 -> 2)): ..."."""

    def __init__(self, layer, detail, path=()):
        self.layer = layer
        self.detail = detail
        self.path = tuple(path)  # indices from the outermost Sequential down to the layer
        where = f"{layer!r}"
        if self.path:
            where = _("layer {path} ({layer})").format(path=".".join(map(str, self.path)), layer=where)
        super().__init__(f"{where}: {detail}")


class Module:
    """Abstract layer: output = forward(input); grad_input = backward(input, grad_output)."""

    # (parameter attribute, gradient attribute) pairs, in get_parameters() order.
    _params = ()

    def __init__(self):
        self.output = None
        self.grad_input = None
        self.training = True
        self._forward_hooks = {}
        self._backward_hooks = {}

    def forward(self, input):
        """Compute the layer; forward hooks see (module, input, output)."""
        output = self.update_output(input)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                hook(self, input, output)
        return output

    def backward(self, input, grad_output):
        """grad_input then grad_params; backward hooks see (module, grad_output, grad_input)."""
        self.update_grad_input(input, grad_output)
        self.update_grad_params(input, grad_output)
        if self._backward_hooks:
            for hook in list(self._backward_hooks.values()):
                hook(self, grad_output, self.grad_input)
        return self.grad_input

    def update_output(self, input):
        """Compute the layer's function into self.output and return it."""
        raise NotImplementedError(_("{name} does not implement update_output").format(name=type(self).__name__))

    def update_grad_input(self, input, grad_output):
        """dL/d input, shape of input, into self.grad_input and return it."""
        raise NotImplementedError(_("{name} does not implement update_grad_input").format(name=type(self).__name__))

    def update_grad_params(self, input, grad_output):
        """dL/d params written in place into the grad fields; no-op without parameters."""

    def zero_grad_params(self):
        for _, grad in self._params:
            getattr(self, grad).fill(0)

    def get_parameters(self):
        return [getattr(self, name) for name, _ in self._params]

    def get_grad_params(self):
        return [getattr(self, grad) for _, grad in self._params]

    def named_parameters(self):
        """[(name, value, grad)] in get_parameters() order, e.g. ("W", W, gradW)."""
        return [(name, getattr(self, name), getattr(self, grad)) for name, grad in self._params]

    def walk(self):
        """This module, then every module inside it (a Sequential's children), depth first."""
        yield self
        for child in getattr(self, "modules", ()):
            yield from child.walk()

    def train(self):
        self.training = True
        return self

    def evaluate(self):
        self.training = False
        return self

    def register_forward_hook(self, fn):
        """Call fn(module, input, output) after each forward; returns a removable handle."""
        return register(self._forward_hooks, fn)

    def register_backward_hook(self, fn):
        """Call fn(module, grad_output, grad_input) after update_grad_params; returns a handle."""
        return register(self._backward_hooks, fn)

    def __repr__(self):
        return type(self).__name__

    # --- input checks shared by the layers: each raises LayerError naming the layer ---

    def _check_array(self, input, what="input"):
        if not isinstance(input, np.ndarray):
            raise LayerError(self, _("expected a NumPy array as {what}, got {type}").format(
                what=what, type=type(input).__name__))

    def _check_features(self, input, n_features):
        """Require input of shape (N, n_features)."""
        self._check_array(input)
        if input.ndim != 2:
            raise LayerError(self, _("expected input of shape (N, {n}), got shape {shape}").format(
                n=n_features, shape=input.shape))
        if input.shape[1] != n_features:
            raise LayerError(self, ngettext("expected {n} input feature, got {got} (input shape {shape})",
                                            "expected {n} input features, got {got} (input shape {shape})",
                                            n_features).format(n=n_features, got=input.shape[1], shape=input.shape))

    def _check_matrix(self, input):
        """Require a 2-D input (N, K)."""
        self._check_array(input)
        if input.ndim != 2:
            raise LayerError(self, _("expected input of shape (N, K), got shape {shape}").format(shape=input.shape))

    def _check_images(self, input, channels=None):
        """Require a 4-D input (N, C, H, W), with C == channels when channels is given."""
        self._check_array(input)
        c = "C" if channels is None else channels
        if input.ndim != 4:
            raise LayerError(self, _("expected input of shape (N, {c}, H, W), got shape {shape}").format(
                c=c, shape=input.shape))
        if channels is not None and input.shape[1] != channels:
            raise LayerError(self, ngettext("expected {n} input channel, got {got} (input shape {shape})",
                                            "expected {n} input channels, got {got} (input shape {shape})",
                                            channels).format(n=channels, got=input.shape[1], shape=input.shape))

    def _check_grad_output(self, grad_output, shape):
        self._check_array(grad_output, "grad_output")
        if grad_output.shape != shape:
            raise LayerError(self, _("grad_output has shape {got}, expected the output's shape {shape}").format(
                got=grad_output.shape, shape=shape))


def is_real(value):
    """True for a finite int or float (not bool, not a string, not an array)."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and math.isfinite(value))


def check_positive_int(layer_name, what, value):
    """Raise ValueError unless value is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(_("{layer}: {what} must be a positive integer, got {value}").format(
            layer=layer_name, what=what, value=repr(value)))
    return int(value)


def check_dtype(layer_name, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(_("{layer}: dtype must be a floating type, got {dtype}")
                         .format(layer=layer_name, dtype=dtype))
    return dtype


def uniform(rng, bound, shape, dtype):
    """U(-bound, bound) of shape in dtype; rng None uses np.random's global state, as the handout."""
    source = np.random if rng is None else rng
    return source.uniform(-bound, bound, size=shape).astype(dtype, copy=False)
