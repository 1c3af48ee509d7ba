"""Flatten: (N, d1, d2, ...) -> (N, d1*d2*...)."""
from i18n import domain

from .module import LayerError, Module

_, ngettext = domain("engine")


class Flatten(Module):
    """y = x.reshape(N, -1);  backward reshapes g back to x's shape."""

    def update_output(self, input):
        self._check_array(input)
        if input.ndim < 1 or len(input) == 0:
            raise LayerError(self, _("expected input of shape (N, ...) with N >= 1, got shape {shape}").format(
                shape=input.shape))
        self.output = input.reshape(len(input), -1)
        return self.output

    def update_grad_input(self, input, grad_output):
        self._check_array(input)
        self._check_grad_output(grad_output, (len(input), input[0].size if len(input) else 0))
        self.grad_input = grad_output.reshape(input.shape)
        return self.grad_input
