"""Linear: the affine layer y = x W + b."""
import numpy as np

from .module import Module, check_dtype, check_positive_int, uniform


def matmul_into(out, a, b):
    """out[...] = a @ b, straight into out's memory when the dtypes and layout allow it."""
    if a.dtype == b.dtype == out.dtype and out.flags.c_contiguous:
        np.dot(a, b, out=out)
    else:
        out[...] = a @ b


class Linear(Module):
    """y = x W + b;  x (N, n_in) -> y (N, n_out), W (n_in, n_out), b (n_out,)."""

    _params = (("W", "gradW"), ("b", "gradb"))

    def __init__(self, n_in, n_out, dtype=np.float64, rng=None):
        super().__init__()
        self.n_in = check_positive_int("Linear", "n_in", n_in)
        self.n_out = check_positive_int("Linear", "n_out", n_out)
        dtype = check_dtype("Linear", dtype)
        stdv = 1.0 / np.sqrt(n_in)
        # W and gradW live in column-major memory (W.T is contiguous, as in torch): the
        # three products below then run fastest in BLAS. Shapes and values are unchanged.
        self.W = np.asfortranarray(uniform(rng, stdv, (n_in, n_out), dtype))
        self.b = uniform(rng, stdv, (n_out,), dtype)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)

    def update_output(self, input):
        self._check_features(input, self.n_in)
        self.output = np.dot(input, self.W)
        self.output += self.b
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx = g W^T;  g (N, n_out) -> (N, n_in)."""
        self._check_grad_output(grad_output, (len(input), self.n_out))
        self.grad_input = np.dot(grad_output, self.W.T)
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        """dL/dW = x^T g (n_in, n_out);  dL/db = sum_n g (n_out,)."""
        self._check_features(input, self.n_in)
        self._check_grad_output(grad_output, (len(input), self.n_out))
        matmul_into(self.gradW.T, grad_output.T, input)  # (x^T g)^T = g^T x, into gradW's memory
        np.add.reduce(grad_output, axis=0, out=self.gradb)

    def __repr__(self):
        return f"Linear({self.n_in} -> {self.n_out})"
