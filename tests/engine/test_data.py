"""engine.data: generators, split, registry, digits and one-hot labels."""
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from engine import data

GENERATORS = ["blobs", "circles", "moons", "xor", "spiral", "regression"]
CLASS_COUNTS = {"blobs": 2, "circles": 2, "moons": 2, "xor": 2, "spiral": 3}


# --- generators ---

@pytest.mark.parametrize("name", GENERATORS)
def test_generator_shapes_and_dtypes(name):
    X, y = data.DATASETS[name](n_samples=200, seed=0)
    assert X.dtype == np.float64 and np.all(np.isfinite(X))
    if name == "regression":
        assert X.shape == (200, 1) and y.shape == (200, 1) and y.dtype == np.float64
    else:
        assert X.shape == (200, 2) and y.shape == (200,) and y.dtype == np.int64
        assert set(np.unique(y)) == set(range(CLASS_COUNTS[name]))


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_default_size_is_1024(name):
    X, y = data.DATASETS[name]()
    assert len(X) == len(y) == 1024


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_arrays_other_seed_differs(name):
    gen = data.DATASETS[name]
    X0, y0 = gen(n_samples=300, seed=3)
    X1, y1 = gen(n_samples=300, seed=3)
    X2, _ = gen(n_samples=300, seed=4)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    assert not np.array_equal(X0, X2)


def test_generators_do_not_touch_global_random_state():
    state = np.random.get_state()[1].copy()
    for name in GENERATORS:
        data.DATASETS[name](n_samples=50)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_blobs_clusters_have_the_course_stds():
    X, y = data.blobs(n_samples=20000, seed=1)
    for k, std in enumerate((1.0, 2.5)):
        part = X[y == k]
        np.testing.assert_allclose(part.mean(axis=0), data.BLOB_CENTERS[k], atol=0.1)
        np.testing.assert_allclose(part.std(axis=0), std, rtol=0.05)
    assert np.bincount(y).tolist() == [10000, 10000]


def test_circles_radii_follow_factor():
    X, y = data.circles(n_samples=2000, seed=0, factor=0.5, noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)


def test_xor_labels_follow_quadrant_signs_without_noise():
    X, y = data.xor(n_samples=400, seed=0, noise=0.0)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64))


def test_spiral_class_count_and_radius():
    X, y = data.spiral(n_samples=500, seed=0, n_classes=5)
    assert set(np.unique(y)) == set(range(5))
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-12


def test_regression_curve_is_sin_plus_line_plus_noise():
    X, y = data.regression_curve(n_samples=500, seed=0, noise=0.0)
    np.testing.assert_allclose(y, np.sin(2 * X) + X / 2)
    assert X.min() >= -2 and X.max() <= 2


@pytest.mark.parametrize("call", [lambda: data.blobs(n_samples=1), lambda: data.spiral(n_classes=1),
                                  lambda: data.circles(factor=1.5), lambda: data.xor(n_samples=2.5)])
def test_generator_rejects_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


# --- digits ---

def test_digits_shape_classes_and_scale():
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.unique(y).tolist() == list(range(10))


def test_digits_match_sklearn():
    from sklearn.datasets import load_digits
    reference = load_digits()
    X, y = data.digits()
    np.testing.assert_allclose(X, reference.data / 16.0)
    np.testing.assert_array_equal(y, reference.target)


def test_digits_float32():
    X, _ = data.digits(dtype=np.float32)
    assert X.dtype == np.float32


def test_digits_without_sklearn_names_pip_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.digits()


