"""Run trials on the learner's class and the engine's, compare check by check, diagnose the first failure."""
import sys
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .catalogue import entries, formula_of, sentence_of, title_of
from .compare import difference
from .watch import LEARNER_ERRORS, raise_if_user_interrupt


@dataclass
class Result:
    """One row of the report: module, check, status (pass, warn, fail or missing) and, for a failure, why."""
    module: str
    check: str
    status: str
    diagnosis: str = None
    detail: str = None
    trial: str = None
    index: tuple = None
    mine: float = None
    expected: float = None
    max_abs_error: float = None
    max_rel_error: float = None
    misconception: str = None  # the catalogue entry's key when the diagnosis is exact

    def as_dict(self):
        return {key: (list(value) if isinstance(value, tuple) else value) for key, value in vars(self).items()}


def raised(error):
    """What the learner's code raised, and where: 'raised ValueError: ... (hw.py, line 12, in update_output)'."""
    return f"raised {type(error).__name__}: {error}{learner_line(error)}"


def learner_line(error):
    """Where in the learner's code an exception came from: 'file.py, line 12, in update_output'."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/engine/" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    frame = frames[-1]
    return f" ({frame.filename.rsplit('/', 1)[-1]}, line {frame.lineno}, in {frame.name})"


PHASES = {"forward": "forward", "update_output": "forward", "updateOutput": "forward",
          "backward": "backward", "update_grad_input": "backward", "updateGradInput": "backward",
          "update_grad_params": "backward", "accGradParameters": "backward"}


def phase(check):
    """Which method's warnings count for a check: 'stable grad_input' the backward's, the others the forward's."""
    return "backward" if "grad_input" in check else "forward"


class Outcome:
    """What one run of a trial gave: {check: value} as far as it got, the exception that stopped it, and the
    NumPy warnings of each method (forward or backward: the outermost one running when it warned)."""

    def __init__(self, run, make, trial):
        self.values, self.error, self.warned = {}, None, {}
        with warnings.catch_warnings(), np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            warnings.showwarning = self._note
            np.random.seed(trial.seed)  # the handout's layers draw from np.random: a repeatable run
            try:
                run(make, trial, self.values)
            except LEARNER_ERRORS as error:  # the learner's code raised: the checks not reached fail with it
                raise_if_user_interrupt(error)
                self.error = error

    def _note(self, message, category, *args, **kwargs):
        if not issubclass(category, RuntimeWarning):
            return
        frame, method = sys._getframe(1), None
        while frame is not None and frame.f_code is not Outcome.__init__.__code__:
            method = PHASES.get(frame.f_code.co_name, method)  # the outermost wins: the call the trial made
            frame = frame.f_back
        self.warned.setdefault(method, set()).add(str(message))

    def noise(self, check):
        """The warnings of the method that computed check, sorted."""
        return sorted(self.warned.get(phase(check), ()))

    def agrees(self, other, check, dtype):
        """Whether this run's value of check equals other's (the same exception, type and message, counts)."""
        if check not in self.values or check not in other.values:
            return check not in self.values and check not in other.values and self.error is not None and \
                type(self.error) is type(other.error) and str(self.error) == str(other.error)
        mine, theirs = self.values[check], other.values[check]
        if isinstance(mine, str) or isinstance(theirs, str):
            return mine == theirs
        if check.startswith("stable") and bool(self.noise(check)) != bool(other.noise(check)):
            return False
        return difference(mine, theirs, dtype) is None


def diagnose(module, run, trial, check, mine, expected, make_variant):
    """The catalogued mistake whose variant fails this check as the learner's does on this trial (of several,
    the one that agrees with the learner on the most checks of the trial), or None. A mistake that leaves
    this check right is never named for it (a forward's mistake for a failing backward)."""
    best, best_score = None, -1
    for misconception in entries(module):
        theirs = Outcome(run, make_variant(misconception.variant), trial)
        if not mine.agrees(theirs, check, trial.dtype) or theirs.agrees(expected, check, trial.dtype):
            continue
        score = sum(mine.agrees(theirs, other, trial.dtype) for other in set(mine.values) | set(theirs.values))
        if score > best_score:
            best, best_score = misconception, score
    return best


