"""One entry of a stage's result worked out by hand, with the learner's own numbers, in LaTeX.

For every stage of an IterationTrace: the entry with the largest magnitude (so it is
rarely a dull zero) of each tensor the stage computes, written as the sum or the formula
the layer evaluates, the learner's numbers substituted, and the engine's value. Indices
are 0-based, as on the heatmaps' axes. Each Worked also keeps `computed`, the value of
the written arithmetic evaluated in float64, which the tests hold against the engine.
"""
from dataclasses import dataclass

import numpy as np

from engine import (ELU, BatchNormalization, Dropout, LeakyReLU, Linear, LogSoftMax, ReLU, Scaling, SoftMax,
                    SoftPlus)
from viz.derivation import num

MAX_TERMS = 4   # longer sums show their first MAX_TERMS - 1 terms, an ellipsis and the last one


@dataclass(frozen=True)
class Worked:
    """What is computed (`what`, plain text), its LaTeX, the written arithmetic's value and the engine's;
    the id of the tensor it is an entry of (viz.entries.Tensor.id) and the entry's index there."""
    what: str
    latex: str
    computed: float
    engine: float
    tensor: str = ""
    index: tuple = ()


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


# --- forward: one output entry ---

def linear_forward(layer, x, y, params, at):
    n, j = at("output", y)
    W, b = params["W"], params["b"]
    latex = equation(sub("y", n, j), rf"\sum_i {sub('x', n, 'i')} {sub('W', 'i', j)} + {sub('b', j)}",
                     terms(zip(x[n], W[:, j]), product) + f" + {p(b[j])}", y[n, j])
    return latex, float(np.dot(x[n], W[:, j]) + b[j]), (n, j)


def scaling_forward(layer, x, y, params, at):
    n, j = at("output", y)
    gamma, beta = params["gamma"][0, j], params["beta"][0, j]
    latex = equation(sub("y", n, j), rf"{sub('x', n, j)} \gamma_{{{j}}} + \beta_{{{j}}}",
                     rf"{p(x[n, j])} \cdot {p(gamma)} + {p(beta)}", y[n, j])
    return latex, float(x[n, j] * gamma + beta), (n, j)


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


def exp_sum(row):
    """"e^{a} + e^{b} + ..." of one row."""
    return terms(row, lambda v: f"e^{{{num(v)}}}")


def logsoftmax_forward(layer, x, y, params, at):
    n, k = at("output", y)
    latex = equation(sub("y", n, k), rf"{sub('x', n, k)} - \log \sum_j e^{{{sub('x', n, 'j')}}}",
                     rf"{num(x[n, k])} - \log({exp_sum(x[n])})", y[n, k])
    return latex, float(x[n, k] - np.log(np.sum(np.exp(x[n])))), (n, k)


def softmax_forward(layer, x, y, params, at):
    n, k = at("output", y)
    latex = equation(sub("y", n, k), rf"\frac{{e^{{{sub('x', n, k)}}}}}{{\sum_j e^{{{sub('x', n, 'j')}}}}}",
                     rf"\frac{{e^{{{num(x[n, k])}}}}}{{{exp_sum(x[n])}}}", y[n, k])
    return latex, float(np.exp(x[n, k]) / np.sum(np.exp(x[n]))), (n, k)


def batchnorm_forward(layer, x, y, params, at):
    n, j = at("output", y)
    column, eps = x[:, j], layer.EPS
    if not layer.training:
        mean, variance = float(layer.moving_mean[j]), float(layer.moving_variance[j])
        latex = equation(sub("y", n, j), rf"\frac{{{sub('x', n, j)} - m_{{{j}}}}}{{\sqrt{{v_{{{j}}} + \varepsilon}}}}",
                         rf"\frac{{{num(x[n, j])} - {p(mean)}}}{{\sqrt{{{num(variance)} + {num(eps)}}}}}", y[n, j])
        return (lines(r"\text{evaluate mode: the moving mean } m \text{ and variance } v", latex),
                (float(x[n, j]) - mean) / np.sqrt(variance + eps), (n, j))
    mean = float(column.mean())
    variance = float(np.mean((column - mean) ** 2))
    stats = lines(
        rf"\mu_{{{j}}} = \frac{{1}}{{N}} \sum_n {sub('x', 'n', j)} = \frac{{1}}{{{len(x)}}} "
        rf"({terms(column)}) = {num(mean)}",
        rf"\sigma^2_{{{j}}} = \frac{{1}}{{N}} \sum_n ({sub('x', 'n', j)} - \mu_{{{j}}})^2 = {num(variance)}")
    general = rf"\frac{{{sub('x', n, j)} - \mu_{{{j}}}}}{{\sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}}"
    latex = equation(sub("y", n, j), general,
                     rf"\frac{{{num(x[n, j])} - {p(mean)}}}{{\sqrt{{{num(variance)} + {num(eps)}}}}}", y[n, j])
    return lines(stats, latex), (float(x[n, j]) - mean) / np.sqrt(variance + eps), (n, j)


