"""The catalogue's Sequential mistakes, each a plain handout-style Sequential with one method wrong."""
from i18n import N_

from .catalogue import entry


class PlainSequential:
    """Sequential as the handout writes it, holding any layers (the engine's spied-on layers in the checks)."""

    def __init__(self):
        self.modules, self.training = [], True

    def add(self, module):
        self.modules.append(module)

    def forward(self, input):
        self.inputs = [input]
        for module in self.modules:
            self.inputs.append(module.forward(self.inputs[-1]))
        self.output = self.inputs[-1]
        return self.output

    def backward(self, input, grad_output):
        for i in self.backward_order():
            grad_output = self.modules[i].backward(self.layer_input(i, input), grad_output)
        self.grad_input = grad_output
        return self.grad_input

    def backward_order(self):
        return reversed(range(len(self.modules)))

    def layer_input(self, i, input):
        return self.inputs[i]

    def zero_grad_params(self):
        for module in self.modules:
            module.zero_grad_params()

    def get_parameters(self):
        return [module.get_parameters() for module in self.modules]

    def get_grad_params(self):
        return [module.get_grad_params() for module in self.modules]

    def train(self):
        self.training = True
        for module in self.modules:
            module.train()

    def evaluate(self):
        self.training = False
        for module in self.modules:
            module.evaluate()


entry("Sequential", "network_input", N_("every layer's backward given the network's input"),
      N_("Each layer's backward needs what that layer received in forward: keep the inputs and pass inputs[i]."),
      N_("g_i = modules[i].backward(input of layer i, g_{i+1})"), PlainSequential,
      layer_input=lambda self, i, input: input)
entry("Sequential", "forward_order", N_("backward run from the first layer to the last"),
      N_("The gradient flows from the loss back: start at the last layer."),
      "for i in reversed(range(len(modules))): g = modules[i].backward(inputs[i], g)", PlainSequential,
      backward_order=lambda self: range(len(self.modules)))
entry("Sequential", "modes_not_passed", N_("train() / evaluate() not passed to the children"),
      N_("Dropout and BatchNormalization behave differently in evaluate mode only if the network tells them."),
      "evaluate(): self.training = False; for module in modules: module.evaluate()", PlainSequential,
      evaluate=lambda self: setattr(self, "training", False), train=lambda self: setattr(self, "training", True))
