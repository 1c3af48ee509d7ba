"""Seeded toy datasets, scikit-learn's bundled digits, train/test split and one-hot labels."""
import importlib.util
import os
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from i18n import N_, domain

from .module import is_real

_, ngettext = domain("engine")


@dataclass(repr=False)
class Dataset:
    """Arrays of one task: X (N, D) float; y (N,) int64 labels or (N, 1) float targets."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = None        # None for regression
    task: str = "classification"  # or "regression"
    image_shape: tuple = None    # e.g. (8, 8) when each row is an image
    description: str = ""

    @property
    def n_features(self):
        return self.X_train.shape[1]

    def __repr__(self):
        kind = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return (f"Dataset({self.name!r}, {kind}, train {self.X_train.shape}, "
                f"test {self.X_test.shape})")


# --- generators: name(n_samples, seed, ...) -> (X (N, 2) float64, y (N,) int64) ---

def _counts(n_samples, parts, name):
    """Split n_samples into `parts` near-equal counts (the first ones get the remainder)."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < parts:
        raise ValueError(_("{name}: n_samples must be an integer >= {parts}, got {value}").format(
            name=name, parts=parts, value=repr(n_samples)))
    base, extra = divmod(int(n_samples), parts)
    return [base + (k < extra) for k in range(parts)]


def _shuffled(rng, X, y):
    order = rng.permutation(len(X))
    return X[order], y[order]


def _labels(counts):
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


BLOB_CENTERS = ((-3.0, -3.0), (3.0, 3.0))


def blobs(n_samples=1024, seed=0, centers=BLOB_CENTERS, cluster_std=(1.0, 2.5)):
    """Gaussian clusters: x = centers[k] + cluster_std[k] * N(0, I);  X (N, 2), y (N,) = k."""
    centers = np.asarray(centers, dtype=np.float64)
    stds = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (len(centers),))
    counts = _counts(n_samples, len(centers), "blobs")
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + s * rng.standard_normal((n, centers.shape[1]))
                        for c, s, n in zip(centers, stds, counts)])
    return _shuffled(rng, X, _labels(counts))


def circles(n_samples=1024, seed=0, factor=0.5, noise=0.05):
    """Outer circle r=1 (class 0), inner r=factor (class 1), + noise * N(0, I);  X (N, 2)."""
    if not 0 < factor < 1:
        raise ValueError(_("circles: factor must be in (0, 1), got {value}").format(value=repr(factor)))
    counts = _counts(n_samples, 2, "circles")
    rng = np.random.default_rng(seed)
    angles = [np.linspace(0, 2 * np.pi, n, endpoint=False) for n in counts]
    X = np.concatenate([r * np.c_[np.cos(t), np.sin(t)] for r, t in zip((1.0, factor), angles)])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(rng, X, _labels(counts))


def moons(n_samples=1024, seed=0, noise=0.1):
    """Two interleaved half circles (as sklearn's make_moons) + noise * N(0, I);  X (N, 2)."""
    counts = _counts(n_samples, 2, "moons")
    rng = np.random.default_rng(seed)
    upper = np.linspace(0, np.pi, counts[0])
    lower = np.linspace(0, np.pi, counts[1])
    X = np.concatenate([np.c_[np.cos(upper), np.sin(upper)],
                        np.c_[1 - np.cos(lower), 0.5 - np.sin(lower)]])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(rng, X, _labels(counts))


def xor(n_samples=1024, seed=0, noise=0.35):
    """Centres (+-1, +-1) + noise * N(0, I); class 1 where the centre's signs differ;  X (N, 2)."""
    counts = _counts(n_samples, 4, "xor")
    rng = np.random.default_rng(seed)
    centres = np.array([(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)])
    X = np.repeat(centres, counts, axis=0) + noise * rng.standard_normal((int(n_samples), 2))
    y = np.repeat(np.array([0, 0, 1, 1], dtype=np.int64), counts)
    return _shuffled(rng, X, y)


def spiral(n_samples=1024, seed=0, n_classes=3, noise=0.2):
    """K arms: r in [0, 1], angle = 4 r + 2 pi k / K + noise * N(0, 1);  X = r (sin, cos), y = k."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(_("spiral: n_classes must be an integer >= 2, got {value}").format(value=repr(n_classes)))
    counts = _counts(n_samples, n_classes, "spiral")
    rng = np.random.default_rng(seed)
    arms = []
    for k, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = 4 * r + 2 * np.pi * k / n_classes + noise * rng.standard_normal(n)
        arms.append(np.c_[r * np.sin(t), r * np.cos(t)])
    return _shuffled(rng, np.concatenate(arms), _labels(counts))


def regression_curve(n_samples=1024, seed=0, noise=0.1):
    """y = sin(2 x) + x / 2 + noise * N(0, 1), x ~ U(-2, 2);  X (N, 1), y (N, 1)."""
    _counts(n_samples, 1, "regression_curve")
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(int(n_samples), 1))
    y = np.sin(2 * X) + X / 2 + noise * rng.standard_normal(X.shape)
    return X, y


# --- scikit-learn's bundled 8x8 digits, read without importing sklearn ---

def digits_path():
    """Path of sklearn/datasets/data/digits.csv.gz, found without importing sklearn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(_("digits: the 8x8 digits ship with scikit-learn, which is not installed; "
                            "run `pip install scikit-learn`"))
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "datasets", "data", "digits.csv.gz")
        if os.path.exists(path):
            return path
    raise FileNotFoundError(_("digits: scikit-learn is installed but datasets/data/digits.csv.gz is missing under "
                              "{paths}").format(paths=list(spec.submodule_search_locations)))


