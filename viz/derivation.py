"""The handout's LogSoftMax (and SoftMax) backward derivation, step by step in LaTeX, with the learner's numbers.

One sample: x (K,) the layer's input row, g = dL/d(output) (K,) its grad_output row.
Indices in the LaTeX count from 0, as everywhere in the app (the handout counts from 1); the Jacobian's rows are outputs k,
its columns inputs s.  Vectors longer than MAX_SHOWN show their first HEAD entries,
an ellipsis and the last one (viz.derivation_strip draws them whole), one vector a line:
every line fits the page of an 800-pixel window.
"""
import numpy as np

from engine import LogSoftMax, SoftMax
from i18n import domain

_, ngettext = domain("viz")

DIGITS = 4       # significant digits shown
MAX_SHOWN = 5    # longer vectors are shortened
HEAD = 3         # entries shown before the ellipsis
MATRIX_MAX = 5   # larger matrices show their top-left MATRIX_HEAD corner and the last row/column
MATRIX_HEAD = 3


def num(value, digits=DIGITS):
    """A number in LaTeX with `digits` significant digits: 0.1235, -3.1 \\cdot 10^{-5}."""
    value = float(value)
    if value == 0:
        return "0"
    if not np.isfinite(value):
        return r"\text{NaN}" if np.isnan(value) else (r"\infty" if value > 0 else r"-\infty")
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text


def shown(n, limit, head):
    """Indices to show of n entries (None marks the ellipsis)."""
    return list(range(n)) if n <= limit else list(range(head)) + [None, n - 1]


def row(v):
    """A row vector as a pmatrix: (v_0 & v_1 & ... )."""
    cells = [r"\cdots" if i is None else num(v[i]) for i in shown(len(v), MAX_SHOWN, HEAD)]
    return r"\begin{pmatrix} " + " & ".join(cells) + r" \end{pmatrix}"


