"""grade(namespace or path): every module of the learner's framework checked in isolation, then together."""
import os
import sys
from pathlib import Path

from i18n import N_, current, domain, from_environment, use

from . import adapter, dropout_checks, layer_trials, loss_trials, network_checks
from .load import LOADING, CannotGrade
from .report import Report
from .verdict import Result, grade_trials, raised
from .watch import LEARNER_ERRORS, TimeUp, raise_if_user_interrupt, running, watching
from .words import module_name

_, ngettext = domain("grade")
DEFINED, IN_TIME, RUNS = N_("the module is defined"), N_("finishes within the time limit"), N_("the module runs")


def missing(module):
    names = _(" or ").join(adapter.ALIASES.get(module, (module,)))
    detail = (_("no {names} found (beyond the handout: an older homework may not have it)") if module in NEWER
              else _("no {names} found")).format(names=names)
    return Result(module, DEFINED, "missing", detail=detail)


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


TRAINING = ("Sequential", "Linear", "LogSoftMax", "NLLCriterion", "SGD")  # what the handout's network is made of


def grade_training(namespace, convention):
    """The handout's network, built and trained with nothing but the learner's classes."""
    parts = {kind: adapter.find(namespace, kind) for kind in TRAINING}
    absent = [kind for kind, found in parts.items() if found is None]
    if absent:
        return Result("training", network_checks.TRAINS, "missing",
                      detail=_("needs {modules}").format(modules=", ".join(absent)))

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


def detect(namespace):
    """adapter.detect, or CannotGrade when looking at the learner's classes raises (a metaclass __getattr__)."""
    try:
        return adapter.detect(namespace)
    except LEARNER_ERRORS as error:
        raise_if_user_interrupt(error)
        raise CannotGrade(_("looking at your classes {raised}").format(raised=raised(error))) from None


def grade_one(namespace, convention, kind, limit=None):
    """[Result] of one module ("training": the handout's network), named as the learner named it; an
    exception, SystemExit or KeyboardInterrupt of the learner's code, or its running past the time limit,
    fails that module and no other."""
    try:
        with running(adapter.learner_name(namespace, kind), limit):
            found = grade_training(namespace, convention) if kind == "training" else \
                grade_module(namespace, convention, kind)
        results = [found] if isinstance(found, Result) else found
    except TimeUp as up:
        results = [Result(kind, IN_TIME, "fail", detail=str(up))]
    except LEARNER_ERRORS as error:  # e.g. the learner's Sequential() itself raised
        raise_if_user_interrupt(error)
        results = [Result(kind, RUNS, "fail", detail=raised(error))]
    name = adapter.learner_name(namespace, kind)
    for result in results:
        result.module = name if result.module == kind else result.module
    return results


def plan(modules=None):
    """The modules to grade, in order; the whole framework's training last when every module is graded."""
    return list(modules or MODULES) + ([] if modules else ["training"])


def finish(results):
    """The training's failure explained by the modules it is made of that fail on their own."""
    training = next((r for r in results if r.module == "training" and r.status == "fail"), None)
    parts = {name for kind in TRAINING for name in adapter.ALIASES.get(kind, ()) + (kind,)}
    broken = sorted({r.module for r in results if r.status == "fail"} & parts)
    if training is not None and broken and training.detail and training.check != IN_TIME:
        training.diagnosis = ngettext("expected while {modules} fails: fix it first",
                                      "expected while {modules} fail: fix those first", len(broken)).format(
            modules=", ".join(broken))
    return results


def language(lang=None):
    """The language of a grading: lang; else the one in use (a `with i18n.use("ru")` block); else the shell's."""
    return lang or (current() if current() != "en" else from_environment())


def grade(target, modules=None, notes=(), limits=None, iteration=None, save=None, lang=None):
    """Grade a framework: a namespace (grade(globals()) in a notebook), or the path of a .py or .ipynb file.

    A path is loaded and graded in a child process (engine/grade/runner.py): nothing the file does can end or
    hang the grading, and each call of its code has a time limit (limits: runner.Limits). A namespace is graded
    here, with the same time limit where the watchdog can interrupt (pure Python; a C loop is not stopped).
    Returns a Report: a table with failures first in a notebook (viz.grade_table for a DataFrame),
    report.json() for --json. CannotGrade when the file cannot be loaded. lang: "en" or "ru" (default:
    language()), the language of every check name, detail, diagnosis and summary line."""
    lang = language(lang)
    with use(lang):
        if os.environ.get(LOADING):  # a grade(globals()) cell of the notebook being graded
            print(_("(grade() is skipped while the grader itself loads this notebook)"), file=sys.stderr)
            return None
        return _grade(target, modules, notes, limits, iteration, save, lang)


def _grade(target, modules, notes, limits, iteration, save, lang):
    from .runner import Limits, grade_file

    limits = limits or Limits()
    if isinstance(target, (str, Path)):
        return grade_file(target, plan(modules), limits, iteration=iteration, save=save)
    namespace, results, kinds, graded, stopped = dict(target), list(notes), plan(modules), [], None
    with watching():
        convention = detect(namespace)
        try:
            for kind in kinds:
                results += grade_one(namespace, convention, kind, limits.check)
                graded.append(kind)
        except KeyboardInterrupt:  # the person grading pressed Ctrl-C (the learner's own fails its module)
            stopped = _("stopped by Ctrl-C during {module}").format(module=module_name(kind))
    return Report(convention.describe(), finish(results), stopped=stopped,
                  not_graded=[kind for kind in kinds if kind not in graded], lang=lang)
