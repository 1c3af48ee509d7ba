"""Jacobians from backward, by central differences and in closed form; gradcheck."""
import copy

import numpy as np
import pytest

from engine import (ELU, BatchNormalization, Conv2d, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    MaxPool2d, Module, ReLU, Scaling, Sequential, SoftMax, SoftPlus)
from engine.jacobian import (GradcheckResult, analytic_jacobian, float64_copy, gradcheck, input_jacobian,
                             numerical_input_jacobian, numerical_param_jacobian, numerical_param_jacobians,
                             param_jacobian, param_jacobians)

TIGHT = dict(rtol=1e-6, atol=1e-7)


def away_from_zero(rng, shape, low=0.2, high=2.0):
    """Values with |x| in [low, high] and random signs: no ReLU kink within eps."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def trained(module, x):
    """Run one forward so masks / moving statistics exist, as after a training step."""
    module.forward(x)
    return module


def bn_eval(rng):
    bn = BatchNormalization(alpha=0.5)
    trained(bn, rng.normal(size=(6, 4)) * 2 + 1)
    return bn.evaluate()


def mlp(rng):
    return Sequential(Linear(4, 5, rng=rng), ReLU(), Linear(5, 3, rng=rng), LogSoftMax())


def deep(rng):
    return Sequential(Linear(4, 6, rng=rng), BatchNormalization(0.9), Scaling(6, rng=rng), ELU(),
                      Dropout(0.3, rng=rng), Linear(6, 5, rng=rng), LeakyReLU(0.1),
                      Linear(5, 4, rng=rng), SoftPlus(), Linear(4, 3, rng=rng), SoftMax())


def flat_dropout(rng):
    return Sequential(Flatten(), Dropout(0.4, rng=rng), Linear(6, 4, rng=rng), SoftPlus(),
                      Scaling(4, rng=rng), Linear(4, 3, rng=rng), SoftMax())


def cnn(rng):
    return Sequential(Conv2d(1, 4, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, rng=rng),
                      LogSoftMax())


# One registry drives every test: name -> rng -> (module, x).  Modules with Dropout in
# training mode have run a forward on x, so the Jacobians hold that mask.
CASES = {
    "Linear": lambda rng: (Linear(4, 3, rng=rng), rng.normal(size=(3, 4))),
    "SoftMax": lambda rng: (SoftMax(), rng.normal(size=(3, 5))),
    "LogSoftMax": lambda rng: (LogSoftMax(), rng.normal(size=(3, 5))),
    "Dropout-train": lambda rng: (lambda x: (trained(Dropout(0.4, rng=rng), x), x))(rng.normal(size=(3, 5))),
    "Dropout-eval": lambda rng: (Dropout(0.4, rng=rng).evaluate(), rng.normal(size=(3, 5))),
    "BatchNormalization-train": lambda rng: (BatchNormalization(0.5), rng.normal(size=(4, 3))),
    "BatchNormalization-eval": lambda rng: (bn_eval(rng), rng.normal(size=(3, 4))),
    "Scaling": lambda rng: (Scaling(4, rng=rng), rng.normal(size=(3, 4))),
    "Flatten": lambda rng: (Flatten(), rng.normal(size=(2, 3, 2))),
    "ReLU": lambda rng: (ReLU(), away_from_zero(rng, (3, 4))),
    "LeakyReLU": lambda rng: (LeakyReLU(0.1), away_from_zero(rng, (3, 4))),
    "ELU": lambda rng: (ELU(0.7), away_from_zero(rng, (3, 4))),
    "SoftPlus": lambda rng: (SoftPlus(), rng.normal(size=(3, 4)) * 3),
    "Conv2d": lambda rng: (Conv2d(2, 3, 3, rng=rng), rng.normal(size=(2, 2, 4, 5))),
    "MaxPool2d": lambda rng: (MaxPool2d(2), rng.normal(size=(2, 2, 4, 6))),
    "Sequential-mlp": lambda rng: (mlp(rng), rng.normal(size=(3, 4))),
    "Sequential-cnn": lambda rng: (cnn(rng), rng.normal(size=(2, 1, 8, 8))),
    "Sequential-deep": lambda rng: (lambda m, x: (trained(m, x), x))(deep(rng), rng.normal(size=(4, 4))),
    "Sequential-flatten-dropout":
        lambda rng: (lambda m, x: (trained(m, x), x))(flat_dropout(rng), rng.normal(size=(3, 2, 3))),
}
NO_CLOSED_FORM = {"BatchNormalization-train", "Sequential-deep"}  # BN in training mode couples samples


def make(name, seed=0):
    return CASES[name](np.random.default_rng(seed))


def snapshot(module):
    """Every attribute of every layer: arrays by identity and value, everything else by value."""
    state = []
    for m in [module] + list(getattr(module, "modules", [])):
        for attr, value in vars(m).items():
            if attr in ("_forward_hooks", "_backward_hooks", "modules"):
                continue
            if isinstance(value, np.ndarray):
                state.append((m, attr, value, value.copy()))
            elif isinstance(value, np.random.Generator):
                state.append((m, attr, value, copy.deepcopy(value).random()))
            else:
                state.append((m, attr, value, copy.copy(value)))
    return state


def assert_unchanged(state):
    for m, attr, ref, saved in state:
        now = getattr(m, attr)
        if isinstance(ref, np.ndarray):
            assert now is ref, f"{m!r}.{attr} was rebound"
            np.testing.assert_array_equal(now, saved, err_msg=f"{m!r}.{attr} changed")
        elif isinstance(ref, np.random.Generator):
            assert now is ref and copy.deepcopy(now).random() == saved, f"{m!r}.{attr} was drawn from"
        else:
            assert now is ref or now == saved, f"{m!r}.{attr} changed: {saved!r} -> {now!r}"


def block(J, s, n_out, n_in):
    """Sample s's block of a batch Jacobian (rows = outputs, columns = inputs)."""
    return J[s * n_out:(s + 1) * n_out, s * n_in:(s + 1) * n_in]


