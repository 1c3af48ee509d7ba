"""batch_generator: one epoch of (x_batch, y_batch) pairs."""
import numpy as np

from i18n import domain

_, ngettext = domain("engine")


def random_source(rng):
    """np.random's global state for None (as the handout), a new Generator for an int seed, else rng."""
    if rng is None:
        return np.random
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    return rng


def batch_generator(X, Y, batch_size, shuffle=True, rng=None):
    """Yield (X[idx], Y[idx]) covering every sample once; the last batch may be smaller.

    rng: a np.random.Generator, an int seed, or None for np.random's global state.
    """
    if len(X) != len(Y):
        raise ValueError(_("{where}: X has {n} samples but Y has {m} (shapes {x_shape} and {y_shape})").format(
            where="batch_generator", n=len(X), m=len(Y), x_shape=np.shape(X), y_shape=np.shape(Y)))
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(_("{layer}: {what} must be a positive integer, got {value}").format(
            layer="batch_generator", what="batch_size", value=repr(batch_size)))
    n = len(X)
    order = random_source(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]
