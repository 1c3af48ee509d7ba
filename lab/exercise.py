"""The recorded iteration as an exercise: every tensor in an .npz, and handout-style code that
checks the learner's own layers, criterion and sgd_momentum (or adam_optimizer) against it, number by number.

The code uses the handout's names (Linear, W, gradW, ..., sgd_momentum, adam_optimizer), so it runs against
a framework written from the handout; it runs unchanged against the engine too (tested).
"""
import hashlib

import numpy as np

import engine
from engine.data import one_hot

from .layers import describe
from .network import shapes
from .transfer import STATISTICS, model_arrays, npz_bytes

TOLERANCE = "rtol=1e-6, atol=1e-9"   # float64 round-off of a different but correct implementation


def fingerprint(trace):
    """16 hex digits that tell this iteration from any other: its batch, targets, weights and network."""
    digest = hashlib.sha256()
    for array in [trace.forward[0].input, np.asarray(trace.target)] + [u.before for u in trace.updates]:
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(" ".join(record.name for record in trace.forward).encode())
    return digest.hexdigest()[:16]


def iteration_arrays(trace, model):
    """trace.arrays(), plus each BatchNormalization's moving statistics
    ("forward.{i}.moving_mean" / "moving_variance"), which an evaluate-mode forward uses, and
    "target_one_hot" when the targets are class labels (the handout's criteria take one-hot rows), and the
    criterion's name, the training mode and the iteration's fingerprint (engine/grade/iteration.py replays it)."""
    arrays = dict(trace.arrays())
    arrays.update(criterion=np.array(trace.criterion), training=np.array(bool(model.training)),
                  fingerprint=np.array(fingerprint(trace)))  # what `python -m engine.grade --iteration` needs
    target, predictions = np.asarray(trace.target), trace.predictions
    if target.dtype.kind in "iu" and target.shape == predictions.shape[:1]:
        arrays["target_one_hot"] = one_hot(target, predictions.shape[1]).astype(predictions.dtype)
    for name, array in model_arrays(model).items():  # "1.moving_mean" -> "forward.1.moving_mean"
        if name.split(".", 1)[1] in STATISTICS:
            arrays[f"forward.{name}"] = array
    return arrays


def iteration_npz(trace, model):
    """The .npz bytes of iteration_arrays: what the Step page's *iteration.npz* holds."""
    return npz_bytes(iteration_arrays(trace, model))


def param_attributes(kind):
    """[(parameter, gradient attribute)] of a layer kind, e.g. [("W", "gradW"), ("b", "gradb")]."""
    return list(getattr(engine, kind)._params)


def layer_check(i, spec, shape, training):
    """The lines that rebuild layer i (fed samples of `shape`), load its parameters and check its forward
    and backward."""
    kind, name = spec["kind"], describe(spec, shape)
    lines = ["", f"# layer {i}: {name}"]
    if kind == "Dropout" and training:
        return lines + ["# (training mode draws a random mask: run the exercise in evaluate mode to check it)"]
    lines.append(f"layer = {name}")
    lines += [f'layer.{param}[...] = it["update.{i}.{param}.before"]' for param, _ in param_attributes(kind)]
    if kind == "BatchNormalization" and not training:
        lines += [f'layer.{stat} = it["forward.{i}.{stat}"]' for stat in STATISTICS]
    if not training:
        lines.append("layer.evaluate()")
    lines += [f'x = it["forward.{i}.input"]',
              f'check("layer {i} forward", layer.forward(x), "forward.{i}.output")',
              f'check("layer {i} backward", layer.backward(x, it["backward.{i}.grad_output"]), '
              f'"backward.{i}.grad_input")']
    lines += [f'check("layer {i} {grad}", layer.{grad}, "backward.{i}.grad.{param}")'
              for param, grad in param_attributes(kind)]
    return lines


def update_check(i, kind, optimizer="SGD"):
    """The lines that run sgd_momentum (or adam_optimizer) on layer i's parameters from their recorded state."""
    params = [param for param, _ in param_attributes(kind)]
    if not params:
        return []
    keys = [f"update.{i}.{param}" for param in params]
    lines = ["", f"# the {optimizer} step of layer {i}'s parameters",
             "variables = [[" + ", ".join(f'it["{key}.before"].copy()' for key in keys) + "]]",
             "gradients = [[" + ", ".join(f'it["{key}.grad"]' for key in keys) + "]]",
             "keys = [" + ", ".join(f'"{key}"' for key in keys) + "]"]
    if optimizer == "Adam":  # the state before the step: t - 1 steps taken, m and v as they were
        lines += ['state = {} if int(it["t"]) == 1 else {  # the first step starts from no state at all',
                  '    "m": [it[f"{key}.previous_m"].copy() for key in keys],',
                  '    "v": [it[f"{key}.previous_v"].copy() for key in keys], "t": int(it["t"]) - 1}',
                  "adam_optimizer(variables, gradients, config, state)"]
    else:
        lines += ['state = {"accumulated_grads": {k: it[f"{key}.previous_velocity"].copy()',
                  '                               for k, key in enumerate(keys) if f"{key}.previous_velocity" in it}}',
                  "sgd_momentum(variables, gradients, config, state)"]
    return lines + [
            f'check("layer {i} {param} after the step", variables[0][{k}], "{key}.after")'
            for k, (param, key) in enumerate(zip(params, keys))]


def check_code(config, inputs):
    """Python that checks the learner's own classes against iteration.npz, stage by stage (inputs: a feature
    count or one sample's shape, e.g. (1, 8, 8))."""
    step = "sgd_momentum" if config.optimizer == "SGD" else "adam_optimizer"
    lines = ["import numpy as np",
             f"# from my_framework import *   # your Linear, ..., NLLCriterion, {step}",
             "",
             'it = np.load("iteration.npz")',
             "",
             "",
             "def check(what, mine, key):",
             f"    np.testing.assert_allclose(mine, it[key], {TOLERANCE}, err_msg=what)",
             "    print(\"ok \", what)",
             ""]
    for i, (spec, shape) in enumerate(zip(config.layers, shapes(config, inputs))):
        lines += layer_check(i, spec, shape, config.training)
    last = len(config.layers) - 1
    lines += ["", "# the loss and its gradient (class labels as one-hot rows, as the handout's criteria take them)",
              'target = it["target_one_hot"] if "target_one_hot" in it else it["target"]',
              f"criterion = {config.criterion}()",
              f'check("loss", criterion.forward(it["forward.{last}.output"], target), "loss")',
              f'check("dL/d output", criterion.backward(it["forward.{last}.output"], target), "loss_grad")',
              ""]
    if config.optimizer == "Adam":
        lines += ["# Adam as torch.optim.Adam: epsilon is added to sqrt(v_hat). A version that adds it to sqrt(v)",
                  "# (lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)) differs where |gradient| is near epsilon.",
                  'config = {key: float(it[key]) for key in ("learning_rate", "beta1", "beta2", "epsilon")}']
    else:
        lines.append('config = {"learning_rate": float(it["learning_rate"]), "momentum": float(it["momentum"])}')
    for i, spec in enumerate(config.layers):
        lines += update_check(i, spec["kind"], config.optimizer)
    return "\n".join(lines)
