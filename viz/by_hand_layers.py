"""One entry of each layer's result worked out by hand: the forward output and the backward gradients.

Each builder takes (layer, x, y, params[, g, dx], at) and returns the LaTeX, the written arithmetic's
value, the entry (forward) and its error, or [(what, LaTeX, value, the engine's value, tensor id, index,
error)] (backward); at(tensor id, array) chooses the entry (viz.by_hand). The error bounds how far the
value worked out from the numbers as the heatmaps print them can be (a sum: viz.latex_sums.sum_error;
other formulas: RELATIVE of a magnitude); the tolerance of a typed value follows it (lab.predict).
"""
import numpy as np

from engine import (ELU, BatchNormalization, Dropout, LeakyReLU, Linear, LogSoftMax, ReLU, Scaling, SoftMax,
                    SoftPlus)
from engine.conv import Conv2d
from engine.pool import MaxPool2d
from i18n import domain
from viz.by_hand_images import conv2d_backward, conv2d_forward, maxpool2d_backward, maxpool2d_forward
from viz.derivation import num
from viz.latex_sums import (ALIGNED_BREAK, GATHERED_BREAK, RELATIVE, dL, equation, lines, p, product, sub, sum_error,
                             terms)

_, ngettext = domain("viz")


def words(text):
    """\\text{text}: a remark in words inside the LaTeX."""
    return r"\text{" + text + "}"


# --- forward: one output entry ---

def linear_forward(layer, x, y, params, at):
    n, j = at("output", y)
    W, b = params["W"], params["b"]
    latex = equation(sub("y", n, j), rf"\sum_i {sub('x', n, 'i')} {sub('W', 'i', j)} + {sub('b', j)}",
                     terms(zip(x[n], W[:, j]), product, newline=ALIGNED_BREAK) + f" + {p(b[j])}", y[n, j])
    return latex, float(np.dot(x[n], W[:, j]) + b[j]), (n, j), sum_error(x[n], W[:, j]) + sum_error(b[j])


def scaling_forward(layer, x, y, params, at):
    n, j = at("output", y)
    gamma, beta = params["gamma"][0, j], params["beta"][0, j]
    latex = equation(sub("y", n, j), rf"{sub('x', n, j)} \gamma_{{{j}}} + \beta_{{{j}}}",
                     rf"{p(x[n, j])} \cdot {p(gamma)} + {p(beta)}", y[n, j])
    return latex, float(x[n, j] * gamma + beta), (n, j), sum_error(x[n, j], gamma) + sum_error(beta)


def relu_forward(layer, x, y, params, at):
    n, j = at("output", y)
    latex = equation(sub("y", n, j), rf"\max(0, {sub('x', n, j)})", rf"\max(0, {num(x[n, j])})", y[n, j])
    return latex, max(0.0, float(x[n, j])), (n, j)


def piecewise_forward(x, y, general, substituted, value, at):
    """y = x for x > 0, else the layer's own branch: its general form, the numbers and the value,
    each a function (of the symbol x_{n,j}, or of the number x)."""
    n, j = at("output", y)
    v = float(x[n, j])
    if v > 0:
        return equation(sub("y", n, j), sub("x", n, j), num(v), y[n, j]) + r"\quad (x > 0)", v, (n, j)
    latex = equation(sub("y", n, j), general(sub("x", n, j)), substituted(v), y[n, j]) + r"\quad (x \le 0)"
    return latex, value(v), (n, j)


def leakyrelu_forward(layer, x, y, params, at):
    return piecewise_forward(x, y, lambda s: rf"{num(layer.slope)} \, {s}",
                             lambda v: rf"{num(layer.slope)} \cdot {p(v)}", lambda v: layer.slope * v, at)


def elu_forward(layer, x, y, params, at):
    return piecewise_forward(x, y, lambda s: rf"\alpha (e^{{{s}}} - 1)",
                             lambda v: rf"{num(layer.alpha)} \, (e^{{{num(v)}}} - 1)",
                             lambda v: layer.alpha * float(np.expm1(v)), at)


