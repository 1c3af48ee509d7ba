"""LaTeX pieces of a sum written out with the learner's numbers: terms, products, a three-line equation."""
import numpy as np

from viz.derivation import num

MAX_TERMS = 4   # longer sums show their first MAX_TERMS - 1 terms, an ellipsis and the last one


def biggest(array):
    """Index of the entry with the largest finite |value| (the first entry when none is finite)."""
    a = np.abs(np.asarray(array, dtype=np.float64))
    a[~np.isfinite(a)] = -1.0
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(a)), a.shape))


def p(value):
    """A number, in parentheses when negative, for use inside a product or a sum."""
    text = num(value)
    return f"({text})" if float(value) < 0 else text


def terms(values, write=None):
    """"a + b + c + \\cdots + z": each value written by `write` (default: p), only those shown."""
    values, write = list(values), write or p
    if len(values) > MAX_TERMS:
        return " + ".join([write(v) for v in values[:MAX_TERMS - 1]] + [r"\cdots", write(values[-1])])
    return " + ".join(write(v) for v in values)


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
