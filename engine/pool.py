"""MaxPool2d: the maximum of each k x k window, stride k, as torch's MaxPool2d(k)."""
import numpy as np

from i18n import domain

from .module import LayerError, Module, check_positive_int

_, ngettext = domain("engine")


class MaxPool2d(Module):
    """y[n,c,i,j] = max_{a,b < k} x[n,c,k i+a,k j+b];  x (N, C, H, W) -> y (N, C, H/k, W/k)."""

    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = check_positive_int("MaxPool2d", "kernel_size", kernel_size)
        # The last forward's winners: indices[n, c, i, j] = a*k + b, the row-major position of
        # the maximum within its window (the first one on ties, as torch); see winner_mask().
        self.indices = None
        self._indices_of = None

    def _check_divisible(self, input):
        self._check_images(input)
        k, (h, w) = self.kernel_size, input.shape[2:]
        if h % k or w % k:
            raise LayerError(self, _("H and W must be divisible by the kernel size {k}, got H = {h}, W = {w} (input "
                                     "shape {shape})").format(k=k, h=h, w=w, shape=input.shape))

    def _offsets(self, array):
        """The k*k strided views array[:, :, a::k, b::k], (a, b) row-major: entry (a, b) of every window."""
        k = self.kernel_size
        return [array[:, :, a::k, b::k] for a in range(k) for b in range(k)]

    def _argmax(self, input):
        """(max, indices) of every window, one pass per window entry over all windows at once."""
        views = self._offsets(input)
        best = views[0].copy()
        indices = np.zeros(best.shape, np.int8 if len(views) <= 127 else np.intp)
        for position, view in enumerate(views[1:], start=1):
            better = view > best  # strictly: on ties the earlier (row-major first) entry stays, as torch
            np.maximum(best, view, out=best)
            # positions only grow, so max(indices, position * better) is where(better, position, indices)
            np.maximum(indices, np.multiply(better, position, dtype=indices.dtype), out=indices)
        return best, indices

    def update_output(self, input):
        self._check_divisible(input)
        self.output, self.indices = self._argmax(input)
        self._indices_of = input
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx[n,c,k i+a,k j+b] = g[n,c,i,j] at each window's winner (a, b), 0 elsewhere;  -> x's shape."""
        self._check_divisible(input)
        n, c, h, w = input.shape
        k = self.kernel_size
        self._check_grad_output(grad_output, (n, c, h // k, w // k))
        winners = self.indices if input is self._indices_of else self._argmax(input)[1]
        grad_input = np.empty(input.shape, grad_output.dtype)
        for position, target in enumerate(self._offsets(grad_input)):  # every entry of x is written once
            np.multiply(grad_output, winners == position, out=target)
        self.grad_input = grad_input
        return self.grad_input

    def winner_mask(self):
        """Boolean (N, C, H, W): True at the winner of each window in the last forward; None before one."""
        if self.indices is None:
            return None
        k = self.kernel_size
        n, c, ho, wo = self.indices.shape
        mask = np.arange(k * k) == self.indices[..., None]
        return mask.reshape(n, c, ho, wo, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho * k, wo * k)

    def __repr__(self):
        return f"MaxPool2d({self.kernel_size})"
