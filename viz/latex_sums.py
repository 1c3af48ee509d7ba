"""LaTeX pieces of a sum written out with the learner's numbers: terms, products, a three-line equation."""
import numpy as np

from i18n import domain
from viz.derivation import num

_, ngettext = domain("viz")

MAX_TERMS = 16   # a sum of at most this many terms is written whole; a longer one by its nonzero terms if
GROUPS = 8       # at most MAX_TERMS are nonzero, else as the partial sums of GROUPS runs of consecutive terms
LINE_CHARS = 80  # a written sum breaks its line after about this many characters of LaTeX
PRINTED_DIGITS = 3  # a heatmap prints its numbers with 3 significant digits ("%{z:.3g}")
RELATIVE = 0.012    # each such number is off by up to 0.5%, a product of two by about 1%: the error bound
                    # of a value worked out from them, over its magnitude, where no finer bound is worked out
ALIGNED_BREAK, GATHERED_BREAK = r" \\ &\quad ", r" \\ \quad "  # a new line in an aligned or a gathered block


def biggest(array):
    """Index of the entry with the largest finite |value| (the first entry when none is finite)."""
    a = np.abs(np.asarray(array, dtype=np.float64))
    a[~np.isfinite(a)] = -1.0
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(a)), a.shape))


def printed_error(a):
    """|a - a as printed with PRINTED_DIGITS significant digits|, elementwise (0 where a is exactly zero)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        scale = 10.0 ** (np.floor(np.log10(np.where(a == 0, 1.0, np.abs(a)))) - (PRINTED_DIGITS - 1))
        return np.nan_to_num(np.abs(a - np.round(a / scale) * scale))


def sum_error(a, b=None):
    """How far sum(a) (or sum(a * b)) worked out from the numbers as printed can be from the exact one."""
    a = np.ravel(np.asarray(a, dtype=np.float64))
    da = printed_error(a)
    if b is None:
        return float(np.sum(da))
    b = np.ravel(np.asarray(b, dtype=np.float64))
    db = printed_error(b)
    return float(np.sum(np.abs(a) * db + np.abs(b) * da + da * db))


def p(value):
    """A number, in parentheses when negative, for use inside a product or a sum."""
    text = num(value)
    return f"({text})" if float(value) < 0 else text


def value_of(terms):
    """The numbers terms stand for, as an array: (n,) numbers as they are, (n, 2) pairs as their products."""
    return terms[:, 0] * terms[:, 1] if terms.ndim == 2 else terms


def joined(parts, newline=None):
    """Parts joined by " + ", a line broken (`newline`) before about LINE_CHARS characters, if given."""
    text, line = "", 0
    for k, part in enumerate(parts):
        if k and newline and line + len(part) > LINE_CHARS:
            text, line = text + newline + "+ ", 0
        elif k:
            text += " + "
        text, line = text + part, line + len(part) + 3
    return text


def partial_sums(numbers):
    """Each run of consecutive terms (at most GROUPS runs) as its sum, the run's term numbers under it."""
    size = -(-len(numbers) // GROUPS)
    starts = range(0, len(numbers), size)
    return [rf"\underset{{{start}..{min(start + size, len(numbers)) - 1}}}{{{p(total)}}}"
            for start, total in zip(starts, np.add.reduceat(numbers, list(starts)))]


def terms(values, write=None, value=value_of, newline=None):
    """"a + b + c + ...": every term written by `write` (default: p) when there are at most MAX_TERMS; of a
    longer sum its nonzero terms, or if there are still too many the partial sums of runs of terms (numbered
    from 0 in the sum's order). values: numbers, or pairs (a, b) (an (n, 2) array is fastest); value(array of
    the values) gives the terms' numbers; newline breaks long lines (ALIGNED_BREAK in an equation's row,
    GATHERED_BREAK in lines())."""
    values, write = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64), write or p
    if len(values) <= MAX_TERMS:
        return joined([write(v) for v in values], newline)
    with np.errstate(all="ignore"):
        numbers = value(values)
    nonzero = values[numbers != 0]
    if not len(nonzero):
        return r"0 \quad \text{" + ngettext("(the {n} term is 0)", "(all {n} terms are 0)", len(values)).format(
            n=len(values)) + "}"
    if len(nonzero) <= MAX_TERMS:
        return joined([write(v) for v in nonzero], newline) + r" \quad \text{" + ngettext(
            "(the {n} nonzero term of {total})", "(the {n} nonzero terms of {total})", len(nonzero)).format(
            n=len(nonzero), total=len(values)) + "}"
    return joined(partial_sums(numbers), newline) + r" \quad \text{" + ngettext(
        "(the sums of {n} term, {size} at a time)", "(the sums of {n} terms, {size} at a time)",
        len(values)).format(n=len(values), size=-(-len(values) // GROUPS)) + "}"


def product(pair):
    """"a \\cdot b" of a pair of numbers."""
    return f"{p(pair[0])} \\cdot {p(pair[1])}"


def equation(lhs, general, substituted, engine):
    """lhs = general form, then = the numbers, then = the engine's value, one per line."""
    return (r"\begin{aligned}" + rf"{lhs} &= {general} \\ &= {substituted} \\ &= {num(engine)}"
            + r"\end{aligned}")


def sub(symbol, *index):
    return f"{symbol}_{{{','.join(map(str, index))}}}"


def lines(*rows):
    """Rows of LaTeX one under the other, centred."""
    return r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"


def dL(symbol, *index):
    """∂L/∂symbol_index as a LaTeX fraction."""
    return rf"\frac{{\partial L}}{{\partial {sub(symbol, *index)}}}"
