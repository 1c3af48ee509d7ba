"""The catalogue's mistakes in the criteria and in sgd_momentum."""
import numpy as np

from i18n import N_

from .. import criteria
from .catalogue import entry


def _one_hot(input, target):
    """One-hot targets like input; integer class labels (N,) are turned into them, as the engine's criteria do."""
    target = np.asarray(target)
    if target.shape != np.shape(input) and target.dtype.kind in "iu":
        return np.eye(np.shape(input)[1], dtype=np.asarray(input).dtype)[target.reshape(-1)]
    return target


def _loss(function):
    """update_output from function(self, y_hat, y) -> loss (y one-hot)."""
    def update_output(self, input, target):
        self.output = float(function(self, input, _one_hot(input, target)))
        return self.output
    return update_output


def _grad(function):
    def update_grad_input(self, input, target):
        self.grad_input = function(self, input, _one_hot(input, target))
        return self.grad_input
    return update_grad_input


def _clip(self, p):
    return np.clip(p, self.EPS, 1 - self.EPS)


entry("MSECriterion", "mean_over_all", N_("divided by N * K (np.mean over every entry) instead of N"),
      N_("The course's MSE sums over the outputs and averages over the batch only."),
      "L = sum_nk (y_hat - y)^2 / N", criteria.MSECriterion,
      update_output=_loss(lambda self, p, y: np.mean((p - y) ** 2)),
      update_grad_input=_grad(lambda self, p, y: 2 * (p - y) / p.size))
entry("MSECriterion", "no_batch_mean", N_("not divided by the batch size"),
      N_("The loss is the batch's mean: divide the sum by N, in the loss and in its gradient."),
      "L = sum (y_hat - y)^2 / N;  dL/dy_hat = 2 (y_hat - y) / N", criteria.MSECriterion,
      update_output=_loss(lambda self, p, y: np.sum((p - y) ** 2)),
      update_grad_input=_grad(lambda self, p, y: 2 * (p - y)))
entry("MSECriterion", "no_two", N_("the factor 2 of the square's derivative forgotten"),
      N_("d/dy_hat (y_hat - y)^2 = 2 (y_hat - y)."),
      "dL/dy_hat = 2 (y_hat - y) / N", criteria.MSECriterion,
      update_grad_input=_grad(lambda self, p, y: (p - y) / len(p)))
entry("MSECriterion", "sign", N_("the gradient's sign flipped: (y - y_hat)"),
      N_("The loss grows with y_hat - y, so its gradient is +(y_hat - y)."),
      "dL/dy_hat = 2 (y_hat - y) / N", criteria.MSECriterion,
      update_grad_input=_grad(lambda self, p, y: 2 * (y - p) / len(p)))
entry("NLLCriterionUnstable", "no_clip", N_("log of the probabilities without clipping them"),
      N_("A probability of exactly 0 gives log 0 = -inf: clip y_hat to [EPS, 1 - EPS] first."),
      "L = -sum y log(clip(y_hat, EPS, 1 - EPS)) / N", criteria.NLLCriterionUnstable,
      update_output=_loss(lambda self, p, y: -np.sum(y * np.log(p)) / len(p)),
      update_grad_input=_grad(lambda self, p, y: -y / p / len(p)))
entry("NLLCriterionUnstable", "no_batch_mean", N_("not divided by the batch size"),
      N_("The loss is the batch's mean: divide by N, in the loss and in its gradient."),
      "L = -sum y log(y_hat) / N;  dL/dy_hat = -y / y_hat / N", criteria.NLLCriterionUnstable,
      update_output=_loss(lambda self, p, y: -np.sum(y * np.log(_clip(self, p)))),
      update_grad_input=_grad(lambda self, p, y: -y / _clip(self, p)))
entry("NLLCriterionUnstable", "grad_log", N_("the gradient taken as -y log(y_hat) / N"),
      N_("The derivative of log(y_hat) is 1 / y_hat."),
      "dL/dy_hat = -y / y_hat / N", criteria.NLLCriterionUnstable,
      update_grad_input=_grad(lambda self, p, y: -y * np.log(_clip(self, p)) / len(p)))