# --- backprop vs central differences, every layer ---

@pytest.mark.parametrize("name", CASES)
def test_input_jacobian_matches_numerical(name):
    module, x = make(name)
    y = float64_copy(module).forward(x)
    J = input_jacobian(module, x)
    assert J.shape == (y.size, x.size) and J.dtype == np.float64
    np.testing.assert_allclose(J, numerical_input_jacobian(module, x), **TIGHT)


@pytest.mark.parametrize("name", CASES)
def test_param_jacobians_match_numerical(name):
    module, x = make(name)
    names = [n for n, _, _ in module.named_parameters()]
    backprop, numerical = param_jacobians(module, x), numerical_param_jacobians(module, x)
    assert list(backprop) == names and list(numerical) == names
    n_out = float64_copy(module).forward(x).size
    for n, value, _ in module.named_parameters():
        assert backprop[n].shape == (n_out, value.size)
        np.testing.assert_allclose(backprop[n], numerical[n], **TIGHT, err_msg=n)
    if names:  # the single-name forms agree with the dict forms
        np.testing.assert_array_equal(param_jacobian(module, x, names[-1]), backprop[names[-1]])
        np.testing.assert_allclose(numerical_param_jacobian(module, x, names[0]), numerical[names[0]])


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_CLOSED_FORM))
def test_analytic_jacobian_matches_backprop_for_each_sample(name):
    module, x = make(name)
    J = input_jacobian(module, x)
    n, n_in = len(x), x[0].size
    n_out = J.shape[0] // n
    for s in range(n):
        A = analytic_jacobian(module, x[s:s + 1], sample=s)
        assert A is not None and A.shape == (n_out, n_in)
        np.testing.assert_allclose(A, block(J, s, n_out, n_in), **TIGHT, err_msg=f"sample {s}")


@pytest.mark.parametrize("name", sorted(NO_CLOSED_FORM))
def test_analytic_jacobian_is_none_with_batchnorm_in_training(name):
    module, x = make(name)
    assert analytic_jacobian(module, x[0]) is None


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_passes_on_every_correct_layer(name):
    module, x = make(name)
    result = gradcheck(module, x)
    assert isinstance(result, GradcheckResult) and result.passed and bool(result)
    assert [e.tensor for e in result.entries] == ["input"] + [n for n, _, _ in module.named_parameters()]
    assert all(e.passed and e.max_abs_error < 1e-6 for e in result.entries)


@pytest.mark.parametrize("name", CASES)
def test_no_function_changes_the_module_or_fires_its_hooks(name):
    module, x = make(name)
    calls = []
    module.register_forward_hook(lambda *args: calls.append("forward"))
    module.register_backward_hook(lambda *args: calls.append("backward"))
    state = snapshot(module)
    input_jacobian(module, x)
    numerical_input_jacobian(module, x)
    param_jacobians(module, x)
    numerical_param_jacobians(module, x)
    analytic_jacobian(module, x[:1])
    gradcheck(module, x)
    assert_unchanged(state)
    assert calls == []


