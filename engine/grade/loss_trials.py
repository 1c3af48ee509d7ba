"""The trials of the criteria and of sgd_momentum, run like the layers' (verdict.grade_trials)."""
from dataclasses import dataclass

import numpy as np
from i18n import N_, domain

from .. import criteria
from ..adam import adam_optimizer
from ..optim import sgd_momentum
from ..softmax import log_softmax

ENGINE = {"MSECriterion": criteria.MSECriterion, "NLLCriterionUnstable": criteria.NLLCriterionUnstable,
          "NLLCriterion": criteria.NLLCriterion, "SGD": sgd_momentum, "Adam": adam_optimizer}

_, ngettext = domain("grade")


@dataclass
class LossTrial:
    """One criterion (or optimizer) run: the batch's shape, dtype and seed."""
    kind: str
    shape: tuple
    dtype: object = np.float64
    seed: int = 0
    extreme: bool = False  # probabilities of exactly 0 and 1

    @property
    def label(self):
        if self.extreme:
            return _("{criterion}, probabilities 0 and 1").format(criterion=self.kind)
        return _("{layer}, input {shape} {dtype}").format(layer=self.kind, shape=self.shape,
                                                           dtype=np.dtype(self.dtype).name)

    @property
    def n(self):
        return self.shape[0]

    def batch(self):
        """(input, one-hot target) as the criterion expects them."""
        rng = np.random.default_rng(2000 + self.seed)
        n, k = self.shape
        target = np.eye(k)[rng.integers(0, k, n)]
        if self.kind == "MSECriterion":
            x, target = rng.uniform(-1, 1, self.shape), rng.uniform(-1, 1, self.shape)
        elif self.extreme:
            x = np.eye(k)[(np.arange(n) + np.arange(n) % 2) % k]  # right in the even rows, wrong in the odd
            target = np.eye(k)[np.arange(n) % k]
        else:
            x = log_softmax(rng.normal(0, 2, self.shape))
            if self.kind == "NLLCriterionUnstable":
                x = np.exp(x)
        return x.astype(self.dtype), target.astype(self.dtype)


def criterion_run(make, trial, result):
    """The loss, its gradient, and that neither input nor target was written into."""
    criterion = make()
    x, target = trial.batch()
    loss, grad_input = (N_("stable loss"), N_("stable grad_input")) if trial.extreme else (N_("loss"), "grad_input")
    result[loss] = np.array(float(criterion.forward(x.copy(), target.copy())))
    given_x, given_t = x.copy(), target.copy()
    result[grad_input] = np.array(criterion.backward(given_x, given_t), dtype=np.float64)
    if not trial.extreme:
        criterion.forward(given_x, given_t)
        result[N_("input and target not written")] = np.concatenate([given_x.ravel(), given_t.ravel()])


def criterion_trials(kind):
    found = [(criterion_run, LossTrial(kind, shape, dtype, seed))
             for dtype in (np.float64, np.float32) for seed, shape in enumerate(((7, 3), (4, 5)))]
    if kind == "NLLCriterionUnstable":
        found.append((criterion_run, LossTrial(kind, (4, 3), extreme=True)))
    return found


def four_steps(step, config, seed, result, names):
    """Four steps of an optimizer on three layers (one without parameters); the variables after the first
    and the last under names[0] and names[1]; returns the state."""
    rng = np.random.default_rng(seed)
    shapes = [[(3, 2), (2,)], [], [(2, 4), (1, 4)]]
    variables = [[rng.uniform(-1, 1, s) for s in layer] for layer in shapes]
    state = {}
    for k in range(4):
        gradients = [[rng.uniform(-1, 1, s) for s in layer] for layer in shapes]
        step(variables, gradients, config, state)
        if k in (0, 3):
            result[names[k // 3]] = np.concatenate([np.ravel(v) for layer in variables for v in layer])
    return state


def sgd_run(step, trial, result):
    """Four steps of sgd_momentum with the handout's config and state."""
    state = four_steps(step, {"learning_rate": 0.1, "momentum": 0.9}, 3000 + trial.seed, result,
                       (N_("the first step"), N_("later steps (momentum)")))
    velocities = state.get("accumulated_grads")
    result[N_("one velocity per variable in state['accumulated_grads']")] = np.array(
        [len(velocities) if hasattr(velocities, "__len__") else -1], dtype=float)


def sgd_trials():
    return [(sgd_run, LossTrial("SGD", (1, 1), seed=seed)) for seed in range(2)]


def adam_run(step, trial, result):
    """Four steps of adam_optimizer, as sgd_run's; then its step count and moments."""
    config = {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    names = (N_("the first step (bias-corrected)"), N_("later steps"))
    state = four_steps(step, config, 4000 + trial.seed, result, names)
    result[N_("state['t'] counts the steps")] = np.array([float(state.get("t", -1))])
    result[N_("one m and one v per variable in state['m'], state['v']")] = np.array(
        [len(state[key]) if hasattr(state.get(key), "__len__") else -1 for key in ("m", "v")], dtype=float)


def adam_trials():
    return [(adam_run, LossTrial("Adam", (1, 1), seed=seed)) for seed in range(2)]
