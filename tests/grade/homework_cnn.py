"""The newer parts of a correct homework, as a student writes them: Conv2d, MaxPool2d, adam_optimizer.

Run after homework_ok.py (it uses its Module). Loops over the kernel's offsets, as many students
write them; Adam in the Practical DL homework's form (lr_t, dict state), which the grader accepts.
"""
import numpy as np


class Conv2d(Module):  # noqa: F821  (homework_ok.py's Module, in the same namespace)
    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        assert kernel_size % 2 == 1, "only odd kernel sizes"
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        stdv = 1. / np.sqrt(in_channels * kernel_size * kernel_size)
        self.W = np.random.uniform(-stdv, stdv, size=(out_channels, in_channels, kernel_size, kernel_size))
        self.b = np.random.uniform(-stdv, stdv, size=out_channels)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)

    def _pad(self, x):
        p = self.kernel_size // 2
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    def update_output(self, input):
        k, (h, w) = self.kernel_size, input.shape[2:]
        padded = self._pad(input)
        self.output = np.zeros((len(input), self.out_channels, h, w)) + self.b[None, :, None, None]
        for a in range(k):
            for b in range(k):
                self.output += np.einsum('nchw,oc->nohw', padded[:, :, a:a + h, b:b + w], self.W[:, :, a, b])
        return self.output

    def update_grad_input(self, input, grad_output):
        k, (h, w) = self.kernel_size, input.shape[2:]
        padded_g = self._pad(grad_output)
        flipped = self.W[:, :, ::-1, ::-1]
        self.grad_input = np.zeros(input.shape)
        for a in range(k):
            for b in range(k):
                self.grad_input += np.einsum('nohw,oc->nchw', padded_g[:, :, a:a + h, b:b + w], flipped[:, :, a, b])
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        k, (h, w) = self.kernel_size, input.shape[2:]
        padded = self._pad(input)
        for a in range(k):
            for b in range(k):
                self.gradW[:, :, a, b] = np.einsum('nchw,nohw->oc', padded[:, :, a:a + h, b:b + w], grad_output)
        self.gradb[...] = grad_output.sum(axis=(0, 2, 3))

    def zero_grad_params(self):
        self.gradW.fill(0)
        self.gradb.fill(0)

    def get_parameters(self):
        return [self.W, self.b]

    def get_grad_params(self):
        return [self.gradW, self.gradb]


class MaxPool2d(Module):  # noqa: F821
    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size

    def _windows(self, x):
        n, c, h, w = x.shape
        k = self.kernel_size
        return x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)

    def update_output(self, input):
        self.output = self._windows(input).max(axis=-1)
        return self.output

    def update_grad_input(self, input, grad_output):
        n, c, h, w = input.shape
        k = self.kernel_size
        winner = self._windows(input).argmax(axis=-1)
        routed = (np.arange(k * k) == winner[..., None]) * grad_output[..., None]
        self.grad_input = routed.reshape(n, c, h // k, w // k, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(input.shape)
        return self.grad_input


def adam_optimizer(variables, gradients, config, state):
    state.setdefault('m', {})
    state.setdefault('v', {})
    state.setdefault('t', 0)
    state['t'] += 1
    lr_t = config['learning_rate'] * np.sqrt(1 - config['beta2'] ** state['t']) / (1 - config['beta1'] ** state['t'])
    var_index = 0
    for current_layer_vars, current_layer_grads in zip(variables, gradients):
        for current_var, current_grad in zip(current_layer_vars, current_layer_grads):
            m = state['m'].setdefault(var_index, np.zeros_like(current_grad))
            v = state['v'].setdefault(var_index, np.zeros_like(current_grad))
            np.add(config['beta1'] * m, (1 - config['beta1']) * current_grad, out=m)
            np.add(config['beta2'] * v, (1 - config['beta2']) * current_grad ** 2, out=v)
            current_var -= lr_t * m / (np.sqrt(v) + config['epsilon'])
            var_index += 1
