"""Adam: the handout-style adam_optimizer and a thin class over it, like sgd_momentum and SGD."""
import numpy as np

from i18n import domain

from .module import is_real

_, ngettext = domain("engine")

CONFIG_KEYS = ("learning_rate", "beta1", "beta2", "epsilon")


def adam_optimizer(variables, gradients, config, state):
    """t += 1; m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr m_hat / (sqrt(v_hat) + eps), in place.

    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) (eps outside the root, as torch.optim.Adam).
    variables, gradients: lists of lists as Sequential returns them; state["m"][k] and
    state["v"][k] are lists, one array per variable in flattened order, and state["t"] is
    the number of steps taken. m and v are new arrays each step, never written again.
    """
    ms, vs = state.setdefault("m", []), state.setdefault("v", [])
    t = state["t"] = state.get("t", 0) + 1
    learning_rate, beta1, beta2, epsilon = (config[key] for key in CONFIG_KEYS)
    # torch's order of operations: (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    step_size, root_correction = learning_rate / (1.0 - beta1 ** t), (1.0 - beta2 ** t) ** 0.5
    k = 0
    for layer_variables, layer_gradients in zip(variables, gradients):
        for variable, gradient in zip(layer_variables, layer_gradients):
            if k == len(ms):
                ms.append(np.zeros_like(gradient))
                vs.append(np.zeros_like(gradient))
            m = beta1 * ms[k]
            m += (1 - beta1) * gradient
            v = beta2 * vs[k]
            v += (1 - beta2) * np.square(gradient)
            ms[k], vs[k] = m, v
            denominator = np.sqrt(v)
            denominator /= root_correction
            denominator += epsilon
            step = np.divide(m, denominator, out=denominator)
            step *= step_size
            variable -= step
            k += 1


def check_hyperparameters(learning_rate, beta1, beta2, epsilon):
    if not is_real(learning_rate) or learning_rate < 0:
        raise ValueError(_("{layer}: {what} must be a finite number >= 0, got {value}").format(
            layer="Adam", what="learning_rate", value=repr(learning_rate)))
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not is_real(beta) or not 0 <= beta < 1:
            raise ValueError(_("{layer}: {what} must be in [0, 1), got {value}").format(
                layer="Adam", what=name, value=repr(beta)))
    if not is_real(epsilon) or epsilon <= 0:
        raise ValueError(_("{layer}: {what} must be a finite number > 0, got {value}").format(
            layer="Adam", what="epsilon", value=repr(epsilon)))


class Adam:
    """opt.step(variables, gradients) = adam_optimizer(variables, gradients, opt.config, opt.state)."""

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, *, lr=None):
        if lr is not None:  # as SGD(lr=...)
            learning_rate = lr
        check_hyperparameters(learning_rate, beta1, beta2, epsilon)
        self.config = dict(zip(CONFIG_KEYS, map(float, (learning_rate, beta1, beta2, epsilon))))
        self.state = {}

    def step(self, variables, gradients):
        check_hyperparameters(*(self.config[key] for key in CONFIG_KEYS))
        adam_optimizer(variables, gradients, self.config, self.state)

    def __call__(self, variables, gradients):
        self.step(variables, gradients)

    def __repr__(self):
        c = self.config
        return (f"Adam(learning_rate={c['learning_rate']:g}, beta1={c['beta1']:g}, beta2={c['beta2']:g}, "
                f"epsilon={c['epsilon']:g})")