def softplus_forward(layer, x, y, params, at):
    n, j = at("output", y)
    v = float(x[n, j])
    latex = equation(sub("y", n, j), rf"\log(1 + e^{{{sub('x', n, j)}}})", rf"\log(1 + e^{{{num(v)}}})", y[n, j])
    return latex, float(np.logaddexp(0.0, v)), (n, j)


def exp_sum(row, newline=None):
    """"e^{a} + e^{b} + ..." of one row."""
    return terms(row, lambda v: f"e^{{{num(v)}}}", np.exp, newline)


def logsoftmax_forward(layer, x, y, params, at):
    n, k = at("output", y)
    latex = equation(sub("y", n, k), rf"{sub('x', n, k)} - \log \sum_j e^{{{sub('x', n, 'j')}}}",
                     rf"{num(x[n, k])} - \log({exp_sum(x[n], ALIGNED_BREAK)})", y[n, k])
    return latex, float(x[n, k] - np.log(np.sum(np.exp(x[n])))), (n, k), RELATIVE * float(abs(x[n, k]) + np.max(np.abs(x[n])))


def softmax_forward(layer, x, y, params, at):
    n, k = at("output", y)
    latex = equation(sub("y", n, k), rf"\frac{{e^{{{sub('x', n, k)}}}}}{{\sum_j e^{{{sub('x', n, 'j')}}}}}",
                     rf"\frac{{e^{{{num(x[n, k])}}}}}{{{exp_sum(x[n])}}}", y[n, k])
    return (latex, float(np.exp(x[n, k]) / np.sum(np.exp(x[n]))), (n, k),
            RELATIVE * float(y[n, k] * (1 + abs(x[n, k]) + np.max(np.abs(x[n])))))


def batchnorm_forward(layer, x, y, params, at):
    n, j = at("output", y)
    column, eps = x[:, j], layer.EPS
    if not layer.training:
        mean, variance = float(layer.moving_mean[j]), float(layer.moving_variance[j])
        latex = equation(sub("y", n, j), rf"\frac{{{sub('x', n, j)} - m_{{{j}}}}}{{\sqrt{{v_{{{j}}} + \varepsilon}}}}",
                         rf"\frac{{{num(x[n, j])} - {p(mean)}}}{{\sqrt{{{num(variance)} + {num(eps)}}}}}", y[n, j])
        stats = (words(_("evaluate mode: the moving mean") + " ") + " m " + words(" " + _("and variance") + " ")
                 + " v")
        return (lines(stats, latex),
                (float(x[n, j]) - mean) / np.sqrt(variance + eps), (n, j))
    mean = float(column.mean())
    variance = float(np.mean((column - mean) ** 2))
    stats = lines(
        rf"\mu_{{{j}}} = \frac{{1}}{{N}} \sum_n {sub('x', 'n', j)} = \frac{{1}}{{{len(x)}}} "
        rf"({terms(column, newline=GATHERED_BREAK)}) = {num(mean)}",
        rf"\sigma^2_{{{j}}} = \frac{{1}}{{N}} \sum_n ({sub('x', 'n', j)} - \mu_{{{j}}})^2 = {num(variance)}")
    general = rf"\frac{{{sub('x', n, j)} - \mu_{{{j}}}}}{{\sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}}"
    latex = equation(sub("y", n, j), general,
                     rf"\frac{{{num(x[n, j])} - {p(mean)}}}{{\sqrt{{{num(variance)} + {num(eps)}}}}}", y[n, j])
    value = (float(x[n, j]) - mean) / np.sqrt(variance + eps)
    return (lines(stats, latex), value, (n, j),
            RELATIVE * ((abs(float(x[n, j])) + abs(mean)) / np.sqrt(variance + eps) + abs(value)))


