"""Conv2d: 2-D cross-correlation with zero "same" padding and stride 1, as torch's Conv2d."""
import numpy as np

from .module import Module, check_dtype, check_positive_int, uniform


def pad(x, p):
    """x (N, C, H, W) -> (N, C, H+2p, W+2p) with p zeros on every border."""
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p), x.dtype)
    padded[:, :, p:p + h, p:p + w] = x
    return padded


def columns(padded, k):
    """im2col: the k x k windows of padded (N, C, H+k-1, W+k-1) as (N, C*k*k, H*W), rows (c, a, b)."""
    n, c, hp, wp = padded.shape
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(2, 3))  # (N, C, H, W, k, k)
    # The one copy: rows (c, a, b), columns the output positions (i, j), row-major.
    cols = np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))
    return cols.reshape(n, c * k * k, (hp - k + 1) * (wp - k + 1))


def correlate(cols, kernel):
    """y[n, o, (i, j)] = sum_{c,a,b} kernel[o, c, a, b] cols[n, (c, a, b), (i, j)]: one batched product."""
    return np.matmul(kernel.reshape(len(kernel), -1), cols)


class Conv2d(Module):
    """y[n,o,i,j] = b[o] + sum_{c,a,b} W[o,c,a,b] x_pad[n,c,i+a,j+b];  x (N, C_in, H, W) -> (N, C_out, H, W)."""

    _params = (("W", "gradW"), ("b", "gradb"))

    def __init__(self, in_channels, out_channels, kernel_size, dtype=np.float64, rng=None):
        super().__init__()
        self.in_channels = check_positive_int("Conv2d", "in_channels", in_channels)
        self.out_channels = check_positive_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = check_positive_int("Conv2d", "kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"Conv2d: kernel_size must be odd (zero 'same' padding of kernel_size // 2 "
                             f"on each side keeps H and W), got {kernel_size!r}")
        self.padding = self.kernel_size // 2
        dtype = check_dtype("Conv2d", dtype)
        k = self.kernel_size
        bound = 1.0 / np.sqrt(self.in_channels * k * k)
        self.W = uniform(rng, bound, (self.out_channels, self.in_channels, k, k), dtype)
        self.b = uniform(rng, bound, (self.out_channels,), dtype)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)
        # The last forward's input and its columns: backward on that same input reuses them.
        self._cols_of, self._cols = None, None

    def _columns(self, input):
        """The im2col columns of pad(input) (N, C_in*k*k, H*W), from the last forward when input is its input."""
        if input is not self._cols_of or self._cols is None:
            self._cols_of, self._cols = input, columns(pad(input, self.padding), self.kernel_size)
        return self._cols

    def update_output(self, input):
        self._check_images(input, self.in_channels)
        self._cols_of = None  # always new columns: the caller may have written into the same array
        out = correlate(self._columns(input), self.W)
        out += self.b[:, None]
        self.output = out.reshape((len(input), self.out_channels) + input.shape[2:])
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx = pad(g) correlated with W flipped in (a, b), channels swapped;  (N, C_out, H, W) -> (N, C_in, H, W)."""
        self._check_images(input, self.in_channels)
        self._check_grad_output(grad_output, self._output_shape(input))
        flipped = self.W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, k, k)
        cols = columns(pad(grad_output, self.padding), self.kernel_size)
        self.grad_input = correlate(cols, np.ascontiguousarray(flipped)).reshape(input.shape)
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        """dL/dW[o,c,a,b] = sum_{n,i,j} g[n,o,i,j] x_pad[n,c,i+a,j+b] (C_out, C_in, k, k);  dL/db = sum_{n,i,j} g."""
        self._check_images(input, self.in_channels)
        self._check_grad_output(grad_output, self._output_shape(input))
        g = grad_output.reshape(len(input), self.out_channels, -1)  # (N, C_out, H*W)
        per_sample = np.matmul(g, self._columns(input).transpose(0, 2, 1))  # (N, C_out, C_in*k*k)
        self.gradW[...] = np.add.reduce(per_sample, axis=0).reshape(self.W.shape)
        self.gradb[...] = np.add.reduce(g, axis=(0, 2))

    def _output_shape(self, input):
        return (len(input), self.out_channels) + input.shape[2:]

    def __repr__(self):
        k = self.kernel_size
        return f"Conv2d({self.in_channels} -> {self.out_channels}, {k}x{k})"

