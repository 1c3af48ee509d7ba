"""LaTeX for st.latex (no $$): each layer's forward and backward with shapes, each criterion, the SGD step."""
import math

from engine.batchnorm import BatchNormalization
from engine.criteria import NLLCriterionUnstable
from i18n import domain

from viz.image_formulas import IMAGE_FORMULAS  # their functions import this module's helpers when called

DY = r"\frac{\partial L}{\partial y}"
DX = r"\frac{\partial L}{\partial x}"
GAMMA, BETA = r"\gamma", r"\beta"

_, ngettext = domain("viz")


# --- small LaTeX pieces ---

def number(x):
    """0.01 -> "0.01";  1e-15 -> "10^{-15}";  2.5e-07 -> "2.5 \\cdot 10^{-7}";  nan -> "\\text{nan}"."""
    x = float(x)
    if not math.isfinite(x):
        return rf"\text{{{x!r}}}"
    text = f"{x:.6g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return {"1": power, "-1": "-" + power}.get(mantissa, rf"{mantissa} \cdot {power}")


def dims(shape):
    """(8, 2) -> "(8 \\times 2)";  (2,) -> "(2)"."""
    return "(" + r" \times ".join(str(int(s)) for s in shape) + ")"


TEXT_ESCAPES = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#",
                              "%": r"\%", "&": r"\&", "$": r"\$", "^": r"\textasciicircum{}",
                              "~": r"\textasciitilde{}"})


def escape(text):
    """Text safe inside \\text{...}."""
    return text.translate(TEXT_ESCAPES)


def text(words):
    """\\text{words}: prose inside a formula (words already safe: a translation of ours, not user input)."""
    return r"\text{" + words + "}"


def note(text):
    """A grey side note (shapes, constants) in the formula's right-hand column."""
    return rf"&& \textcolor{{gray}}{{{text}}}"


def aligned(rows):
    """Rows joined into one aligned block; each row is "lhs &= rhs && note"."""
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def cases(positive, other):
    return rf"\begin{{cases}} {positive} & x > 0 \\ {other} & x \le 0 \end{{cases}}"


def param_symbol(name):
    """"W" -> W, "gamma" -> \\gamma, anything else -> \\text{name}."""
    if name in ("gamma", "beta", "alpha"):
        return "\\" + name
    return name if len(name) == 1 and name.isalpha() else rf"\text{{{escape(name)}}}"


def d(symbol):
    return rf"\frac{{\partial L}}{{\partial {symbol}}}"


def maps(input_shape, output_shape):
    return note(rf"{dims(input_shape)} \to {dims(output_shape)}")


# --- forward: y = f(x) ---

def linear_forward(layer, i, o):
    """y = x W + b;  (N, n_in) (n_in, n_out) + (n_out,)."""
    return [r"y &= x\,W + b " + note(rf"{dims(o)} = {dims(i)}\,{dims((i[-1], o[-1]))} + {dims(o[-1:])}")]


def softmax_forward(layer, i, o):
    return [r"y_{nk} &= \frac{e^{x_{nk} - m_n}}{\sum_j e^{x_{nj} - m_n}},\quad m_n = \max_j x_{nj} "
            + maps(i, o)]


def logsoftmax_forward(layer, i, o):
    return [r"y_{nk} &= x_{nk} - m_n - \log \sum_j e^{x_{nj} - m_n},\quad m_n = \max_j x_{nj} "
            + maps(i, o)]


def dropout_forward(layer, i, o):
    p = float(layer.p)
    if not layer.training:
        return [r"y &= x \quad " + text(_("(evaluate mode: no dropout)")) + " "
                + note(rf"{dims(i)} \to {dims(o)},\ p = {number(p)}")]
    return [rf"y &= x \odot \frac{{M}}{{1 - p}} = x \odot M \cdot {number(1 / (1 - p))} " + maps(i, o),
            rf"M_{{nk}} &\sim \mathrm{{Bernoulli}}(1 - p),\quad p = {number(p)} "
            + note(text(_("a fresh mask per batch")))]


