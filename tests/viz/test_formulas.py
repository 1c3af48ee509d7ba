"""viz.formulas: LaTeX of every layer, criterion and the SGD step carries the real numbers and shapes."""
import re

import numpy as np
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    MSECriterion, Module, NLLCriterion, NLLCriterionUnstable, ReLU, Scaling, Sequential,
                    SoftMax, SoftPlus)
from viz.formulas import (backward_formula, criterion_formula, dims, forward_formula, loss_formula,
                          loss_grad_formula, number)
from viz.optimizer_formulas import update_formula

# name -> (layer factory, input shape, output shape, forward must contain, backward must contain)
LAYER_CASES = {
    "Linear": (lambda: Linear(2, 2), (8, 2), (8, 2),
               [r"x\,W + b", r"(8 \times 2) = (8 \times 2)\,(2 \times 2) + (2)"],
               [r"W^{T}", r"(8 \times 2) = (8 \times 2)\,(2 \times 2)", r"x^{T}",
                r"(2 \times 2) = (2 \times 8)\,(8 \times 2)", r"\sum_{n=1}^{8}"]),
    "Linear 5->3": (lambda: Linear(5, 3), (16, 5), (16, 3),
                    [r"(16 \times 3) = (16 \times 5)\,(5 \times 3) + (3)"],
                    [r"(16 \times 5) = (16 \times 3)\,(3 \times 5)", r"(5 \times 3) = (5 \times 16)\,(16 \times 3)"]),
    "SoftMax": (SoftMax, (8, 3), (8, 3), [r"\max_j x_{nj}", r"(8 \times 3)"],
                [r"\operatorname{diag}(y_n) - y_n\, y_n^{T}", r"(3 \times 3)"]),
    "LogSoftMax": (LogSoftMax, (8, 2), (8, 2), [r"\log \sum_j e^{x_{nj} - m_n}"],
                   [r"I - \mathbf{1}\, a_n^{T}", r"(2 \times 2)"]),
    "Dropout": (lambda: Dropout(0.25), (8, 5), (8, 5), [r"p = 0.25", r"M \cdot 1.33333", "Bernoulli"],
                [r"M \cdot 1.33333"]),
    "BatchNormalization": (lambda: BatchNormalization(alpha=0.9), (8, 5), (8, 5),
                           [r"\varepsilon = 0.001", r"\alpha = 0.9", r"\mu_B", r"N = 8"],
                           [r"\sigma^2_B + \varepsilon", r"N = 8", r"\varepsilon = 0.001"]),
    "Scaling": (lambda: Scaling(5), (8, 5), (8, 5), [r"\odot \gamma + \beta", r"(1 \times 5)"],
                [r"\partial \gamma", r"\partial \beta", r"(1 \times 5)"]),
    "Flatten": (Flatten, (8, 2, 3), (8, 6), [r"(8 \times 2 \times 3) \to (8 \times 6)"],
                [r"(8 \times 6) \to (8 \times 2 \times 3)"]),
    "ReLU": (ReLU, (8, 4), (8, 4), [r"\max(0, x)"], [r"\mathbb{1}[x > 0]"]),
    "LeakyReLU": (lambda: LeakyReLU(slope=0.07), (8, 4), (8, 4), [r"0.07\, x"], ["0.07"]),
    "LeakyReLU default": (LeakyReLU, (8, 4), (8, 4), [r"0.03\, x"], ["0.03"]),
    "ELU": (lambda: ELU(alpha=0.5), (8, 4), (8, 4), [r"0.5\,(e^{x} - 1)", r"\alpha = 0.5"],
            [r"0.5\, e^{x}"]),
    "SoftPlus": (SoftPlus, (8, 4), (8, 4), [r"\log(1 + e^{x})"], [r"\frac{1}{1 + e^{-x}}"]),
}


def balanced(latex):
    """Unescaped { and } pair up and \\begin/\\end pair up."""
    text = latex.replace(r"\{", "").replace(r"\}", "")
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and text.count(r"\begin{") == text.count(r"\end{")


@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_formulas_hold_constants_and_shapes(name):
    factory, input_shape, output_shape, forward_parts, backward_parts = LAYER_CASES[name]
    layer = factory()
    forward = forward_formula(layer, input_shape, output_shape)
    backward = backward_formula(layer, input_shape, output_shape)
    for latex, parts in ((forward, forward_parts), (backward, backward_parts)):
        assert latex.startswith(r"\begin{aligned}") and not latex.startswith("$")
        assert balanced(latex), latex
        for part in parts:
            assert part in latex, (part, latex)
    assert r"\frac{\partial L}{\partial x" in backward


def test_dropout_and_batchnorm_formulas_follow_the_mode():
    dropout, batchnorm = Dropout(0.5), BatchNormalization(alpha=0.25)
    assert r"M \cdot 2" in forward_formula(dropout, (8, 5), (8, 5))
    dropout.evaluate()
    forward, backward = forward_formula(dropout, (8, 5), (8, 5)), backward_formula(dropout, (8, 5), (8, 5))
    assert "y &= x" in forward and "evaluate" in forward and "Bernoulli" not in forward
    assert "M" not in backward and "evaluate" in backward
    assert r"\mu_B" in forward_formula(batchnorm, (8, 5), (8, 5))
    batchnorm.evaluate()
    forward, backward = forward_formula(batchnorm, (8, 5), (8, 5)), backward_formula(batchnorm, (8, 5), (8, 5))
    assert r"\mu_B" not in forward and r"\sqrt{v + \varepsilon}" in forward and "0.001" in forward
    assert r"\frac{g}{\sqrt{v + \varepsilon}}" in backward and r"\sigma^2_B" not in backward


