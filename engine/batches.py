"""batch_generator: one epoch of (x_batch, y_batch) pairs."""
import numpy as np


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
        raise ValueError(f"batch_generator: X has {len(X)} samples but Y has {len(Y)} "
                         f"(shapes {np.shape(X)} and {np.shape(Y)})")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_generator: batch_size must be a positive integer, got {batch_size!r}")
    n = len(X)
    order = random_source(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]