def batchnorm_forward(layer, i, o):
    eps, alpha = number(getattr(layer, "EPS", BatchNormalization.EPS)), number(layer.alpha)
    if not layer.training:
        return [rf"y &= \frac{{x - m}}{{\sqrt{{v + \varepsilon}}}},\quad \varepsilon = {eps} " + maps(i, o),
                r"m, v &= " + text(_("moving mean, moving variance (evaluate mode)")) + " "
                + note(dims(i[-1:]))]
    return [r"\mu_B &= \frac{1}{N} \sum_n x_n,\quad \sigma^2_B = \frac{1}{N} \sum_n (x_n - \mu_B)^2 "
            + note(rf"{dims(i[-1:])},\ N = {i[0]}"),
            rf"y &= \frac{{x - \mu_B}}{{\sqrt{{\sigma^2_B + \varepsilon}}}},\quad \varepsilon = {eps} "
            + maps(i, o),
            rf"m &\leftarrow \alpha\, m + (1 - \alpha)\, \mu_B,\quad v \leftarrow \alpha\, v + (1 - \alpha)\,"
            rf" \sigma^2_B,\quad \alpha = {alpha} " + note(text(_("first batch:") + " ") + r" m = \mu_B,\ v = \sigma^2_B")]


def scaling_forward(layer, i, o):
    row = dims((1, i[-1]))
    return [r"y &= x \odot \gamma + \beta " + note(rf"{dims(o)} = {dims(i)} \odot {row} + {row}")]


def flatten_forward(layer, i, o):
    return [rf"y &= \operatorname{{reshape}}(x,\ (N, {o[-1]})) " + maps(i, o)]


def elementwise(shape):
    """The grey note beside an elementwise formula: "elementwise, (N × K)"."""
    return note(text(_("elementwise")) + r",\ " + dims(shape))


def relu_forward(layer, i, o):
    return [r"y &= \max(0, x) " + elementwise(o)]


def leakyrelu_forward(layer, i, o):
    formula = cases("x", number(layer.slope) + r"\, x")
    return [rf"y &= {formula} " + elementwise(o)]


def elu_forward(layer, i, o):
    other = rf"{number(layer.alpha)}\,(e^{{x}} - 1)"
    return [rf"y &= {cases('x', other)},\quad \alpha = {number(layer.alpha)} "
            + elementwise(o)]


def softplus_forward(layer, i, o):
    return [r"y &= \log(1 + e^{x}) " + elementwise(o)]


def generic_forward(layer, i, o):
    return [rf"y &= f(x),\quad f = \text{{{escape(repr(layer))}}} " + maps(i, o)]


# --- backward: dL/dx (and dL/dparams) from g = dL/dy ---

def linear_backward(layer, i, o):
    """dL/dx = g W^T;  dL/dW = x^T g;  dL/db = sum_n g_n."""
    n, n_in, n_out = i[0], i[-1], o[-1]
    return [rf"{DX} &= {DY}\, W^{{T}} " + note(rf"{dims(i)} = {dims(o)}\,{dims((n_out, n_in))}"),
            rf"{d('W')} &= x^{{T}}\, {DY} " + note(rf"{dims((n_in, n_out))} = {dims((n_in, n))}\,{dims(o)}"),
            rf"{d('b')} &= \sum_{{n=1}}^{{{n}}} {d('y_n')} " + note(rf"{dims((n_out,))} = \sum_{{n=1}}^{{{n}}} "
                                                                 rf"{dims((n_out,))}")]


def softmax_backward(layer, i, o):
    k = o[-1]
    return [rf"{d('x_{nk}')} &= y_{{nk}} \Big(g_{{nk}} - \sum_j g_{{nj}}\, y_{{nj}}\Big),\quad g = {DY} "
            + maps(o, i),
            r"\frac{\partial y_n}{\partial x_n} &= \operatorname{diag}(y_n) - y_n\, y_n^{T} "
            + note(dims((k, k)) + " " + text(" " + _("per sample")))]


