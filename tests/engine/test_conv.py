"""Conv2d: against plain loops, finite differences, closed forms, and its errors."""
import numpy as np
import pytest

from engine import Conv2d, LayerError, Linear, ReLU, Sequential

from . import image_reference
from .cases import backward_jacobians, numeric_jacobian, numeric_jacobian_inplace

SHAPES = [  # (N, C_in, C_out, k, H, W)
    (1, 1, 1, 1, 3, 3), (2, 3, 2, 1, 4, 5), (3, 1, 4, 3, 5, 4), (2, 2, 3, 3, 1, 6),
    (1, 2, 2, 5, 6, 5), (2, 3, 2, 3, 2, 2), (1, 1, 2, 7, 3, 4),
]
IDS = [f"N{n}-C{c}-O{o}-k{k}-{h}x{w}" for n, c, o, k, h, w in SHAPES]


def make(shape, seed=0, dtype=np.float64):
    n, c, o, k, h, w = shape
    rng = np.random.default_rng(seed)
    layer = Conv2d(c, o, k, dtype=dtype, rng=rng)
    return layer, rng.uniform(-1, 1, (n, c, h, w)).astype(dtype), rng.normal(size=(n, o, h, w)).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_forward_and_backward_equal_plain_loops(shape):
    layer, x, g = make(shape)
    y = layer.forward(x)
    assert y.shape == (shape[0], shape[2]) + x.shape[2:] and y is layer.output
    np.testing.assert_allclose(y, image_reference.conv2d(x, layer.W, layer.b), rtol=1e-12, atol=1e-13)
    grad_input = layer.backward(x, g)
    expected_input, expected_W, expected_b = image_reference.conv2d_backward(x, layer.W, g)
    np.testing.assert_allclose(grad_input, expected_input, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.gradW, expected_W, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.gradb, expected_b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_every_jacobian_matches_finite_differences(shape):
    layer, x, _ = make(shape)
    J_input, J_params = backward_jacobians(layer, x)
    np.testing.assert_allclose(J_input, numeric_jacobian(lambda z: layer.forward(z).copy(), x),
                               rtol=1e-6, atol=1e-8)
    for name, value, _ in layer.named_parameters():
        numeric = numeric_jacobian_inplace(lambda: layer.forward(x).copy(), value)
        np.testing.assert_allclose(J_params[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)
        assert np.abs(numeric).max() > 0.1


# --- closed forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_grad_input_is_pad_g_correlated_with_the_flipped_channel_swapped_kernel(shape):
    layer, x, g = make(shape)
    transposed = Conv2d(layer.out_channels, layer.in_channels, layer.kernel_size)
    transposed.W[...] = layer.W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # W'[c, o, a, b] = W[o, c, k-1-a, k-1-b]
    transposed.b[...] = 0.0
    np.testing.assert_allclose(layer.backward(x, g), transposed.forward(g), rtol=1e-12, atol=1e-13)


def test_a_1x1_kernel_is_a_linear_layer_on_every_pixel():
    layer, x, g = make((3, 4, 2, 1, 5, 6))
    linear = Linear(4, 2)
    linear.W[...] = layer.W[:, :, 0, 0].T
    linear.b[...] = layer.b
    pixels = x.transpose(0, 2, 3, 1).reshape(-1, 4)  # one row per (n, i, j)
    as_image = lambda rows: rows.reshape(3, 5, 6, -1).transpose(0, 3, 1, 2)  # noqa: E731
    np.testing.assert_allclose(layer.forward(x), as_image(linear.forward(pixels)), rtol=1e-13)
    g_rows = g.transpose(0, 2, 3, 1).reshape(-1, 2)
    np.testing.assert_allclose(layer.backward(x, g), as_image(linear.backward(pixels, g_rows)), rtol=1e-13)
    np.testing.assert_allclose(layer.gradW[:, :, 0, 0], linear.gradW.T, rtol=1e-13)
    np.testing.assert_allclose(layer.gradb, linear.gradb, rtol=1e-13)


def delta_kernel(channels, k, a, b):
    """W[o, c] = 1 at (a, b) when o == c, else 0; b = 0."""
    layer = Conv2d(channels, channels, k)
    layer.W[...] = 0.0
    layer.W[np.arange(channels), np.arange(channels), a, b] = 1.0
    layer.b[...] = 0.0
    return layer


def test_a_centred_delta_kernel_is_the_identity_forward_and_backward():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    layer = delta_kernel(3, 3, 1, 1)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x, 2 * x), 2 * x)