def dropout_forward(layer, x, y, params, at):
    n, j = at("output", y)
    if not layer.training:
        return lines(r"\text{evaluate mode: } y = x", equation(sub("y", n, j), sub("x", n, j), num(x[n, j]),
                                                                 y[n, j])), float(x[n, j]), (n, j)
    kept = float(y[n, j] != 0)
    keep = r"\text{kept}" if kept else r"\text{dropped}"
    latex = equation(sub("y", n, j), rf"{sub('x', n, j)} \, \frac{{{sub('M', n, j)}}}{{1 - p}}",
                     rf"{p(x[n, j])} \cdot \frac{{{int(kept)}}}{{1 - {num(layer.p)}}}", y[n, j])
    return latex + rf"\quad ({keep})", float(x[n, j]) * kept / (1 - layer.p), (n, j)


FORWARD = {Linear: linear_forward, BatchNormalization: batchnorm_forward, Dropout: dropout_forward,
           Scaling: scaling_forward, ReLU: relu_forward, LeakyReLU: leakyrelu_forward, ELU: elu_forward,
           SoftPlus: softplus_forward, LogSoftMax: logsoftmax_forward, SoftMax: softmax_forward}


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
    rule, slope = derivative(layer, float(x[n, j]))
    latex = lines(rf"f'({sub('x', n, j)}) = f'({num(x[n, j])}) = {rule}",
                  equation(dL("x", n, j), rf"{sub('g', n, j)} \, f'({sub('x', n, j)})",
                           rf"{p(g[n, j])} \cdot {p(slope)}", dx[n, j]))
    return [("∂L/∂x", latex, float(g[n, j]) * slope, dx[n, j], "grad_input", (n, j))]


def linear_backward(layer, x, y, g, dx, params, at):
    W, grads = params["W"], params["grads"]
    n, i = at("grad_input", dx)
    worked = [("∂L/∂x", equation(dL("x", n, i), rf"\sum_j {sub('g', n, 'j')} {sub('W', i, 'j')}",
                                  terms(zip(g[n], W[i]), product), dx[n, i]),
               float(np.dot(g[n], W[i])), dx[n, i], "grad_input", (n, i))]
    dW = grads["W"]
    i, j = at("grad:W", dW)
    worked.append(("∂L/∂W", equation(dL("W", i, j), rf"\sum_n {sub('x', 'n', i)} {sub('g', 'n', j)}",
                                     terms(zip(x[:, i], g[:, j]), product), dW[i, j]),
                   float(np.dot(x[:, i], g[:, j])), dW[i, j], "grad:W", (i, j)))
    db = grads["b"]
    (j,) = at("grad:b", db)
    worked.append(("∂L/∂b", equation(dL("b", j), rf"\sum_n {sub('g', 'n', j)}",
                                     terms(g[:, j]), db[j]),
                   float(np.sum(g[:, j])), db[j], "grad:b", (j,)))
    return worked


