"""One entry of a stage's result worked out by hand, with the learner's own numbers, in LaTeX.

For every stage of an IterationTrace: the entry with the largest magnitude (so it is
rarely a dull zero) of each tensor the stage computes, written as the sum or the formula
the layer evaluates, the learner's numbers substituted, and the engine's value. Indices
are 0-based, as on the heatmaps' axes. Each Worked also keeps `computed`, the value of
the written arithmetic evaluated in float64, which the tests hold against the engine.
"""
from dataclasses import dataclass

import numpy as np

from i18n import domain
from viz.by_hand_layers import BACKWARD, FORWARD, IMAGE_LAYERS
from viz.derivation import num
from viz.latex_sums import ALIGNED_BREAK, RELATIVE, biggest, equation, p, sub, sum_error, terms

_, ngettext = domain("viz")


@dataclass(frozen=True)
class Worked:
    """What is computed (`what`, plain text), its LaTeX, the written arithmetic's value and the engine's;
    the id of the tensor it is an entry of (viz.entries.Tensor.id) and the entry's index there; its error:
    how far the value worked out from the numbers as printed can be from it (viz.latex_sums.sum_error)."""
    what: str
    latex: str
    computed: float
    engine: float
    tensor: str = ""
    index: tuple = ()
    error: float = 0.0
    step: float = None  # a weight after its update: the step's size (the tolerance follows it, not the weight)


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
                         rf"\frac{{1}}{{{n}}} ({terms(diff, lambda v: f'{p(v)}^2', lambda v: v * v, newline=ALIGNED_BREAK)})", trace.loss)
        computed = float(np.dot(diff, diff) / n)
        m, k = at("loss_grad", trace.loss_grad)
        grad = (r"\frac{\partial L}{\partial \hat y_{" + f"{m},{k}" + r"}} = \frac{2}{N} (\hat y - y) = "
                rf"\frac{{2}}{{{n}}} ({num(predictions[m, k])} - {p(target[m, k])}) = {num(trace.loss_grad[m, k])}")
        spread = RELATIVE * 2 * float(np.dot(np.abs(diff), np.abs(predictions).ravel() + np.abs(target).ravel())) / n
        return [(_("loss"), latex, computed, trace.loss, "loss", (), spread),
                ("∂L/∂ŷ", grad, 2 / n * float(predictions[m, k] - target[m, k]), trace.loss_grad[m, k], "loss_grad",
                 (m, k), 2 / n * sum_error([predictions[m, k], target[m, k]]))]
    labels = labels_of(trace.target, predictions)
    if labels is None or name not in ("NLLCriterion", "NLLCriterionUnstable"):
        return []
    picked = predictions[np.arange(n), labels]
    if name == "NLLCriterion":
        parts, computed = terms(picked, newline=ALIGNED_BREAK), -float(np.sum(picked)) / n
        general, spread = r"-\frac{1}{N} \sum_n \hat y_{n, y_n}", sum_error(picked) / n
    else:
        clipped = np.clip(picked, 1e-15, 1 - 1e-15)
        parts, computed = terms(clipped, lambda v: rf"\log {num(v)}", np.log, newline=ALIGNED_BREAK), -float(np.sum(np.log(clipped))) / n
        general, spread = r"-\frac{1}{N} \sum_n \log \hat y_{n, y_n}", RELATIVE * (0.5 + abs(computed))
    latex = equation("L", general, rf"-\frac{{1}}{{{n}}} ({parts})", trace.loss)
    m, k = at("loss_grad", trace.loss_grad)
    lhs = r"\frac{\partial L}{\partial \hat y_{" + f"{m},{k}" + r"}}"
    if k != int(labels[m]):
        grad = (lhs + rf" = 0 \quad (k = {k} \ne y_{{{m}}} = {int(labels[m])}\text{{"
                + _(": only the true class's entry of each row gets a gradient") + "})")
        return [(_("loss"), latex, computed, trace.loss, "loss", (), spread),
                ("∂L/∂ŷ", grad, 0.0, trace.loss_grad[m, k], "loss_grad", (m, k))]
    if name == "NLLCriterion":
        rule, value = rf"-\frac{{1}}{{N}} = -\frac{{1}}{{{n}}}", -1 / n
    else:
        value = -1 / float(np.clip(predictions[m, k], 1e-15, 1 - 1e-15)) / n
        rule = rf"-\frac{{1}}{{N \hat y}} = -\frac{{1}}{{{n} \cdot {num(predictions[m, k])}}}"
    grad = (lhs + " = " + rule + f" = {num(trace.loss_grad[m, k])}"
            + rf"\quad (k = y_{{{m}}} = {k}\text{{" + _("; every other entry of the row is 0") + "})")
    return [(_("loss"), latex, computed, trace.loss, "loss", (), spread),
            ("∂L/∂ŷ", grad, value, trace.loss_grad[m, k], "loss_grad", (m, k))]


# --- update: one entry of each parameter ---

BEFORE_DIGITS = 10  # a step is far smaller than the weight: the weight before it is written to 10 digits


def superscripts():
    """(before, after, prev): the words over a parameter and a moving average, in the current language."""
    return _("before"), _("after"), _("prev")


def exactly(name, before):
    """", with W_{i,j}^before = 0.1234567891": the value a step is taken from, to more digits than its cell."""
    return rf", \quad {name}^{{\text{{{superscripts()[0]}}}}} = {num(before, BEFORE_DIGITS)}"


