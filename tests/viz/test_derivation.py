"""The LogSoftMax / SoftMax derivations: the learner's numbers, and the final step equals the recorded grad_input."""
import numpy as np
import pytest

from engine import SGD, Linear, LogSoftMax, MSECriterion, NLLCriterion, Sequential, SoftMax
from engine.trace import trace_iteration
from viz.derivation import (HEAD, MATRIX_HEAD, MAX_SHOWN, batchnorm_coupling_formula, jacobian_definition,
                            log_softmax_derivation, log_softmax_numbers, num, row, softmax_derivation,
                            softmax_numbers, vjp_formula)


def traced(last, criterion, k, seed=0):
    """A one-iteration trace of Linear(3, k) -> last; returns (input, grad_output, grad_input) of `last`."""
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(3, k, rng=rng), last)
    x = rng.normal(size=(5, 3)) * 2
    y = rng.integers(0, k, size=5) if isinstance(criterion, NLLCriterion) else rng.random((5, k))
    trace = trace_iteration(model, criterion, SGD(0.1, 0.9), x, y)
    return trace.forward_record(1).input, trace.backward_record(1).grad_output, trace.backward_record(1).grad_input


def balanced(text):
    return (text.count("{") == text.count("}")
            and text.count(r"\begin{pmatrix}") == text.count(r"\end{pmatrix}")
            and text.count(r"\begin{gathered}") == text.count(r"\end{gathered}"))


def shown_cells(v):
    """The cells a row vector shows: every entry, or the first HEAD, the dots and the last one."""
    if len(v) <= MAX_SHOWN:
        return [num(e) for e in v]
    return [num(e) for e in v[:HEAD]] + [r"\cdots", num(v[-1])]


def pmatrices(text):
    """The bodies of the pmatrix environments in text, in order."""
    return [part.split(r"\end{pmatrix}")[0] for part in text.split(r"\begin{pmatrix}")[1:]]


def cells(body):
    """The cells of a one-row pmatrix body."""
    return [cell.strip() for cell in body.split("&")]


@pytest.mark.parametrize("k", [4, 10, 12])
def test_log_softmax_final_step_equals_the_recorded_grad_input(k):
    x, g, grad_input = traced(LogSoftMax(), NLLCriterion(), k)
    s = 2
    numbers = log_softmax_numbers(x[s], g[s])
    np.testing.assert_allclose(numbers["grad_input"], grad_input[s], rtol=1e-12, atol=1e-15)
    steps = log_softmax_derivation(x[s], g[s])
    assert all(isinstance(step, str) and balanced(step) for step in steps) and len(steps) == 8
    assert cells(pmatrices(steps[-1])[0]) == shown_cells(grad_input[s])
    assert cells(pmatrices(steps[2])[0]) == shown_cells(numbers["a"])
    assert (r"\cdots" in steps[-1]) == (k > MAX_SHOWN)


def test_log_softmax_steps_hold_the_learners_numbers():
    x, g, grad_input = traced(LogSoftMax(), NLLCriterion(), 3)
    a = np.exp(x[0] - x[0].max()) / np.exp(x[0] - x[0].max()).sum()
    steps = log_softmax_derivation(x[0], g[0])
    assert num(x[0][1]) in steps[0] and num(g[0][2]) in steps[0] and "K = 3" in steps[0]
    assert num(np.log(np.exp(x[0]).sum())) in steps[1]
    assert r"I - \mathbf{1} a^{\top}" in steps[4]
    assert num(1 - a[0]) in steps[4] and num(-a[1]) in steps[4]
    assert num(g[0].sum()) in steps[6] and num(grad_input[0][0]) in steps[6]
    assert r"g - a \sum_k g_k" in steps[-1]


def test_log_softmax_jacobian_is_i_minus_one_a_transposed():
    numbers = log_softmax_numbers(np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.0]))
    a = numbers["a"]
    np.testing.assert_allclose(a.sum(), 1.0)
    np.testing.assert_allclose(numbers["J"], np.eye(3) - a[None, :])
    np.testing.assert_allclose(numbers["grad_input"], numbers["g"] @ numbers["J"])


