"""A NumPy mini-framework in the style of Lua Torch, with instruments for teaching backprop."""
from .activations import ELU, LeakyReLU, ReLU, SoftPlus
from .adam import Adam, adam_optimizer
from .batches import batch_generator
from .batchnorm import BatchNormalization
from .conv import Conv2d
from .criteria import Criterion, MSECriterion, NLLCriterion, NLLCriterionUnstable
from .dropout import Dropout
from .flatten import Flatten
from .linear import Linear
from .memory import keep_freed_memory
from .module import LayerError, Module
from .optim import SGD, sgd_momentum
from .pool import MaxPool2d
from .scaling import Scaling
from .sequential import Sequential
from .softmax import LogSoftMax, SoftMax

keep_freed_memory()  # fewer page faults per step and per trace; see engine/memory.py

__all__ = [
    "Module", "Sequential", "Linear", "SoftMax", "LogSoftMax", "Dropout", "BatchNormalization",
    "Scaling", "Flatten", "Conv2d", "MaxPool2d", "ReLU", "LeakyReLU", "ELU", "SoftPlus", "Criterion",
    "MSECriterion", "NLLCriterionUnstable", "NLLCriterion", "sgd_momentum", "SGD", "adam_optimizer", "Adam",
    "batch_generator", "LayerError",
]