def matrix(M):
    """A matrix as a pmatrix, corner + last row/column with dots when larger than MATRIX_MAX."""
    rows, cols = shown(M.shape[0], MATRIX_MAX, MATRIX_HEAD), shown(M.shape[1], MATRIX_MAX, MATRIX_HEAD)

    def cell(r, c):
        if r is None:
            return r"\ddots" if c is None else r"\vdots"
        return r"\cdots" if c is None else num(M[r, c])

    body = r" \\ ".join(" & ".join(cell(r, c) for c in cols) for r in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


def lines(*parts):
    """Display lines stacked and centred in one formula: each part on its own line."""
    return r"\begin{gathered} " + r" \\ ".join(parts) + r" \end{gathered}"


def note(text):
    """A remark in words, on a line of its own under a formula."""
    return rf"\small\text{{({text})}}"


def rows_and_columns():
    """The remark under a Jacobian: which index is the row and which the column."""
    return note(_("row $k$ = output, column $s$ = input"))


def check_rows(x_row, g_row):
    """Both as float64 vectors (K,) of equal length."""
    x = np.ravel(np.asarray(x_row, dtype=np.float64))
    g = np.ravel(np.asarray(g_row, dtype=np.float64))
    if x.size == 0 or x.shape != g.shape:
        raise ValueError(f"x_row and g_row must be non-empty rows of equal length, got {x.size} and {g.size}")
    return x, g


def log_softmax_numbers(x_row, g_row):
    """{x, g, b = log softmax(x), lse, a = softmax(x), J = I - 1 a^T, sum_g, grad_input = g - a sum(g)}."""
    x, g = check_rows(x_row, g_row)
    b = LogSoftMax().forward(x[None])[0]  # the engine's own forward
    a = np.exp(b)
    return {"x": x, "g": g, "b": b, "lse": float(x[0] - b[0]), "a": a,
            "J": np.eye(a.size) - np.outer(np.ones(a.size), a), "sum_g": float(g.sum()),
            "grad_input": g - a * g.sum()}


def softmax_numbers(x_row, g_row):
    """{x, g, a = softmax(x), J = diag(a) - a a^T, g_dot_a, grad_input = a * (g - g.a)}."""
    x, g = check_rows(x_row, g_row)
    a = SoftMax().forward(x[None])[0]
    g_dot_a = float(g @ a)
    return {"x": x, "g": g, "a": a, "J": np.diag(a) - np.outer(a, a), "g_dot_a": g_dot_a,
            "grad_input": a * (g - g_dot_a)}


def setup_step(n):
    """x with K, and g, of this sample: one vector a line."""
    output = _("output")
    return lines(rf"x = {row(n['x'])}, \quad K = {n['x'].size}",
                 rf"g = \frac{{\partial L}}{{\partial \,\text{{{output}}}}} = {row(n['g'])}")


def log_softmax_derivation(x_row, g_row):
    """LaTeX steps from b = x - log sum e^x to grad_input = g - a sum(g), with this sample's numbers."""
    n = log_softmax_numbers(x_row, g_row)
    a, g, s = n["a"], n["g"], n["sum_g"]
    return [
        setup_step(n),
        lines(rf"b_k = x_k - \log \sum_{{j=0}}^{{K-1}} e^{{x_j}}, \quad \log \sum_j e^{{x_j}} = {num(n['lse'])}",
              rf"b = {row(n['b'])}"),
        lines(r"a_k = \frac{e^{x_k}}{\sum_j e^{x_j}} = e^{b_k}, \quad \sum_k a_k = " + num(a.sum()),
              rf"a = {row(a)}"),
        lines(r"\frac{\partial b_k}{\partial x_s} = \frac{\partial x_k}{\partial x_s} - "
              r"\frac{e^{x_s}}{\sum_j e^{x_j}} = \delta_{ks} - a_s",
              note(_("$1 - a_k$ on the diagonal, $-a_s$ off it"))),
        lines(r"J = \frac{\partial b}{\partial x} = I - \mathbf{1} a^{\top} =", matrix(n["J"]), rows_and_columns()),
        r"\frac{\partial L}{\partial x_s} = \sum_k g_k \frac{\partial b_k}{\partial x_s} = "
        r"g_s (1 - a_s) + \sum_{k \ne s} g_k (-a_s) = g_s - a_s \sum_{k=0}^{K-1} g_k",
        lines(rf"\sum_k g_k = {num(s)}",
              rf"\frac{{\partial L}}{{\partial x_0}} = g_0 - a_0 \sum_k g_k = "
              rf"{num(g[0])} - {num(a[0])} \cdot ({num(s)}) = {num(n['grad_input'][0])}"),
        lines(r"\text{grad\_input} = g\,J = g - a \sum_k g_k =", row(n["grad_input"])),
    ]


def softmax_derivation(x_row, g_row):
    """LaTeX steps from a = softmax(x) to grad_input = a * (g - g.a), with this sample's numbers."""
    n = softmax_numbers(x_row, g_row)
    a, g, ga = n["a"], n["g"], n["g_dot_a"]
    return [
        setup_step(n),
        lines(r"a_k = \frac{e^{x_k}}{\sum_{j=0}^{K-1} e^{x_j}}", rf"a = {row(a)}"),
        r"\frac{\partial a_k}{\partial x_s} = \frac{\delta_{ks} e^{x_k} \sum_j e^{x_j} - e^{x_k} e^{x_s}}"
        r"{(\sum_j e^{x_j})^2} = a_k (\delta_{ks} - a_s)",
        lines(r"J = \frac{\partial a}{\partial x} = \operatorname{diag}(a) - a a^{\top} =", matrix(n["J"]),
              rows_and_columns()),
        r"\frac{\partial L}{\partial x_s} = \sum_k g_k a_k (\delta_{ks} - a_s) = "
        r"a_s g_s - a_s \sum_k g_k a_k = a_s \,(g_s - g \cdot a)",
        lines(rf"g \cdot a = \sum_k g_k a_k = {num(ga)}",
              rf"\frac{{\partial L}}{{\partial x_0}} = a_0 (g_0 - g \cdot a) = "
              rf"{num(a[0])} \cdot ({num(g[0])} - ({num(ga)})) = {num(n['grad_input'][0])}"),
        lines(r"\text{grad\_input} = g\,J = a \odot (g - (g \cdot a)\,\mathbf{1}) =", row(n["grad_input"])),
    ]


# --- what the Jacobian page shows, in symbols ---

def jacobian_definition(n_out, n_in, sample, batch_size):
    """J = dy_s/dx_s (n_out, n_in): rows = outputs j, columns = inputs i, with this layer's sizes and sample."""
    row, output, column, inp = _("row"), _("output"), _("column"), _("input")
    of_batch, samples = _("of the batch's"), _("samples")
    return lines(rf"J = \frac{{\partial y_s}}{{\partial x_s}} \in \mathbb{{R}}^{{{n_out} \times {n_in}}}, \quad "
                 rf"J_{{ji}} = \frac{{\partial y_{{s,j}}}}{{\partial x_{{s,i}}}}",
                 rf"(\text{{{row} }} j = \text{{{output}}}, \text{{ {column} }} i = \text{{{inp}}}; \ "
                 rf"s = {sample} \text{{ {of_batch} }} N = {batch_size} \text{{ {samples}}})")


def vjp_formula(coupled):
    """grad_input_s = g_s J (row-wise layers) or sum_t g_t dy_t/dx_s (when the layer couples the samples)."""
    if coupled:
        return lines(r"\frac{\partial L}{\partial x_{s,i}} = \sum_{t=0}^{N-1} \sum_j g_{t,j} "
                     r"\frac{\partial y_{t,j}}{\partial x_{s,i}}",
                     note(_("every output sample $t$ depends on $x_s$")))
    return (r"\frac{\partial L}{\partial x_{s,i}} = \sum_j g_{s,j} J_{ji}, \qquad "
            r"\text{grad\_input}_s = g_s \, J \quad (g = \text{grad\_output})")


def batchnorm_coupling_formula(batch_size, eps):
    """The block dy_s/dx_t of training BatchNormalization, with the batch size N and EPS."""
    return (rf"\frac{{\partial y_s}}{{\partial x_t}} = \operatorname{{diag}}\!\left(\frac{{\delta_{{st}} - "
            rf"\frac{{1}}{{N}} - \frac{{\hat x_s \odot \hat x_t}}{{N}}}}{{\sqrt{{\sigma_B^2 + \varepsilon}}}}"
            rf"\right), \quad N = {batch_size}, \ \varepsilon = {num(eps)}")
