"""SoftMax and LogSoftMax over each row; both shift by the row max first."""
import numpy as np

from .module import Module


def log_softmax(x):
    """x_i - log sum_j e^(x_j) per row, computed from x - max(x) so that nothing overflows."""
    shifted = x - x.max(axis=1, keepdims=True)
    shifted -= np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    return shifted


class SoftMax(Module):
    """a_i = e^(x_i) / sum_j e^(x_j) per row;  x (N, K) -> a (N, K)."""

    def update_output(self, input):
        self._check_matrix(input)
        self._input = input
        self.output = np.exp(log_softmax(input))
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx = a * (g - sum_j g_j a_j), row-wise (Jacobian diag(a) - a a^T)."""
        self._check_matrix(input)
        self._check_grad_output(grad_output, input.shape)
        a = self.output if input is getattr(self, "_input", None) else np.exp(log_softmax(input))
        self.grad_input = grad_output - np.add.reduce(grad_output * a, axis=1, keepdims=True)
        self.grad_input *= a
        return self.grad_input


class LogSoftMax(Module):
    """b_i = x_i - log sum_j e^(x_j) per row;  x (N, K) -> b (N, K)."""

    def update_output(self, input):
        self._check_matrix(input)
        self._input = input
        self.output = log_softmax(input)
        return self.output

    def update_grad_input(self, input, grad_output):
        """dL/dx = g - a * sum_j g_j, a = softmax(x) = e^b (Jacobian I - 1 a^T)."""
        self._check_matrix(input)
        self._check_grad_output(grad_output, input.shape)
        b = self.output if input is getattr(self, "_input", None) else log_softmax(input)
        self.grad_input = grad_output - np.exp(b) * np.add.reduce(grad_output, axis=1, keepdims=True)
        return self.grad_input
