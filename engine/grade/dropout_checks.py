"""Dropout, statistically: the share of zeros, the scale, a mask per element and per batch, kept for backward.

Its mask is random, so it is not compared number by number with the engine's: each property is
checked on 100,000 units, and a correct layer fails the share-of-zeros bound less than once in 10^6 runs.
"""
import math

import numpy as np

from .catalogue import entries, formula_of, sentence_of, title_of
from .verdict import Result, raised
from .watch import LEARNER_ERRORS, raise_if_user_interrupt

SHAPE = (400, 250)
Z = 5.5  # two-sided normal tail 3.8e-8 per bound; the four bounds together fail a correct layer < 1e-6


def _entry(key):
    return next(m for m in entries("Dropout") if m.key == key)


def _fail(check, detail, key=None, hint=None):
    bug = _entry(key) if key else None
    diagnosis = (f"your layer behaves as '{title_of(bug)}'. {sentence_of(bug)} Correct: {formula_of(bug)}"
                 if bug else hint)
    return Result("Dropout", check, "fail", diagnosis=diagnosis, detail=detail, misconception=key)


def zeros_bound(n, p):
    """The allowed deviation of the count of zeros from n p."""
    return Z * math.sqrt(n * p * (1 - p)) + 1


def share(layer, x):
    """(the output, how many of its units are 0)."""
    out = np.asarray(layer.forward(x.copy()))
    return out, int(np.count_nonzero(out == 0))


def check_share(make):
    for p in (0.2, 0.5, 0.8):
        layer = make(p)
        layer.train()
        x = np.random.default_rng(1).uniform(0.5, 1.5, SHAPE)
        _, n_zero = share(layer, x)
        n = x.size
        if abs(n_zero - n * p) > zeros_bound(n, p):
            key = "p_is_keep" if abs(n_zero - n * (1 - p)) <= zeros_bound(n, p) else None
            return _fail("share of zeros is p", f"Dropout({p}) zeroed {n_zero / n:.4f} of the units, expected "
                         f"{p} +- {zeros_bound(n, p) / n:.4f}", key,
                         "the share of zeroed units is not p: p is the probability to zero a unit")
    layer = make(0.5)
    layer.p = 0.2  # the course's tests change p between calls
    _, n_zero = share(layer, np.ones(SHAPE))
    if abs(n_zero - SHAPE[0] * SHAPE[1] * 0.2) > zeros_bound(SHAPE[0] * SHAPE[1], 0.2):
        return _fail("share of zeros is p", f"after layer.p = 0.2 on a Dropout(0.5) it zeroed "
                     f"{n_zero / (SHAPE[0] * SHAPE[1]):.4f} of the units", hint="read self.p in update_output, at every forward: "
                     "the course's tests change p between calls")
    return Result("Dropout", "share of zeros is p", "pass")


def check_scale(make):
    for p in (0.2, 0.5):
        layer = make(p)
        x = np.random.default_rng(2).uniform(0.5, 1.5, SHAPE)
        out = np.asarray(layer.forward(x.copy()))
        kept = out != 0
        ratio = out[kept] / x[kept]
        if not np.allclose(ratio, 1 / (1 - p), rtol=1e-6):
            bad = np.argwhere(kept & ~np.isclose(out, x / (1 - p), rtol=1e-6))[0]
            key = "no_rescale" if np.allclose(ratio, 1.0) else None
            return _fail("kept units scaled by 1/(1-p)", f"Dropout({p}): output {out[tuple(bad)]:.6g} at "
                         f"{list(map(int, bad))} for input {x[tuple(bad)]:.6g}, expected input / (1 - p) = "
                         f"{x[tuple(bad)] / (1 - p):.6g}", key, "a kept unit must be x / (1 - p)")
    return Result("Dropout", "kept units scaled by 1/(1-p)", "pass")


def check_mask(make):
    layer = make(0.5)
    first = np.asarray(layer.forward(np.ones(SHAPE))) != 0
    second = np.asarray(layer.forward(np.ones(SHAPE))) != 0
    if (first == first[:1]).all() or (first == first[:, :1]).all():
        return _fail("a mask per element and per batch", "every row (or every column) has the same mask",
                     hint="draw the mask with the input's whole shape: np.random.random(input.shape) >= p")
    if (first == second).all():
        return _fail("a mask per element and per batch", "two forwards drew the same mask",
                     hint="draw a fresh mask at every training forward")
    return Result("Dropout", "a mask per element and per batch", "pass")


def check_backward(make):
    layer = make(0.3)
    rng = np.random.default_rng(3)
    x, g = rng.uniform(0.5, 1.5, SHAPE), rng.uniform(0.5, 1.5, SHAPE)
    out = np.asarray(layer.forward(x))
    grad = np.asarray(layer.backward(x, g.copy()))
    expected = g * out / x
    if grad.shape != x.shape or not np.allclose(grad, expected, rtol=1e-6, atol=1e-12):
        key = "new_mask_in_backward" if grad.shape == x.shape and np.isclose(
            np.count_nonzero(grad == 0) / x.size, 0.3, atol=0.01) else None
        return _fail("backward uses the forward's mask", "grad_input is not g * M / (1 - p) with the forward's "
                     "mask M", key, "keep the forward's mask (self.mask) and multiply g by it")
    return Result("Dropout", "backward uses the forward's mask", "pass")


def check_evaluate(make):
    layer = make(0.5)
    layer.evaluate()
    x, g = np.random.default_rng(4).uniform(0.5, 1.5, (2, 5000)), np.ones((2, 5000))
    out = np.asarray(layer.forward(x.copy()))
    grad = np.asarray(layer.backward(x.copy(), g.copy()))
    if not (np.array_equal(out, x) and np.array_equal(grad, g)):
        return _fail("evaluate mode passes the input through", "in evaluate mode the output (or grad_input) "
                     "differs from the input (or grad_output)", "drops_in_evaluate")
    layer.train()
    if np.array_equal(np.asarray(layer.forward(x.copy())), x):
        return _fail("evaluate mode passes the input through", "after train() the layer drops nothing",
                     hint="train() must switch dropping back on: read self.training in update_output")
    return Result("Dropout", "evaluate mode passes the input through", "pass")


def check_contract(make):
    layer = make(0.5)
    x = np.random.default_rng(5).uniform(0.5, 1.5, (20, 30))
    g, given_x = np.ones_like(x), x.copy()
    given_g = g.copy()
    layer.forward(given_x)
    layer.backward(given_x, given_g)
    if not (np.array_equal(given_x, x) and np.array_equal(given_g, g)):
        return _fail("input and grad_output not written", "forward or backward changed its argument in place",
                     hint="compute into a new array (x * mask), never into input or grad_output")
    return Result("Dropout", "input and grad_output not written", "pass")


CHECKS = (check_share, check_scale, check_mask, check_backward, check_evaluate, check_contract)


def grade_dropout(make):
    """[Result] of every Dropout check; make(p) builds the learner's layer in training mode."""
    results = []
    for check in CHECKS:
        np.random.seed(0)
        try:
            results.append(check(make))
        except LEARNER_ERRORS as error:
            raise_if_user_interrupt(error)
            results.append(Result("Dropout", check.__name__.removeprefix("check_").replace("_", " "), "fail",
                                  detail=raised(error)))
    return results