@pytest.mark.parametrize("k", [3, 11])
def test_softmax_final_step_equals_the_recorded_grad_input(k):
    x, g, grad_input = traced(SoftMax(), MSECriterion(), k, seed=1)
    s = 4
    numbers = softmax_numbers(x[s], g[s])
    np.testing.assert_allclose(numbers["grad_input"], grad_input[s], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(numbers["grad_input"], g[s] @ numbers["J"], rtol=1e-12, atol=1e-15)
    steps = softmax_derivation(x[s], g[s])
    assert all(balanced(step) for step in steps) and len(steps) == 7
    assert cells(pmatrices(steps[-1])[0]) == shown_cells(grad_input[s])
    assert cells(pmatrices(steps[1])[0]) == shown_cells(numbers["a"])
    assert r"\operatorname{diag}(a) - a a^{\top}" in steps[3]
    assert num(numbers["g_dot_a"]) in steps[5] and r"a \odot (g - (g \cdot a)" in steps[-1]


def test_large_matrices_are_shortened():
    steps = log_softmax_derivation(np.linspace(-1, 1, 9), np.ones(9))
    (jacobian,) = pmatrices(steps[4])
    assert r"\ddots" in jacobian and r"\vdots" in jacobian
    rows = jacobian.split(r"\\")
    assert len(rows) == MATRIX_HEAD + 2  # the first rows, the dots row, the last row
    assert all(len(r.split("&")) == MATRIX_HEAD + 2 for r in rows)
    assert r"\text{(row $k$ = output, column $s$ = input)}" in steps[4].split(r"\end{pmatrix}")[1]


@pytest.mark.parametrize("k", [MAX_SHOWN, MAX_SHOWN + 1, 784])
def test_long_vectors_show_their_first_entries_dots_and_the_last(k):
    v = np.arange(1.0, k + 1)
    (body,) = pmatrices(row(v))
    if k <= MAX_SHOWN:
        assert cells(body) == [num(e) for e in v]
    else:
        assert cells(body) == [num(e) for e in v[:HEAD]] + [r"\cdots", num(k)]


def test_one_vector_a_line():
    """Every line of every step holds at most one vector (a pmatrix), so each fits an 800-pixel window."""
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=10), rng.normal(size=10)
    for steps in (log_softmax_derivation(x, g), softmax_derivation(x, g)):
        assert all(balanced(step) for step in steps)
        for step in steps:
            body = step.removeprefix(r"\begin{gathered}").removesuffix(r"\end{gathered}")
            depth, line, lines = 0, "", []
            for token in body.replace(r"\begin{pmatrix}", " <P ").replace(r"\end{pmatrix}", " P> ").split(" "):
                depth += token == "<P"
                depth -= token == "P>"
                if token == r"\\" and depth == 0:
                    lines.append(line)
                    line = ""
                else:
                    line += token + " "
            lines.append(line)
            assert all(text.count("<P") <= 1 for text in lines), step


def test_num_formats_four_significant_digits():
    assert num(0.123456) == "0.1235"
    assert num(-1.23456e-5) == r"-1.235 \cdot 10^{-5}"
    assert num(0.0) == num(-0.0) == "0"
    assert num(12345678.0) == r"1.235 \cdot 10^{7}"
    assert num(float("nan")) == r"\text{NaN}" and num(float("-inf")) == r"-\infty"


def test_rows_of_different_length_are_rejected():
    with pytest.raises(ValueError, match="equal length"):
        log_softmax_derivation(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="equal length"):
        softmax_derivation(np.zeros(0), np.zeros(0))


def test_jacobian_definition_names_rows_columns_and_sizes():
    text = jacobian_definition(10, 128, 3, 64)
    assert r"\mathbb{R}^{10 \times 128}" in text and "s = 3" in text and "N = 64" in text
    assert r"\text{row } j = \text{output}" in text and r"\text{ column } i = \text{input}" in text
    assert balanced(text)


@pytest.mark.parametrize("coupled", [False, True])
def test_vjp_formula(coupled):
    text = vjp_formula(coupled)
    assert balanced(text) and (r"\sum_{t=0}^{N-1}" in text) == coupled and ("g_s \\, J" in text) != coupled


def test_batchnorm_coupling_formula_holds_n_and_eps():
    text = batchnorm_coupling_formula(16, 1e-3)
    assert "N = 16" in text and num(1e-3) in text and r"\delta_{st}" in text and balanced(text)


@pytest.mark.parametrize("derivation", [log_softmax_derivation, softmax_derivation])
def test_the_derivation_counts_from_0_as_the_rest_of_the_app(derivation):
    """Its worked entry is x_0 (the first, as the Step page's x[n, 0]), and its sums run from 0 to K-1."""
    x, g = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.0, -0.1])
    text = " ".join(derivation(x, g))
    assert r"\partial x_0}" in text and r"\partial x_1}" not in text
    assert "=1}" not in text and "K-1}" in text
    assert "=1}" not in vjp_formula(True)
