"""The learner's Sequential with the engine's layers, and the learner's whole framework training a network."""
import numpy as np

from .. import activations, criteria, linear, softmax
from ..batches import batch_generator
from ..data import blobs, one_hot
from ..optim import sgd_momentum
from ..sequential import Sequential
from .catalogue import entries, formula_of, sentence_of, title_of
from .compare import difference
from .verdict import Result, raised
from .watch import LEARNER_ERRORS, raise_if_user_interrupt

CAMEL_ALIASES = {"updateOutput": "update_output", "updateGradInput": "update_grad_input",
                 "accGradParameters": "update_grad_params", "zeroGradParameters": "zero_grad_params",
                 "getParameters": "get_parameters", "getGradParameters": "get_grad_params"}


class Spy:
    """An engine layer that notes what it was given: its forward inputs and backward (input, order)."""

    def __init__(self, layer, log):
        self.layer, self.log, self.forward_inputs, self.backward_inputs = layer, log, [], []

    def forward(self, input):
        self.forward_inputs.append(np.array(input))
        return self.layer.forward(input)

    def backward(self, input, grad_output):
        self.backward_inputs.append(np.array(input))
        self.log.append(self)
        return self.layer.backward(input, grad_output)

    @property
    def gradInput(self):
        return self.layer.grad_input

    def __getattr__(self, name):
        layer = self.__dict__["layer"]
        return getattr(layer, CAMEL_ALIASES.get(name, name))


def engine_layers(seed=0):
    rng = np.random.default_rng(seed)
    return [linear.Linear(5, 4, rng=rng), activations.ReLU(), linear.Linear(4, 3, rng=rng), softmax.LogSoftMax()]


def _fail(check, detail, hint, key=None):
    """A failing Result; with key, diagnosed as that catalogue entry (its sentence and formula)."""
    bug = next((m for m in entries("Sequential") if m.key == key), None)
    if bug is not None:
        hint = f"your network behaves as '{title_of(bug)}'. {sentence_of(bug)} Correct: {formula_of(bug)}"
    return Result("Sequential", check, "fail", diagnosis=hint, detail=detail, misconception=key)


def grade_sequential(make, convention):
    """[Result] of the Sequential checks; make() builds the learner's empty Sequential."""
    names = convention.names
    log, spies = [], [Spy(layer, []) for layer in engine_layers()]
    for spy in spies:
        spy.log = log
    net, reference = make(), Sequential(*engine_layers())
    for spy in spies:
        net.add(spy)
    rng = np.random.default_rng(7)
    x, g = rng.uniform(-1, 1, (6, 5)), rng.uniform(-1, 1, (6, 3))
    results = []

    def check(name, test):
        try:
            results.append(test() or Result("Sequential", name, "pass"))
        except LEARNER_ERRORS as error:
            raise_if_user_interrupt(error)
            results.append(Result("Sequential", name, "fail",
                                  detail=raised(error)))

    def forward():
        diff = difference(net.forward(x.copy()), reference.forward(x))
        return diff and _fail("forward", f"output {diff.text}", "forward must feed each layer's output to the next")

    def backward():
        expected = reference.backward(x, g)
        log.clear()  # this backward's calls only
        try:
            diff = difference(net.backward(x, g), expected)
        except LEARNER_ERRORS as error:  # the layers' own checks refused what they were given
            raise_if_user_interrupt(error)
            diff = error
        if diff:
            cause = order() or own_inputs()  # what the spies saw says why
            detail = (f"grad_input {diff.text}" if not isinstance(diff, BaseException) else
                      raised(diff))
            return _fail("backward", detail, cause.diagnosis if cause else "backward must run g through every layer",
                         cause.misconception if cause else None)
        for i, (spy, layer) in enumerate(zip(spies, reference.modules)):
            for (name, _, grad), (_, _, expected) in zip(spy.layer.named_parameters(), layer.named_parameters()):
                diff = difference(grad, expected)
                if diff:
                    return _fail("backward", f"layer {i} grad{name} {diff.text}", "backward must reach every layer")

    def own_inputs():
        for spy in log:  # the layers this backward reached
            i = spies.index(spy)
            if difference(spy.backward_inputs[-1], spy.forward_inputs[-1]):
                return _fail("each layer's backward gets its own forward input",
                             f"layer {i}'s backward got an input other than its forward's",
                             "keep each layer's input from forward and pass it to that layer's backward "
                             "(the network's input belongs only to layer 0)", "network_input")

    def order():
        if log != spies[::-1][:len(log)]:
            got = [spies.index(s) for s in log]
            return _fail("backward runs last to first", f"backward called the layers in the order {got}",
                         "go through the layers in reverse: for i in reversed(range(len(self.modules)))",
                         "forward_order")

    def modes():
        net.evaluate()
        if any(spy.layer.training for spy in spies):
            return _fail("train/evaluate reach every child", "after evaluate() a child is still training",
                         "evaluate() and train() must call the same method of every child", "modes_not_passed")
        net.train()
        if not all(spy.layer.training for spy in spies):
            return _fail("train/evaluate reach every child", "after train() a child is not training",
                         "evaluate() and train() must call the same method of every child")

    def structure():
        params = getattr(net, names["get_parameters"])()
        expected = [layer.get_parameters() for layer in (spy.layer for spy in spies)]
        if len(params) != len(expected) or any(len(p) != len(e) or any(a is not b for a, b in zip(p, e))
                                               for p, e in zip(params, expected)):
            return _fail("get_parameters has one list per layer", f"got {len(params)} entries for "
                         f"{len(expected)} layers, or arrays that are not the layers' own",
                         "return [module.get_parameters() for module in self.modules], a list of lists")
        getattr(net, names["zero_grad_params"])()
        if any(np.any(a) for spy in spies for a in spy.layer.get_grad_params()):
            return _fail("get_parameters has one list per layer", "zero_grad_params() left a child's gradients",
                         "zero_grad_params() must reach every child")

    for name, test in (("forward", forward), ("backward", backward),
                       ("each layer's backward gets its own forward input", own_inputs),
                       ("backward runs last to first", order), ("train/evaluate reach every child", modes),
                       ("get_parameters has one list per layer", structure)):
        check(name, test)
    return results


