"""Bug hunt: one catalogued student mistake planted into a copy of the learner's network, the iteration recorded.

The learner's own model, optimizer and trace are never touched: the bug lives in deep copies of the
shown iteration's starting state, fed the same batch. A bug counts only where it changes this
iteration's numbers; its level follows from what it changes first: the forward (easy), only a
grad_input (medium), or only a parameter gradient, the update or evaluate mode (hard).
"""
import copy
import functools
import hashlib
import inspect
import re
import textwrap
import types
from dataclasses import dataclass, replace

import numpy as np

import engine
from engine.grade.catalogue import CATALOGUE, WRITTEN, as_shown, translated
from engine.sequential import layers_of
from i18n import N_, domain

_, ngettext = domain("lab")

LEVELS = (N_("easy"), N_("medium"), N_("hard"))  # ids in links; shown translated
CRITERION, OPTIMIZER = N_("the criterion"), N_("the optimizer")  # where a bug lives; shown translated
OPTIMIZERS = {"SGD": "sgd_momentum", "Adam": "adam_optimizer"}  # the catalogue's module: the engine's function


@dataclass
class Hunt:
    """A planted bug: where (a layer index, CRITERION or OPTIMIZER), which entry, its trace, the first stage
    that shows it, and its level."""
    where: object
    misconception: object
    trace: object
    first: object
    level: str

    @property
    def where_text(self):
        return _(self.where) if isinstance(self.where, str) else _("layer {index}").format(index=self.where)


def differs(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)


def first_difference(clean, planted):
    """The first stage of the planted trace whose results differ from the clean one's, and what differs."""
    for stage in planted.stages:
        if stage.kind == "forward" and differs(planted.forward[stage.index].output, clean.forward[stage.index].output):
            return stage, "forward"
        if stage.kind == "loss" and (differs(planted.loss, clean.loss) or differs(planted.loss_grad, clean.loss_grad)):
            return stage, "forward" if differs(planted.loss, clean.loss) else "grad_input"
        if stage.kind == "backward":
            mine, theirs = planted.backward_record(stage.index), clean.backward_record(stage.index)
            if differs(mine.grad_input, theirs.grad_input):
                return stage, "grad_input"
            if any(differs(mine.grad_params[k], theirs.grad_params[k]) for k in theirs.grad_params):
                return stage, "parameter"
        if stage.kind == "update" and any(differs(u.after, v.after) for u, v in
                                          zip(planted.update_records(stage.index), clean.update_records(stage.index))):
            return stage, "parameter"
    return None, None


def level_of(kind, training):
    if kind == "forward":
        return "easy" if training else "hard"  # an evaluate-mode bug is hard to see
    return "medium" if kind == "grad_input" else "hard"


@functools.lru_cache(maxsize=None)
def disguised(variant, real):
    """A subclass of the catalogue's variant that calls itself `real`: its name, repr, qualified name and module
    are the real class's, so that nothing on the page names the mistake before the learner submits."""
    return type(real.__name__, (variant,), {"__module__": real.__module__, "__qualname__": real.__qualname__})


def posing(variant, real, state):
    """An object of disguised(variant, real) holding `state` (the real object's attributes), built without
    __init__."""
    buggy = object.__new__(disguised(variant, real))
    buggy.__dict__.update(state)
    return buggy


@functools.lru_cache(maxsize=None)
def optimizer_class(real, step):
    """The optimizer class `real` whose step is the catalogued function `step`."""
    # The engine's step is then no longer its class's, so the trace copies its state as a learner's.
    return type("Planted", (real,), {"step": lambda self, v, g: step(v, g, self.config, self.state)})


def buggy_optimizer(optimizer, misconception):
    """The optimizer (a copy) as a subclass, named as the real one, whose step is the catalogued function."""
    optimizer.__class__ = disguised(optimizer_class(type(optimizer), misconception.variant), type(optimizer))
    return optimizer


def planted(lab, misconception):
    """(where, model, criterion, optimizer) copies of the shown iteration's start with the bug in them, or None."""
    model, optimizer = copy.deepcopy(lab.start[0]), copy.deepcopy(lab.start[1])
    criterion = copy.deepcopy(lab.criterion)
    if misconception.module in OPTIMIZERS:  # sgd_momentum's mistakes for SGD, adam_optimizer's for Adam
        if misconception.module != type(optimizer).__name__:
            return None
        return OPTIMIZER, model, criterion, buggy_optimizer(optimizer, misconception)
    if misconception.module == type(criterion).__name__:
        buggy = posing(misconception.variant, type(criterion), copy.deepcopy(vars(criterion)))
        return CRITERION, model, buggy, optimizer
    for i, layer in enumerate(layers_of(model)):
        if type(layer).__name__ == misconception.module:
            model.modules[i] = posing(misconception.variant, type(layer), vars(layer))
            return i, model, criterion, optimizer
    return None


