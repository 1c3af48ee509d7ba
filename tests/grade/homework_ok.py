"""A correct handout-style framework, written as a student would (the grader's tests grade it)."""
import numpy as np


class Module:
    def __init__(self):
        self.output = None
        self.grad_input = None
        self.training = True

    def forward(self, input):
        return self.update_output(input)

    def backward(self, input, grad_output):
        self.update_grad_input(input, grad_output)
        self.update_grad_params(input, grad_output)
        return self.grad_input

    def update_output(self, input):
        pass

    def update_grad_input(self, input, grad_output):
        pass

    def update_grad_params(self, input, grad_output):
        pass

    def zero_grad_params(self):
        pass

    def get_parameters(self):
        return []

    def get_grad_params(self):
        return []

    def train(self):
        self.training = True

    def evaluate(self):
        self.training = False


class Sequential(Module):
    def __init__(self):
        super().__init__()
        self.modules = []

    def add(self, module):
        self.modules.append(module)

    def update_output(self, input):
        self.inputs = [input]
        for module in self.modules:
            self.inputs.append(module.forward(self.inputs[-1]))
        self.output = self.inputs[-1]
        return self.output

    def backward(self, input, grad_output):
        g = grad_output
        for i in reversed(range(len(self.modules))):
            g = self.modules[i].backward(self.inputs[i], g)
        self.grad_input = g
        return self.grad_input

    def zero_grad_params(self):
        for module in self.modules:
            module.zero_grad_params()

    def get_parameters(self):
        return [module.get_parameters() for module in self.modules]

    def get_grad_params(self):
        return [module.get_grad_params() for module in self.modules]

    def train(self):
        self.training = True
        for module in self.modules:
            module.train()

    def evaluate(self):
        self.training = False
        for module in self.modules:
            module.evaluate()


class Linear(Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        stdv = 1. / np.sqrt(n_in)
        self.W = np.random.uniform(-stdv, stdv, size=(n_in, n_out))
        self.b = np.random.uniform(-stdv, stdv, size=n_out)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)

    def update_output(self, input):
        self.output = input @ self.W + self.b
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output @ self.W.T
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        self.gradW[...] = input.T @ grad_output
        self.gradb[...] = grad_output.sum(axis=0)

    def zero_grad_params(self):
        self.gradW.fill(0)
        self.gradb.fill(0)

    def get_parameters(self):
        return [self.W, self.b]

    def get_grad_params(self):
        return [self.gradW, self.gradb]


class SoftMax(Module):
    def update_output(self, input):
        e = np.exp(input - input.max(axis=1, keepdims=True))
        self.output = e / e.sum(axis=1, keepdims=True)
        return self.output

    def update_grad_input(self, input, grad_output):
        a = self.update_output(input)
        self.grad_input = a * (grad_output - (grad_output * a).sum(axis=1, keepdims=True))
        return self.grad_input


class LogSoftMax(Module):
    def update_output(self, input):
        shifted = input - input.max(axis=1, keepdims=True)
        self.output = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return self.output

    def update_grad_input(self, input, grad_output):
        a = np.exp(self.update_output(input))
        self.grad_input = grad_output - a * grad_output.sum(axis=1, keepdims=True)
        return self.grad_input


class BatchNormalization(Module):
    EPS = 1e-3

    def __init__(self, alpha=0.):
        super().__init__()
        self.alpha = alpha
        self.moving_mean = None
        self.moving_variance = None

    def update_output(self, input):
        if self.training:
            mean, var = input.mean(axis=0), input.var(axis=0)
            if self.moving_mean is None:
                self.moving_mean, self.moving_variance = mean, var
            else:
                self.moving_mean = self.alpha * self.moving_mean + (1 - self.alpha) * mean
                self.moving_variance = self.alpha * self.moving_variance + (1 - self.alpha) * var
        else:
            mean, var = self.moving_mean, self.moving_variance
        self.output = (input - mean) / np.sqrt(var + self.EPS)
        return self.output

    def update_grad_input(self, input, grad_output):
        if not self.training:
            self.grad_input = grad_output / np.sqrt(self.moving_variance + self.EPS)
            return self.grad_input
        n = len(input)
        inv_std = 1 / np.sqrt(input.var(axis=0) + self.EPS)
        x_hat = (input - input.mean(axis=0)) * inv_std
        self.grad_input = (n * grad_output - grad_output.sum(axis=0)
                           - x_hat * (grad_output * x_hat).sum(axis=0)) * inv_std / n
        return self.grad_input


