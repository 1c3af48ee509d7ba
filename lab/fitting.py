"""How a network meets its data: the targets the criterion sees, the last Linear fitted to the classes,
the moving statistics evaluate mode needs, and why a stack does not fit its criterion yet."""
from dataclasses import replace

from engine import BatchNormalization
from engine.data import one_hot

from i18n import domain

from .advice import advice
from .shapes import input_shape

_, ngettext = domain("lab")


def unfinished_reason(error, config, data):
    """Why the criterion cannot take the network's output and what to change (lab.advice)."""
    blocking = [tip for tip in advice(config, input_shape(config, data), data.n_classes, data.task) if tip.blocking]
    if blocking:
        return str(blocking[0])
    return _("the criterion does not fit the network's output: {error}.").format(error=error)


def check_statistics(model):
    """Evaluate mode needs every BatchNormalization's moving statistics; say how to get them."""
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization) and layer.moving_mean is None:
            raise ValueError(
                _("layer {index} ({layer}) has no moving statistics yet: evaluate mode normalises with "
                  "the averages that training-mode iterations collect. Record one iteration in "
                  "training mode (New iteration), then switch to evaluate mode.").format(index=i, layer=repr(layer)))


def one_hot_targets(data, config):
    """Whether the criterion compares with one-hot rows (N, n_classes): MSE on classes."""
    return config.criterion == "MSECriterion" and data.task == "classification"


def targets(data, config, y):
    """What the criterion compares with: labels, or one-hot rows for MSE on classes."""
    return one_hot(y, data.n_classes) if one_hot_targets(data, config) else y


def fit_to_data(config, data):
    """config with its last Linear sized to the data's classes (1 for regression), and the changes made."""
    changes, layers = [], list(config.layers)
    wanted = 1 if data.task == "regression" else data.n_classes
    linear = [i for i, spec in enumerate(layers) if spec["kind"] == "Linear"]
    if linear and layers[linear[-1]]["n_out"] != wanted:
        layers[linear[-1]] = {**layers[linear[-1]], "n_out": wanted}
        changes.append(_("the last Linear (layer {index}) now outputs 1 value")
                       .format(index=linear[-1]) if wanted == 1
                       else ngettext("the last Linear (layer {index}) now outputs {n} class",
                                     "the last Linear (layer {index}) now outputs {n} classes", wanted).format(
                                         index=linear[-1], n=wanted))
    criterion = config.criterion
    if data.task == "regression" and criterion != "MSECriterion":
        criterion = "MSECriterion"
        changes.append(_("the criterion is now MSECriterion (the targets are real numbers)"))
    while data.task == "regression" and len(layers) > 1 and layers[-1]["kind"] in ("SoftMax", "LogSoftMax"):
        changes.append(_("the final {layer} was removed (a regression target is a free real number, not a "
                         "probability)").format(layer=layers.pop()["kind"]))
    if data.task == "classification" and criterion == "MSECriterion" and layers \
            and layers[-1]["kind"] not in ("SoftMax", "LogSoftMax"):
        criterion = "NLLCriterion"
        layers.append({"kind": "LogSoftMax"})
        changes.append(_("the criterion is now NLLCriterion after a new final LogSoftMax (class labels)"))
    return replace(config, layers=tuple(layers), criterion=criterion), changes