def logsoftmax_backward(layer, i, o):
    k = o[-1]
    return [rf"{d('x_{nk}')} &= g_{{nk}} - a_{{nk}} \sum_j g_{{nj}},\quad a = \operatorname{{softmax}}(x) = e^{{y}},"
            rf"\ g = {DY} " + maps(o, i),
            r"\frac{\partial y_n}{\partial x_n} &= I - \mathbf{1}\, a_n^{T} "
            + note(dims((k, k)) + " " + text(" " + _("per sample")))]


def dropout_backward(layer, i, o):
    if not layer.training:
        return [rf"{DX} &= {DY} \quad " + text(_("(evaluate mode)")) + " " + maps(o, i)]
    p = float(layer.p)
    return [rf"{DX} &= {DY} \odot \frac{{M}}{{1 - p}} = {DY} \odot M \cdot {number(1 / (1 - p))} "
            + note(text(_("the forward's mask")) + rf",\ {dims(i)}")]


def batchnorm_backward(layer, i, o):
    eps = number(getattr(layer, "EPS", BatchNormalization.EPS))
    if not layer.training:
        return [rf"{DX} &= \frac{{g}}{{\sqrt{{v + \varepsilon}}}},\quad g = {DY},\ \varepsilon = {eps} "
                + maps(o, i)]
    return [rf"{DX} &= \frac{{N g - \sum_n g_n - \hat{{x}} \odot \sum_n g_n \odot \hat{{x}}_n}}"
            rf"{{N \sqrt{{\sigma^2_B + \varepsilon}}}},\quad g = {DY},\ \hat{{x}} = y "
            + note(rf"{dims(i)},\ N = {i[0]},\ \varepsilon = {eps}")]


def scaling_backward(layer, i, o):
    row = dims((1, i[-1]))
    return [rf"{DX} &= {DY} \odot \gamma " + note(rf"{dims(i)} = {dims(o)} \odot {row}"),
            rf"{d(GAMMA)} &= \sum_{{n=1}}^{{{i[0]}}} {d('y_n')} \odot x_n " + note(row),
            rf"{d(BETA)} &= \sum_{{n=1}}^{{{i[0]}}} {d('y_n')} " + note(row)]


def flatten_backward(layer, i, o):
    return [rf"{DX} &= \operatorname{{reshape}}\Big({DY},\ {dims(i)}\Big) " + maps(o, i)]


def relu_backward(layer, i, o):
    return [rf"{DX} &= {DY} \odot \mathbb{{1}}[x > 0] " + elementwise(i)]


def leakyrelu_backward(layer, i, o):
    return [rf"{DX} &= {DY} \odot {cases('1', number(layer.slope))} " + elementwise(i)]


def elu_backward(layer, i, o):
    other = rf"{number(layer.alpha)}\, e^{{x}}"
    return [rf"{DX} &= {DY} \odot {cases('1', other)},\quad \alpha = {number(layer.alpha)} "
            + elementwise(i)]


def softplus_backward(layer, i, o):
    return [rf"{DX} &= {DY} \odot \sigma(x) = {DY} \odot \frac{{1}}{{1 + e^{{-x}}}} "
            + elementwise(i)]


def generic_backward(layer, i, o):
    return [rf"{d('x_j')} &= \sum_k {d('y_k')}\, \frac{{\partial y_k}}{{\partial x_j}},\quad "
            rf"f = \text{{{escape(repr(layer))}}} " + maps(o, i)]


FORMULAS = {  # class name -> (forward rows, backward rows)
    "Linear": (linear_forward, linear_backward),
    "SoftMax": (softmax_forward, softmax_backward),
    "LogSoftMax": (logsoftmax_forward, logsoftmax_backward),
    "Dropout": (dropout_forward, dropout_backward),
    "BatchNormalization": (batchnorm_forward, batchnorm_backward),
    "Scaling": (scaling_forward, scaling_backward),
    "Flatten": (flatten_forward, flatten_backward),
    "ReLU": (relu_forward, relu_backward),
    "LeakyReLU": (leakyrelu_forward, leakyrelu_backward),
    "ELU": (elu_forward, elu_backward),
    "SoftPlus": (softplus_forward, softplus_backward),
    **IMAGE_FORMULAS,
}


