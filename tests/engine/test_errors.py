"""Bad input: every error is a ValueError that names the layer and the shapes, and changes nothing."""
import numpy as np
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LayerError, LeakyReLU, Linear,
                    LogSoftMax, MSECriterion, NLLCriterion, NLLCriterionUnstable, ReLU, Scaling,
                    Sequential, SoftMax, SoftPlus)

from .cases import walk


def snapshot(module):
    """Copies of everything an error must leave alone: parameters, grads, BN statistics, masks."""
    state = []
    for m in walk(module):
        state += [p.copy() for p in m.get_parameters() if not isinstance(m, Sequential)]
        state += [g.copy() for g in m.get_grad_params() if not isinstance(m, Sequential)]
        for attr in ("moving_mean", "moving_variance", "mask", "output", "grad_input"):
            value = getattr(m, attr, None)
            state.append(None if value is None else np.array(value, copy=True))
    return state


def assert_unchanged(module, before):
    after = snapshot(module)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)


def raises(fn, *parts, start=None):
    """Call fn, expect a ValueError whose message contains every part (and starts with start)."""
    with pytest.raises(ValueError) as info:
        fn()
    text = str(info.value)
    for part in parts:
        assert part in text, (part, text)
    if start is not None:
        assert text.startswith(start), text
    return info.value


# --- constructors -------------------------------------------------------------------------------

@pytest.mark.parametrize("make, parts", [
    (lambda: Linear(0, 3), ("Linear", "n_in", "0")),
    (lambda: Linear(2, -1), ("Linear", "n_out", "-1")),
    (lambda: Linear(2.5, 3), ("Linear", "n_in", "2.5")),
    (lambda: Linear(True, 3), ("Linear", "n_in")),
    (lambda: Linear(2, 3, dtype=np.int32), ("Linear", "dtype", "int32")),
    (lambda: Linear(2, 3, dtype=np.complex128), ("Linear", "dtype")),
    (lambda: Scaling(0), ("Scaling", "0")),
    (lambda: Scaling(3, dtype=int), ("Scaling", "dtype")),
    (lambda: Dropout(1.0), ("Dropout", "1.0")),
    (lambda: Dropout(-0.1), ("Dropout", "-0.1")),
    (lambda: Dropout(float("nan")), ("Dropout",)),
    (lambda: LeakyReLU(-0.1), ("LeakyReLU", "-0.1")),
    (lambda: LeakyReLU(float("inf")), ("LeakyReLU",)),
    (lambda: ELU(-1), ("ELU", "-1")),
    (lambda: BatchNormalization(alpha=2), ("BatchNormalization", "2")),
    (lambda: BatchNormalization(alpha=-0.1), ("BatchNormalization", "-0.1")),
], ids=["linear_n_in_0", "linear_n_out_neg", "linear_float_size", "linear_bool_size", "linear_int_dtype",
        "linear_complex_dtype", "scaling_0", "scaling_int_dtype", "dropout_1", "dropout_neg", "dropout_nan",
        "leaky_neg", "leaky_inf", "elu_neg", "bn_alpha_2", "bn_alpha_neg"])
def test_constructor_rejects_impossible_arguments(make, parts):
    raises(make, *parts)


@pytest.mark.parametrize("make", [
    lambda: LeakyReLU("0.1"), lambda: ELU("1"), lambda: Dropout("0.5"), lambda: Dropout(None),
    lambda: BatchNormalization("0.5"), lambda: SGD("0.1"), lambda: SGD(momentum="0.9"),
], ids=["leaky_str", "elu_str", "dropout_str", "dropout_none", "bn_str", "sgd_lr_str", "sgd_momentum_str"])
def test_non_numeric_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_sequential_add_rejects_non_modules():
    raises(lambda: Sequential().add(np.ones(3)), "Sequential", "ndarray")


# --- forward with the wrong shape ---------------------------------------------------------------

def trained_bn(n_features=4):
    bn = BatchNormalization(0.5)
    bn.forward(np.random.default_rng(0).normal(size=(6, n_features)))
    return bn


@pytest.mark.parametrize("make, x, start, parts", [
    (lambda: Linear(5, 2), np.ones((4, 3)), "Linear(5 -> 2): ", ("expected 5 input features, got 3", "(4, 3)")),
    (lambda: Linear(5, 2), np.ones((4,)), "Linear(5 -> 2): ", ("5", "(4,)")),
    (lambda: Linear(5, 2), np.ones((4, 5, 1)), "Linear(5 -> 2): ", ("5", "(4, 5, 1)")),
    (lambda: Scaling(4), np.ones((2, 3)), "Scaling(4): ", ("expected 4 input features, got 3", "(2, 3)")),
    (trained_bn, np.ones((2, 3)), "BatchNormalization", ("4", "3", "(2, 3)")),
    (SoftMax, np.ones(3), "SoftMax", ("(3,)",)),
    (LogSoftMax, np.ones((2, 3, 1)), "LogSoftMax", ("(2, 3, 1)",)),
    (lambda: Linear(2, 2), [[1.0, 2.0]], "Linear(2 -> 2): ", ("NumPy array", "list")),
    (ReLU, [1.0], "ReLU", ("NumPy array",)),
], ids=["linear_features", "linear_1d", "linear_3d", "scaling_features", "bn_features", "softmax_1d",
        "logsoftmax_3d", "linear_list", "relu_list"])
def test_forward_with_wrong_shape_names_layer_and_shapes(make, x, start, parts):
    layer = make()
    before = snapshot(layer)
    error = raises(lambda: layer.forward(x), *parts, start=start)
    assert isinstance(error, LayerError)
    assert_unchanged(layer, before)