def explain(misconception):
    return (f"your numbers equal what '{title_of(misconception)}' gives. {sentence_of(misconception)} "
            f"Correct: {formula_of(misconception)}")


def grade_trials(module, runs, make_learner, make_reference, make_variant=lambda cls: cls):
    """[Result]: one per check name, in the order first seen; a check fails on its first failing trial."""
    order, failed = [], {}
    for run, trial in runs:
        expected = Outcome(run, make_reference, trial)
        if expected.error is not None:
            raise expected.error  # the engine itself failed: a bug of the grader, not of the learner
        order += [check for check in expected.values if check not in order]
        mine = Outcome(run, make_learner, trial)
        for check, value in expected.values.items():
            if check in failed and failed[check].status == "fail":
                continue
            # when the learner's code raised: that exception and where it came from, and a diagnosis only from a
            # catalogued mistake that raises the very same exception, never a contract's guess
            if check not in mine.values:
                result = Result(module, check, "fail", trial=trial.label, detail=raised(mine.error))
            else:
                result = judge(module, check, mine.values[check], value, trial, mine.noise(check))
            if result is None:
                continue
            bug = diagnose(module, run, trial, check, mine, expected, make_variant)
            if bug is not None:
                result.diagnosis, result.misconception = explain(bug), bug.key
            elif check in CONTRACT and check in mine.values and result.status == "fail":
                result.diagnosis = CONTRACT[check]
            failed[check] = result
    return [failed.get(check) or Result(module, check, "pass") for check in order]


CONTRACT = {  # what a failing contract check means, when no catalogued mistake reproduces it
    "input not written": "a method wrote into its input (x[...] = ..., x -= ..., np.maximum(x, 0, out=x)): "
                         "the layer before still holds that array; compute into a new one",
    "grad_output not written": "update_grad_input wrote into grad_output (grad_output -= ...): the layer after "
                               "still holds that array; compute grad_input as a new array",
    "input and target not written": "the criterion wrote into its input or target: compute into a new array",
    "gradients overwritten, not accumulated": "update_grad_params adds to the gradients (gradW += ...): the "
                                              "course calls it more than once; assign with gradW[...] = ...",
    "zero_grad_params zeroes": "zero_grad_params must fill every gradient array with 0 (gradW.fill(0))",
    "get_parameters returns the live arrays": "get_parameters must return the layer's own arrays, not copies, "
                                              "so that the optimizer's in-place step changes the layer",
    "stored output and grad_input": "store the results in self.output and self.grad_input as well as returning them",
    "one velocity per variable in state['accumulated_grads']": "keep one velocity per variable, "
                                                               "state['accumulated_grads'][k] for the k-th",
    "state['t'] counts the steps": "add 1 to state['t'] once per call of adam_optimizer, before the loop",
    "one m and one v per variable in state['m'], state['v']": "keep one m and one v per variable: "
                                                               "state['m'][k] and state['v'][k] for the k-th",
}

WARNED = ("the numbers are right, but NumPy warned while computing them: an exp overflowed, a log got 0 or "
          "something was divided by 0; a form that never overflows keeps other inputs safe too")


def judge(module, check, found, expected, trial, noise):
    """A failing Result (not yet diagnosed) when found is not expected, a warning one when the numbers are right
    but the method that computed them made NumPy warn at extreme inputs; else None."""
    if isinstance(found, str):
        return Result(module, check, "fail", detail=found, trial=trial.label)
    diff = difference(found, expected, trial.dtype, trial.n)
    if diff is not None:
        return Result(module, check, "fail", diagnosis=diff.hint, detail=f"{check} {diff.text}", trial=trial.label,
                      index=diff.index, mine=diff.mine, expected=diff.expected, max_abs_error=diff.max_abs,
                      max_rel_error=diff.max_rel)
    if noise and check.startswith("stable"):
        return Result(module, check, "warn", diagnosis=WARNED, detail=f"NumPy warned: {'; '.join(noise)}",
                      trial=trial.label)
    return None
