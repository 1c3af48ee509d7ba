"""The trials of one layer: numbers, contract and stability, each a function of how to build the layer.

A trial builds the layer with `make(*args)` (the engine's class, a catalogued variant, or the learner's
class behind adapter.Wrapped), gives it the engine's parameters and a fixed-seed batch, and returns
{check name: array}. The grader runs the same trial on the learner's class and on the engine's and
compares check by check; a failing check is run on each catalogued variant for its diagnosis.
"""
from dataclasses import dataclass, field

import numpy as np
from i18n import N_, domain

from .. import activations, batchnorm, conv, flatten, linear, pool, scaling, softmax

ENGINE = {"Linear": linear.Linear, "SoftMax": softmax.SoftMax, "LogSoftMax": softmax.LogSoftMax,
          "BatchNormalization": batchnorm.BatchNormalization, "Scaling": scaling.Scaling,
          "Flatten": flatten.Flatten, "ReLU": activations.ReLU, "LeakyReLU": activations.LeakyReLU,
          "ELU": activations.ELU, "SoftPlus": activations.SoftPlus, "Conv2d": conv.Conv2d,
          "MaxPool2d": pool.MaxPool2d}
PARAM_NAMES = {"Linear": ("W", "b"), "Scaling": ("gamma", "beta"), "Conv2d": ("W", "b")}

_, ngettext = domain("grade")


