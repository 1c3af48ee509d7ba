"""The learner's classes behind one interface: the handout's snake_case names, W as (n_in, n_out).

Two conventions of this homework are in use: the handout's (update_output, update_grad_input,
update_grad_params, zero_grad_params, get_parameters, get_grad_params, grad_input) and the
camelCase one of Lua torch and Practical DL (updateOutput, updateGradInput, accGradParameters,
zeroGradParameters, getParameters, getGradParameters, gradInput), which also names
ClassNLLCriterion, ClassNLLCriterionUnstable and ChannelwiseScaling and may keep W as (n_out, n_in).
"""
from dataclasses import dataclass

import numpy as np
from i18n import domain

from .watch import running

_, ngettext = domain("grade")

SNAKE = {"update_output": "update_output", "update_grad_input": "update_grad_input",
         "update_grad_params": "update_grad_params", "zero_grad_params": "zero_grad_params",
         "get_parameters": "get_parameters", "get_grad_params": "get_grad_params", "grad_input": "grad_input"}
CAMEL = {"update_output": "updateOutput", "update_grad_input": "updateGradInput",
         "update_grad_params": "accGradParameters", "zero_grad_params": "zeroGradParameters",
         "get_parameters": "getParameters", "get_grad_params": "getGradParameters", "grad_input": "gradInput"}

# the handout's name -> the names it may have in the learner's code, first the handout's
ALIASES = {"Scaling": ("Scaling", "ChannelwiseScaling"),
           "NLLCriterion": ("NLLCriterion", "ClassNLLCriterion"),
           "NLLCriterionUnstable": ("NLLCriterionUnstable", "ClassNLLCriterionUnstable"),
           "SGD": ("sgd_momentum", "SGD"), "Adam": ("adam_optimizer",)}
LAYERS = ("Sequential", "Linear", "SoftMax", "LogSoftMax", "BatchNormalization", "Scaling", "Dropout",
          "Flatten", "ReLU", "LeakyReLU", "ELU", "SoftPlus", "Conv2d", "MaxPool2d")
CRITERIA = ("MSECriterion", "NLLCriterionUnstable", "NLLCriterion")


@dataclass(frozen=True)
class Convention:
    """Which names the learner's framework uses, and how it stores Linear's W."""
    names: dict
    w_transposed: bool = False  # W stored as (n_out, n_in)

    @property
    def camel(self):
        return self.names is CAMEL

    def describe(self):
        methods = (_("camelCase methods (updateOutput, updateGradInput, accGradParameters, ...)") if self.camel
                   else _("the handout's methods (update_output, update_grad_input, update_grad_params, ...)"))
        return _("{methods}; Linear's W stored as {shape}").format(
            methods=methods, shape="(n_out, n_in)" if self.w_transposed else "(n_in, n_out)")


def find(namespace, name):
    """The learner's object for the handout's name (an alias counts), or None."""
    for alias in ALIASES.get(name, (name,)):
        found = namespace.get(alias)
        if found is not None and (callable(found)):
            return found
    return None


def learner_name(namespace, name):
    """The name the learner gave the handout's module (ClassNLLCriterion for NLLCriterion), else name itself."""
    aliases = ALIASES.get(name, (name,))
    for alias in aliases:
        if callable(namespace.get(alias)):
            return name if alias == aliases[0] else alias
    return name


def detect(namespace):
    """The Convention of the classes in namespace (the handout's when nothing tells)."""
    camel = snake = 0
    for name in ("Module", "Criterion") + LAYERS + CRITERIA:
        cls = find(namespace, name)
        if isinstance(cls, type):
            snake += any(hasattr(cls, method) for method in ("update_output", "update_grad_input"))
            camel += any(hasattr(cls, method) for method in ("updateOutput", "updateGradInput"))
    convention = Convention(CAMEL if camel > snake else SNAKE)
    linear = find(namespace, "Linear")
    if linear is not None:
        try:
            w = Wrapped(linear(3, 5), convention).parameter_arrays()[0]
            transposed = np.shape(w) == (5, 3)
        except Exception:  # a broken Linear is graded (and reported) by its own checks
            transposed = False
        convention = Convention(convention.names, transposed)
    return convention


class Wrapped:
    """A learner's layer or criterion seen through the handout's snake_case interface."""

    def __init__(self, obj, convention, kind=None):
        self.obj, self.convention, self.kind = obj, convention, kind

    def _call(self, name, *args):
        """The learner's method `name` (in their naming), run under the watch: 'ReLU forward' while it runs."""
        with running(f"{type(self.obj).__name__} {name}"):
            return getattr(self.obj, name)(*args)

    def _method(self, name):
        return lambda *args: self._call(self.convention.names[name], *args)

    # --- the layer's interface ---
    def forward(self, *args):
        return self._call("forward", *args)

    def backward(self, *args):
        return self._call("backward", *args)

    def update_output(self, *args):
        return self._method("update_output")(*args)

    def update_grad_input(self, *args):
        return self._method("update_grad_input")(*args)

    def update_grad_params(self, input, grad_output):
        if getattr(self.obj, self.convention.names["update_grad_params"], None) is not None:
            self._method("update_grad_params")(input, grad_output)

    def zero_grad_params(self):
        self._method("zero_grad_params")()

    def train(self):
        self._call("train")
        return self

    def evaluate(self):
        self._call("evaluate")
        return self

    @property
    def training(self):
        return self.obj.training

    @property
    def output(self):
        return self.obj.output

    @property
    def grad_input(self):
        return getattr(self.obj, self.convention.names["grad_input"])

    def __getattr__(self, name):  # p, alpha, moving_mean, ...: the learner's own attributes
        return getattr(self.__dict__["obj"], name)

    def __setattr__(self, name, value):
        if name in ("obj", "convention", "kind"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.obj, name, value)

    # --- parameters, in the engine's shapes: views of the learner's live arrays ---
    def parameter_arrays(self):
        return list(self._method("get_parameters")())

    def get_parameters(self):
        return [self._engine_view(array) for array in self.parameter_arrays()]

    def get_grad_params(self):
        return [self._engine_view(array) for array in self._method("get_grad_params")()]

    def _engine_view(self, array):
        array = np.asarray(array)
        if self.kind == "Linear" and self.convention.w_transposed and array.ndim == 2:
            return array.T
        if self.kind == "Scaling" and array.ndim == 1:
            return array.reshape(1, -1)
        return array

    def load(self, arrays):
        """Copy the engine's parameter values into the learner's live arrays."""
        mine = self.get_parameters()
        if len(mine) != len(arrays):
            raise ValueError(ngettext("get_parameters() returned {n} array, expected {expected}",
                                      "get_parameters() returned {n} arrays, expected {expected}", len(mine)).format(
                n=len(mine), expected=len(arrays)))
        for target, value in zip(mine, arrays):
            if target.shape != value.shape:
                raise ValueError(_("get_parameters() holds an array of shape {shape}, expected {expected}").format(
                    shape=target.shape, expected=value.shape))
            target[...] = value