def forward_formula(layer, input_shape, output_shape):
    """LaTeX of y = f(x) for this layer (mode-aware), with its constants and shapes."""
    rows = FORMULAS.get(type(layer).__name__, (generic_forward, None))[0]
    return aligned(rows(layer, tuple(input_shape), tuple(output_shape)))


def backward_formula(layer, input_shape, output_shape):
    """LaTeX of dL/dx (and each dL/dparam) from g = dL/dy, with the shapes of every product."""
    rows = FORMULAS.get(type(layer).__name__, (None, generic_backward))[1]
    return aligned(rows(layer, tuple(input_shape), tuple(output_shape)))


# --- criteria ---

def criterion_name(criterion):
    """"NLLCriterion" from an instance, a class name or a repr string."""
    name = criterion if isinstance(criterion, str) else type(criterion).__name__
    return name.split("(")[0].strip()


def criterion_rows(criterion, pred_shape):
    """[loss row, grad_input row] of MSE, NLLCriterionUnstable or NLLCriterion; y one-hot (N, K)."""
    name, n, shape = criterion_name(criterion), int(pred_shape[0]), dims(pred_shape)
    y_hat = r"\hat{y}"
    if name == "MSECriterion":
        return [rf"L &= \frac{{1}}{{N}} \sum_{{n,k}} (\hat{{y}}_{{nk}} - y_{{nk}})^2,\quad N = {n} "
                + note(rf"\hat{{y}}, y\ {shape}"),
                rf"{d(y_hat)} &= \frac{{2}}{{N}} (\hat{{y}} - y) = \frac{{2}}{{{n}}} (\hat{{y}} - y) " + note(shape)]
    if name == "NLLCriterionUnstable":
        eps = number(getattr(criterion, "EPS", NLLCriterionUnstable.EPS))
        clip = r"\operatorname{clip}(\hat{y}, \epsilon, 1 - \epsilon)"
        return [rf"L &= -\frac{{1}}{{N}} \sum_{{n,k}} y_{{nk}} \log {clip}_{{nk}},\quad \epsilon = {eps},\ N = {n} "
                + note(r"\hat{y} = " + text(_("probabilities")) + r",\ y = " + text(_("one-hot")) + rf"\ {shape}"),
                rf"{d(y_hat)} &= -\frac{{y}}{{N\, {clip}}} = -\frac{{y}}{{{n}\, {clip}}} " + note(shape)]
    if name == "NLLCriterion":
        return [rf"L &= -\frac{{1}}{{N}} \sum_{{n,k}} y_{{nk}}\, \hat{{y}}_{{nk}},\quad N = {n} "
                + note(r"\hat{y} = " + text(_("log-probabilities")) + r",\ y = " + text(_("one-hot")) + rf"\ {shape}"),
                rf"{d(y_hat)} &= -\frac{{y}}{{N}} = -\frac{{y}}{{{n}}} " + note(shape)]
    return [rf"L &= \text{{{escape(name)}}}(\hat{{y}}, y) " + note(shape),
            rf"{d(y_hat)} &= " + text(_("its grad\\_input")) + " " + note(shape)]


def loss_formula(criterion, pred_shape):
    """LaTeX of the criterion's loss, e.g. L = -1/N sum y log clip(y_hat, 1e-15, 1 - 1e-15)."""
    return aligned(criterion_rows(criterion, pred_shape)[:1])


def loss_grad_formula(criterion, pred_shape):
    """LaTeX of the criterion's grad_input dL/dy_hat (N, K)."""
    return aligned(criterion_rows(criterion, pred_shape)[1:])


def criterion_formula(criterion, pred_shape):
    """Loss and grad_input in one aligned block."""
    return aligned(criterion_rows(criterion, pred_shape))


# --- optimizer ---
