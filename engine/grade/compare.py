"""Compare the learner's array with the expected one: the first differing entry, the errors, a hint."""
from dataclasses import dataclass

import numpy as np
from i18n import domain

_, ngettext = domain("grade")

TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-9), np.dtype(np.float32): (1e-5, 1e-6)}  # (rtol, atol)


@dataclass
class Difference:
    """Why mine is not expected: a sentence, and for same-shaped arrays the first differing entry."""
    text: str
    index: tuple = None
    mine: float = None
    expected: float = None
    max_abs: float = None
    max_rel: float = None
    hint: str = None


def tolerance(dtype):
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])


def as_array(value):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def difference(mine, expected, dtype=np.float64, n=None):
    """None when mine equals expected within the dtype's tolerance, else a Difference (n: the batch size)."""
    rtol, atol = tolerance(dtype)
    expected = np.asarray(expected, dtype=np.float64)
    if mine is None:
        return Difference(_("is None (nothing was stored or returned)"))
    got = as_array(mine)
    if got is None:
        return Difference(_("is a {type}, not an array of numbers").format(type=type(mine).__name__))
    if got.shape != expected.shape:
        hint = "transposed" if got.shape == expected.shape[::-1] and got.ndim == 2 else None
        if hint is None and got.size == expected.size:
            hint = "the right numbers of entries in another shape"
        return Difference(_("has shape {shape}, expected {expected}").format(shape=got.shape, expected=expected.shape),
                          hint=hint_text(hint))
    close = np.isclose(got, expected, rtol=rtol, atol=atol) | (np.isnan(got) & np.isnan(expected))
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    with np.errstate(all="ignore"):
        error = np.abs(got - expected)
        rel = error / np.maximum(np.abs(expected), atol)
    finite = np.isfinite(error)
    return Difference(_("differs at {index}: {mine:.8g}, expected {expected:.8g}").format(
                      index=list(index), mine=got[index], expected=expected[index]),
                      index=index, mine=float(got[index]), expected=float(expected[index]),
                      max_abs=float(error[finite].max()) if finite.any() else float("inf"),
                      max_rel=float(rel[finite].max()) if finite.any() else float("inf"),
                      hint=hint_text(pattern(got, expected, close), n))


def pattern(got, expected, close):
    """A general reading of the error when no catalogued mistake matches: a factor, a sign, rows."""
    if not np.isfinite(got).all():
        return "nan"
    with np.errstate(all="ignore"):
        if np.allclose(got, -expected, rtol=1e-5, atol=1e-9):
            return "sign"
        if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got, expected.T, rtol=1e-5, atol=1e-9):
            return "transposed"
        big = np.abs(expected) > 1e-12
        if big.any():
            ratios = got[big] / expected[big]
            if np.allclose(ratios, ratios[0], rtol=1e-5) and abs(ratios[0]) > 0:
                return f"factor {ratios[0]:.6g}"
    if got.ndim >= 2:
        rows = ~close.reshape(len(close), -1).all(axis=1)
        if 0 < rows.sum() < len(rows):
            return f"rows {int(rows.sum())} of {len(rows)}"
    return None


def hint_text(kind, n=None):
    """The sentence of a general hint."""
    if kind is None:
        return None
    if kind == "nan":
        return _("some entries are NaN or inf: an overflow (exp of a large number), a log of 0 "
                 "or a division by 0")
    if kind == "sign":
        return _("every entry has the sign flipped: a minus sign is missing or extra")
    if kind == "transposed":
        return _("it is the transpose of the expected array: check which side of the product each factor is on")
    if kind == "the right numbers of entries in another shape":
        return _("the right numbers of entries in another shape")
    if kind.startswith("factor"):
        factor = float(kind.split()[1])
        names = [(_("every entry is 2 times the expected one: a constant factor is wrong"), 2.0),
                 (_("every entry is half the expected one: a constant factor is wrong"), 0.5),
                 (_("every entry is minus the expected one: a constant factor is wrong"), -1.0)]
        if n:
            names += [(_("every entry is N = {n} times the expected one: a constant factor is wrong"), n),
                      (_("every entry is 1/N = 1/{n} of the expected one: a constant factor is wrong"), 1 / n),
                      (_("every entry is -1/N = -1/{n} of the expected one: a constant factor is wrong"), -1 / n)]
        for sentence, value in names:
            if np.isclose(factor, value, rtol=1e-6):
                return sentence.format(n=n)
        return _("every entry is {factor:.6g} times the expected one: a constant factor is wrong").format(factor=factor)
    if kind.startswith("rows"):
        wrong, rows = kind.split()[1::2]
        return _("only some rows are wrong ({wrong} of {rows}): something depends on the sample it should not").format(
            wrong=wrong, rows=rows)
    return kind