def test_dropout_factor_is_the_engines_mask_value():
    layer = Dropout(0.2, rng=np.random.default_rng(0))
    output = layer.forward(np.ones((64, 4)))
    kept = float(output[output != 0][0])
    assert rf"M \cdot {number(kept)}" in forward_formula(layer, (64, 4), (64, 4))
    assert number(kept) == "1.25"


def test_batchnorm_formula_reads_the_class_eps():
    layer = BatchNormalization()
    layer.EPS = 1e-5
    assert r"\varepsilon = 10^{-5}" in forward_formula(layer, (4, 3), (4, 3))


def test_dispatch_is_by_class_name_and_unknown_layers_get_a_generic_formula():
    class Linear(Module):  # a learner's own Linear: same name, another class
        pass

    assert r"x\,W + b" in forward_formula(Linear(), (4, 3), (4, 2))

    class My_Layer(Module):
        pass

    forward, backward = forward_formula(My_Layer(), (4, 3), (4, 2)), backward_formula(My_Layer(), (4, 3), (4, 2))
    assert r"\text{My\_Layer}" in forward and r"(4 \times 3) \to (4 \times 2)" in forward
    assert r"\frac{\partial y_k}{\partial x_j}" in backward and balanced(backward)
    assert r"f = \text{ReLU}" in forward_formula(Sequential(ReLU()), (4, 3), (4, 3))


@pytest.mark.parametrize("criterion", [MSECriterion(), "MSECriterion"])
def test_mse_formula(criterion):
    loss, grad = loss_formula(criterion, (8, 1)), loss_grad_formula(criterion, (8, 1))
    assert r"(\hat{y}_{nk} - y_{nk})^2" in loss and "N = 8" in loss and r"(8 \times 1)" in loss
    assert r"\frac{2}{8} (\hat{y} - y)" in grad and r"\frac{2}{N}" in grad
    assert balanced(loss) and balanced(grad)


@pytest.mark.parametrize("criterion", [NLLCriterionUnstable(), "NLLCriterionUnstable"])
def test_nll_unstable_formula_has_the_clip(criterion):
    latex = criterion_formula(criterion, (8, 3))
    assert number(NLLCriterionUnstable.EPS) == "10^{-15}"
    assert r"\epsilon = 10^{-15}" in latex and r"\operatorname{clip}(\hat{y}, \epsilon, 1 - \epsilon)" in latex
    assert r"-\frac{y}{8\, \operatorname{clip}" in latex and r"(8 \times 3)" in latex
    assert balanced(latex)


@pytest.mark.parametrize("criterion", [NLLCriterion(), "NLLCriterion", "NLLCriterion()"])
def test_nll_formula(criterion):
    loss, grad = loss_formula(criterion, (8, 2)), loss_grad_formula(criterion, (8, 2))
    assert r"y_{nk}\, \hat{y}_{nk}" in loss and "log-probabilities" in loss and "clip" not in loss
    assert r"-\frac{y}{8}" in grad
    assert criterion_formula(criterion, (8, 2)).count(r"\\") == 1


def test_unknown_criterion_is_named():
    assert r"\text{Hinge\_Loss}" in loss_formula("Hinge_Loss", (4, 2))


def test_update_formula_has_the_optimizers_numbers_order_and_sign():
    optimizer = SGD(learning_rate=1e-2, momentum=0.9)
    latex = update_formula("W", optimizer.config["learning_rate"], optimizer.config["momentum"], (2, 2))
    assert r"v_{W} &\leftarrow \mu\, v_{W} + \eta\, \frac{\partial L}{\partial W} = 0.9\, v_{W} + 0.01\," in latex
    assert r"W &\leftarrow W - v_{W}" in latex and r"(2 \times 2)" in latex
    assert balanced(latex)
    gamma = update_formula("gamma", 0.05, 0.0, (1, 5))
    assert r"v_{\gamma}" in gamma and r"0\, v_{\gamma} + 0.05\," in gamma and r"(1 \times 5)" in gamma
    assert r"v_{\text{my\_w}}" in update_formula("my_w", 1e-3, 0.5, (3,))


def test_update_formula_matches_the_engine_step():
    """The numbers in the formula reproduce what SGD did: w_after = w - (mu v + lr g) with v = 0."""
    layer = Linear(2, 2, rng=np.random.default_rng(1))
    layer.gradW[...] = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = layer.W.copy()
    optimizer = SGD(0.125, 0.5)
    optimizer.step([layer.get_parameters()], [layer.get_grad_params()])
    latex = update_formula("W", optimizer.config["learning_rate"], optimizer.config["momentum"], layer.W.shape)
    mu, lr = (float(x) for x in re.search(r"= ([\d.]+)\\, v_\{W\} \+ ([\d.]+)\\,", latex).groups())
    assert (mu, lr) == (0.5, 0.125)
    np.testing.assert_array_equal(layer.W, before - (mu * 0 + lr * layer.gradW))


@pytest.mark.parametrize("value, text", [(0.01, "0.01"), (0.9, "0.9"), (1e-15, "10^{-15}"),
                                         (2.5e-7, r"2.5 \cdot 10^{-7}"), (-1e-5, "-10^{-5}"), (3, "3"),
                                         (float("nan"), r"\text{nan}")])
def test_number(value, text):
    assert number(value) == text


def test_dims():
    assert dims((8, 2)) == r"(8 \times 2)" and dims((5,)) == "(5)" and dims(np.zeros((1, 2, 3)).shape) == \
        r"(1 \times 2 \times 3)"