def scaling_backward(layer, x, y, g, dx, params, at):
    gamma, grads = params["gamma"], params["grads"]
    n, j = at("grad_input", dx)
    worked = [("∂L/∂x", equation(dL("x", n, j), rf"{sub('g', n, j)} \gamma_{{{j}}}",
                                  rf"{p(g[n, j])} \cdot {p(gamma[0, j])}", dx[n, j]),
               float(g[n, j] * gamma[0, j]), dx[n, j], "grad_input", (n, j))]
    for name, symbol, weight in (("gamma", r"\gamma", x), ("beta", r"\beta", None)):
        grad = grads[name]
        _, j = at(f"grad:{name}", grad)
        if weight is None:
            general, computed, shown = rf"\sum_n {sub('g', 'n', j)}", g[:, j].sum(), terms(g[:, j])
        else:
            general = rf"\sum_n {sub('g', 'n', j)} {sub('x', 'n', j)}"
            computed, shown = np.dot(g[:, j], x[:, j]), terms(zip(g[:, j], x[:, j]), product)
        worked.append((f"∂L/∂{'γ' if name == 'gamma' else 'β'}",
                       equation(dL(symbol, j), general, shown, grad[0, j]),
                       float(computed), grad[0, j], f"grad:{name}", (0, j)))
    return worked


def logsoftmax_backward(layer, x, y, g, dx, params, at):
    n, k = at("grad_input", dx)
    a, total = float(np.exp(y[n, k])), float(np.sum(g[n]))
    latex = lines(rf"a_{{{n},{k}}} = e^{{{sub('y', n, k)}}} = e^{{{num(y[n, k])}}} = {num(a)}, \quad "
                  rf"\sum_j {sub('g', n, 'j')} = {terms(g[n])} = {num(total)}",
                  equation(dL("x", n, k), rf"{sub('g', n, k)} - a_{{{n},{k}}} \sum_j {sub('g', n, 'j')}",
                           rf"{num(g[n, k])} - {num(a)} \cdot {p(total)}", dx[n, k]))
    return [("∂L/∂x", latex, float(g[n, k]) - a * total, dx[n, k], "grad_input", (n, k))]


def softmax_backward(layer, x, y, g, dx, params, at):
    n, k = at("grad_input", dx)
    dot = float(np.dot(g[n], y[n]))
    products = terms(zip(g[n], y[n]), product)
    latex = lines(rf"\sum_j {sub('g', n, 'j')} {sub('y', n, 'j')} = {products} = {num(dot)}",
                  equation(dL("x", n, k), rf"{sub('y', n, k)} ({sub('g', n, k)} - \sum_j {sub('g', n, 'j')} "
                           rf"{sub('y', n, 'j')})", rf"{num(y[n, k])} \cdot ({num(g[n, k])} - {p(dot)})",
                           dx[n, k]))
    return [("∂L/∂x", latex, float(y[n, k]) * (float(g[n, k]) - dot), dx[n, k], "grad_input", (n, k))]


def batchnorm_backward(layer, x, y, g, dx, params, at):
    n, j = at("grad_input", dx)
    if not layer.training:
        variance = float(layer.moving_variance[j])
        latex = equation(dL("x", n, j), rf"\frac{{{sub('g', n, j)}}}{{\sqrt{{v_{{{j}}} + \varepsilon}}}}",
                         rf"\frac{{{num(g[n, j])}}}{{\sqrt{{{num(variance)} + {num(layer.EPS)}}}}}", dx[n, j])
        return [("∂L/∂x", lines(r"\text{evaluate mode: the moving variance } v", latex),
                 float(g[n, j]) / np.sqrt(variance + layer.EPS), dx[n, j], "grad_input", (n, j))]
    column, x_hat, size = g[:, j], y[:, j], len(g)
    total, dot = float(column.sum()), float(np.dot(column, x_hat))
    inv_std = 1 / np.sqrt(float(np.mean((x[:, j] - x[:, j].mean()) ** 2)) + layer.EPS)
    products = terms(zip(column, x_hat), product)
    sums = lines(rf"\sum_m {sub('g', 'm', j)} = {terms(column)} = {num(total)}",
                 rf"\sum_m {sub('g', 'm', j)} \hat x_{{m,{j}}} = {products} = {num(dot)}",
                 rf"\hat x_{{{n},{j}}} = {sub('y', n, j)} = {num(x_hat[n])}, \quad "
                 rf"\frac{{1}}{{\sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}} = {num(inv_std)}")
    general = (rf"\frac{{N {sub('g', n, j)} - \sum_m {sub('g', 'm', j)} - \hat x_{{{n},{j}}} "
               rf"\sum_m {sub('g', 'm', j)} \hat x_{{m,{j}}}}}{{N \sqrt{{\sigma^2_{{{j}}} + \varepsilon}}}}")
    latex = equation(dL("x", n, j), general,
                     rf"\frac{{{size} \cdot {p(g[n, j])} - {p(total)} - {p(x_hat[n])} \cdot {p(dot)}}}{{{size}}} "
                     rf"\cdot {num(inv_std)}", dx[n, j])
    computed = (size * float(g[n, j]) - total - float(x_hat[n]) * dot) / size * inv_std
    return [("∂L/∂x", lines(sums, latex), computed, dx[n, j], "grad_input", (n, j))]