def dropout_forward(layer, x, y, params, at):
    n, j = at("output", y)
    if not layer.training:
        return lines(words(_("evaluate mode:") + " ") + " y = x", equation(sub("y", n, j), sub("x", n, j), num(x[n, j]),
                                                                 y[n, j])), float(x[n, j]), (n, j)
    kept = float(y[n, j] != 0)
    keep = words(_("kept") if kept else _("dropped"))
    latex = equation(sub("y", n, j), rf"{sub('x', n, j)} \, \frac{{{sub('M', n, j)}}}{{1 - p}}",
                     rf"{p(x[n, j])} \cdot \frac{{{int(kept)}}}{{1 - {num(layer.p)}}}", y[n, j])
    return latex + rf"\quad ({keep})", float(x[n, j]) * kept / (1 - layer.p), (n, j)


FORWARD = {Linear: linear_forward, BatchNormalization: batchnorm_forward, Dropout: dropout_forward,
           Scaling: scaling_forward, ReLU: relu_forward, LeakyReLU: leakyrelu_forward, ELU: elu_forward,
           SoftPlus: softplus_forward, LogSoftMax: logsoftmax_forward, SoftMax: softmax_forward,
           Conv2d: conv2d_forward, MaxPool2d: maxpool2d_forward}


# --- backward: one entry of grad_input and of each parameter gradient ---

def derivative(layer, v):
    """(f'(v) as LaTeX of the rule, its value) for the elementwise activations."""
    if isinstance(layer, ReLU):
        return (r"1 \; (x > 0)" if v > 0 else r"0 \; (x \le 0)"), float(v > 0)
    if isinstance(layer, LeakyReLU):
        return (r"1 \; (x > 0)", 1.0) if v > 0 else (rf"{num(layer.slope)} \; (x \le 0)", layer.slope)
    if isinstance(layer, ELU):
        if v > 0:
            return r"1 \; (x > 0)", 1.0
        value = layer.alpha * float(np.exp(v))
        return rf"\alpha e^{{x}} = {num(layer.alpha)} \, e^{{{num(v)}}} = {num(value)}", value
    value = float(1 / (1 + np.exp(-v)))  # SoftPlus: the logistic sigmoid
    return rf"\frac{{1}}{{1 + e^{{-x}}}} = \frac{{1}}{{1 + e^{{{num(-v)}}}}} = {num(value)}", value


def activation_backward(layer, x, y, g, dx, params, at):
    n, j = at("grad_input", dx)
    v = float(x[n, j])
    rule, slope = derivative(layer, v)
    latex = lines(rf"f'({sub('x', n, j)}) = f'({num(x[n, j])}) = {rule}",
                  equation(dL("x", n, j), rf"{sub('g', n, j)} \, f'({sub('x', n, j)})",
                           rf"{p(g[n, j])} \cdot {p(slope)}", dx[n, j]))
    error = RELATIVE * abs(float(g[n, j]) * slope) * (1 + (abs(v) if isinstance(layer, (ELU, SoftPlus)) else 0))
    return [("∂L/∂x", latex, float(g[n, j]) * slope, dx[n, j], "grad_input", (n, j), error)]


def linear_backward(layer, x, y, g, dx, params, at):
    W, grads = params["W"], params["grads"]
    n, i = at("grad_input", dx)
    worked = [("∂L/∂x", equation(dL("x", n, i), rf"\sum_j {sub('g', n, 'j')} {sub('W', i, 'j')}",
                                  terms(zip(g[n], W[i]), product, newline=ALIGNED_BREAK), dx[n, i]),
               float(np.dot(g[n], W[i])), dx[n, i], "grad_input", (n, i), sum_error(g[n], W[i]))]
    dW = grads["W"]
    i, j = at("grad:W", dW)
    worked.append(("∂L/∂W", equation(dL("W", i, j), rf"\sum_n {sub('x', 'n', i)} {sub('g', 'n', j)}",
                                     terms(zip(x[:, i], g[:, j]), product, newline=ALIGNED_BREAK), dW[i, j]),
                   float(np.dot(x[:, i], g[:, j])), dW[i, j], "grad:W", (i, j),
                   sum_error(x[:, i], g[:, j])))
    db = grads["b"]
    (j,) = at("grad:b", db)
    worked.append(("∂L/∂b", equation(dL("b", j), rf"\sum_n {sub('g', 'n', j)}",
                                     terms(g[:, j], newline=ALIGNED_BREAK), db[j]),
                   float(np.sum(g[:, j])), db[j], "grad:b", (j,), sum_error(g[:, j])))
    return worked