def adam_worked(trace, u, choose):
    """m, v and the parameter after Adam's step, for one entry."""
    c = trace.config
    b1, b2, lr, eps, t = c["beta1"], c["beta2"], c["learning_rate"], c["epsilon"], c["t"]
    at = choose(f"m:{u.param}", u.m)
    m0 = 0.0 if u.previous_m is None else float(u.previous_m[at])
    v0 = 0.0 if u.previous_v is None else float(u.previous_v[at])
    g, m, v = float(u.grad[at]), float(u.m[at]), float(u.v[at])
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    name = sub(u.param, *at)
    pre, post, prev = superscripts()
    first = equation(sub("m", *at), rf"\beta_1 \, {sub('m', *at)}^{{\text{{{prev}}}}} + (1 - \beta_1) \, {sub('g', *at)}",
                     rf"{num(b1)} \cdot {p(m0)} + {num(1 - b1)} \cdot {p(g)}", m)
    second = equation(sub("v", *at), rf"\beta_2 \, {sub('v', *at)}^{{\text{{{prev}}}}} + (1 - \beta_2) \, {sub('g', *at)}^2",
                      rf"{num(b2)} \cdot {p(v0)} + {num(1 - b2)} \cdot {p(g)}^2", v)
    after = equation(rf"{name}^{{\text{{{post}}}}}", rf"{name}^{{\text{{{pre}}}}} - \eta \, \frac{{m / (1 - \beta_1^t)}}"
                     rf"{{\sqrt{{v / (1 - \beta_2^t)}} + \epsilon}}" + exactly(name, u.before[at]),
                     rf"{num(u.before[at], BEFORE_DIGITS)} - {num(lr)} \cdot \frac{{{num(m_hat)}}}{{\sqrt{{{num(v_hat)}}} + {num(eps)}}}",
                     u.after[at])
    step = lr * m_hat / (np.sqrt(v_hat) + eps)
    return [(_("m of {param}").format(param=u.param), first, b1 * m0 + (1 - b1) * g, m, f"m:{u.param}", at, b1 * sum_error(m0) + (1 - b1) * sum_error(g)),
            (_("v of {param}").format(param=u.param), second, b2 * v0 + (1 - b2) * g * g, v, f"v:{u.param}", at, b2 * sum_error(v0) + (1 - b2) * sum_error(g, g)),
            (_("{param} after").format(param=u.param), after, float(u.before[at]) - step, u.after[at], f"after:{u.param}", at, 2 * RELATIVE * abs(step), step)]


def update_worked(trace, index, choose):
    worked = []
    for u in trace.update_records(index):
        if u.m is not None:
            worked += adam_worked(trace, u, choose)
            continue
        at = choose(f"velocity:{u.param}", u.velocity)
        v_prev = 0.0 if u.previous_velocity is None else float(u.previous_velocity[at])
        g, v = float(u.grad[at]), float(u.velocity[at])
        name = sub(u.param, *at)
        pre, post, prev = superscripts()
        velocity = equation(sub("v", *at), rf"\mu \, {sub('v', *at)}^{{\text{{{prev}}}}} + \eta \, {sub('g', *at)}",
                            rf"{num(trace.momentum)} \cdot {p(v_prev)} + {num(trace.learning_rate)} \cdot {p(g)}", v)
        after = equation(rf"{name}^{{\text{{{post}}}}}", rf"{name}^{{\text{{{pre}}}}} - v" + exactly(name, u.before[at]),
                         rf"{num(u.before[at], BEFORE_DIGITS)} - {p(v)}", u.after[at])
        worked.append((_("v of {param}").format(param=u.param), velocity, trace.momentum * v_prev + trace.learning_rate * g, v,
                       f"velocity:{u.param}", at, trace.momentum * sum_error(v_prev) + trace.learning_rate * sum_error(g)))
        worked.append((_("{param} after").format(param=u.param), after, float(u.before[at]) - v, u.after[at], f"after:{u.param}", at, sum_error(v), v))
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
        forward, record = trace.forward[stage.index], trace.backward_record(stage.index)
        x, y, g, dx = forward.input, forward.output, record.grad_output, record.grad_input
        if x.ndim > 2 and not isinstance(layer, IMAGE_LAYERS) and x.shape == y.shape:
            # elementwise on maps (ReLU after Conv2d): entry (n, j) of the rows (N, C*H*W), as the heatmaps show them
            x, y, g, dx = (np.reshape(a, (len(a), -1)) for a in (x, y, g, dx))
        if (x.ndim != 2 and not isinstance(layer, IMAGE_LAYERS)) or not (x.size and y.size):
            return []
        params = {u.param: u.before for u in trace.update_records(stage.index)}
        if stage.kind == "forward":
            builder = FORWARD.get(type(layer))
            if builder is None:
                return []
            latex, computed, index, *spread = builder(layer, x, y, params, at)
            items = [("y", latex, computed, y[index], "output", index, *spread)]
        else:
            builder = BACKWARD.get(type(layer))
            if builder is None:
                return []
            params["grads"] = record.grad_params
            items = builder(layer, x, y, g, dx, params, at)
    return [Worked(*item[:2], float(item[2]), float(item[3]), *item[4:6], *map(float, item[6:]))
            for item in items]


def errors(trace, stage, layers):
    """error(tensor id, index) -> Worked.error of that entry (how far a value worked out from the numbers as
    printed can be), or None where no by-hand working covers it: the tolerance of a Predict-first answer."""
    def error(tensor_id, index):
        def chosen(tid, array):
            if tid != tensor_id:
                return largest(tid, array)
            if np.ndim(array) == len(index):
                return tuple(index)
            # elementwise on maps: worked out on the rows (N, C*H*W)
            record = trace.forward[stage.index]
            shape = np.shape(record.output if tensor_id == "output" else record.input)
            return index[0], int(np.ravel_multi_index(tuple(index[1:]), shape[1:]))
        return next((w.error for w in by_hand(trace, stage, layers, chosen) if w.tensor == tensor_id), None)
    return error