def dropout_backward(layer, x, y, g, dx, params, at):
    n, j = at("grad_input", dx)
    if not layer.training:
        return [("∂L/∂x", lines(r"\text{evaluate mode: } \partial L / \partial x = g",
                                equation(dL("x", n, j), sub("g", n, j), num(g[n, j]), dx[n, j])),
                 float(g[n, j]), dx[n, j], "grad_input", (n, j))]
    kept = float(dx[n, j] != 0 or (g[n, j] == 0 and y[n, j] != 0))
    latex = equation(dL("x", n, j), rf"{sub('g', n, j)} \, \frac{{{sub('M', n, j)}}}{{1 - p}}",
                     rf"{p(g[n, j])} \cdot \frac{{{int(kept)}}}{{1 - {num(layer.p)}}}", dx[n, j])
    return [("∂L/∂x", latex, float(g[n, j]) * kept / (1 - layer.p), dx[n, j], "grad_input", (n, j))]


BACKWARD = {Linear: linear_backward, BatchNormalization: batchnorm_backward, Dropout: dropout_backward,
            Scaling: scaling_backward, ReLU: activation_backward, LeakyReLU: activation_backward,
            ELU: activation_backward, SoftPlus: activation_backward, LogSoftMax: logsoftmax_backward,
            SoftMax: softmax_backward}


# --- the loss and one entry of its gradient ---

def labels_of(target, predictions):
    """Class labels (N,) from integer labels or one-hot targets; None for other targets."""
    target = np.asarray(target)
    if target.shape == predictions.shape and target.dtype.kind == "f":
        rows = target.sum(axis=1)
        return np.argmax(target, axis=1) if np.all(rows == 1) and np.all((target == 0) | (target == 1)) else None
    return target.reshape(len(predictions)).astype(np.int64) if target.size == len(predictions) else None


def loss_worked(trace, at):
    predictions, name, n = trace.predictions, trace.criterion, len(trace.predictions)
    if name == "MSECriterion":
        target = np.asarray(trace.target, dtype=np.float64).reshape(predictions.shape)
        diff = (predictions - target).ravel()
        latex = equation("L", r"\frac{1}{N} \sum_{n,k} (\hat y_{n,k} - y_{n,k})^2",
                         rf"\frac{{1}}{{{n}}} ({terms(diff, lambda v: f'{p(v)}^2')})", trace.loss)
        computed = float(np.dot(diff, diff) / n)
        m, k = at("loss_grad", trace.loss_grad)
        grad = (r"\frac{\partial L}{\partial \hat y_{" + f"{m},{k}" + r"}} = \frac{2}{N} (\hat y - y) = "
                rf"\frac{{2}}{{{n}}} ({num(predictions[m, k])} - {p(target[m, k])}) = {num(trace.loss_grad[m, k])}")
        return [("loss", latex, computed, trace.loss, "loss", ()),
                ("∂L/∂ŷ", grad, 2 / n * float(predictions[m, k] - target[m, k]), trace.loss_grad[m, k], "loss_grad",
                 (m, k))]
    labels = labels_of(trace.target, predictions)
    if labels is None or name not in ("NLLCriterion", "NLLCriterionUnstable"):
        return []
    picked = predictions[np.arange(n), labels]
    if name == "NLLCriterion":
        parts, computed = terms(picked), -float(np.sum(picked)) / n
        general = r"-\frac{1}{N} \sum_n \hat y_{n, y_n}"
    else:
        clipped = np.clip(picked, 1e-15, 1 - 1e-15)
        parts, computed = terms(clipped, lambda v: rf"\log {num(v)}"), -float(np.sum(np.log(clipped))) / n
        general = r"-\frac{1}{N} \sum_n \log \hat y_{n, y_n}"
    latex = equation("L", general, rf"-\frac{{1}}{{{n}}} ({parts})", trace.loss)
    m, k = at("loss_grad", trace.loss_grad)
    lhs = r"\frac{\partial L}{\partial \hat y_{" + f"{m},{k}" + r"}}"
    if k != int(labels[m]):
        grad = (lhs + rf" = 0 \quad (k = {k} \ne y_{{{m}}} = {int(labels[m])}\text{{: only the true class's "
                r"entry of each row gets a gradient}})")
        return [("loss", latex, computed, trace.loss, "loss", ()),
                ("∂L/∂ŷ", grad, 0.0, trace.loss_grad[m, k], "loss_grad", (m, k))]
    if name == "NLLCriterion":
        rule, value = rf"-\frac{{1}}{{N}} = -\frac{{1}}{{{n}}}", -1 / n
    else:
        value = -1 / float(np.clip(predictions[m, k], 1e-15, 1 - 1e-15)) / n
        rule = rf"-\frac{{1}}{{N \hat y}} = -\frac{{1}}{{{n} \cdot {num(predictions[m, k])}}}"
    grad = (lhs + " = " + rule + f" = {num(trace.loss_grad[m, k])}"
            + rf"\quad (k = y_{{{m}}} = {k}\text{{; every other entry of the row is 0}})")
    return [("loss", latex, computed, trace.loss, "loss", ()),
            ("∂L/∂ŷ", grad, value, trace.loss_grad[m, k], "loss_grad", (m, k))]


