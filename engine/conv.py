"""Conv2d: 2-D cross-correlation with zero "same" padding and stride 1, as torch's Conv2d."""
import numpy as np

from i18n import domain

from .module import Module, check_dtype, check_positive_int, uniform

_, ngettext = domain("engine")


def columns(x, k):
    """im2col: the k x k windows of x (N, C, H, W), zero-padded by k // 2, as (N, C*k*k, H*W), rows (c, a, b)."""
    n, c, h, w = x.shape
    p = k // 2
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p), x.dtype)
    padded[:, :, p:p + h, p:p + w] = x
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(2, 3))  # (N, C, H, W, k, k), a view
    # The one copy: rows (c, a, b), columns the output positions (i, j), row-major.
    return np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * k * k, h * w)


def shift(d, size):
    """(target, source) slices of an axis of length size for x[i + d] = window[i], inside the image."""
    return slice(max(0, d), size + min(0, d)), slice(max(0, -d), size - max(0, d))


class Conv2d(Module):
    """y[n,o,i,j] = b[o] + sum_{c,a,b} W[o,c,a,b] x_pad[n,c,i+a,j+b];  x (N, C_in, H, W) -> (N, C_out, H, W)."""

    _params = (("W", "gradW"), ("b", "gradb"))

    def __init__(self, in_channels, out_channels, kernel_size, dtype=np.float64, rng=None):
        super().__init__()
        self.in_channels = check_positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = check_positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = check_positive_int("Conv2d", "kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(_("Conv2d: kernel_size must be odd (zero 'same' padding of kernel_size // 2 on each "
                               "side keeps H and W), got {value}").format(value=repr(kernel_size)))
        self.padding = self.kernel_size // 2
        dtype = check_dtype("Conv2d", dtype)
        k = self.kernel_size
        bound = 1.0 / np.sqrt(self.in_channels * k * k)
        self.W = uniform(rng, bound, (self.out_channels, self.in_channels, k, k), dtype)
        self.b = uniform(rng, bound, (self.out_channels,), dtype)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)
        # The last forward's input and its columns: a backward on that same input reuses them.
        self._cols_of, self._cols = None, None

    def _columns(self, input):
        """The im2col columns of pad(input) (N, C_in*k*k, H*W), from the last forward when input is its input."""
        if input is not self._cols_of or self._cols is None:
            self._cols_of, self._cols = input, columns(input, self.kernel_size)
        return self._cols

    def update_output(self, input):
        self._check_images(input, self.in_channels)
        self._cols_of = None  # always new columns: the caller may have written into the same array
        out = np.matmul(self.W.reshape(self.out_channels, -1), self._columns(input))  # (N, C_out, H*W)
        out += self.b[:, None]
        self.output = out.reshape((len(input), self.out_channels) + input.shape[2:])
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx[n,c,i,j] = sum_{o,a,b} W[o,c,k-1-a,k-1-b] g_pad[n,o,i+a,j+b]: pad(g) correlated with the
        flipped, channel-swapped kernel;  g (N, C_out, H, W) -> (N, C_in, H, W)."""
        self._check_images(input, self.in_channels)
        self._check_grad_output(grad_output, self._output_shape(input))
        n, c, h, w = input.shape
        k = self.kernel_size
        # The same sums gathered from the other side (col2im): W^T g is each window's gradient,
        # (N, C_in*k*k, H*W), and entry (c, a, b) of the window at (i, j) belongs to x[c, i+a-p, j+b-p].
        # That is C_in*k*k rows to move where the im2col of pad(g) would copy C_out*k*k (8x less for 1 -> 8).
        per_window = np.matmul(self.W.reshape(self.out_channels, -1).T,
                               grad_output.reshape(n, self.out_channels, -1)).reshape(n, c, k, k, h, w)
        grad_input = np.zeros((n, c, h, w), per_window.dtype)
        for a in range(k):  # k*k shifted sums, each over every pixel at once
            rows, from_rows = shift(a - self.padding, h)
            for b in range(k):
                cols, from_cols = shift(b - self.padding, w)
                grad_input[:, :, rows, cols] += per_window[:, :, a, b, from_rows, from_cols]
        self.grad_input = grad_input
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        """dL/dW[o,c,a,b] = sum_{n,i,j} g[n,o,i,j] x_pad[n,c,i+a,j+b] (C_out, C_in, k, k);  dL/db = sum_{n,i,j} g."""
        self._check_images(input, self.in_channels)
        self._check_grad_output(grad_output, self._output_shape(input))
        g = grad_output.reshape(len(input), self.out_channels, -1)  # (N, C_out, H*W)
        per_sample = np.matmul(g, self._columns(input).transpose(0, 2, 1))  # (N, C_out, C_in*k*k)
        self.gradW[...] = np.add.reduce(per_sample, axis=0).reshape(self.W.shape)
        self.gradb[...] = np.add.reduce(g, axis=(0, 2))
        self._cols_of = self._cols = None  # used: a copied model (the app keeps several) need not carry them

    def _output_shape(self, input):
        return (len(input), self.out_channels) + input.shape[2:]

    def __repr__(self):
        k = self.kernel_size
        return f"Conv2d({self.in_channels} -> {self.out_channels}, {k}x{k})"

