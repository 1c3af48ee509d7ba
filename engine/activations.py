"""Elementwise activations: ReLU, LeakyReLU, ELU, SoftPlus; grad_input = g * f'(x)."""
import numpy as np

from i18n import domain

from .module import Module, is_real

_, ngettext = domain("engine")


class Activation(Module):
    """y = f(x) elementwise, any shape;  dL/dx = g * f'(x)."""

    def update_output(self, input):
        self._check_array(input)
        self.output = self.function(input)
        return self.output

    def update_grad_input(self, input, grad_output):
        self._check_array(input)
        self._check_grad_output(grad_output, input.shape)
        self.grad_input = grad_output * self.derivative(input)
        return self.grad_input

    def function(self, x):
        raise NotImplementedError

    def derivative(self, x):
        """f'(x) elementwise; its diagonal is the layer's Jacobian for one sample."""
        raise NotImplementedError


def check_non_negative(layer_name, what, value):
    if not is_real(value) or value < 0:
        raise ValueError(_("{layer}: {what} must be a finite number >= 0, got {value}").format(
            layer=layer_name, what=what, value=repr(value)))
    return float(value)


class ReLU(Activation):
    """y = max(0, x);  f'(x) = 1 if x > 0 else 0."""

    def function(self, x):
        return np.maximum(x, 0)

    def derivative(self, x):
        return (x > 0).astype(np.result_type(x, np.float32))

    def update_grad_input(self, input, grad_output):
        self._check_array(input)
        self._check_grad_output(grad_output, input.shape)
        self.grad_input = grad_output * (input > 0)  # 4x faster than np.where here
        return self.grad_input


class LeakyReLU(Activation):
    """y = x if x > 0 else slope * x;  f'(x) = 1 if x > 0 else slope."""

    def __init__(self, slope=0.03):
        super().__init__()
        self.slope = check_non_negative("LeakyReLU", "slope", slope)

    def function(self, x):
        return np.where(x > 0, x, self.slope * x)

    def derivative(self, x):
        return np.where(x > 0, 1.0, self.slope).astype(np.result_type(x, np.float32))

    def __repr__(self):
        return f"LeakyReLU(slope={self.slope:g})"


class ELU(Activation):
    """y = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else alpha e^x."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_non_negative("ELU", "alpha", alpha)

    def function(self, x):
        # expm1 of min(x, 0): exact near 0 and never overflows for large positive x.
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x):
        return np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0))).astype(
            np.result_type(x, np.float32))

    def __repr__(self):
        return f"ELU(alpha={self.alpha:g})"


class SoftPlus(Activation):
    """y = log(1 + e^x);  f'(x) = sigmoid(x) = e^(x - y)."""

    def function(self, x):
        return np.logaddexp(0, x)

    def derivative(self, x):
        # sigmoid(x) = exp(x - softplus(x)); the exponent is <= 0, so it cannot overflow.
        return np.exp(x - np.logaddexp(0, x))