@dataclass
class Trial:
    """One run: the layer's constructor arguments, the input's shape and range, dtype, what is checked."""
    kind: str
    args: tuple
    shape: tuple
    dtype: object = np.float64
    scale: float = 1.0
    seed: int = 0
    checks: tuple = ("forward", "grad_input", "parameter gradients")
    special: np.ndarray = field(default=None, repr=False)  # an exact input (the stability trials)

    @property
    def label(self):
        args = ", ".join(map(repr, self.args))
        return _("{layer}, input {shape} {dtype}").format(layer=f"{self.kind}({args})", shape=self.shape,
                                                           dtype=np.dtype(self.dtype).name)

    @property
    def n(self):
        return self.shape[0]

    def output_shape(self):
        n = self.shape[0]
        if self.kind == "Linear":
            return (n, self.args[1])
        if self.kind == "Flatten":
            return (n, int(np.prod(self.shape[1:])))
        if self.kind == "Conv2d":
            return (n, self.args[1]) + self.shape[2:]
        if self.kind == "MaxPool2d":
            return self.shape[:2] + tuple(side // self.args[0] for side in self.shape[2:])
        return self.shape

    def parameters(self):
        """The engine's initial parameters for this trial (a fixed seed)."""
        if self.kind not in PARAM_NAMES:
            return []
        reference = ENGINE[self.kind](*self.args, dtype=np.dtype(self.dtype), rng=np.random.default_rng(self.seed))
        return [value.copy() for _, value, _ in reference.named_parameters()]

    def batch(self):
        rng = np.random.default_rng(1000 + self.seed)
        x = self.special if self.special is not None else rng.uniform(-self.scale, self.scale, self.shape)
        x = np.asarray(x, dtype=self.dtype)
        g = rng.uniform(-1, 1, self.output_shape()).astype(self.dtype)
        return x, g


def load(layer, arrays):
    """The engine's parameter values into the layer's live arrays (learner's or engine's)."""
    if hasattr(layer, "load"):
        layer.load(arrays)
        return
    for target, value in zip(layer.get_parameters(), arrays):
        target[...] = value


def build(make, trial):
    layer = make(*trial.args)
    load(layer, trial.parameters())
    if trial.kind == "BatchNormalization":  # known moving statistics, whichever way the layer starts them
        features = trial.shape[1]
        layer.moving_mean = np.linspace(-0.5, 0.5, features)
        layer.moving_variance = np.linspace(0.5, 2.0, features)
    return layer


def grads(layer, trial):
    names = PARAM_NAMES.get(trial.kind, ())
    found = [np.array(g, dtype=np.float64) for g in layer.get_grad_params()]
    if len(found) != len(names):
        said = ngettext("get_grad_params() returned {n} array", "get_grad_params() returned {n} arrays",
                        len(found)).format(n=len(found))
        return {f"grad {name}": said for name in names}
    return {f"grad {name}": g for name, g in zip(names, found)}


def numbers(make, trial, result):
    """forward, grad_input and each parameter gradient on a fresh batch (copies: no bug leaks into another)."""
    layer = build(make, trial)
    x, g = trial.batch()
    result[N_("forward")] = np.array(layer.forward(x.copy()), dtype=np.float64)
    x1 = x.copy()
    layer.forward(x1)
    result["grad_input"] = np.array(layer.backward(x1, g.copy()), dtype=np.float64)
    result[N_("stored output and grad_input")] = np.array([
        np.array_equal(np.asarray(layer.output, dtype=np.float64), result["forward"]),
        np.array_equal(np.asarray(layer.grad_input, dtype=np.float64), result["grad_input"])], dtype=float)
    result.update(grads(layer, trial))


def contract(make, trial, result):
    """What the methods may not do: write into input or grad_output, accumulate, return copies."""
    layer = build(make, trial)
    x, g = trial.batch()
    x_given, g_given = x.copy(), g.copy()
    layer.forward(x_given)
    layer.backward(x_given, g_given)
    result.update({N_("input not written"): x_given, N_("grad_output not written"): g_given})
    if trial.kind in PARAM_NAMES:
        x1, g1 = x.copy(), g.copy()
        layer.forward(x1)
        layer.backward(x1, g1)
        layer.update_grad_params(x1, g1)  # twice: the course's tests call it again before reading
        result[N_("gradients overwritten, not accumulated")] = np.concatenate(
            [np.ravel(v) for v in grads(layer, trial).values() if not isinstance(v, str)] or [np.zeros(0)])
        layer.zero_grad_params()
        result[N_("zero_grad_params zeroes")] = np.concatenate(
            [np.ravel(np.asarray(a, dtype=np.float64)) for a in layer.get_grad_params()] or [np.zeros(0)])
        for array in layer.get_parameters():
            array -= 0.25  # the optimizer's step, in place
        result[N_("get_parameters returns the live arrays")] = np.array(layer.forward(x.copy()), dtype=np.float64)


def stable_forward(make, trial, result):
    """Inputs of +-1000: a finite forward, the stable formula's values, no NumPy warning."""
    x, _g = trial.batch()
    result[N_("stable forward")] = np.array(build(make, trial).forward(x.copy()), dtype=np.float64)


def stable_backward(make, trial, result):
    """The same inputs through forward and backward: a finite grad_input, no NumPy warning."""
    layer = build(make, trial)
    x, g = trial.batch()
    layer.forward(x)
    result[N_("stable grad_input")] = np.array(layer.backward(x, g), dtype=np.float64)


def evaluate_mode(make, trial, result):
    """BatchNormalization: two training batches update the moving statistics; then evaluate mode uses them."""
    layer = build(make, trial)
    x, g = trial.batch()
    layer.train()
    for shift in (0.0, 0.5):
        layer.forward(x.copy() + shift)
    result[N_("moving statistics")] = np.concatenate([np.ravel(np.asarray(layer.moving_mean, dtype=np.float64)),
                             np.ravel(np.asarray(layer.moving_variance, dtype=np.float64))])
    layer.evaluate()
    x1 = x.copy() * 2
    result[N_("evaluate-mode forward")] = np.array(layer.forward(x1), dtype=np.float64)
    result[N_("evaluate-mode grad_input")] = np.array(layer.backward(x1, g.copy()), dtype=np.float64)
    result[N_("moving statistics kept in evaluate mode")] = np.concatenate(
        [np.ravel(np.asarray(layer.moving_mean, dtype=np.float64)),
         np.ravel(np.asarray(layer.moving_variance, dtype=np.float64))])


def trials(kind):
    """[(run, Trial)] for one layer: defaults and other hyperparameters, non-square shapes, both dtypes."""
    rows = {"Linear": [((5, 3), (7, 5)), ((4, 4), (6, 4)), ((2, 6), (3, 2))],
            "SoftMax": [((), (7, 5)), ((), (4, 3))], "LogSoftMax": [((), (7, 5)), ((), (4, 3))],
            "BatchNormalization": [((0.0,), (9, 4)), ((0.3,), (6, 3))],
            "Scaling": [((4,), (7, 4)), ((3,), (2, 3))], "Flatten": [((), (6, 2, 3, 2)), ((), (4, 5))],
            "ReLU": [((), (7, 5))], "LeakyReLU": [((), (7, 5)), ((0.2,), (6, 4))],
            "ELU": [((), (7, 5)), ((0.5,), (6, 4)), ((2.0,), (5, 3))], "SoftPlus": [((), (7, 5))],
            "Conv2d": [((2, 3, 3), (4, 2, 5, 6)), ((1, 2, 1), (3, 1, 4, 4)), ((3, 2, 5), (2, 3, 6, 5))],
            "MaxPool2d": [((2,), (3, 2, 4, 6)), ((3,), (2, 1, 6, 3))]}[kind]
    scale = {"SoftMax": 3.0, "LogSoftMax": 3.0, "ELU": 2.0, "SoftPlus": 3.0}.get(kind, 1.0)
    found = []
    for dtype in (np.float64, np.float32):
        for seed, (args, shape) in enumerate(rows):
            found.append((numbers, Trial(kind, args, shape, dtype, scale, seed)))
    found.append((contract, Trial(kind, rows[0][0], rows[0][1], checks=())))
    if kind == "BatchNormalization":
        found += [(evaluate_mode, Trial(kind, args, shape, seed=seed)) for seed, (args, shape) in enumerate(rows)]
    extreme = {"SoftMax": [[1000.0, -1000.0, 0.0], [-1000.0, -999.0, -1001.0]],
               "LogSoftMax": [[1000.0, -1000.0, 0.0], [-1000.0, -999.0, -1001.0]],
               "SoftPlus": [[1000.0, -1000.0, 50.0], [800.0, -800.0, 0.0]],
               "ELU": [[1000.0, -1000.0, 710.0], [800.0, -800.0, 0.0]]}.get(kind)
    if kind == "MaxPool2d":  # small integers: ties in most windows, the first maximum takes the gradient
        ties = np.random.default_rng(7).integers(-1, 2, (3, 2, 4, 4)).astype(float)
        found += [(numbers, Trial(kind, (2,), ties.shape, dtype, special=ties)) for dtype in (np.float64, np.float32)]
    if extreme is not None:
        found += [(run, Trial(kind, rows[-1][0], (2, 3), special=np.array(extreme)))
                  for run in (stable_forward, stable_backward)]
    return found
