"""Replay a recorded iteration (the app's iteration.npz) with the learner's classes: mine.npz.

Each of the learner's modules gets the recorded input of its own stage, so one bug changes one
stage: layer i's forward gets forward.{i}.input, its backward backward.{i}.grad_output, the
criterion the network's recorded output, and sgd_momentum the recorded weights, gradients and
velocities. The result has the iteration's own names (forward.{i}.output, backward.{i}.grad_input,
backward.{i}.grad.{param}, loss, loss_grad, update.{i}.{param}.after) and its fingerprint, and is
what the app's Step page shows beside its own numbers. It runs on the learner's machine only.
"""
import re

import numpy as np
from i18n import domain

from . import adapter
from .catalogue import entries
from .compare import difference
from .layer_trials import PARAM_NAMES

NAME = re.compile(r"^(\w+)(?:\((.*)\))?$")
_, ngettext = domain("grade")


def parse_layer(name):
    """(kind, constructor args) from a layer's name: 'Linear(2 -> 3)' -> ('Linear', (2, 3))."""
    match = NAME.match(str(name).strip())
    if match is None:
        raise ValueError(_("cannot read the layer name {name!r}").format(name=name))
    kind, inside = match.group(1), match.group(2)
    if not inside:
        return kind, ()
    if kind == "Conv2d":  # 'Conv2d(1 -> 4, 3x3)'
        channels, size = inside.split(",")
        return kind, tuple(int(part) for part in channels.split("->")) + (int(size.strip().split("x")[0]),)
    if "->" in inside:
        return kind, tuple(int(part) for part in inside.split("->"))
    values = [part.split("=", 1)[-1].strip() for part in inside.split(",")]
    integers = kind in ("Scaling", "MaxPool2d")
    return kind, tuple(int(v) if re.fullmatch(r"-?\d+", v) and integers else float(v) for v in values)


def target_of(arrays):
    return arrays["target_one_hot"] if "target_one_hot" in arrays else arrays["target"]


def replay(namespace, arrays, errors=None):
    """{name: array} of the learner's tensors for the recorded iteration; a module that is missing is left
    out, and so is one that raised (its message appended to errors)."""
    errors = [] if errors is None else errors
    convention = adapter.detect(namespace)
    names = [str(n) for n in np.atleast_1d(arrays["layers"])]
    training = bool(arrays["training"]) if "training" in arrays else True
    mine = {"fingerprint": np.array(str(arrays["fingerprint"])) if "fingerprint" in arrays else np.array("")}
    parameters = []
    for i, name in enumerate(names):
        kind, args = parse_layer(name)
        cls = adapter.find(namespace, kind)
        params = [arrays[f"update.{i}.{p}.before"] for p in PARAM_NAMES.get(kind, ())
                  if f"update.{i}.{p}.before" in arrays]
        parameters.append(params)
        if cls is None or (kind == "Dropout" and training):  # a random mask cannot be replayed
            continue
        try:
            mine.update(replay_layer(cls, convention, kind, args, i, params, arrays, training))
        except Exception as error:  # noqa: BLE001 - the learner's code: report it, replay the rest
            errors.append(_("layer {i} ({name}): {error}: {message}").format(i=i, name=name,
                                                                             error=type(error).__name__, message=error))
    criterion = adapter.find(namespace, str(arrays["criterion"])) if "criterion" in arrays else None
    if criterion is not None:
        try:
            mine.update(replay_loss(criterion, convention, arrays, len(names)))
        except Exception as error:  # noqa: BLE001
            errors.append(f"{arrays['criterion']}: {type(error).__name__}: {error}")
    optimizer = optimizer_of(arrays)
    step = adapter.find(namespace, optimizer)
    if step is not None:
        try:
            mine.update(replay_step(step, arrays, names, parameters))
        except Exception as error:  # noqa: BLE001
            errors.append(f"{adapter.ALIASES[optimizer][0]}: {type(error).__name__}: {error}")
    return mine


def replay_layer(cls, convention, kind, args, i, params, arrays, training):
    """Layer i's output, grad_input and parameter gradients from its own recorded inputs."""
    mine = {}
    layer = adapter.Wrapped(cls(*args), convention, kind)
    if params:
        layer.load([np.array(p) for p in params])
    if kind == "BatchNormalization" and f"forward.{i}.moving_mean" in arrays:
        layer.moving_mean = np.array(arrays[f"forward.{i}.moving_mean"])
        layer.moving_variance = np.array(arrays[f"forward.{i}.moving_variance"])
    layer.train() if training else layer.evaluate()
    x = np.array(arrays[f"forward.{i}.input"])
    mine[f"forward.{i}.output"] = np.array(layer.forward(x))
    mine[f"backward.{i}.grad_input"] = np.array(layer.backward(x, np.array(arrays[f"backward.{i}.grad_output"])))
    for p, grad in zip(PARAM_NAMES.get(kind, ()), layer.get_grad_params()):
        mine[f"backward.{i}.grad.{p}"] = np.array(grad)
    return mine


