"""SGD with momentum: the handout's function and a thin class over it."""
import numpy as np

from i18n import domain

from .module import is_real

_, ngettext = domain("engine")


def sgd_momentum(variables, gradients, config, state):
    """v = momentum * v + learning_rate * g;  w -= v, in place, for every variable.

    variables, gradients: lists of lists as Sequential returns them;
    state["accumulated_grads"][k] is v of the k-th variable in flattened order, a new array
    each step (same arithmetic, same cost as updating v in place).
    """
    velocities = state.setdefault("accumulated_grads", {})
    learning_rate, momentum = config["learning_rate"], config["momentum"]
    k = 0
    for layer_variables, layer_gradients in zip(variables, gradients):
        for variable, gradient in zip(layer_variables, layer_gradients):
            previous = velocities.get(k)
            if previous is None:
                previous = np.zeros_like(gradient)
            # A new array each step, never written again: a trace may keep it without a copy.
            velocity = momentum * previous
            velocity += learning_rate * gradient
            velocities[k] = velocity
            variable -= velocity
            k += 1


def check_hyperparameters(learning_rate, momentum):
    if not is_real(learning_rate) or learning_rate < 0:
        raise ValueError(_("{layer}: {what} must be a finite number >= 0, got {value}").format(
            layer="SGD", what="learning_rate", value=repr(learning_rate)))
    if not is_real(momentum) or not 0 <= momentum < 1:
        raise ValueError(_("{layer}: {what} must be in [0, 1), got {value}").format(
            layer="SGD", what="momentum", value=repr(momentum)))


class SGD:
    """opt.step(variables, gradients) = sgd_momentum(variables, gradients, opt.config, opt.state)."""

    def __init__(self, learning_rate=1e-2, momentum=0.9, *, lr=None):
        if lr is not None:  # the handout writes SGD(lr=1e-2, momentum=0.9)
            learning_rate = lr
        check_hyperparameters(learning_rate, momentum)
        self.config = {"learning_rate": float(learning_rate), "momentum": float(momentum)}
        self.state = {}

    def step(self, variables, gradients):
        check_hyperparameters(self.config["learning_rate"], self.config["momentum"])
        sgd_momentum(variables, gradients, self.config, self.state)

    def __call__(self, variables, gradients):
        self.step(variables, gradients)

    def __repr__(self):
        return f"SGD(learning_rate={self.config['learning_rate']:g}, momentum={self.config['momentum']:g})"