def scaling_backward(layer, x, y, g, dx, params, at):
    gamma, grads = params["gamma"], params["grads"]
    n, j = at("grad_input", dx)
    worked = [("∂L/∂x", equation(dL("x", n, j), rf"{sub('g', n, j)} \gamma_{{{j}}}",
                                  rf"{p(g[n, j])} \cdot {p(gamma[0, j])}", dx[n, j]),
               float(g[n, j] * gamma[0, j]), dx[n, j], "grad_input", (n, j), sum_error(g[n, j], gamma[0, j]))]
    for name, symbol, weight in (("gamma", r"\gamma", x), ("beta", r"\beta", None)):
        grad = grads[name]
        _, j = at(f"grad:{name}", grad)
        if weight is None:
            general, computed, shown = rf"\sum_n {sub('g', 'n', j)}", g[:, j].sum(), terms(g[:, j], newline=ALIGNED_BREAK)
            error = sum_error(g[:, j])
        else:
            general = rf"\sum_n {sub('g', 'n', j)} {sub('x', 'n', j)}"
            computed, shown = np.dot(g[:, j], x[:, j]), terms(zip(g[:, j], x[:, j]), product, newline=ALIGNED_BREAK)
            error = sum_error(g[:, j], x[:, j])
        worked.append((f"∂L/∂{'γ' if name == 'gamma' else 'β'}",
                       equation(dL(symbol, j), general, shown, grad[0, j]),
                       float(computed), grad[0, j], f"grad:{name}", (0, j), error))
    return worked


def logsoftmax_backward(layer, x, y, g, dx, params, at):
    n, k = at("grad_input", dx)
    a, total = float(np.exp(y[n, k])), float(np.sum(g[n]))
    latex = lines(rf"a_{{{n},{k}}} = e^{{{sub('y', n, k)}}} = e^{{{num(y[n, k])}}} = {num(a)}, \quad "
                  rf"\sum_j {sub('g', n, 'j')} = {terms(g[n], newline=GATHERED_BREAK)} = {num(total)}",
                  equation(dL("x", n, k), rf"{sub('g', n, k)} - a_{{{n},{k}}} \sum_j {sub('g', n, 'j')}",
                           rf"{num(g[n, k])} - {num(a)} \cdot {p(total)}", dx[n, k]))
    error = RELATIVE * (abs(float(g[n, k])) + a * (1 + abs(float(y[n, k]))) * float(np.sum(np.abs(g[n]))))
    return [("∂L/∂x", latex, float(g[n, k]) - a * total, dx[n, k], "grad_input", (n, k), error)]


def softmax_backward(layer, x, y, g, dx, params, at):
    n, k = at("grad_input", dx)
    dot = float(np.dot(g[n], y[n]))
    products = terms(zip(g[n], y[n]), product, newline=GATHERED_BREAK)
    latex = lines(rf"\sum_j {sub('g', n, 'j')} {sub('y', n, 'j')} = {products} = {num(dot)}",
                  equation(dL("x", n, k), rf"{sub('y', n, k)} ({sub('g', n, k)} - \sum_j {sub('g', n, 'j')} "
                           rf"{sub('y', n, 'j')})", rf"{num(y[n, k])} \cdot ({num(g[n, k])} - {p(dot)})",
                           dx[n, k]))
    error = RELATIVE * float(y[n, k]) * (abs(float(g[n, k])) + 2 * float(np.dot(np.abs(g[n]), y[n])))
    return [("∂L/∂x", latex, float(y[n, k]) * (float(g[n, k]) - dot), dx[n, k], "grad_input", (n, k), error)]


