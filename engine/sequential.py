"""Sequential: a chain of modules; backward runs them last to first."""
from i18n import domain

from .module import LayerError, Module

_, ngettext = domain("engine")


def flat(arrays):
    """A nested Sequential's list of lists as one list, so sgd_momentum sees two levels."""
    if not arrays or not isinstance(arrays[0], list):
        return arrays
    return [a for inner in arrays for a in inner]


class Sequential(Module):
    """output = m[n-1](... m[0](input)); get_parameters() is a list of lists, one per layer."""

    def __init__(self, *modules):
        super().__init__()
        self.modules = []
        for module in modules:
            self.add(module)

    def add(self, module):
        if not isinstance(module, Module):
            raise ValueError(_("Sequential.add: expected a Module, got {type}").format(type=type(module).__name__))
        self.modules.append(module)
        return self

    def update_output(self, input):
        """O_i = modules[i].forward(O_{i-1}), O_{-1} = input; children's hooks fire."""
        output = input
        for i, module in enumerate(self.modules):
            try:
                output = module.forward(output)
            except LayerError as error:
                raise self._locate(i, error) from None
        self.output = output
        return output

    def update_grad_input(self, input, grad_output):
        """g_i = modules[i].backward(input of layer i, g_{i+1}), last layer first.

        Each child's backward also computes its parameter gradients, so
        update_grad_params has nothing left to do.
        """
        if not self.modules:
            self.grad_input = grad_output
            return grad_output
        grad = grad_output
        for i in range(len(self.modules) - 1, -1, -1):
            layer_input = self.modules[i - 1].output if i > 0 else input
            try:
                grad = self.modules[i].backward(layer_input, grad)
            except LayerError as error:
                raise self._locate(i, error) from None
        self.grad_input = grad
        return grad

    @staticmethod
    def _locate(i, error):
        """Prefix a child's error with its index: 'layer 2 (Linear(5 -> 2)): ...'."""
        return LayerError(error.layer, error.detail, (i,) + error.path)

    def zero_grad_params(self):
        for module in self.modules:
            module.zero_grad_params()

    def get_parameters(self):
        return [flat(module.get_parameters()) for module in self.modules]

    def get_grad_params(self):
        return [flat(module.get_grad_params()) for module in self.modules]

    def named_parameters(self):
        """[("i.name", value, grad)] over the children, e.g. "0.W"."""
        return [(f"{i}.{name}", value, grad)
                for i, module in enumerate(self.modules)
                for name, value, grad in module.named_parameters()]

    def train(self):
        self.training = True
        for module in self.modules:
            module.train()
        return self

    def evaluate(self):
        self.training = False
        for module in self.modules:
            module.evaluate()
        return self

    def __getitem__(self, index):
        return self.modules[index]

    def __len__(self):
        return len(self.modules)

    def __iter__(self):
        return iter(self.modules)

    def __repr__(self):
        return "\n".join(repr(module) for module in self.modules) or "Sequential()"


def layers_of(model):
    """The layers of a model: a Sequential's children, else the module itself."""
    return list(model) if isinstance(model, Sequential) else [model]


def variables_of(model):
    """(parameters, gradients) as the lists of lists sgd_momentum expects, for any module."""
    if isinstance(model, Sequential):
        return model.get_parameters(), model.get_grad_params()
    return [model.get_parameters()], [model.get_grad_params()]