# --- the row/column convention and the closed forms ---

def test_linear_analytic_jacobian_is_W_transposed_rows_outputs_columns_inputs():
    rng = np.random.default_rng(1)
    layer, x = Linear(4, 3, rng=rng), rng.normal(size=4)
    A = analytic_jacobian(layer, x)
    assert A.shape == (3, 4)
    np.testing.assert_array_equal(A, layer.W.T)
    np.testing.assert_array_equal(analytic_jacobian(layer, x[None]), A)  # (n,) and (1, n) agree
    eps, i = 1e-6, 2
    dx = np.zeros(4)
    dx[i] = eps
    dy = (layer.forward((x + dx)[None]) - layer.forward((x - dx)[None]))[0] / (2 * eps)
    np.testing.assert_allclose(A[:, i], dy, rtol=1e-8)  # column i = dy/dx_i, entry [j, i] = dy_j/dx_i


def test_batch_jacobian_is_block_diagonal_for_a_per_sample_layer():
    rng = np.random.default_rng(2)
    layer, x = Linear(4, 3, rng=rng), rng.normal(size=(2, 4))
    J = input_jacobian(layer, x)
    assert J.shape == (6, 8)  # (N * n_out, N * n_in), row-major: row n*3 + j, column m*4 + i
    for n in range(2):
        for m in range(2):
            expected = layer.W.T if n == m else np.zeros((3, 4))
            np.testing.assert_array_equal(J[n * 3:n * 3 + 3, m * 4:m * 4 + 4], expected)


def test_param_jacobian_of_linear_columns_are_W_entries_row_major():
    rng = np.random.default_rng(3)
    layer, x = Linear(2, 3, rng=rng), rng.normal(size=(1, 2))
    J = param_jacobian(layer, x, "W")
    assert J.shape == (3, 6)
    for i in range(2):  # y_j = sum_i x_i W[i, j] + b_j: dy_j / dW[i, k] = x_i [j == k], column i*3 + k
        for k in range(3):
            np.testing.assert_array_equal(J[:, i * 3 + k], x[0, i] * np.eye(3)[k])
    np.testing.assert_array_equal(param_jacobian(layer, x, "b"), np.eye(3))


def test_closed_forms_of_softmax_logsoftmax_scaling_flatten():
    rng = np.random.default_rng(4)
    x = rng.normal(size=5)
    a = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    np.testing.assert_allclose(analytic_jacobian(SoftMax(), x), np.diag(a) - np.outer(a, a), rtol=1e-12)
    np.testing.assert_allclose(analytic_jacobian(LogSoftMax(), x), np.eye(5) - np.outer(np.ones(5), a),
                               rtol=1e-12)
    scaling = Scaling(5, rng=rng)
    np.testing.assert_array_equal(analytic_jacobian(scaling, x), np.diag(scaling.gamma[0]))
    np.testing.assert_array_equal(analytic_jacobian(Flatten(), rng.normal(size=(1, 2, 3))), np.eye(6))
    relu_x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(analytic_jacobian(ReLU(), relu_x), np.diag([0.0, 1.0, 1.0]))


def test_analytic_jacobian_of_a_sequential_is_the_chain_rule_product():
    rng = np.random.default_rng(5)
    model, x = mlp(rng), rng.normal(size=4)
    first, relu, second, logsoftmax = model
    h = first.forward(x[None])
    expected = (analytic_jacobian(logsoftmax, second.forward(relu.forward(h)))
                @ analytic_jacobian(second, relu.forward(h)) @ analytic_jacobian(relu, h) @ first.W.T)
    np.testing.assert_allclose(analytic_jacobian(model, x), expected, rtol=1e-12)


def test_analytic_jacobian_is_none_for_an_unknown_module_and_for_dropout_without_mask():
    class Square(Module):
        def update_output(self, input):
            self.output = input ** 2
            return self.output

    assert analytic_jacobian(Square(), np.ones(3)) is None
    assert analytic_jacobian(Dropout(0.5), np.ones(3)) is None  # training mode, never ran forward
    assert analytic_jacobian(Sequential(Linear(3, 2), Square()), np.ones(3)) is None


