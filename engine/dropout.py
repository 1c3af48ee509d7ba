"""Dropout: zero each unit with probability p while training, rescale by 1/(1-p)."""
import numpy as np

from i18n import domain

from .module import LayerError, Module, is_real

_, ngettext = domain("engine")


def check_p(layer, p):
    if not is_real(p) or not 0 <= p < 1:
        raise LayerError(layer, _("p (the probability to zero a unit) must be in [0, 1), got {value}").format(
            value=repr(p)))


class Dropout(Module):
    """training: y = x * M / (1-p), M_ij ~ Bern(1-p);  evaluate: y = x.  Any shape."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = p
        check_p(self, p)
        self.rng = rng            # None: np.random's global state, as the handout
        self.mask = None          # M / (1-p) of the last training forward, kept for backward
        self.freeze_mask = False  # True: reuse the last mask when the shape fits (Jacobians do)

    def update_output(self, input):
        check_p(self, self.p)  # p is a plain attribute: read and checked at every forward
        self._check_array(input)
        if not self.training:
            self.output = input
            return self.output
        if not (self.freeze_mask and self.mask is not None and self.mask.shape == input.shape):
            self.mask = self.sample_mask(input.shape, np.result_type(input, np.float32))
        self.output = input * self.mask
        return self.output

    def sample_mask(self, shape, dtype):
        """M / (1-p) with M_ij = 1 with probability 1-p."""
        source = np.random if self.rng is None else self.rng
        keep = source.random(shape) >= self.p
        return keep.astype(dtype) / dtype.type(1 - self.p)

    def update_grad_input(self, input, grad_output):
        """training: dL/dx = g * M / (1-p);  evaluate: dL/dx = g."""
        self._check_array(input)
        self._check_grad_output(grad_output, input.shape)
        if not self.training:
            self.grad_input = grad_output
        elif self.mask is None or self.mask.shape != input.shape:
            raise LayerError(self, _("backward in training mode needs a forward first (mask {mask}, input {shape})")
                             .format(mask=None if self.mask is None else self.mask.shape, shape=input.shape))
        else:
            self.grad_input = grad_output * self.mask
        return self.grad_input

    def __repr__(self):
        return f"Dropout(p={self.p:g})" if is_real(self.p) else f"Dropout(p={self.p!r})"