def digits(seed=0, dtype=np.float64):
    """1797 images 8x8 of digits 0..9: X (1797, 64) pixels / 16 in [0, 1], y (1797,).  seed unused."""
    table = np.loadtxt(digits_path(), delimiter=",", ndmin=2)
    return (table[:, :-1] / 16.0).astype(dtype, copy=False), table[:, -1].astype(np.int64)


# --- split and one-hot ---

def _stratified_test_counts(y, n_test):
    """Per class test counts summing to n_test, proportional to class sizes (largest remainder)."""
    classes, sizes = np.unique(y, return_counts=True)
    exact = sizes * n_test / len(y)
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[:n_test - counts.sum()]:
        counts[k] += 1
    return classes, counts


def split(X, y, test_size=0.25, seed=0, stratify=None):
    """Seeded shuffle into X_train, X_test, y_train, y_test; round(test_size * N) test samples.

    stratify None: keep class proportions when y holds integer labels (N,).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(_("split: X has {n} samples but y has {m} (shapes {x_shape} and {y_shape})").format(
            n=len(X), m=len(y), x_shape=X.shape, y_shape=y.shape))
    if not is_real(test_size) or not 0 < test_size < 1:
        raise ValueError(_("split: test_size must be a fraction in (0, 1), got {value}")
                         .format(value=repr(test_size)))
    n_test = int(round(test_size * len(X)))
    if not 0 < n_test < len(X):
        raise ValueError(_("split: test_size={size} of {n} samples leaves {test} test and {train} train samples; "
                           "both must be non-empty").format(size=test_size, n=len(X), test=n_test,
                                                            train=len(X) - n_test))
    rng = np.random.default_rng(seed)
    if stratify is None:
        stratify = y.ndim == 1 and y.dtype.kind in "iu"
    if stratify:
        classes, counts = _stratified_test_counts(y, n_test)
        test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k]
                               for c, k in zip(classes, counts)])
        test = rng.permutation(test)
        train = rng.permutation(np.setdiff1d(np.arange(len(X)), test))
    else:
        order = rng.permutation(len(X))
        test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def check_labels(y, n_classes=None, where="labels"):
    """Integer class labels (N,) as int64; ValueError for negative, fractional or >= n_classes."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(_("{where}: expected class labels of shape (N,), got shape {shape}").format(
            where=where, shape=y.shape))
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (np.mod(y, 1) != 0) if y.size else np.zeros(0, bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(_("{where}: labels must be integers, got {value} at index {i}").format(
                where=where, value=repr(y[i]), i=i))
    elif y.dtype.kind not in "iub":
        raise ValueError(_("{where}: labels must be integers, got dtype {dtype}").format(where=where, dtype=y.dtype))
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        i = int(np.argmin(y))
        raise ValueError(_("{where}: labels must be >= 0, got {value} at index {i}")
                         .format(where=where, value=y[i], i=i))
    if n_classes is not None and y.size and y.max() >= n_classes:
        i = int(np.argmax(y))
        raise ValueError(_("{where}: labels must be < n_classes={n}, got {value} at index {i}").format(
            where=where, n=n_classes, value=y[i], i=i))
    return y


def one_hot(y, n_classes=None, dtype=np.float64):
    """Y[i, y_i] = 1, else 0;  y (N,) integer labels -> Y (N, K), K = n_classes or max(y) + 1."""
    y = check_labels(y, n_classes, "one_hot")
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    Y = np.zeros((len(y), int(n_classes)), dtype=dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


# --- the registry ---

DATASETS = OrderedDict([
    ("blobs", blobs),
    ("circles", circles),
    ("moons", moons),
    ("xor", xor),
    ("spiral", spiral),
    ("regression", regression_curve),
    ("digits", digits),
])

DESCRIPTIONS = {
    "blobs": N_("Two Gaussian clouds, one tight and one wide: a straight line separates them."),
    "circles": N_("A small circle inside a large one: no straight line separates them, a hidden layer can."),
    "moons": N_("Two interleaved half moons: a curved boundary is needed."),
    "xor": N_("Four clouds in the quadrants, opposite corners share a class: the classic XOR problem."),
    "spiral": N_("Spiral arms winding around the origin, one class per arm: hard for small networks."),
    "regression": N_("One input x and a noisy smooth curve y = sin(2x) + x/2: fit it with MSE."),
    "digits": N_("1797 handwritten digits as 8x8 images (64 pixels in [0, 1]), ten classes."),
}

IMAGE_SHAPES = {"digits": (8, 8)}


def described(dataset):
    """What the dataset is, in the current language (a built-in one's DESCRIPTIONS entry, translated here)."""
    return _(dataset.description) if dataset.description else repr(dataset)


def load(name, seed=0, test_size=0.25, dtype=np.float64, **kwargs):
    """Dataset `name` generated with seed and split (train 1 - test_size, test test_size)."""
    if name not in DATASETS:
        raise ValueError(_("load: unknown dataset {name}; known: {known}").format(name=repr(name),
                                                                                  known=", ".join(DATASETS)))
    X, y = DATASETS[name](seed=seed, **kwargs)
    X = X.astype(dtype, copy=False)
    regression = name == "regression"
    if regression:
        y = y.astype(dtype, copy=False)
    X_train, X_test, y_train, y_test = split(X, y, test_size=test_size, seed=seed)
    return Dataset(name, X_train, y_train, X_test, y_test,
                   n_classes=None if regression else int(y.max()) + 1,
                   task="regression" if regression else "classification",
                   image_shape=IMAGE_SHAPES.get(name), description=DESCRIPTIONS[name])
