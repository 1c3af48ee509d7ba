"""One entry of Conv2d and MaxPool2d worked out by hand, the sum written out over (c, p, q) or (n, i, j).

Builders as in viz.by_hand_layers: forward (layer, x, y, params, at) -> (LaTeX, value, index);
backward (layer, x, y, g, dx, params, at) -> [(what, LaTeX, value, the engine's value, tensor id, index)].
Indices outside the image read the zero padding.
"""
import numpy as np

from i18n import domain
from viz.derivation import num
from viz.latex_sums import ALIGNED_BREAK, MAX_TERMS, dL, equation, p, product, sub, sum_error, terms

_, ngettext = domain("viz")


def plus(symbol, k):
    """symbol + k written simply: "p", "p+2", "p-1"."""
    return symbol if k == 0 else f"{symbol}+{k}" if k > 0 else f"{symbol}-{-k}"


def minus(k, symbol):
    """k - symbol written simply: "3-p", "-p"."""
    return f"{k}-{symbol}" if k else f"-{symbol}"


def padded(a, r):
    return np.pad(a, ((0, 0), (0, 0), (r, r), (r, r)))


def conv2d_forward(layer, x, y, params, at):
    n, o, i, j = at("output", y)
    W, b, k = params["W"], params["b"], layer.kernel_size
    r = k // 2
    window = padded(x, r)[n, :, i:i + k, j:j + k]                  # x[n, c, i+p-r, j+q-r] for every (c, p, q)
    pairs = np.column_stack([W[o].ravel(), window.ravel()])
    general = (rf"{sub('b', o)} + \sum_{{c,p,q}} {sub('W', o, 'c', 'p', 'q')}\, "
               rf"{sub('x', n, 'c', plus('p', i - r), plus('q', j - r))}")
    latex = equation(sub("y", n, o, i, j), general, f"{p(b[o])} + " + terms(pairs, product, newline=ALIGNED_BREAK), y[n, o, i, j])
    return (latex, float(b[o] + np.dot(W[o].ravel(), window.ravel())), (n, o, i, j),
            sum_error(b[o]) + sum_error(W[o], window))


def conv2d_backward(layer, x, y, g, dx, params, at):
    W, grads, k = params["W"], params["grads"], layer.kernel_size
    r = k // 2
    n, c, i, j = at("grad_input", dx)
    # g[n, o, i-p+r, j-q+r] for every (o, p, q): the window of g around (i, j), flipped
    around = padded(g, r)[n, :, i:i + k, j:j + k][:, ::-1, ::-1]
    pairs = np.column_stack([around.ravel(), W[:, c].ravel()])
    worked = [("∂L/∂x", equation(dL("x", n, c, i, j), rf"\sum_{{o,p,q}} {sub('g', n, 'o', minus(i + r, 'p'), minus(j + r, 'q'))}"
                                  rf"\, {sub('W', 'o', c, 'p', 'q')}", terms(pairs, product, newline=ALIGNED_BREAK), dx[n, c, i, j]),
               float(np.dot(around.ravel(), W[:, c].ravel())), dx[n, c, i, j], "grad_input", (n, c, i, j),
               sum_error(around, W[:, c]))]
    dW = grads["W"]
    o, c, q1, q2 = at("grad:W", dW)
    h, w = x.shape[2:]
    inputs = padded(x, r)[:, c, q1:q1 + h, q2:q2 + w]                # x[n, c, i+p-r, j+q-r] for every (n, i, j)
    pairs = np.column_stack([inputs.ravel(), g[:, o].ravel()])
    worked.append(("∂L/∂W", equation(dL("W", o, c, q1, q2), rf"\sum_{{n,i,j}} {sub('x', 'n', c, plus('i', q1 - r), plus('j', q2 - r))}"
                                     rf"\, {sub('g', 'n', o, 'i', 'j')}", terms(pairs, product, newline=ALIGNED_BREAK), dW[o, c, q1, q2]),
                   float(np.dot(inputs.ravel(), g[:, o].ravel())), dW[o, c, q1, q2], "grad:W", (o, c, q1, q2),
                   sum_error(inputs, g[:, o])))
    db = grads["b"]
    (o,) = at("grad:b", db)
    worked.append(("∂L/∂b", equation(dL("b", o), rf"\sum_{{n,i,j}} {sub('g', 'n', o, 'i', 'j')}", terms(g[:, o].ravel(), newline=ALIGNED_BREAK),
                                     db[o]), float(np.sum(g[:, o])), db[o], "grad:b", (o,), sum_error(g[:, o])))
    return worked


def maximum(values):
    """"\\max(a, b, c, d)" of the window's numbers (long windows shortened as terms() does)."""
    shown = [num(v) for v in values]
    if len(shown) > MAX_TERMS:
        shown = shown[:MAX_TERMS - 1] + [r"\ldots", shown[-1]]
    return rf"\max({', '.join(shown)})"


def maxpool2d_forward(layer, x, y, params, at):
    n, c, i, j = at("output", y)
    k = layer.kernel_size
    window = x[n, c, k * i:k * i + k, k * j:k * j + k].ravel()
    general = rf"\max_{{p,q}} {sub('x', n, c, plus('p', k * i), plus('q', k * j))}"
    return equation(sub("y", n, c, i, j), general, maximum(window), y[n, c, i, j]), float(window.max()), (n, c, i, j)


def maxpool2d_backward(layer, x, y, g, dx, params, at):
    n, c, a, b = at("grad_input", dx)
    k = layer.kernel_size
    i, j = a // k, b // k
    window = x[n, c, k * i:k * i + k, k * j:k * j + k].ravel()
    first = int(np.argmax(window))  # the first maximum in row-major order
    wins = first == (a - k * i) * k + (b - k * j)
    said = _("is the first maximum of its window") if wins else _("is not the first maximum of its window")
    rule = rf"({a}, {b}) \text{{ {said} }} {maximum(window)}"
    latex = (r"\begin{gathered}" + rule + r" \\ " + equation(
        dL("x", n, c, a, b), dL("y", n, c, i, j) if wins else "0", num(g[n, c, i, j]) if wins else "0",
        dx[n, c, a, b]) + r"\end{gathered}")
    return [("∂L/∂x", latex, float(g[n, c, i, j]) if wins else 0.0, dx[n, c, a, b], "grad_input", (n, c, a, b))]
