"""A small CNN's recorded iteration for the viz tests: Conv2d 1->4 k3, ReLU, MaxPool2d 2, Flatten, Linear 64->10."""
import numpy as np

from engine import Flatten, Linear, LogSoftMax, NLLCriterion, ReLU, SGD, Sequential
from engine.conv import Conv2d
from engine.pool import MaxPool2d
from engine.sequential import layers_of
from engine.trace import trace_iteration


def cnn_trace(seed=0, n=4, channels=1, kernel=3):
    """(layers, trace) of one SGD iteration on random 8 x 8 images."""
    rng = np.random.default_rng(seed)
    model = Sequential()
    for layer in (Conv2d(channels, 4, kernel, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, rng=rng),
                  LogSoftMax()):
        model.add(layer)
    x = rng.uniform(-1, 1, (n, channels, 8, 8))
    return layers_of(model), trace_iteration(model, NLLCriterion(), SGD(0.1, 0.9), x, rng.integers(0, 10, n))