def test_dropout_jacobian_is_the_mask_of_the_last_forward():
    rng = np.random.default_rng(6)
    layer, x = Dropout(0.5, rng=rng), rng.normal(size=(2, 3))
    layer.forward(x)
    mask = layer.mask.copy()
    np.testing.assert_array_equal(input_jacobian(layer, x), np.diag(mask.ravel()))
    np.testing.assert_array_equal(analytic_jacobian(layer, x[1], sample=1), np.diag(mask[1]))
    np.testing.assert_array_equal(layer.mask, mask)
    assert layer.freeze_mask is False  # only the copy is frozen


def test_dropout_mask_that_does_not_fit_is_sampled_once_and_held():
    rng = np.random.default_rng(7)
    layer = Dropout(0.5, rng=rng)
    layer.forward(rng.normal(size=(5, 3)))
    mask, x = layer.mask.copy(), rng.normal(size=(2, 3))
    result = gradcheck(layer, x)  # both Jacobians on one copy: one shared mask
    assert result.passed
    J = result.backprop["input"]
    assert np.count_nonzero(J - np.diag(np.diag(J))) == 0 and set(np.diag(J)) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer.mask, mask)
    fresh = Dropout(0.5, rng=np.random.default_rng(8))
    assert gradcheck(fresh, x).passed and fresh.mask is None


def test_dropout_row_that_does_not_exist_raises():
    layer = Dropout(0.5, rng=np.random.default_rng(9))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Dropout\(p=0.5\).*\(2, 3\)"):
        analytic_jacobian(layer, np.ones(3), sample=2)


def test_batchnorm_couples_the_samples_in_training_but_not_in_evaluate_mode():
    rng = np.random.default_rng(10)
    bn, x = BatchNormalization(alpha=0.5), rng.normal(size=(3, 2)) * 2 + 1
    J_train = input_jacobian(bn, x)
    assert bn.moving_mean is None  # the copy's forward did not reach the caller
    bn.forward(x)
    mean, var = bn.moving_mean.copy(), bn.moving_variance.copy()
    for s in range(3):
        for t in range(3):
            if s != t:
                assert np.abs(J_train[s * 2:s * 2 + 2, t * 2:t * 2 + 2]).max() > 1e-3
    bn.evaluate()
    J_eval = input_jacobian(bn, x)
    for s in range(3):
        for t in range(3):
            sub = J_eval[s * 2:s * 2 + 2, t * 2:t * 2 + 2]
            if s == t:
                np.testing.assert_allclose(sub, np.diag(1 / np.sqrt(var + BatchNormalization.EPS)), rtol=1e-12)
            else:
                assert not sub.any()
    np.testing.assert_array_equal(bn.moving_mean, mean)
    np.testing.assert_array_equal(bn.moving_variance, var)


def test_a_float32_model_is_examined_in_float64_and_stays_float32():
    rng = np.random.default_rng(11)
    model = Sequential(Linear(3, 4, dtype=np.float32, rng=rng), SoftPlus(), Linear(4, 2, dtype=np.float32, rng=rng))
    x = rng.normal(size=(2, 3)).astype(np.float32)
    J = input_jacobian(model, x)
    assert J.dtype == np.float64
    np.testing.assert_allclose(J, numerical_input_jacobian(model, x), **TIGHT)
    assert gradcheck(model, x).passed
    assert all(value.dtype == np.float32 for _, value, _ in model.named_parameters())
    clone = float64_copy(model)
    assert all(value.dtype == np.float64 for _, value, _ in clone.named_parameters())


# --- gradcheck catches a backward that is 1% off ---

class OffInputLinear(Linear):
    def update_grad_input(self, input, grad_output):
        self.grad_input = super().update_grad_input(input, grad_output) * 1.01
        return self.grad_input


class OffGradWLinear(Linear):
    def update_grad_params(self, input, grad_output):
        super().update_grad_params(input, grad_output)
        self.gradW *= 1.01


@pytest.mark.parametrize("layer_class, failing", [(OffInputLinear, "input"), (OffGradWLinear, "W")])
def test_gradcheck_fails_on_a_backward_off_by_one_percent(layer_class, failing):
    rng = np.random.default_rng(12)
    layer, x = layer_class(4, 3, rng=rng), rng.normal(size=(3, 4))
    result = gradcheck(layer, x)
    assert not result.passed and not result
    status = {e.tensor: e.passed for e in result.entries}
    assert status == {"input": failing != "input", "W": failing != "W", "b": True}
    bad = next(e for e in result.entries if e.tensor == failing)
    assert 5e-3 < bad.max_rel_error < 2e-2  # ~1% relative error


