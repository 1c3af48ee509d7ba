"""Criteria (loss functions): MSE, NLL on probabilities (unstable) and NLL on log-probabilities."""
import numpy as np

from i18n import domain

from .module import LayerError

_, ngettext = domain("engine")


class Criterion:
    """loss = forward(input, target);  dL/d input = backward(input, target)."""

    def __init__(self):
        self.output = None
        self.grad_input = None

    def forward(self, input, target):
        return self.update_output(input, target)

    def backward(self, input, target):
        return self.update_grad_input(input, target)

    def update_output(self, input, target):
        raise NotImplementedError(_("{name} does not implement update_output").format(name=type(self).__name__))

    def update_grad_input(self, input, target):
        raise NotImplementedError(_("{name} does not implement update_grad_input").format(name=type(self).__name__))

    def __repr__(self):
        return type(self).__name__

    def _check_arrays(self, input, target):
        for what, value in (("input", input), ("target", target)):
            if not isinstance(value, np.ndarray):
                raise LayerError(self, _("expected a NumPy array as {what}, got {type}").format(
                    what=what, type=type(value).__name__))
        if input.ndim == 0 or len(input) == 0:
            raise LayerError(self, _("expected a non-empty batch as input, got shape {shape}")
                                   .format(shape=input.shape))


class MSECriterion(Criterion):
    """L = sum((y_hat - y)^2) / N;  dL/dy_hat = 2 (y_hat - y) / N;  y_hat, y (N, K)."""

    def _check(self, input, target):
        self._check_arrays(input, target)
        if input.shape != target.shape:
            raise LayerError(self, _("input shape {shape} and target shape {target} differ").format(
                shape=input.shape, target=target.shape))

    def update_output(self, input, target):
        self._check(input, target)
        diff = input - target
        self.output = float(np.vdot(diff, diff)) / len(input)
        return self.output

    def update_grad_input(self, input, target):
        self._check(input, target)
        self.grad_input = (input - target) * (2.0 / len(input))
        return self.grad_input


class ClassCriterion(Criterion):
    """Shared target handling: one-hot targets (N, K) or integer class labels (N,).

    The losses are written 0.0 - sum / N so that a perfect prediction gives 0.0, not -0.0.
    """

    def _labels(self, input, target):
        """Integer labels (N,) when target holds labels, None when it is one-hot like input."""
        self._check_arrays(input, target)
        if input.ndim != 2:
            raise LayerError(self, _("expected input of shape (N, K), got shape {shape}").format(shape=input.shape))
        n, k = input.shape
        if target.shape == input.shape and not (k == 1 and target.dtype.kind in "iu"):
            return None
        if target.shape not in ((n,), (n, 1)):
            raise LayerError(self, _("input shape {shape} and target shape {target} do not match: give one-hot "
                                     "targets of shape {shape} or integer labels of shape ({n},)").format(
                shape=input.shape, target=target.shape, n=n))
        labels = target.reshape(n)
        if labels.dtype.kind not in "iu":
            if labels.dtype.kind != "f" or not np.all(np.mod(labels, 1) == 0):
                raise LayerError(self, _("labels of shape {shape} must be integers, got dtype {dtype}").format(
                    shape=target.shape, dtype=target.dtype))
            labels = labels.astype(np.intp)
        # Viewed as unsigned, a negative label is huge: one max() checks both ends.
        if labels.size and labels.view(labels.dtype.str.replace("i", "u")).max() >= k:
            raise LayerError(self, _("labels must lie in [0, {k}) for input shape {shape}, got values from {low} to "
                                     "{high}").format(k=k, shape=input.shape, low=labels.min(), high=labels.max()))
        return labels


class NLLCriterionUnstable(ClassCriterion):
    """L = -sum(y * log(clip(y_hat, EPS, 1-EPS))) / N on probabilities;  dL/dy_hat = -y / clip(y_hat) / N."""

    EPS = 1e-15

    def update_output(self, input, target):
        labels = self._labels(input, target)
        clipped = np.clip(input, self.EPS, 1 - self.EPS)
        if labels is None:
            self.output = 0.0 - float(np.sum(target * np.log(clipped))) / len(input)
        else:
            self.output = 0.0 - float(np.sum(np.log(clipped[np.arange(len(input)), labels]))) / len(input)
        return self.output

    def update_grad_input(self, input, target):
        labels = self._labels(input, target)
        clipped = np.clip(input, self.EPS, 1 - self.EPS)
        n = len(input)
        if labels is None:
            self.grad_input = -target / clipped / n
        else:
            self.grad_input = np.zeros_like(clipped)
            rows = np.arange(n)
            self.grad_input[rows, labels] = -1.0 / clipped[rows, labels] / n
        return self.grad_input


class NLLCriterion(ClassCriterion):
    """L = -sum(y * y_hat) / N on log-probabilities (LogSoftMax output);  dL/dy_hat = -y / N."""

    def update_output(self, input, target):
        labels = self._labels(input, target)
        n = len(input)
        if labels is None:
            self.output = 0.0 - float(np.vdot(target, input)) / n
        else:
            self.output = 0.0 - float(np.add.reduce(input[np.arange(n), labels])) / n
        return self.output

    def update_grad_input(self, input, target):
        labels = self._labels(input, target)
        n = len(input)
        if labels is None:
            self.grad_input = target * (-1.0 / n)
        else:
            self.grad_input = np.zeros(input.shape, np.result_type(input, np.float32))
            self.grad_input[np.arange(n), labels] = -1.0 / n
        return self.grad_input
