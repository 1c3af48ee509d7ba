"""The recorded iteration as an exercise: every tensor in an .npz, and handout-style code that
checks the learner's own layers, criterion and sgd_momentum (or adam_optimizer) against it, number by number.

The code uses the handout's names (Linear, get_parameters, ..., sgd_momentum, adam_optimizer), so it runs against
a framework written from the handout, against the camelCase one (ClassNLLCriterion, getParameters, W kept as
(n_out, n_in)) and unchanged against the engine too (tested).
"""
import hashlib

import numpy as np

import engine
from engine.data import one_hot
from i18n import domain

from .layers import describe
from .network import shapes
from .transfer import STATISTICS, model_arrays, npz_bytes

_, ngettext = domain("lab")
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
                  fingerprint=np.array(fingerprint(trace)))  # what `python -m backprop_lens grade --iteration` needs
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
    lines = ["", "# " + _("layer {index}: {name}").format(index=i, name=name)]
    if kind == "Dropout" and training:
        return lines + ["# " + _("(training mode draws a random mask: run the exercise in evaluate mode to check "
                                 "it)")]
    lines.append(f"layer = {name}")
    params = param_attributes(kind)
    if params:
        keys = ", ".join(f'"update.{i}.{param}.before"' for param, _ in params)
        lines.append(f"load(layer, [{keys}]{', linear=True' if kind == 'Linear' else ''})")
    if kind == "BatchNormalization" and not training:
        lines += [f'layer.{stat} = it["forward.{i}.{stat}"]' for stat in STATISTICS]
    if not training:
        lines.append("layer.evaluate()")
    forward, backward = _("layer {index} forward").format(index=i), _("layer {index} backward").format(index=i)
    lines += [f'x = it["forward.{i}.input"]',
              f'check("{forward}", layer.forward(x), "forward.{i}.output")',
              f'check("{backward}", layer.backward(x, it["backward.{i}.grad_output"]), '
              f'"backward.{i}.grad_input")']
    gradient = _("layer {index} {grad}")
    lines += [f'check("{gradient.format(index=i, grad=grad)}", grad_parameters(layer)[{k}], '
              f'"backward.{i}.grad.{param}"{", linear=True" if kind == "Linear" and param == "W" else ""})'
              for k, (param, grad) in enumerate(params)]
    return lines


def update_check(i, kind, optimizer="SGD"):
    """The lines that run sgd_momentum (or adam_optimizer) on layer i's parameters from their recorded state."""
    params = [param for param, _ in param_attributes(kind)]
    if not params:
        return []
    keys = [f"update.{i}.{param}" for param in params]
    lines = ["", "# " + _("the {optimizer} step of layer {index}'s parameters").format(optimizer=optimizer, index=i),
             "variables = [[" + ", ".join(f'it["{key}.before"].copy()' for key in keys) + "]]",
             "gradients = [[" + ", ".join(f'it["{key}.grad"]' for key in keys) + "]]",
             "keys = [" + ", ".join(f'"{key}"' for key in keys) + "]"]
    if optimizer == "Adam":  # the state before the step: t - 1 steps taken, m and v as they were
        lines += ['state = {} if int(it["t"]) == 1 else {  # ' + _("the first step starts from no state at all"),
                  '    "m": [it[f"{key}.previous_m"].copy() for key in keys],',
                  '    "v": [it[f"{key}.previous_v"].copy() for key in keys], "t": int(it["t"]) - 1}',
                  "adam_optimizer(variables, gradients, config, state)"]
    else:
        lines += ['state = {"accumulated_grads": {k: it[f"{key}.previous_velocity"].copy()',
                  '                               for k, key in enumerate(keys) if f"{key}.previous_velocity" in it}}',
                  "sgd_momentum(variables, gradients, config, state)"]
    after = _("layer {index} {param} after the step")
    return lines + [f'check("{after.format(index=i, param=param)}", variables[0][{k}], "{key}.after")'
                    for k, (param, key) in enumerate(zip(params, keys))]


CAMEL_NAMES = {"Scaling": "ChannelwiseScaling", "NLLCriterion": "ClassNLLCriterion",
               "NLLCriterionUnstable": "ClassNLLCriterionUnstable"}  # the camelCase homework's class names