def test_importing_the_data_modules_imports_numpy_only():
    code = ("import sys, engine.data, engine.csvdata, engine.training; "
            "print(sorted(m for m in ('sklearn', 'pandas', 'torch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- split ---

def test_split_is_disjoint_complete_and_sized():
    X = np.arange(100, dtype=float).reshape(50, 2)
    y = np.arange(50) % 3
    X_train, X_test, y_train, y_test = data.split(X, y, test_size=0.2, seed=1)
    assert len(X_test) == 10 and len(X_train) == 40
    rows = np.concatenate([X_train[:, 0], X_test[:, 0]])
    assert sorted(rows) == sorted(X[:, 0])  # every sample exactly once
    np.testing.assert_array_equal(y_train, (X_train[:, 0] // 2) % 3)  # rows kept with their labels
    np.testing.assert_array_equal(y_test, (X_test[:, 0] // 2) % 3)


def test_split_stratifies_integer_labels():
    y = np.array([0] * 80 + [1] * 20)
    _, _, y_train, y_test = data.split(np.zeros((100, 1)), y, test_size=0.25, seed=0)
    assert np.bincount(y_test).tolist() == [20, 5]
    assert np.bincount(y_train).tolist() == [60, 15]


def test_split_seeded():
    X, y = np.arange(40).reshape(20, 2), np.arange(20) % 2
    a, b, c = (data.split(X, y, seed=s) for s in (5, 5, 6))
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[1], c[1])


def test_split_regression_targets():
    X, y = data.regression_curve(n_samples=100)
    X_train, X_test, y_train, y_test = data.split(X, y, test_size=0.3)
    assert X_test.shape == (30, 1) and y_test.shape == (30, 1)
    np.testing.assert_allclose(np.sort(np.concatenate([y_train, y_test]), axis=0), np.sort(y, axis=0))


@pytest.mark.parametrize("test_size, words", [(0, "(0, 1)"), (1, "(0, 1)"), (1.5, "(0, 1)"),
                                              (-0.1, "(0, 1)"), (0.01, "non-empty"), (0.99, "non-empty")])
def test_split_rejects_bad_test_size(test_size, words):
    with pytest.raises(ValueError, match="test_size") as info:
        data.split(np.zeros((10, 2)), np.arange(10) % 2, test_size=test_size)
    assert words in str(info.value)


def test_split_rejects_length_mismatch():
    with pytest.raises(ValueError, match="10 samples but y has 9"):
        data.split(np.zeros((10, 2)), np.zeros(9))


# --- registry ---

@pytest.mark.parametrize("name", list(data.DATASETS))
def test_load_every_name(name):
    ds = data.load(name, seed=2)
    assert ds.name == name and ds.description.endswith(".")
    assert len(ds.X_train) + len(ds.X_test) == (1797 if name == "digits" else 1024)
    assert abs(len(ds.X_test) / (len(ds.X_train) + len(ds.X_test)) - 0.25) < 0.01
    assert ds.X_train.dtype == np.float64 and ds.X_train.shape[1] == ds.X_test.shape[1] == ds.n_features
    if name == "regression":
        assert ds.task == "regression" and ds.n_classes is None and ds.y_train.shape[1] == 1
    else:
        assert ds.task == "classification" and ds.y_train.dtype == np.int64
        assert ds.n_classes == (10 if name == "digits" else CLASS_COUNTS[name])
    assert ds.image_shape == ((8, 8) if name == "digits" else None)
    assert name in repr(ds)


def test_registry_order_and_names():
    assert list(data.DATASETS) == ["blobs", "circles", "moons", "xor", "spiral", "regression", "digits"]


def test_load_passes_kwargs_seed_and_dtype():
    ds = data.load("spiral", seed=1, test_size=0.5, n_classes=4, n_samples=400, dtype=np.float32)
    assert ds.n_classes == 4 and len(ds.X_test) == 200 and ds.X_train.dtype == np.float32
    again = data.load("spiral", seed=1, test_size=0.5, n_classes=4, n_samples=400, dtype=np.float32)
    np.testing.assert_array_equal(ds.X_train, again.X_train)


def test_load_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'.*blobs.*digits"):
        data.load("mnist")


# --- one_hot ---

def test_one_hot_round_trip():
    y = np.array([2, 0, 1, 2])
    Y = data.one_hot(y)
    np.testing.assert_array_equal(Y, np.eye(3)[y])
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y.argmax(axis=1), y)


def test_one_hot_width_and_dtype():
    Y = data.one_hot(np.array([0, 1]), n_classes=4, dtype=np.float32)
    assert Y.shape == (2, 4) and Y.dtype == np.float32


def test_one_hot_accepts_integer_valued_floats():
    np.testing.assert_array_equal(data.one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


@pytest.mark.parametrize("y, n_classes, words", [
    (np.array([0, -1]), None, ">= 0"), (np.array([0.5, 1.0]), None, "integers"),
    (np.array([0, 3]), 3, "< n_classes=3"), (np.array([[0, 1]]), None, "shape"),
    (np.array(["a", "b"]), None, "integers")])
def test_one_hot_errors(y, n_classes, words):
    with pytest.raises(ValueError, match="one_hot") as info:
        data.one_hot(y, n_classes)
    assert words in str(info.value)