def train_curve(make_net, make_criterion, step, epochs=3, batch_size=32):
    """Losses per iteration of the handout's network (Linear 2->2, LogSoftMax) on blobs, fixed batches."""
    X, y = blobs(256, seed=0)
    Y = one_hot(y, 2).astype(np.float64)
    start = linear.Linear(2, 2, rng=np.random.default_rng(0))
    net, criterion = make_net(start), make_criterion()
    config, state, losses = {"learning_rate": 0.1, "momentum": 0.9}, {}, []
    for epoch in range(epochs):
        for x, target in batch_generator(X, Y, batch_size, rng=np.random.default_rng(epoch)):
            net.zero_grad_params()
            output = net.forward(x)
            losses.append(float(criterion.forward(output, target)))
            net.backward(x, criterion.backward(output, target))
            step(net.get_parameters(), net.get_grad_params(), config, state)
    return np.array(losses)


def grade_training(namespace_make, convention):
    """One Result for module "training": the learner's framework trains as the engine does, loss for loss."""
    def engine_net(start):
        net = Sequential(linear.Linear(2, 2), softmax.LogSoftMax())
        net.modules[0].W[...], net.modules[0].b[...] = start.W, start.b
        return net

    expected = train_curve(engine_net, criteria.NLLCriterion, sgd_momentum)
    try:
        mine = train_curve(namespace_make["net"], namespace_make["criterion"], namespace_make["step"])
    except LEARNER_ERRORS as error:
        raise_if_user_interrupt(error)
        return Result("training", "the handout's network trains as the engine's", "fail",
                      detail=raised(error))
    diff = difference(mine, expected)
    if diff is None:
        return Result("training", "the handout's network trains as the engine's", "pass")
    return Result("training", "the handout's network trains as the engine's", "fail",
                  detail=f"loss per iteration {diff.text}", index=diff.index, mine=diff.mine, expected=diff.expected,
                  max_abs_error=diff.max_abs, max_rel_error=diff.max_rel,
                  diagnosis="the modules pass one by one but not together: look at what the training loop "
                            "shares (get_parameters returning copies, gradients not zeroed, state kept per variable)")
