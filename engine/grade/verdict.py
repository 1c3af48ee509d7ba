"""Run trials on the learner's class and the engine's, compare check by check, diagnose the first failure."""
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .catalogue import entries
from .compare import difference


@dataclass
class Result:
    """One row of the report: module, check, status (pass, fail or missing) and, for a failure, why."""
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


def learner_line(error):
    """Where in the learner's code an exception came from: 'file.py, line 12, in update_output'."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/engine/" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    frame = frames[-1]
    return f" ({frame.filename.rsplit('/', 1)[-1]}, line {frame.lineno}, in {frame.name})"


class Outcome:
    """What one run of a trial gave: {check: value} as far as it got, the exception that stopped it, warnings."""

    def __init__(self, run, make, trial):
        self.values, self.error = {}, None
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            np.random.seed(trial.seed)  # the handout's layers draw from np.random: a repeatable run
            try:
                run(make, trial, self.values)
            except Exception as error:  # the learner's code raised: the checks not reached fail with it
                self.error = error
        self.noise = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})

    def agrees(self, other, check, dtype):
        """Whether this run's value of check equals other's (an exception of the same type counts)."""
        if check not in self.values or check not in other.values:
            return check not in self.values and check not in other.values and \
                type(self.error) is type(other.error) and self.error is not None
        mine, theirs = self.values[check], other.values[check]
        if isinstance(mine, str) or isinstance(theirs, str):
            return mine == theirs
        if check.startswith("stable") and bool(self.noise) != bool(other.noise):
            return False
        return difference(mine, theirs, dtype) is None


def diagnose(module, run, trial, check, mine, make_variant):
    """The catalogued mistake whose variant reproduces the learner's failing check on this trial (of several,
    the one that agrees with the learner on the most checks of the trial), or None."""
    best, best_score = None, -1
    for misconception in entries(module):
        theirs = Outcome(run, make_variant(misconception.variant), trial)
        if not mine.agrees(theirs, check, trial.dtype):
            continue
        score = sum(mine.agrees(theirs, other, trial.dtype) for other in set(mine.values) | set(theirs.values))
        if score > best_score:
            best, best_score = misconception, score
    return best


def explain(misconception):
    return (f"your numbers equal what '{misconception.title}' gives. {misconception.sentence} "
            f"Correct: {misconception.formula}")


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
            if check in failed:
                continue
            if check in mine.values:
                result = judge(module, check, mine.values[check], value, trial, mine.noise)
            else:
                error = mine.error
                result = Result(module, check, "fail", trial=trial.label,
                                detail=f"raised {type(error).__name__}: {error}{learner_line(error)}")
            if result is not None:
                bug = diagnose(module, run, trial, check, mine, make_variant)
                if bug is not None:
                    result.diagnosis, result.misconception = explain(bug), bug.key
                elif check in CONTRACT:
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

WARNED = ("NumPy warned while computing it: an exp overflowed, a log got 0 or something was divided by 0; "
          "compute it in a form that stays finite")


def judge(module, check, found, expected, trial, noise):
    """A failing Result (not yet diagnosed) when found is not expected, or warned where it must not; else None."""
    if isinstance(found, str):
        return Result(module, check, "fail", detail=found, trial=trial.label)
    diff = difference(found, expected, trial.dtype, trial.n)
    if diff is not None:
        return Result(module, check, "fail", diagnosis=diff.hint, detail=f"{check} {diff.text}", trial=trial.label,
                      index=diff.index, mine=diff.mine, expected=diff.expected, max_abs_error=diff.max_abs,
                      max_rel_error=diff.max_rel)
    if noise and check.startswith("stable"):
        return Result(module, check, "fail", diagnosis=WARNED, detail=f"NumPy warned: {'; '.join(noise)}",
                      trial=trial.label)
    return None