# --- update: one entry of each parameter ---

def update_worked(trace, index, choose):
    worked = []
    for u in trace.update_records(index):
        at = choose(f"velocity:{u.param}", u.velocity)
        v_prev = 0.0 if u.previous_velocity is None else float(u.previous_velocity[at])
        g, v = float(u.grad[at]), float(u.velocity[at])
        name = sub(u.param, *at)
        velocity = equation(sub("v", *at), rf"\mu \, {sub('v', *at)}^{{\text{{prev}}}} + \eta \, {sub('g', *at)}",
                            rf"{num(trace.momentum)} \cdot {p(v_prev)} + {num(trace.learning_rate)} \cdot {p(g)}", v)
        after = equation(rf"{name}^{{\text{{after}}}}", rf"{name}^{{\text{{before}}}} - v",
                         rf"{num(u.before[at])} - {p(v)}", u.after[at])
        worked.append((f"v of {u.param}", velocity, trace.momentum * v_prev + trace.learning_rate * g, v,
                       f"velocity:{u.param}", at))
        worked.append((f"{u.param} after", after, float(u.before[at]) - v, u.after[at], f"after:{u.param}", at))
    return worked


def largest(tensor_id, array):
    """The default choice of entry: the one of largest magnitude."""
    return biggest(array)


def by_hand(trace, stage, layers, at=largest):
    """[Worked] for this stage, or [] where no entry is worked out (Flatten, a layer of another kind).

    at(tensor id, array) -> index chooses each result's entry (viz.entries.chooser follows a click);
    by default the entry of largest magnitude."""
    with np.errstate(all="ignore"):  # NaN and inf are shown as they are
        return worked_items(trace, stage, layers, at)


def worked_items(trace, stage, layers, at):
    if stage.kind == "loss":
        items = loss_worked(trace, at)
    elif stage.kind == "update":
        items = update_worked(trace, stage.index, at)
    else:
        layer = layers[stage.index] if stage.index < len(layers) else None
        forward = trace.forward[stage.index]
        if forward.input.ndim != 2 or not (forward.input.size and forward.output.size):
            return []
        params = {u.param: u.before for u in trace.update_records(stage.index)}
        if stage.kind == "forward":
            builder = FORWARD.get(type(layer))
            if builder is None:
                return []
            latex, computed, index = builder(layer, forward.input, forward.output, params, at)
            items = [("y", latex, computed, forward.output[index], "output", index)]
        else:
            builder = BACKWARD.get(type(layer))
            if builder is None:
                return []
            record = trace.backward_record(stage.index)
            params["grads"] = record.grad_params
            items = builder(layer, forward.input, forward.output, record.grad_output, record.grad_input, params, at)
    return [Worked(*item[:2], float(item[2]), float(item[3]), *item[4:]) for item in items]