entry("NLLCriterionUnstable", "sign", N_("the gradient's sign flipped"),
      N_("The loss falls as the right class's probability grows: its gradient is negative there."),
      "dL/dy_hat = -y / y_hat / N", criteria.NLLCriterionUnstable,
      update_grad_input=_grad(lambda self, p, y: y / _clip(self, p) / len(p)))
entry("NLLCriterion", "no_batch_mean", N_("not divided by the batch size"),
      N_("The loss is the batch's mean: divide by N, in the loss and in its gradient."),
      "L = -sum y * y_hat / N;  dL/dy_hat = -y / N", criteria.NLLCriterion,
      update_output=_loss(lambda self, p, y: -np.sum(y * p)),
      update_grad_input=_grad(lambda self, p, y: -y.astype(float)))
entry("NLLCriterion", "sign", N_("the sign flipped (the log-likelihood instead of its negative)"),
      N_("NLL is the negative log-likelihood: minus the sum, and so -y / N as its gradient."),
      "L = -sum y * y_hat / N;  dL/dy_hat = -y / N", criteria.NLLCriterion,
      update_output=_loss(lambda self, p, y: np.sum(y * p) / len(p)),
      update_grad_input=_grad(lambda self, p, y: y / len(p)))
entry("NLLCriterion", "unstable_gradient", N_("the unstable criterion's gradient -y / y_hat / N"),
      N_("This criterion's input is already log y_hat, and d(-y log_y_hat)/d(log_y_hat) = -y: no division."),
      N_("dL/dy_hat = -y / N  (y_hat = the log-probabilities)"), criteria.NLLCriterion,
      update_grad_input=_grad(lambda self, p, y: -y / p / len(p)))


def _sgd(velocity, step, shared=False):
    """sgd_momentum with the velocity rule velocity(m, v, lr, g) and the update step(w, v)."""
    def sgd(variables, gradients, config, state):
        state.setdefault("accumulated_grads", {})
        k = 0
        for layer_variables, layer_gradients in zip(variables, gradients):
            for variable, gradient in zip(layer_variables, layer_gradients):
                key = 0 if shared else k
                old = state["accumulated_grads"].get(key)
                if old is None or np.shape(old) != np.shape(gradient):
                    old = np.zeros_like(gradient)
                v = velocity(config["momentum"], old, config["learning_rate"], gradient)
                state["accumulated_grads"][key] = v
                step(variable, v)
                k += 1
    return sgd


def _descend(w, v):
    w -= v


def _rebind(w, v):
    w = w - v  # noqa: F841  (a new array: the layer's own stays as it was)


def _ascend(w, v):
    w += v


entry("SGD", "momentum_ignored", N_("the momentum ignored (plain gradient descent)"),
      N_("The velocity keeps a share of the last step: v = momentum * v + learning_rate * g."),
      "v = momentum * v + learning_rate * g;  w -= v", step=_sgd(lambda m, v, lr, g: lr * g, _descend))
entry("SGD", "ascent", N_("an ascent step (w += v)"),
      N_("Descent goes against the gradient: subtract the velocity."),
      "w -= v", step=_sgd(lambda m, v, lr, g: m * v + lr * g, _ascend))
entry("SGD", "shared_velocity", N_("one velocity shared by all variables"),
      N_("Each variable has its own velocity: state['accumulated_grads'][k] for the k-th variable."),
      "v_k = momentum * v_k + learning_rate * g_k", step=_sgd(lambda m, v, lr, g: m * v + lr * g, _descend, True))
entry("SGD", "lr_on_velocity", N_("the learning rate applied to the whole velocity: v = lr (momentum v + g)"),
      N_("The learning rate scales only the new gradient."),
      "v = momentum * v + learning_rate * g", step=_sgd(lambda m, v, lr, g: lr * (m * v + g), _descend))
entry("SGD", "not_in_place", N_("the variables rebound (w = w - v) instead of updated in place"),
      N_("w = w - v makes a new array and leaves the layer's own as it was: write w -= v."),
      N_("w -= v  (in place)"), step=_sgd(lambda m, v, lr, g: m * v + lr * g, _rebind))