def test_a_corner_delta_kernel_shifts_down_right_and_its_backward_shifts_back():
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4)
    layer = delta_kernel(1, 3, 0, 0)  # y[i, j] = x_pad[i, j] = x[i-1, j-1]
    expected = np.zeros_like(x)
    expected[:, :, 1:, 1:] = x[:, :, :-1, :-1]
    np.testing.assert_array_equal(layer.forward(x), expected)
    back = np.zeros_like(x)  # the flipped kernel has its 1 at (2, 2): g[i+1, j+1] comes back to (i, j)
    back[:, :, :-1, :-1] = x[:, :, 1:, 1:]
    np.testing.assert_array_equal(layer.backward(x, x), back)


def box_sums(x, k):
    """sum of x[n, :, i-p:i+p+1, j-p:j+p+1] over the channels, zeros outside, from an integral image."""
    p = k // 2
    n, _, h, w = x.shape
    padded = np.zeros((n, h + 2 * p + 1, w + 2 * p + 1))
    padded[:, 1 + p:1 + p + h, 1 + p:1 + p + w] = x.sum(axis=1)
    S = padded.cumsum(axis=1).cumsum(axis=2)  # S[:, r, c] = sum of padded[:, :r+1, :c+1]
    return S[:, k:, k:] - S[:, :-k, k:] - S[:, k:, :-k] + S[:, :-k, :-k]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_a_kernel_of_ones_gives_box_sums(k):
    rng = np.random.default_rng(k)
    x, g = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(2, 2, 6, 7))
    layer = Conv2d(3, 2, k)
    layer.W[...] = 1.0
    layer.b[...] = [0.5, -1.0]
    y = layer.forward(x)
    for o, bias in enumerate([0.5, -1.0]):
        np.testing.assert_allclose(y[:, o], box_sums(x, k) + bias, rtol=1e-12, atol=1e-12)
    # the flipped kernel of ones is ones again: grad_input is the box sum of g over the output channels
    expected = np.broadcast_to(box_sums(g, k)[:, None], x.shape)
    np.testing.assert_allclose(layer.backward(x, g), expected, rtol=1e-12, atol=1e-12)


def test_grad_params_for_a_gradient_of_ones_are_sums_of_shifted_inputs():
    x = np.random.default_rng(2).normal(size=(3, 2, 4, 5))
    layer = Conv2d(2, 3, 3)
    layer.backward(x, np.ones((3, 3, 4, 5)))
    np.testing.assert_allclose(layer.gradb, np.full(3, 3 * 4 * 5.0), rtol=1e-14)
    for o in range(3):  # gradW[o, c, a, b] = sum_{n,i,j} x[n, c, i+a-1, j+b-1], inside the image
        np.testing.assert_allclose(layer.gradW[o, :, 1, 1], x.sum(axis=(0, 2, 3)), rtol=1e-12)
        np.testing.assert_allclose(layer.gradW[o, :, 0, 0], x[:, :, :-1, :-1].sum(axis=(0, 2, 3)), rtol=1e-12)
        np.testing.assert_allclose(layer.gradW[o, :, 2, 1], x[:, :, 1:, :].sum(axis=(0, 2, 3)), rtol=1e-12)


def test_gradW_sums_over_the_batch():
    layer, x, g = make((3, 2, 2, 3, 4, 4))
    layer.backward(x, g)
    total_W, total_b = layer.gradW.copy(), layer.gradb.copy()
    per_sample = []
    for s in range(3):
        layer.forward(x[s:s + 1])
        layer.backward(x[s:s + 1], g[s:s + 1])
        per_sample.append((layer.gradW.copy(), layer.gradb.copy()))
    np.testing.assert_allclose(total_W, sum(w for w, _ in per_sample), rtol=1e-12)
    np.testing.assert_allclose(total_b, sum(b for _, b in per_sample), rtol=1e-12)


# --- the columns of the last forward ------------------------------------------------------------------

def test_backward_on_another_input_than_the_last_forward_uses_that_input():
    layer, x, g = make((2, 2, 3, 3, 4, 5))
    other = x[::-1].copy()
    layer.forward(x)
    layer.backward(other, g)
    _, expected_W, _ = image_reference.conv2d_backward(other, layer.W, g)
    np.testing.assert_allclose(layer.gradW, expected_W, rtol=1e-12)


def test_a_forward_after_writing_into_the_same_input_sees_the_new_values():
    layer, x, g = make((2, 2, 3, 3, 4, 5))
    layer.forward(x)
    x[...] = -x
    np.testing.assert_allclose(layer.forward(x), image_reference.conv2d(x, layer.W, layer.b), rtol=1e-12)
    layer.backward(x, g)
    np.testing.assert_allclose(layer.gradW, image_reference.conv2d_backward(x, layer.W, g)[1], rtol=1e-12)


