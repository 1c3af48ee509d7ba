"""Networks that together hold every layer kind, criterion and optimizer the bug hunt can plant a mistake in, in
training and in evaluate mode, each after one iteration (so that SGD's velocity and Adam's moments are not zero):
with the presets, every catalogue mistake that can show in a recorded iteration is a candidate of one of them."""
from dataclasses import replace

from lab.network import NetworkConfig
from lab.session import Lab
from tests.uploaded import preset_lab

# Every kind of layer of the MLPs, each where its mistakes show: LeakyReLU and ELU after a Linear (inputs of both
# signs), their parameters off their defaults (a mistake that fixes them changes the numbers).
LAYERS = ({"kind": "Linear", "n_out": 6}, {"kind": "BatchNormalization", "alpha": 0.9}, {"kind": "Scaling"},
          {"kind": "ELU", "alpha": 0.5}, {"kind": "Dropout", "p": 0.3}, {"kind": "Linear", "n_out": 5},
          {"kind": "LeakyReLU", "slope": 0.2}, {"kind": "Linear", "n_out": 4}, {"kind": "SoftPlus"},
          {"kind": "ReLU"}, {"kind": "Linear", "n_out": 2})
HEADS = {"NLLCriterion": "LogSoftMax", "NLLCriterionUnstable": "SoftMax", "MSECriterion": "SoftMax"}
# The zoo networks that start from a preset: their name, then the preset
PRESETS_USED = {"saturated_softmax": "saturated_softmax", "cnn-Adam": "cnn_digits"}
ZOO = ("NLLCriterion", "NLLCriterion-evaluate", "NLLCriterionUnstable", "MSECriterion", *PRESETS_USED)


def zoo_lab(name):
    """A Lab on the zoo's network `name`, after one new iteration (evaluate mode after one in training mode)."""
    if name in PRESETS_USED:
        lab = preset_lab(PRESETS_USED[name])
        if name == "cnn-Adam":
            lab.apply(replace(lab.config, optimizer="Adam", learning_rate=1e-3))
    else:
        criterion = name.removesuffix("-evaluate")
        lab = Lab(NetworkConfig(dataset="blobs", layers=LAYERS + ({"kind": HEADS[criterion]},),
                                criterion=criterion))
    lab.new_iteration()
    if name.endswith("-evaluate"):  # BatchNorm's moving statistics come from the iteration in training mode
        lab.apply(replace(lab.config, training=False))
    return lab