def shows_its_step(trace, model):
    """Whether the trace's weights after the update are the ones the optimizer left in the model."""
    # SGD's trace derives them from the velocities: a mistake in how w moves (w += v, w = w - v) would not show.
    left = {name: value for name, value, _ in model.named_parameters()}
    return not any(differs(u.after, left[f"{u.index}.{u.param}"]) for u in trace.updates)


def recorded(lab, plant):
    """(the iteration's trace with the planted bug, the model the optimizer stepped)."""
    model, criterion, optimizer = plant[1:]
    trace, stepped = lab._record(model, criterion, optimizer, lab.data, lab.config, copy.deepcopy(lab.start[2]))[:2]
    return trace, stepped


def candidates(lab):
    """Every Hunt this network and iteration can hold: the bug changes its numbers, and its trace shows them."""
    found = []
    for misconception in CATALOGUE:
        plant = planted(lab, misconception)
        if plant is None:
            continue
        try:
            trace, stepped = recorded(lab, plant)
            first, kind = first_difference(lab.trace, trace) if shows_its_step(trace, stepped) else (None, None)
        except Exception:  # noqa: BLE001 - a mistake this network cannot even run is no puzzle
            continue
        if first is not None:
            found.append(Hunt(plant[0], misconception, trace, first, level_of(kind, lab.config.training)))
    return found


def unrecorded(found):
    """The Hunts without their traces: what a learner's session keeps, recording only the one it plants."""
    return [replace(hunt, trace=None) for hunt in found]


def with_trace(lab, hunt):
    """The Hunt with its trace (recorded again when it has none), or None."""
    if hunt is None or hunt.trace is not None:
        return hunt
    return replace(hunt, trace=recorded(lab, planted(lab, hunt.misconception))[0])


def pick(found, level, seed=0, other_than=None):
    """One Hunt of the level among `found` (the nearest level that has one when it has none), chosen by seed,
    and not the Hunt `other_than` unless it is the only one."""
    if not found:
        return None
    order = [level] + [other for other in LEVELS if other != level]
    pool = next(group for group in ([h for h in found if h.level == lv] for lv in order) if group)
    pool = [h for h in pool if other_than is None or h.misconception is not other_than.misconception] or pool
    return pool[int(hashlib.sha256(f"{seed}".encode()).hexdigest(), 16) % len(pool)]


def plant(lab, level, seed=0):
    """One Hunt of the level for this network and iteration (the nearest level's when it has none), by seed."""
    return pick(candidates(lab), level, seed)


def bug_code(misconception):
    """The mistake's code in a teacher's link (&bug=): short, and not its name, which would give it away."""
    return hashlib.sha256(f"{misconception.module}.{misconception.key}".encode()).hexdigest()[:6]


def named(found, code):
    """The Hunt among `found` whose mistake has this link code, or None."""
    return next((h for h in found if bug_code(h.misconception) == code), None)


def titles(found):
    """The names (English: their ids) of the mistakes that can be planted in this network, each once, sorted as
    the current language reads them (engine.grade.catalogue.translated)."""
    return sorted({h.misconception.title for h in found}, key=translated)


def code_of(misconception):
    """(the mistake as a student writes it, each wrong line marked with the right one beneath, the engine's code:
    its function, or its methods of the names the student wrote and the catalogue replaced)."""
    buggy = as_shown(WRITTEN[misconception.module, misconception.key])
    variant = misconception.variant
    if isinstance(variant, types.FunctionType):
        return buggy, inspect.getsource(getattr(engine, OPTIMIZERS[misconception.module]))
    base = variant.__mro__[1]
    replaced = [name for name in vars(variant) if callable(vars(variant)[name]) and not name.startswith("__")]
    names = dict.fromkeys(re.findall(r"^def (\w+)\(", buggy, re.MULTILINE) + replaced)
    return buggy, "\n".join(textwrap.dedent(inspect.getsource(getattr(base, name))) for name in names)
