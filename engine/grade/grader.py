"""grade(namespace or path): every module of the learner's framework checked in isolation, then together."""
from pathlib import Path

from . import adapter, dropout_checks, layer_trials, loss_trials, network_checks
from .load import load
from .report import Report
from .verdict import Result, grade_trials, learner_line


def missing(module):
    later = " (beyond the handout: an older homework may not have it)" if module in NEWER else ""
    return Result(module, "the module is defined", "missing",
                  detail=f"no {' or '.join(adapter.ALIASES.get(module, (module,)))} found{later}")


def layer_maker(cls, convention, kind):
    return lambda *args: adapter.Wrapped(cls(*args), convention, kind)


def grade_module(namespace, convention, kind):
    """[Result] of one handout module (a layer, a criterion, the optimizer or Sequential)."""
    found = adapter.find(namespace, kind)
    if found is None:
        return [missing(kind)]
    if kind in layer_trials.ENGINE:
        return grade_trials(kind, layer_trials.trials(kind), layer_maker(found, convention, kind),
                            layer_trials.ENGINE[kind])
    if kind == "Dropout":
        return dropout_checks.grade_dropout(layer_maker(found, convention, kind))
    if kind == "Sequential":
        return network_checks.grade_sequential(found, convention)
    if kind in ("SGD", "Adam"):
        runs = loss_trials.sgd_trials() if kind == "SGD" else loss_trials.adam_trials()
        return grade_trials(kind, runs, found, loss_trials.ENGINE[kind])
    return grade_trials(kind, loss_trials.criterion_trials(kind), layer_maker(found, convention, kind),
                        loss_trials.ENGINE[kind])


class LearnerNet:
    """The learner's Sequential through the handout's names; get_parameters as the learner's lists."""

    def __init__(self, net, convention):
        self.net, self.names = net, convention.names

    def forward(self, x):
        return self.net.forward(x)

    def backward(self, x, g):
        return self.net.backward(x, g)

    def zero_grad_params(self):
        getattr(self.net, self.names["zero_grad_params"])()

    def get_parameters(self):
        return getattr(self.net, self.names["get_parameters"])()

    def get_grad_params(self):
        return getattr(self.net, self.names["get_grad_params"])()


def grade_training(namespace, convention):
    """The handout's network, built and trained with nothing but the learner's classes."""
    parts = {kind: adapter.find(namespace, kind) for kind in ("Sequential", "Linear", "LogSoftMax",
                                                            "NLLCriterion", "SGD")}
    absent = [kind for kind, found in parts.items() if found is None]
    if absent:
        return Result("training", "the handout's network trains as the engine's", "missing",
                      detail=f"needs {', '.join(absent)}")

    def net(start):
        model, first = parts["Sequential"](), parts["Linear"](2, 2)
        adapter.Wrapped(first, convention, "Linear").load([start.W, start.b])
        model.add(first)
        model.add(parts["LogSoftMax"]())
        return LearnerNet(model, convention)

    return network_checks.grade_training({"net": net, "criterion": parts["NLLCriterion"], "step": parts["SGD"]},
                                         convention)


MODULES = adapter.LAYERS[1:] + ("Sequential",) + adapter.CRITERIA + ("SGD", "Adam")
NEWER = ("Conv2d", "MaxPool2d", "Adam")  # beyond the handout: older homework lacks them, reported as missing


def grade(target, modules=None, notes=()):
    """Grade a framework: a namespace (grade(globals()) in a notebook), or the path of a .py or .ipynb file.

    Returns a Report: a table with failures first in a notebook (viz.grade_table for a DataFrame),
    report.json() for --json."""
    notes = list(notes)
    if isinstance(target, (str, Path)):
        namespace, notes = load(target)
    else:
        namespace = dict(target)
    convention = adapter.detect(namespace)
    results = list(notes)
    for kind in modules or MODULES:
        try:
            results += grade_module(namespace, convention, kind)
        except Exception as error:  # e.g. the learner's Sequential() itself raised
            results.append(Result(kind, "the module runs", "fail",
                                  detail=f"raised {type(error).__name__}: {error}{learner_line(error)}"))
    if modules is None:
        training = grade_training(namespace, convention)
        broken = sorted({r.module for r in results if r.status == "fail"})
        if training.status == "fail" and broken:
            verb = "fails" if len(broken) == 1 else "fail"
            training.diagnosis = f"expected while {', '.join(broken)} {verb}: fix {'it' if len(broken) == 1 else 'those'} first"
        results.append(training)
    return Report(convention.describe(), results)