def replay_loss(criterion, convention, arrays, n_layers):
    """The loss and its gradient from the network's recorded output."""
    loss = adapter.Wrapped(criterion(), convention, str(arrays["criterion"]))
    output, target = np.array(arrays[f"forward.{n_layers - 1}.output"]), np.array(target_of(arrays))
    return {"loss": np.array(float(loss.forward(output.copy(), target))),
            "loss_grad": np.array(loss.backward(output.copy(), target))}


def optimizer_of(arrays):
    """"Adam" for an iteration recorded with Adam, else "SGD" (sgd_momentum)."""
    return str(arrays["optimizer"]) if "optimizer" in arrays else "SGD"


def optimizer_state(arrays, keys):
    """(config, state) as the recorded step began: SGD's velocities, or Adam's m, v (dicts by k) and t."""
    def held(name):
        return {k: np.array(arrays[f"update.{i}.{p}.{name}"]) for k, (i, p) in enumerate(keys)
                if f"update.{i}.{p}.{name}" in arrays}
    if optimizer_of(arrays) == "Adam":
        config = {key: float(arrays[key]) for key in ("learning_rate", "beta1", "beta2", "epsilon")}
        m, v = held("previous_m"), held("previous_v")
        return config, ({"m": m, "v": v, "t": int(arrays["t"]) - 1} if m else {})
    velocities = held("previous_velocity")
    config = {"learning_rate": float(arrays["learning_rate"]), "momentum": float(arrays["momentum"])}
    return config, ({"accumulated_grads": velocities} if velocities else {})


def adam_epsilon_on_v(arrays):
    """{update.{i}.{p}.after: w} of the recorded Adam step written as homework01 writes it,
    w = before - lr_t m / (sqrt(v) + eps) with lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t): epsilon on sqrt(v)
    rather than on sqrt(v_hat) (torch). Both are Adam; they differ where |gradient| is near epsilon. {} for SGD."""
    if optimizer_of(arrays) != "Adam":
        return {}
    lr, beta1, beta2, epsilon = (float(arrays[key]) for key in ("learning_rate", "beta1", "beta2", "epsilon"))
    t = int(arrays["t"])
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return {f"{key[:-len('.before')]}.after": arrays[key] - lr_t * arrays[key.replace(".before", ".m")] / (
        np.sqrt(arrays[key.replace(".before", ".v")]) + epsilon)
        for key in arrays if key.startswith("update.") and key.endswith(".before")}


def replay_step(step, arrays, names, parameters):
    """update.{i}.{param}.after from the learner's sgd_momentum (or adam_optimizer) on the recorded weights,
    gradients and velocities (or moments)."""
    variables = [[np.array(p, dtype=np.float64) for p in layer] for layer in parameters]
    keys = [(i, p) for i, name in enumerate(names) for p in PARAM_NAMES.get(parse_layer(name)[0], ())
            if f"update.{i}.{p}.before" in arrays]
    gradients = [[np.array(arrays[f"update.{i}.{p}.grad"]) for (j, p) in keys if j == i] for i in range(len(names))]
    config, state = optimizer_state(arrays, keys)
    step(variables, gradients, config, state)
    flat = [v for layer in variables for v in layer]
    return {f"update.{i}.{p}.after": value for (i, p), value in zip(keys, flat)}


def save(namespace, iteration_path, out_path, errors=None):
    """Replay iteration_path with the learner's classes and write the tensors to out_path (.npz)."""
    with np.load(iteration_path, allow_pickle=False) as arrays:
        mine = replay(namespace, dict(arrays), errors)
    np.savez(out_path, **mine)
    return mine



def diagnose(arrays, key, value):
    """The catalogued mistake whose variant, replayed on this iteration, gives exactly `value` for tensor
    `key` (for the Step page: engine code only, never the learner's), or None."""
    names = [str(n) for n in np.atleast_1d(arrays["layers"])]
    training = bool(arrays["training"]) if "training" in arrays else True
    snake = adapter.Convention(adapter.SNAKE)
    parameters = [[arrays[f"update.{i}.{p}.before"] for p in PARAM_NAMES.get(parse_layer(name)[0], ())
                   if f"update.{i}.{p}.before" in arrays] for i, name in enumerate(names)]
    if key.startswith(("forward.", "backward.")):
        i = int(key.split(".")[1])
        module, args = parse_layer(names[i])

        def run(variant):
            return replay_layer(variant, snake, module, args, i, parameters[i], arrays, training)
    elif key in ("loss", "loss_grad"):
        module = str(arrays["criterion"])

        def run(variant):
            return replay_loss(variant, snake, arrays, len(names))
    else:
        module = optimizer_of(arrays)

        def run(variant):
            return replay_step(variant, arrays, names, parameters)
    for misconception in entries(module):
        try:
            theirs = run(misconception.variant).get(key)
        except Exception:  # noqa: BLE001 - a variant that cannot run on this input is not the one
            continue
        if theirs is not None and difference(value, theirs) is None:
            return misconception
    return None
