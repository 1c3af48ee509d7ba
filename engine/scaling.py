"""Scaling: the learnable per-feature scale and shift that follows BatchNormalization."""
import numpy as np

from .module import Module, check_dtype, check_positive_int, uniform


class Scaling(Module):
    """y = x * gamma + beta;  x (N, n_out), gamma and beta (1, n_out)."""

    _params = (("gamma", "gradGamma"), ("beta", "gradBeta"))

    def __init__(self, n_out, dtype=np.float64, rng=None):
        super().__init__()
        self.n_out = check_positive_int("Scaling", "n_out", n_out)
        dtype = check_dtype("Scaling", dtype)
        stdv = 1.0 / np.sqrt(n_out)
        self.gamma = uniform(rng, stdv, (1, n_out), dtype)
        self.beta = uniform(rng, stdv, (1, n_out), dtype)
        self.gradGamma = np.zeros_like(self.gamma)
        self.gradBeta = np.zeros_like(self.beta)

    def update_output(self, input):
        self._check_features(input, self.n_out)
        self.output = input * self.gamma
        self.output += self.beta
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx = g * gamma."""
        self._check_features(input, self.n_out)
        self._check_grad_output(grad_output, input.shape)
        self.grad_input = grad_output * self.gamma
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        """dL/dgamma = sum_n g * x;  dL/dbeta = sum_n g;  both (1, n_out)."""
        self._check_features(input, self.n_out)
        self._check_grad_output(grad_output, input.shape)
        np.sum(grad_output * input, axis=0, keepdims=True, out=self.gradGamma)
        np.sum(grad_output, axis=0, keepdims=True, out=self.gradBeta)

    def __repr__(self):
        return f"Scaling({self.n_out})"