def test_the_columns_are_dropped_once_the_gradients_are_made():
    layer, x, g = make((2, 2, 3, 3, 4, 5))
    layer.forward(x)
    assert layer._cols.shape == (2, 2 * 9, 20)  # kept for update_grad_params
    layer.backward(x, g)
    assert layer._cols is None and layer._cols_of is None  # a copied model does not carry them
    first = layer.gradW.copy()
    layer.update_grad_params(x, g)  # again (as the course's tests do): computed afresh, the same
    np.testing.assert_array_equal(layer.gradW, first)


# --- construction, dtype and errors -----------------------------------------------------------------

def test_init_is_uniform_within_one_over_sqrt_fan_in_and_seeded():
    layer = Conv2d(3, 16, 5, rng=np.random.default_rng(4))
    again = Conv2d(3, 16, 5, rng=np.random.default_rng(4))
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert layer.W.shape == (16, 3, 5, 5) and layer.b.shape == (16,)
    for p, q, grad in zip(layer.get_parameters(), again.get_parameters(), layer.get_grad_params()):
        assert np.all(np.abs(p) <= bound) and np.abs(p).max() > 0.9 * bound
        np.testing.assert_array_equal(p, q)
        assert grad.shape == p.shape and not np.any(grad)
    assert [name for name, _, _ in layer.named_parameters()] == ["W", "b"]
    assert repr(layer) == "Conv2d(3 -> 16, 5x5)" and layer.padding == 2


def test_float32_stays_float32():
    layer, x, g = make((2, 2, 3, 3, 4, 5), dtype=np.float32)
    assert layer.W.dtype == layer.b.dtype == np.float32
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x, g).dtype == np.float32
    assert layer.gradW.dtype == layer.gradb.dtype == np.float32


@pytest.mark.parametrize("args, parts", [
    ((1, 1, 4), ("Conv2d", "kernel_size", "odd", "4")),
    ((1, 1, 0), ("Conv2d", "kernel_size", "0")),
    ((0, 2, 3), ("Conv2d", "in_channels", "0")),
    ((2, -1, 3), ("Conv2d", "out_channels", "-1")),
    ((2, 2, 3.0), ("Conv2d", "kernel_size", "3.0")),
], ids=["even", "zero", "in0", "out_negative", "float_kernel"])
def test_impossible_constructor_arguments(args, parts):
    with pytest.raises(ValueError) as info:
        Conv2d(*args)
    assert all(part in str(info.value) for part in parts), str(info.value)


def test_an_integer_dtype_is_refused():
    with pytest.raises(ValueError, match="Conv2d: dtype"):
        Conv2d(1, 1, 3, dtype=np.int64)


@pytest.mark.parametrize("x, parts", [
    (np.ones((4, 3)), ("Conv2d(3 -> 2, 3x3)", "(N, 3, H, W)", "(4, 3)")),
    (np.ones((2, 2, 5, 5)), ("Conv2d(3 -> 2, 3x3)", "expected 3 input channels, got 2", "(2, 2, 5, 5)")),
    (np.ones((2, 3, 5)), ("(N, 3, H, W)", "(2, 3, 5)")),
    ([[1.0]], ("NumPy array", "list")),
], ids=["flat", "channels", "3d", "list"])
def test_bad_input_raises_a_layer_error_naming_the_layer_and_shapes(x, parts):
    layer = Conv2d(3, 2, 3)
    with pytest.raises(LayerError) as info:
        layer.forward(x)
    assert all(part in str(info.value) for part in parts), str(info.value)
    assert layer.output is None


def test_a_grad_output_of_the_wrong_shape_is_refused_and_changes_nothing():
    layer, x, _ = make((2, 2, 3, 3, 4, 5))
    layer.forward(x)
    with pytest.raises(LayerError, match=r"grad_output has shape \(2, 3, 4, 4\), expected .*\(2, 3, 4, 5\)"):
        layer.backward(x, np.ones((2, 3, 4, 4)))
    assert not np.any(layer.gradW) and layer.grad_input is None


def test_inside_a_sequential_the_error_names_the_layer_index():
    model = Sequential(Conv2d(1, 2, 3), ReLU(), Conv2d(3, 1, 3))
    with pytest.raises(LayerError, match=r"^layer 2 \(Conv2d\(3 -> 1, 3x3\)\): expected 3 input channels, got 2"):
        model.forward(np.ones((1, 1, 4, 4)))