def test_sequential_forward_error_names_the_layer_index():
    model = Sequential(Linear(4, 3, rng=np.random.default_rng(0)), ReLU(), Linear(5, 2))
    error = raises(lambda: model.forward(np.ones((2, 4))),
                   start="layer 2 (Linear(5 -> 2)): expected 5 input features, got 3")
    assert isinstance(error, LayerError)


def test_sequential_error_leaves_every_parameter_unchanged():
    model = Sequential(Linear(4, 3, rng=np.random.default_rng(0)), ReLU(), Linear(5, 2))
    values = [p.copy() for layer in model.get_parameters() for p in layer]
    grads = [g.copy() for layer in model.get_grad_params() for g in layer]
    with pytest.raises(LayerError):
        model.forward(np.ones((2, 4)))
    for p, p0 in zip([p for layer in model.get_parameters() for p in layer], values):
        np.testing.assert_array_equal(p, p0)
    for g, g0 in zip([g for layer in model.get_grad_params() for g in layer], grads):
        np.testing.assert_array_equal(g, g0)


def test_nested_sequential_error_names_the_outer_index_first():
    model = Sequential(Linear(4, 5), Sequential(ReLU(), Linear(4, 2)))
    raises(lambda: model.forward(np.ones((2, 4))), "Linear(4 -> 2)", "expected 4 input features, got 5",
           start="layer 1")


# --- backward with the wrong grad_output --------------------------------------------------------

@pytest.mark.parametrize("make, x", [
    (lambda: Linear(3, 2), np.ones((4, 3))),
    (lambda: Scaling(3), np.ones((4, 3))),
    (ReLU, np.ones((4, 3))), (LeakyReLU, np.ones((4, 3))), (ELU, np.ones((4, 3))), (SoftPlus, np.ones((4, 3))),
    (SoftMax, np.ones((4, 3))), (LogSoftMax, np.ones((4, 3))),
    (lambda: BatchNormalization(0.5), np.arange(12.0).reshape(4, 3)),
    (lambda: Dropout(0.5, rng=np.random.default_rng(0)), np.ones((4, 3))),
    (Flatten, np.ones((4, 3, 1))),
], ids=["linear", "scaling", "relu", "leaky", "elu", "softplus", "softmax", "logsoftmax", "bn", "dropout",
        "flatten"])
def test_backward_with_wrong_grad_output_shape(make, x):
    layer = make()
    layer.forward(x)
    layer.backward(x, np.ones_like(layer.output))
    before = snapshot(layer)
    wrong = np.ones((4, 5))
    error = raises(lambda: layer.backward(x, wrong), "grad_output", "(4, 5)", str(layer.output.shape),
                   start=repr(layer))
    assert isinstance(error, LayerError)
    assert_unchanged(layer, before)


def test_sequential_backward_error_names_the_layer_index():
    model = Sequential(Linear(4, 5), ReLU(), Linear(5, 2))
    x = np.ones((3, 4))
    model.forward(x)
    raises(lambda: model.backward(x, np.ones((3, 3))), "(3, 3)", "(3, 2)",
           start="layer 2 (Linear(5 -> 2)): grad_output")


# --- criteria -----------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [MSECriterion, NLLCriterionUnstable, NLLCriterion])
@pytest.mark.parametrize("method", ["forward", "backward"])
@pytest.mark.parametrize("target", [np.ones((4, 2)), np.ones((5,), dtype=int), np.ones((3, 3))],
                         ids=["fewer_classes", "labels_wrong_n", "fewer_rows"])
def test_criterion_shape_mismatch_names_both_shapes(make, method, target):
    criterion = make()
    x = np.full((4, 3), 0.3)
    raises(lambda: getattr(criterion, method)(x, target), type(criterion).__name__, "(4, 3)",
           str(target.shape))
    assert criterion.output is None and criterion.grad_input is None


@pytest.mark.parametrize("make", [NLLCriterionUnstable, NLLCriterion])
@pytest.mark.parametrize("labels, parts", [
    (np.array([0, 1, 3, 0]), ("[0, 3)", "3")),
    (np.array([0, -1, 2, 0]), ("[0, 3)", "-1")),
    (np.array([0.0, 1.5, 2.0, 0.0]), ("integer",)),
], ids=["too_big", "negative", "fractional"])
def test_labels_out_of_range(make, labels, parts):
    criterion = make()
    raises(lambda: criterion.forward(np.full((4, 3), 0.3), labels), type(criterion).__name__, *parts)
    raises(lambda: criterion.backward(np.full((4, 3), 0.3), labels), type(criterion).__name__, *parts)


def test_criterion_rejects_lists():
    raises(lambda: MSECriterion().forward([[1.0]], np.ones((1, 1))), "MSECriterion", "NumPy array")


# --- state-dependent errors ---------------------------------------------------------------------

@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_p_changed_to_impossible_value_raises_at_forward(p):
    d = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((4, 3))
    d.forward(x)
    d.p = p
    before = snapshot(d)
    raises(lambda: d.forward(x), "Dropout", "p", str(p), start="Dropout")
    assert_unchanged(d, before)


def test_dropout_backward_in_training_needs_a_forward():
    raises(lambda: Dropout(0.5).backward(np.ones((2, 2)), np.ones((2, 2))), "forward", start="Dropout")


def test_batchnorm_evaluate_before_training_raises():
    bn = BatchNormalization(0.9).evaluate()
    x = np.ones((3, 2))
    raises(lambda: bn.forward(x), "training", start="BatchNormalization")
    raises(lambda: bn.backward(x, x), "training", start="BatchNormalization")
    assert bn.moving_mean is None and bn.moving_variance is None and bn.output is None