HELPERS = """
def parameters(layer):
    \"\"\"{parameters}\"\"\"
    return list((getattr(layer, "get_parameters", None) or layer.getParameters)())


def grad_parameters(layer):
    \"\"\"{grad_parameters}\"\"\"
    return list((getattr(layer, "get_grad_params", None) or layer.getGradParameters)())


def in_my_shape(array, linear):
    \"\"\"{in_my_shape}\"\"\"
    return array.T if linear and W_TRANSPOSED else array


def load(layer, keys, linear=False):
    \"\"\"{load}\"\"\"
    for k, (mine, key) in enumerate(zip(parameters(layer), keys)):
        mine[...] = np.reshape(in_my_shape(it[key], linear and k == 0), np.shape(mine))


def check(what, mine, key, linear=False):
    expected, mine = it[key], in_my_shape(np.asarray(mine), linear)
    if np.squeeze(mine).shape == np.squeeze(expected).shape:  # {gamma}
        mine = np.reshape(mine, expected.shape)
    np.testing.assert_allclose(mine, expected, {tolerance}, err_msg=what)
    print("{ok} ", what)
"""  # the check code's helpers: their docstrings, comment and verdict in the session's language (helpers())


def helpers():
    """HELPERS with its docstrings, comment and printed verdict in the session's language."""
    return HELPERS.format(
        parameters=_("The layer's own parameter arrays: get_parameters(), or getParameters() in the camelCase "
                     "homework."),
        grad_parameters=_("The layer's gradient arrays: get_grad_params(), or getGradParameters() in the camelCase "
                          "homework."),
        in_my_shape=_("The recorded W is (n_in, n_out); a framework that keeps W as (n_out, n_in) gets its "
                      "transpose."),
        load=_("Copy the recorded parameters into the layer's own arrays (W first)."),
        gamma=_("a (n,) gamma against the recorded (1, n)"), tolerance=TOLERANCE,
        ok=_("ok"))


def check_code(config, inputs):
    """Python that checks the learner's own classes against iteration.npz, stage by stage (inputs: a feature
    count or one sample's shape, e.g. (1, 8, 8)). It runs against a framework in the handout's convention
    and against the camelCase one (ClassNLLCriterion, getParameters, W kept as (n_out, n_in)), which it
    detects as the grader does (engine/grade/adapter.py): the shape of a Linear(3, 5)'s first parameter."""
    step = "sgd_momentum" if config.optimizer == "SGD" else "adam_optimizer"
    kinds = {spec["kind"] for spec in config.layers} | {config.criterion}
    renamed = [(name, camel) for name, camel in CAMEL_NAMES.items() if name in kinds]
    lines = ["import numpy as np",
             "# from my_framework import *   # " + _("your Linear, ..., {criterion}, {step}").format(
                 criterion=config.criterion, step=step),
             "",
             'it = np.load("iteration.npz")']
    if renamed:
        lines += ["# " + _("the camelCase homework's names for the same classes"),
                  "for handout, camel in [" + ", ".join(f'("{a}", "{b}")' for a, b in renamed) + "]:",
                  "    if handout not in globals() and camel in globals():",
                  "        globals()[handout] = globals()[camel]"]
    lines += ["", ""] + helpers().strip("\n").split("\n")
    transposed = "parameters(Linear(3, 5))[0].shape == (5, 3)  # " + _("W kept as (n_out, n_in)")
    lines += ["", "W_TRANSPOSED = " + (transposed if "Linear" in kinds else "False"), ""]
    for i, (spec, shape) in enumerate(zip(config.layers, shapes(config, inputs))):
        lines += layer_check(i, spec, shape, config.training)
    last, loss, loss_grad = len(config.layers) - 1, _("loss"), _("dL/d output")
    lines += ["", "# " + _("the loss and its gradient (class labels as one-hot rows, as the handout's criteria take "
                           "them)"),
              'target = it["target_one_hot"] if "target_one_hot" in it else it["target"]',
              f"criterion = {config.criterion}()",
              f'check("{loss}", criterion.forward(it["forward.{last}.output"], target), "loss")',
              f'check("{loss_grad}", criterion.backward(it["forward.{last}.output"], target), "loss_grad")',
              ""]
    if config.optimizer == "Adam":
        note = _("Adam as torch.optim.Adam: epsilon is added to sqrt(v_hat). A version that adds it to sqrt(v)\n"
                 "(lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)) differs where |gradient| is near epsilon.")
        lines += ["# " + line for line in note.split("\n")]
        lines.append('config = {key: float(it[key]) for key in ("learning_rate", "beta1", "beta2", "epsilon")}')
    else:
        lines.append('config = {"learning_rate": float(it["learning_rate"]), "momentum": float(it["momentum"])}')
    for i, spec in enumerate(config.layers):
        lines += update_check(i, spec["kind"], config.optimizer)
    return "\n".join(lines)
