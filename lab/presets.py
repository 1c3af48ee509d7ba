"""Presets: ready experiments, each with one sentence on what it teaches."""
from typing import NamedTuple

from .layers import default_spec
from .network import NetworkConfig


class Preset(NamedTuple):
    title: str
    teaches: str
    config: NetworkConfig


def stack(*layers):
    """("Linear", 2) -> {"kind": "Linear", "n_out": 2}; ("LeakyReLU", 0.1) sets its one argument;
    other arguments take their defaults."""
    arg_names = {"Linear": "n_out", "LeakyReLU": "slope", "ELU": "alpha", "Dropout": "p",
                 "BatchNormalization": "alpha"}
    specs = []
    for layer in layers:
        kind, *value = (layer,) if isinstance(layer, str) else layer
        specs.append({**default_spec(kind), **({arg_names[kind]: value[0]} if value else {})})
    return tuple(specs)


PRESETS = {
    "handout": Preset(
        "The handout's example",
        "One Linear layer and LogSoftMax on two blobs: the smallest network whose every number you "
        "can follow by hand through forward, loss, backward and update.",
        NetworkConfig()),
    "circles": Preset(
        "Circles with a hidden layer",
        "No straight line separates two circles: a hidden ReLU layer of 100 units bends the boundary, "
        "and each unit's gradient flows back only where it was active.",
        NetworkConfig(dataset="circles", batch_size=32, layers=stack(
            ("Linear", 100), "ReLU", ("Linear", 2), "LogSoftMax"), learning_rate=5e-2)),
    "digits": Preset(
        "Digits with an MLP",
        "64 pixels -> 128 -> 128 -> 10 classes: the same stages at a realistic size, where the "
        "heatmaps are downsampled and the Jacobian is a picture rather than a table.",
        NetworkConfig(dataset="digits", batch_size=32, layers=stack(
            ("Linear", 128), "ReLU", ("Linear", 128), "ReLU", ("Linear", 10), "LogSoftMax"),
            learning_rate=5e-2)),
    "dying_relu": Preset(
        "Dying ReLUs",
        "A learning rate of 1 throws many hidden units into the region where ReLU outputs zero for "
        "every sample: their gradient is zero, so they never come back. Train, then step and look "
        "for all-zero columns; compare with LeakyReLU on the Train page.",
        NetworkConfig(dataset="moons", batch_size=32, layers=stack(
            ("Linear", 32), "ReLU", ("Linear", 32), "ReLU", ("Linear", 2), "LogSoftMax"),
            learning_rate=1.0)),
    "high_lr": Preset(
        "A learning rate too high",
        "With lr = 0.5 and momentum 0.9 each update overshoots more than the last: the loss grows "
        "to inf and NaN within a few iterations. Train it and see which layer breaks first.",
        NetworkConfig(dataset="regression", batch_size=32, layers=stack(
            ("Linear", 32), "ELU", ("Linear", 1)), criterion="MSECriterion", learning_rate=0.5)),
    "saturated_softmax": Preset(
        "Saturated SoftMax with the unstable NLL",
        "Big steps make SoftMax output exact 0s and 1s; NLLCriterionUnstable clips log(0) at "
        "log(1e-15) and its gradient -1/p becomes about -1e15. Click New iteration a few times "
        "and watch the gradients explode; NLLCriterion with LogSoftMax stays finite.",
        NetworkConfig(layers=stack(("Linear", 2), "SoftMax"), criterion="NLLCriterionUnstable",
                      learning_rate=5.0)),
    "dropout_batchnorm": Preset(
        "Dropout and BatchNorm: training vs evaluate",
        "In training mode Dropout zeroes units at random and BatchNormalization uses the batch's "
        "own mean and variance, which couples the samples; in evaluate mode both are fixed maps. "
        "Step once in each mode and compare the outputs and the Jacobians.",
        NetworkConfig(dataset="circles", batch_size=16, layers=stack(
            ("Linear", 16), ("BatchNormalization", 0.9), "ReLU", ("Dropout", 0.5), ("Linear", 2),
            "LogSoftMax"), learning_rate=5e-2)),
}