def batchnorm_backward(layer, x, y, g, dx, params, at):
    n, j = at("grad_input", dx)
    if not layer.training:
        variance = float(layer.moving_variance[j])
        latex = equation(dL("x", n, j), rf"\frac{{{sub('g', n, j)}}}{{\sqrt{{v_{{{j}}} + \varepsilon}}}}",
                         rf"\frac{{{num(g[n, j])}}}{{\sqrt{{{num(variance)} + {num(layer.EPS)}}}}}", dx[n, j])
        return [("∂L/∂x", lines(words(_("evaluate mode: the moving variance") + " ") + " v", latex),
                 float(g[n, j]) / np.sqrt(variance + layer.EPS), dx[n, j], "grad_input", (n, j))]
    column, x_hat, size = g[:, j], y[:, j], len(g)
    total, dot = float(column.sum()), float(np.dot(column, x_hat))
    inv_std = 1 / np.sqrt(float(np.mean((x[:, j] - x[:, j].mean()) ** 2)) + layer.EPS)
    products = terms(zip(column, x_hat), product, newline=GATHERED_BREAK)
    sums = lines(rf"\sum_m {sub('g', 'm', j)} = {terms(column, newline=GATHERED_BREAK)} = {num(total)}",
                 rf"\sum_m {sub('g', 'm', j)} \hat x_{{m,{j}}} = {products} = {num(dot)}",
                 rf"\hat x_{{{n},{j}}} = {sub('y', n, j)} = {num(x_hat[n])}, \quad "
                 rf"\frac{{1}}{{\sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}} = {num(inv_std)}")
    general = (rf"\frac{{N {sub('g', n, j)} - \sum_m {sub('g', 'm', j)} - \hat x_{{{n},{j}}} "
               rf"\sum_m {sub('g', 'm', j)} \hat x_{{m,{j}}}}}{{N \sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}}")
    latex = equation(dL("x", n, j), general,
                     rf"\frac{{{size} \cdot {p(g[n, j])} - {p(total)} - {p(x_hat[n])} \cdot {p(dot)}}}{{{size}}} "
                     rf"\cdot {num(inv_std)}", dx[n, j])
    computed = (size * float(g[n, j]) - total - float(x_hat[n]) * dot) / size * inv_std
    magnitude = (size * abs(float(g[n, j])) + float(np.sum(np.abs(column)))
                 + 2 * abs(float(x_hat[n])) * float(np.dot(np.abs(column), np.abs(x_hat)))) / size * inv_std
    return [("∂L/∂x", lines(sums, latex), computed, dx[n, j], "grad_input", (n, j),
             RELATIVE * (magnitude + abs(computed)))]


def dropout_backward(layer, x, y, g, dx, params, at):
    n, j = at("grad_input", dx)
    if not layer.training:
        return [("∂L/∂x", lines(words(_("evaluate mode:") + " ") + r" \partial L / \partial x = g",
                                equation(dL("x", n, j), sub("g", n, j), num(g[n, j]), dx[n, j])),
                 float(g[n, j]), dx[n, j], "grad_input", (n, j))]
    kept = float(dx[n, j] != 0 or (g[n, j] == 0 and y[n, j] != 0))
    latex = equation(dL("x", n, j), rf"{sub('g', n, j)} \, \frac{{{sub('M', n, j)}}}{{1 - p}}",
                     rf"{p(g[n, j])} \cdot \frac{{{int(kept)}}}{{1 - {num(layer.p)}}}", dx[n, j])
    return [("∂L/∂x", latex, float(g[n, j]) * kept / (1 - layer.p), dx[n, j], "grad_input", (n, j))]


BACKWARD = {Linear: linear_backward, BatchNormalization: batchnorm_backward, Dropout: dropout_backward,
            Scaling: scaling_backward, ReLU: activation_backward, LeakyReLU: activation_backward,
            ELU: activation_backward, SoftPlus: activation_backward, LogSoftMax: logsoftmax_backward,
            SoftMax: softmax_backward, Conv2d: conv2d_backward, MaxPool2d: maxpool2d_backward}
IMAGE_LAYERS = (Conv2d, MaxPool2d)  # worked out on their 4-D tensors
