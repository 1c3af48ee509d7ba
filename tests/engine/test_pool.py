"""MaxPool2d: a hand-written 4x4 with ties, plain loops, finite differences, winners, errors."""
import numpy as np
import pytest

from engine import Conv2d, LayerError, MaxPool2d, Sequential

from . import image_reference
from .cases import backward_jacobians, numeric_jacobian

# Every window of this 4x4 has a tie for its maximum; the first in row-major order wins.
X = np.array([[1.0, 3.0, 2.0, 2.0],
              [3.0, 0.0, 2.0, 1.0],
              [0.0, 0.0, 5.0, 4.0],
              [0.0, -1.0, 4.0, 5.0]])[None, None]


def test_a_hand_written_4x4_with_ties_goes_to_the_first_maximum():
    pool = MaxPool2d(2)
    np.testing.assert_array_equal(pool.forward(X), [[[[3.0, 2.0], [0.0, 5.0]]]])
    # top left: 3 at (0,1) and (1,0) -> (0,1); top right: 2 at (0,2), (0,3), (1,2) -> (0,2);
    # bottom left: 0 at (2,0), (2,1), (3,0) -> (2,0); bottom right: 5 at (2,2) and (3,3) -> (2,2)
    np.testing.assert_array_equal(pool.indices, [[[[1, 0], [0, 0]]]])
    grad = pool.backward(X, np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(grad, [[[[0.0, 10.0, 20.0, 0.0],
                                           [0.0, 0.0, 0.0, 0.0],
                                           [30.0, 0.0, 40.0, 0.0],
                                           [0.0, 0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(pool.winner_mask(), grad != 0)


SHAPES = [(1, 1, 2, 2, 1), (2, 3, 4, 6, 2), (3, 2, 6, 3, 3), (1, 2, 8, 8, 4), (2, 1, 4, 4, 4)]


@pytest.mark.parametrize("n, c, h, w, k", SHAPES)
def test_forward_and_backward_equal_plain_loops(n, c, h, w, k):
    rng = np.random.default_rng(k)
    x = rng.integers(-2, 3, (n, c, h, w)).astype(float)  # small integers: many ties
    g = rng.normal(size=(n, c, h // k, w // k))
    pool = MaxPool2d(k)
    np.testing.assert_array_equal(pool.forward(x), image_reference.maxpool2d(x, k))
    np.testing.assert_array_equal(pool.backward(x, g), image_reference.maxpool2d_grad_input(x, g, k))


@pytest.mark.parametrize("n, c, h, w, k", SHAPES)
def test_input_jacobian_matches_finite_differences(n, c, h, w, k):
    x = np.random.default_rng(0).permutation(n * c * h * w).reshape(n, c, h, w) * 0.1  # distinct values
    pool = MaxPool2d(k)
    J, params = backward_jacobians(pool, x)
    np.testing.assert_allclose(J, numeric_jacobian(lambda z: pool.forward(z).copy(), x), atol=1e-8)
    assert params == {}
    assert np.all(J.sum(axis=1) == 1)  # a selection matrix: one 1 a row


def test_kernel_1_is_the_identity():
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 5))
    pool = MaxPool2d(1)
    np.testing.assert_array_equal(pool.forward(x), x)
    np.testing.assert_array_equal(pool.backward(x, 2 * x), 2 * x)


def test_winner_mask_marks_one_maximum_per_window_of_the_last_forward():
    pool = MaxPool2d(2)
    assert pool.winner_mask() is None and pool.indices is None
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 6))
    y = pool.forward(x)
    mask = pool.winner_mask()
    assert mask.shape == x.shape and mask.dtype == bool
    windows = mask.reshape(2, 3, 2, 2, 3, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(windows, np.ones((2, 3, 2, 3)))
    winners = image_reference.maxpool2d(np.where(mask, x, -np.inf), 2)  # each window's only marked value
    np.testing.assert_array_equal(winners, y)
    pool.forward(x[:1, :2])
    assert pool.winner_mask().shape == (1, 2, 4, 6)


def test_backward_on_another_input_than_the_last_forward_routes_by_that_input():
    rng = np.random.default_rng(3)
    x, other, g = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(2, 2, 2, 2))
    pool = MaxPool2d(2)
    pool.forward(x)
    np.testing.assert_array_equal(pool.backward(other, g), image_reference.maxpool2d_grad_input(other, g, 2))


def test_float32_in_float32_out_and_no_mutation():
    x = np.random.default_rng(4).normal(size=(2, 2, 4, 4)).astype(np.float32)
    g = np.ones((2, 2, 2, 2), np.float32)
    x0, g0 = x.copy(), g.copy()
    pool = MaxPool2d(2)
    assert pool.forward(x).dtype == np.float32 and pool.backward(x, g).dtype == np.float32
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
    assert pool.get_parameters() == [] and repr(pool) == "MaxPool2d(2)"


@pytest.mark.parametrize("shape, parts", [
    ((1, 1, 5, 4), ("MaxPool2d(2)", "divisible by the kernel size 2", "H = 5, W = 4", "(1, 1, 5, 4)")),
    ((2, 3, 4, 7), ("MaxPool2d(2)", "divisible", "W = 7", "(2, 3, 4, 7)")),
    ((4, 16), ("MaxPool2d(2)", "(N, C, H, W)", "(4, 16)")),
], ids=["H", "W", "flat"])
def test_bad_input_raises_a_layer_error_naming_the_layer_and_shapes(shape, parts):
    pool = MaxPool2d(2)
    with pytest.raises(LayerError) as info:
        pool.forward(np.ones(shape))
    assert all(part in str(info.value) for part in parts), str(info.value)
    assert pool.output is None and pool.indices is None


def test_a_grad_output_of_the_wrong_shape_is_refused():
    pool = MaxPool2d(2)
    x = np.ones((1, 1, 4, 4))
    pool.forward(x)
    with pytest.raises(LayerError, match=r"grad_output has shape \(1, 1, 4, 4\), expected .*\(1, 1, 2, 2\)"):
        pool.backward(x, x)


@pytest.mark.parametrize("k", [0, -2, 2.0, True])
def test_impossible_kernel_sizes(k):
    with pytest.raises(ValueError, match="MaxPool2d: kernel_size"):
        MaxPool2d(k)


def test_inside_a_sequential_the_error_names_the_layer_index():
    model = Sequential(Conv2d(1, 2, 3), MaxPool2d(3))
    with pytest.raises(LayerError, match=r"^layer 1 \(MaxPool2d\(3\)\): H and W must be divisible"):
        model.forward(np.ones((1, 1, 4, 6)))