class Scaling(Module):
    def __init__(self, n_out):
        super().__init__()
        stdv = 1. / np.sqrt(n_out)
        self.gamma = np.random.uniform(-stdv, stdv, size=(1, n_out))
        self.beta = np.random.uniform(-stdv, stdv, size=(1, n_out))
        self.gradGamma = np.zeros_like(self.gamma)
        self.gradBeta = np.zeros_like(self.beta)

    def update_output(self, input):
        self.output = input * self.gamma + self.beta
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output * self.gamma
        return self.grad_input

    def update_grad_params(self, input, grad_output):
        self.gradGamma[...] = (grad_output * input).sum(axis=0, keepdims=True)
        self.gradBeta[...] = grad_output.sum(axis=0, keepdims=True)

    def zero_grad_params(self):
        self.gradGamma.fill(0)
        self.gradBeta.fill(0)

    def get_parameters(self):
        return [self.gamma, self.beta]

    def get_grad_params(self):
        return [self.gradGamma, self.gradBeta]


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p
        self.mask = None

    def update_output(self, input):
        if not self.training:
            self.output = input
            return self.output
        self.mask = (np.random.random(input.shape) >= self.p) / (1 - self.p)
        self.output = input * self.mask
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output * self.mask if self.training else grad_output
        return self.grad_input


class Flatten(Module):
    def update_output(self, input):
        self.output = input.reshape(len(input), -1)
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output.reshape(input.shape)
        return self.grad_input


class ReLU(Module):
    def update_output(self, input):
        self.output = np.maximum(input, 0)
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output * (input > 0)
        return self.grad_input


class LeakyReLU(Module):
    def __init__(self, slope=0.03):
        super().__init__()
        self.slope = slope

    def update_output(self, input):
        self.output = np.where(input > 0, input, self.slope * input)
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output * np.where(input > 0, 1.0, self.slope)
        return self.grad_input


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def update_output(self, input):
        self.output = np.where(input > 0, input, self.alpha * (np.exp(np.minimum(input, 0)) - 1))
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output * np.where(input > 0, 1.0, self.alpha * np.exp(np.minimum(input, 0)))
        return self.grad_input


class SoftPlus(Module):
    def update_output(self, input):
        self.output = np.logaddexp(0, input)
        return self.output

    def update_grad_input(self, input, grad_output):
        self.grad_input = grad_output / (1 + np.exp(-np.clip(input, -500, 500)))
        return self.grad_input


class Criterion:
    def __init__(self):
        self.output = None
        self.grad_input = None

    def forward(self, input, target):
        return self.update_output(input, target)

    def backward(self, input, target):
        return self.update_grad_input(input, target)


class MSECriterion(Criterion):
    def update_output(self, input, target):
        self.output = np.sum((input - target) ** 2) / input.shape[0]
        return self.output

    def update_grad_input(self, input, target):
        self.grad_input = (input - target) * 2 / input.shape[0]
        return self.grad_input


class NLLCriterionUnstable(Criterion):
    EPS = 1e-15

    def update_output(self, input, target):
        clipped = np.clip(input, self.EPS, 1 - self.EPS)
        self.output = -np.sum(target * np.log(clipped)) / input.shape[0]
        return self.output

    def update_grad_input(self, input, target):
        clipped = np.clip(input, self.EPS, 1 - self.EPS)
        self.grad_input = -target / clipped / input.shape[0]
        return self.grad_input


class NLLCriterion(Criterion):
    def update_output(self, input, target):
        self.output = -np.sum(target * input) / input.shape[0]
        return self.output

    def update_grad_input(self, input, target):
        self.grad_input = -target / input.shape[0]
        return self.grad_input


def sgd_momentum(variables, gradients, config, state):
    state.setdefault('accumulated_grads', {})
    var_index = 0
    for current_layer_vars, current_layer_grads in zip(variables, gradients):
        for current_var, current_grad in zip(current_layer_vars, current_layer_grads):
            old_grad = state['accumulated_grads'].setdefault(var_index, np.zeros_like(current_grad))
            np.add(config['momentum'] * old_grad, config['learning_rate'] * current_grad, out=old_grad)
            current_var -= old_grad
            var_index += 1
