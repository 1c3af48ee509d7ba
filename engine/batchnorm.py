"""BatchNormalization: normalise each feature over the batch (no learnable parameters)."""
import numpy as np

from i18n import domain

from .module import LayerError, Module, is_real

_, ngettext = domain("engine")


class BatchNormalization(Module):
    """training: y = (x - mu_B) / sqrt(var_B + EPS);  evaluate: moving statistics.  x (N, K)."""

    EPS = 1e-3

    def __init__(self, alpha=0.0):
        super().__init__()
        if not is_real(alpha) or not 0 <= alpha <= 1:
            raise ValueError(_("{layer}: {what} must be in [0, 1], got {value}").format(
                layer="BatchNormalization", what="alpha", value=repr(alpha)))
        self.alpha = float(alpha)
        self.moving_mean = None
        self.moving_variance = None

    def _check_input(self, input):
        self._check_matrix(input)
        if self.moving_mean is not None and input.shape[1] != self.moving_mean.shape[0]:
            raise LayerError(self, ngettext("expected {n} input feature (its moving statistics), got {got} (input "
                                            "shape {shape})",
                                            "expected {n} input features (its moving statistics), got {got} (input "
                                            "shape {shape})", self.moving_mean.shape[0]).format(
                n=self.moving_mean.shape[0], got=input.shape[1], shape=input.shape))

    def batch_statistics(self, input):
        """(x_hat, 1/sqrt(var_B + EPS)) with the biased batch variance."""
        mean = input.mean(axis=0)
        variance = input.var(axis=0)
        inv_std = 1.0 / np.sqrt(variance + self.EPS)
        return (input - mean) * inv_std, inv_std, mean, variance

    def update_output(self, input):
        self._check_input(input)
        if not self.training:
            if self.moving_mean is None:
                raise LayerError(self, _("evaluate mode needs moving statistics: run a training-mode "
                                         "forward first"))
            self.output = (input - self.moving_mean) / np.sqrt(self.moving_variance + self.EPS)
            return self.output
        self.output, self._inv_std, mean, variance = self.batch_statistics(input)
        self._input = input
        if self.moving_mean is None:
            self.moving_mean, self.moving_variance = mean.copy(), variance.copy()
        else:
            self.moving_mean = self.alpha * self.moving_mean + (1 - self.alpha) * mean
            self.moving_variance = self.alpha * self.moving_variance + (1 - self.alpha) * variance
        return self.output

    def update_grad_input(self, input, grad_output):
        """training: dL/dx = (N g - sum g - x_hat sum(g x_hat)) / (N sqrt(var_B + EPS));
        evaluate: dL/dx = g / sqrt(moving_variance + EPS)."""
        self._check_input(input)
        self._check_grad_output(grad_output, input.shape)
        if not self.training:
            if self.moving_variance is None:
                raise LayerError(self, _("evaluate mode needs moving statistics: run a training-mode "
                                         "forward first"))
            self.grad_input = grad_output / np.sqrt(self.moving_variance + self.EPS)
            return self.grad_input
        if input is getattr(self, "_input", None):
            x_hat, inv_std = self.output, self._inv_std
        else:
            x_hat, inv_std = self.batch_statistics(input)[:2]
        n = len(input)
        self.grad_input = n * grad_output - grad_output.sum(axis=0) \
            - x_hat * (grad_output * x_hat).sum(axis=0)
        self.grad_input *= inv_std / n
        return self.grad_input

    def __repr__(self):
        return f"BatchNormalization(alpha={self.alpha:g})"
