"""MaxPool2d: the maximum of each k x k window, stride k, as torch's MaxPool2d(k)."""
import numpy as np

from .module import LayerError, Module, check_positive_int


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
            raise LayerError(self, f"H and W must be divisible by the kernel size {k}, got H = {h}, W = {w} "
                                   f"(input shape {input.shape})")

    def _windows(self, input):
        """The windows of input as (N, C, H/k, W/k, k*k), each window's entries row-major (a, b)."""
        n, c, h, w = input.shape
        k = self.kernel_size
        blocks = input.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5)
        return blocks.reshape(n, c, h // k, w // k, k * k)

    def _winners(self, input):
        """indices of input's windows: those of the last forward when input is its input."""
        if input is self._indices_of:
            return self.indices
        return self._windows(input).argmax(axis=-1)

    def update_output(self, input):
        self._check_divisible(input)
        windows = self._windows(input)
        self.indices = windows.argmax(axis=-1)  # argmax takes the first maximum: torch's tie rule
        self._indices_of = input
        self.output = np.take_along_axis(windows, self.indices[..., None], axis=-1)[..., 0]
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx[n,c,k i+a,k j+b] = g[n,c,i,j] at each window's winner (a, b), 0 elsewhere;  -> x's shape."""
        self._check_divisible(input)
        n, c, h, w = input.shape
        k = self.kernel_size
        self._check_grad_output(grad_output, (n, c, h // k, w // k))
        winners = self._winners(input)
        routed = np.zeros(winners.shape + (k * k,), grad_output.dtype)
        np.put_along_axis(routed, winners[..., None], grad_output[..., None], axis=-1)
        blocks = routed.reshape(n, c, h // k, w // k, k, k).transpose(0, 1, 2, 4, 3, 5)
        self.grad_input = blocks.reshape(input.shape)
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