@pytest.mark.parametrize("layer_class, failing", [(OffInputLinear, "2.input"), (OffGradWLinear, "2.W")])
def test_gradcheck_locates_the_faulty_layer_in_a_sequential(layer_class, failing):
    rng = np.random.default_rng(13)
    model = Sequential(Linear(3, 4, rng=rng), ELU(), layer_class(4, 3, rng=rng), Linear(3, 2, rng=rng))
    result = gradcheck(model, rng.normal(size=(2, 3)))
    failed = [e.tensor for e in result.entries if not e.passed]
    # an off grad_input in layer 2 corrupts the input gradient and every parameter below it
    assert failed == (["input", "0.W", "0.b"] if failing == "2.input" else ["2.W"])
    assert not result.passed


def test_analytic_jacobian_exposes_an_off_backward():
    rng = np.random.default_rng(14)
    layer, x = OffInputLinear(3, 2, rng=rng), rng.normal(size=(1, 3))
    np.testing.assert_allclose(input_jacobian(layer, x), 1.01 * analytic_jacobian(layer, x), rtol=1e-12)


def test_gradcheck_rows_and_repr():
    rng = np.random.default_rng(15)
    result = gradcheck(Sequential(Linear(3, 2, rng=rng), SoftMax()), rng.normal(size=(2, 3)))
    rows = result.rows()
    assert [r["tensor"] for r in rows] == ["input", "0.W", "0.b"]
    assert set(rows[0]) == {"tensor", "shape", "max_abs_error", "max_rel_error", "worst", "passed"}
    assert [r["shape"] for r in rows] == [(4, 6), (4, 6), (4, 2)]
    assert all(r["passed"] is True and 0 <= r["max_abs_error"] < 1e-8 for r in rows)
    assert all(0 <= r["worst"][0] < r["shape"][0] and 0 <= r["worst"][1] < r["shape"][1] for r in rows)
    import pandas as pd
    assert list(pd.DataFrame(rows)["tensor"]) == ["input", "0.W", "0.b"]
    text = repr(result)
    assert text.startswith("GradcheckResult(passed=True") and "0.W" in text and "4x6" in text
    assert set(result.backprop) == set(result.numerical) == {"input", "0.W", "0.b"}


def test_gradcheck_reports_nan_as_failure():
    class NanGrad(Linear):
        def update_grad_input(self, input, grad_output):
            self.grad_input = np.full(input.shape, np.nan)
            return self.grad_input

    result = gradcheck(NanGrad(2, 2, rng=np.random.default_rng(16)), np.ones((1, 2)))
    assert not result.passed and not result.entries[0].passed


# --- errors ---

def test_bad_arguments_raise_clear_value_errors():
    layer = Linear(4, 3, rng=np.random.default_rng(17))
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match="NumPy array.*list"):
        input_jacobian(layer, [[1.0] * 4])
    with pytest.raises(ValueError, match="NumPy array"):
        gradcheck(layer, 3.0)
    for eps in (0, -1e-6, np.nan):
        with pytest.raises(ValueError, match="eps"):
            numerical_input_jacobian(layer, x, eps=eps)
        with pytest.raises(ValueError, match="eps"):
            gradcheck(layer, x, eps=eps)
    with pytest.raises(ValueError, match="atol"):
        gradcheck(layer, x, atol=-1)
    with pytest.raises(ValueError, match="Module"):
        input_jacobian("Linear", x)
    with pytest.raises(ValueError, match=r"one sample.*\(2, 4\)"):
        analytic_jacobian(layer, x)
    with pytest.raises(ValueError, match="sample"):
        analytic_jacobian(layer, x[0], sample=-1)
    with pytest.raises(ValueError, match=r"expected 4 input features, got 5"):
        input_jacobian(layer, np.ones((2, 5)))


@pytest.mark.parametrize("function", [param_jacobian, numerical_param_jacobian])
def test_unknown_parameter_name_names_the_module_and_the_known_names(function):
    rng = np.random.default_rng(18)
    with pytest.raises(ValueError, match=r"Linear\(4 -> 3\): no parameter named 'V'; known names: \['W', 'b'\]"):
        function(Linear(4, 3, rng=rng), np.ones((1, 4)), "V")
    model = Sequential(Linear(4, 3, rng=rng), ReLU())
    with pytest.raises(ValueError, match=r"Sequential\(Linear\(4 -> 3\), ReLU\).*\['0.W', '0.b'\]"):
        function(model, np.ones((1, 4)), "W")
