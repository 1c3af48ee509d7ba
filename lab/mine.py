"""The learner's own tensors for the shown iteration (mine.npz), read as data and set beside the engine's.

`python -m backprop_lens grade homework.py --iteration iteration.npz --save mine.npz` writes them on the
learner's machine; the app only reads the file: allow_pickle=False, every member's name, shape and
dtype checked against this iteration before any data is read (lab/npz.py), the whole capped, and
its fingerprint compared with this iteration's. No code of the learner's runs here.
"""
from dataclasses import dataclass, field

import numpy as np

from engine.grade.compare import difference
from engine.grade.iteration import adam_epsilon_on_v, diagnose, parse_layer
from engine.grade.layer_trials import PARAM_NAMES
from i18n import N_, domain

from .exercise import fingerprint, iteration_arrays
from .npz import Member, read_npz, read_text

_, ngettext = domain("lab")
WHAT, MISMATCH = N_("your tensors file"), N_("your tensors do not match this iteration")  # said translated: _(WHAT)
SLACK = 2**20  # bytes beyond the arrays themselves: the zip's headers and directory


def stage_keys(trace, stage):
    """The names of the learner's tensors that show stage's results, in the stage's order."""
    if stage.kind == "forward":
        return [f"forward.{stage.index}.output"]
    if stage.kind == "loss":
        return ["loss", "loss_grad"]
    if stage.kind == "backward":
        kind = parse_layer(trace.forward[stage.index].name)[0]
        return [f"backward.{stage.index}.grad_input"] + [f"backward.{stage.index}.grad.{p}"
                                                         for p in PARAM_NAMES.get(kind, ())]
    return [f"update.{u.index}.{u.param}.after" for u in trace.update_records(stage.index)]


def reference(trace):
    """{name: the engine's array} for every name a mine.npz may hold."""
    arrays = trace.arrays()
    return {key: np.asarray(arrays[key]) for stage in trace.stages for key in stage_keys(trace, stage)
            if key in arrays}


def expected_members(trace):
    """{name: Member} of a mine.npz for this iteration (every tensor optional, the fingerprint a text)."""
    members = {"fingerprint": Member((), "U", _("the fingerprint is a text"))}
    for key, array in reference(trace).items():
        members[key] = Member(array.shape, "fiu", _("this iteration's {key} has shape {shape}").format(
            key=key, shape=array.shape))
    return members


@dataclass
class Mine:
    """The learner's tensors for one iteration, and per tensor whether it differs from the engine's."""
    fingerprint: str
    arrays: dict = field(repr=False)
    differences: dict = field(repr=False)  # name -> engine.grade.compare.Difference, for those that differ
    notes: dict = field(default_factory=dict, repr=False)  # name -> why it counts as equal though it differs

    def differs(self, trace, stage):
        return any(key in self.differences for key in stage_keys(trace, stage))

    def first_difference(self, trace):
        """The first stage (in the iteration's order) whose tensor differs, or None."""
        return next((stage for stage in trace.stages if self.differs(trace, stage)), None)

    def shown(self, trace, stage):
        """[(name, yours, the engine's)] for the stage's tensors the file holds."""
        engine = reference(trace)
        return [(key, self.arrays[key], engine[key]) for key in stage_keys(trace, stage) if key in self.arrays]

    def worst_entry(self, key, engine):
        """The index of the entry of tensor `key` that differs most from the engine's."""
        error = np.abs(np.asarray(self.arrays[key], dtype=np.float64) - np.asarray(engine, dtype=np.float64))
        error = np.where(np.isfinite(error), error, np.inf)
        return tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape)) if error.size else ()


def max_bytes(trace):
    """The largest mine.npz this iteration can give: every tensor in float64, and the zip around them."""
    return sum(8 * max(1, int(np.prod(m.shape))) for m in expected_members(trace).values()) + SLACK


def made_elsewhere(theirs, ours):
    """The message for a mine.npz of another network or iteration: what to do, in plain words."""
    return (_("{what} was made for another network or another iteration, not the one shown here (its fingerprint "
              "{theirs}, this iteration's {ours}): download this iteration's iteration.npz again and run "
              "`python -m backprop_lens grade homework.py --iteration iteration.npz --save mine.npz` with it")
            if theirs else
            _("{what} was made for another network or another iteration, not the one shown here (its fingerprint "
              "is missing, this iteration's {ours}): download this iteration's iteration.npz again and run "
              "`python -m backprop_lens grade homework.py --iteration iteration.npz --save mine.npz` with it")
            ).format(what=_(WHAT), theirs=theirs, ours=ours)


def read_mine(content, trace):
    """Mine of the uploaded bytes; ValueError saying what does not fit this iteration. The fingerprint is
    read first, alone: a file of another network gets that plain answer, not a list of shapes."""
    content = bytes(content)
    theirs, ours = read_text(content, "fingerprint", WHAT), fingerprint(trace)
    if theirs is not None and theirs != ours:
        raise ValueError(made_elsewhere(theirs, ours))
    members, limit = expected_members(trace), max_bytes(trace)
    if len(content) > limit:
        raise ValueError(_("{what} has {mb} MB; one for this iteration has at most {limit} MB: make it with this "
                           "iteration's iteration.npz").format(what=_(WHAT), mb=f"{len(content) / 2**20:.1f}",
                                                               limit=f"{limit / 2**20:.1f}"))
    arrays = read_npz(content, members, max_bytes=limit, what=WHAT, mismatch=MISMATCH)
    if str(arrays.pop("fingerprint", "")) != ours:
        raise ValueError(made_elsewhere(None, ours))
    if not arrays:
        raise ValueError(_("{what} holds none of this iteration's tensors").format(what=_(WHAT)))
    engine = reference(trace)
    arrays = {key: np.asarray(value, dtype=np.float64) for key, value in arrays.items()}
    found = {key: difference(value, engine[key]) for key, value in arrays.items()}
    homework_adam, notes = adam_epsilon_on_v(trace.arrays()), {}
    for key in [key for key, diff in found.items() if diff is not None and key in homework_adam]:
        if difference(arrays[key], homework_adam[key]) is None:
            found[key] = None
            notes[key] = _("your Adam adds epsilon to √v (lr_t = lr √(1 − β2ᵗ) / (1 − β1ᵗ), as homework01 "
                           "writes it), the engine to √v̂ (as torch): both are Adam, so it counts as equal")
    return Mine(ours, arrays, {key: diff for key, diff in found.items() if diff is not None}, notes)


@dataclass
class Finding:
    """Why a stage differs: its first differing tensor, where, and the catalogued mistake it equals."""
    key: str
    difference: object
    misconception: object = None


def explain(mine, trace, model, stage):
    """The Finding of the stage's first differing tensor (None when the stage matches)."""
    key = next((k for k in stage_keys(trace, stage) if k in mine.differences), None)
    if key is None:
        return None
    bug = diagnose(iteration_arrays(trace, model), key, mine.arrays[key])
    return Finding(key, mine.differences[key], bug)
