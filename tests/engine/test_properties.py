"""Hypothesis: shapes and extreme values for the activations, and batch_generator's coverage."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine import ELU, LeakyReLU, LogSoftMax, ReLU, SoftMax, SoftPlus, batch_generator

SETTINGS = settings(max_examples=50, deadline=None)

shapes = st.tuples(st.integers(1, 8), st.integers(1, 6))
values = st.one_of(st.sampled_from([-1000.0, 1000.0, -1e-300, 0.0, 1e-300, -30.0, 30.0]),
                   st.floats(-1000, 1000, allow_nan=False, allow_infinity=False))
inputs = shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=values))

STABLE = [pytest.param(f, id=f.__name__) for f in (SoftPlus, ELU, SoftMax, LogSoftMax)]
ACTIVATIONS = [pytest.param(f, id=f.__name__) for f in (ReLU, LeakyReLU, ELU, SoftPlus, SoftMax, LogSoftMax)]


def strict_forward_backward(layer, x, g):
    """forward and backward with every NumPy warning and floating-point error raised.

    Underflow alone is allowed: exp(-2000) rounding to 0 is the correct float64 result
    (softmax([1000, -1000]) is exactly [1, 0]) and NumPy ignores it by default.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            return layer.forward(x).copy(), layer.backward(x, g).copy()


@pytest.mark.parametrize("make", STABLE)
@SETTINGS
@given(x=inputs)
def test_finite_and_silent_at_extreme_values(make, x):
    y, grad = strict_forward_backward(make(), x, np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("make", STABLE)
def test_finite_and_silent_at_plus_minus_1000(make):
    x = np.array([[1000.0, -1000.0, 0.5], [1000.0, 1000.0, 1000.0], [-1000.0, -1000.0, -1000.0]])
    y, grad = strict_forward_backward(make(), x, np.ones_like(x))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


def test_extreme_values_of_the_closed_forms():
    x = np.array([[1000.0, -1000.0]])
    np.testing.assert_allclose(SoftPlus().forward(x), [[1000.0, 0.0]], atol=1e-300)
    np.testing.assert_allclose(SoftPlus().backward(x, np.ones_like(x)), [[1.0, 0.0]], atol=1e-300)
    np.testing.assert_allclose(ELU(0.5).forward(x), [[1000.0, -0.5]])
    np.testing.assert_allclose(SoftMax().forward(x), [[1.0, 0.0]], atol=1e-300)
    np.testing.assert_allclose(LogSoftMax().forward(x), [[0.0, -2000.0]])


@SETTINGS
@given(x=inputs)
def test_softmax_rows_sum_to_one(x):
    a = SoftMax().forward(x)
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)


@SETTINGS
@given(x=inputs)
def test_logsoftmax_is_non_positive_and_exponentiates_to_softmax(x):
    b = LogSoftMax().forward(x)
    assert np.all(b <= 0)
    np.testing.assert_allclose(np.exp(b).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(b), SoftMax().forward(x), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("make", ACTIVATIONS)
@SETTINGS
@given(x=inputs, seed=st.integers(0, 2**16))
def test_forward_and_backward_keep_the_shape(make, x, seed):
    layer = make()
    g = np.random.default_rng(seed).normal(size=x.shape)
    assert layer.forward(x).shape == x.shape
    assert layer.backward(x, g).shape == x.shape


@SETTINGS
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(),
       seed=st.integers(0, 2**16))
def test_batch_generator_covers_every_sample_once(n, batch_size, shuffle, seed):
    X = np.arange(n * 2, dtype=float).reshape(n, 2)
    Y = np.arange(n)
    batches = list(batch_generator(X, Y, batch_size, shuffle=shuffle, rng=np.random.default_rng(seed)))
    assert len(batches) == -(-n // batch_size)
    sizes = [len(y) for _, y in batches]
    assert all(size == batch_size for size in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    order = np.concatenate([y for _, y in batches])
    assert sorted(order) == list(range(n))
    for x, y in batches:
        np.testing.assert_array_equal(x, X[y])  # X and Y stay paired
    if not shuffle:
        np.testing.assert_array_equal(order, np.arange(n))


def test_batch_generator_same_seed_same_order():
    X, Y = np.arange(20).reshape(10, 2), np.arange(10)
    a = [y for _, y in batch_generator(X, Y, 3, rng=np.random.default_rng(7))]
    b = [y for _, y in batch_generator(X, Y, 3, rng=np.random.default_rng(7))]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(np.concatenate(a), np.arange(10))
