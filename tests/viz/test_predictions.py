"""viz.predictions: probabilities, decision regions, regression fit, confusion matrix, image samples."""
import numpy as np
import plotly.graph_objects as go
import pytest

from engine import (SGD, Flatten, Linear, LogSoftMax, MSECriterion, NLLCriterion, NLLCriterionUnstable, ReLU,
                    Sequential, SoftMax)
from engine.conv import Conv2d
from engine.pool import MaxPool2d
from engine import data
from engine.csvdata import load_csv
from engine.training import fit, predict
from viz.predictions import (MAX_IMAGES, class_probabilities, confusion_figure, confusion_matrix,
                             decision_regions, grid_points, image_samples_figure, last_layer_name,
                             model_confusion, predict_probabilities, predicted_classes, predicted_images,
                             prediction_views, regression_fit)


def mlp(n_in, hidden, n_out, last=LogSoftMax, seed=0):
    rng = np.random.default_rng(seed)
    layers = [Linear(n_in, hidden, rng=rng), ReLU(), Linear(hidden, n_out, rng=rng)]
    return Sequential(*layers, last()) if last else Sequential(*layers)


@pytest.fixture(scope="module")
def blobs():
    ds = data.load("blobs")
    model = mlp(2, 8, 2)
    fit(model, NLLCriterion(), SGD(0.01, 0.9), ds.X_train, ds.y_train, epochs=2, batch_size=64, rng=0)
    return ds, model


@pytest.fixture(scope="module")
def spiral():
    """Three classes through SoftMax + the unstable NLL (probabilities out)."""
    ds = data.load("spiral")
    model = mlp(2, 16, 3, last=SoftMax)
    fit(model, NLLCriterionUnstable(), SGD(0.05, 0.9), ds.X_train, ds.y_train, epochs=3, batch_size=64, rng=0)
    return ds, model


@pytest.fixture(scope="module")
def digits():
    ds = data.load("digits")
    model = mlp(64, 32, 10)
    fit(model, NLLCriterion(), SGD(0.1, 0.9), ds.X_train, ds.y_train, epochs=3, batch_size=64, rng=0)
    return ds, model


def arr(values):
    return np.asarray(values, dtype=np.float64)


# --- probabilities ---

def test_class_probabilities_of_each_output_kind():
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-5.0, 10.0, 2.5]])
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    log_p = np.log(expected)
    np.testing.assert_allclose(class_probabilities(log_p, "LogSoftMax"), expected, rtol=1e-14)
    np.testing.assert_array_equal(class_probabilities(expected, "SoftMax"), expected)
    np.testing.assert_allclose(class_probabilities(scores, "Linear"), expected, rtol=1e-14)
    np.testing.assert_allclose(class_probabilities(scores, Linear(3, 3)), expected, rtol=1e-14)
    np.testing.assert_array_equal(expected[1], [1 / 3] * 3)


def test_raw_scores_are_softmaxed_stably():
    """e^1000 overflows; the row-max shift keeps it finite (and RuntimeWarnings are errors here)."""
    p = class_probabilities(np.array([[1000.0, 1000.0, 0.0], [-1000.0, -999.0, -1001.0]]), "Linear")
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], np.exp([-1, 0, -2]) / np.exp([-1, 0, -2]).sum(), rtol=1e-14)
    with pytest.raises(ValueError, match=r"shape \(N, K\)"):
        class_probabilities(np.zeros(3), "Linear")


def test_model_probabilities_sum_to_one(digits, spiral):
    for ds, model in (digits, spiral):
        p = predict_probabilities(model, ds.X_test)
        assert p.shape == (len(ds.X_test), ds.n_classes)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    ds, model = digits
    assert last_layer_name(model) == "LogSoftMax"
    np.testing.assert_array_equal(predict_probabilities(model, ds.X_test), np.exp(predict(model, ds.X_test)))
    raw = mlp(64, 8, 10, last=None)
    assert last_layer_name(raw) == "Linear"
    np.testing.assert_allclose(predict_probabilities(raw, ds.X_test).sum(axis=1), 1.0, rtol=1e-12)


# --- decision regions ---

def test_grid_covers_the_data():
    X = np.array([[0.0, -1.0], [2.0, 3.0]])
    xs, ys, points = grid_points(X, resolution=5)
    assert points.shape == (25, 2) and xs[0] < 0 < 2 < xs[-1] and ys[0] < -1 < 3 < ys[-1]
    np.testing.assert_array_equal(points[7], [xs[2], ys[1]])  # point i*R + j = (xs[j], ys[i])


def test_two_class_regions_are_p_class_1(blobs):
    ds, model = blobs
    fig = decision_regions(model, ds.X_train, ds.y_train, ds.n_classes)
    region, *points = fig.data
    assert isinstance(region, go.Heatmap) and [type(t) for t in points] == [go.Scatter, go.Scatter]
    z = arr(region.z)
    assert z.shape == (150, 150) and len(region.x) == len(region.y) == 150
    xs, ys, grid = grid_points(ds.X_train, 150)
    np.testing.assert_array_equal(arr(region.x), xs)
    output = predict(model, grid)
    p1 = np.exp(output[:, 1]).reshape(150, 150)
    np.testing.assert_allclose(z, p1, rtol=1e-6)  # stored as float32
    clear = np.abs(p1 - 0.5) > 1e-6
    np.testing.assert_array_equal((z > 0.5)[clear], (output.argmax(axis=1).reshape(150, 150) == 1)[clear])
    assert 0 < clear.sum() and 0 < (z > 0.5).sum() < z.size  # both classes are on the grid
    for k, trace in enumerate(points):
        assert trace.name == f"class {k}"
        np.testing.assert_array_equal(np.c_[arr(trace.x), arr(trace.y)], ds.X_train[ds.y_train == k])
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis.title.text == "x₂"
    accuracy = np.mean(predict(model, ds.X_train).argmax(axis=1) == ds.y_train)
    assert f"accuracy on these {len(ds.X_train)} points {accuracy:.3f}" in fig.layout.title.text


def test_multi_class_regions_equal_predict_on_the_grid(spiral):
    ds, model = spiral
    fig = decision_regions(model, ds.X_test, ds.y_test, 3, resolution=60)
    region = fig.data[0]
    assert len(fig.data) == 4 and isinstance(region, go.Heatmap)
    z = np.asarray(region.z)
    assert z.shape == (60, 60)
    _, _, grid = grid_points(ds.X_test, 60)
    np.testing.assert_array_equal(z, predict(model, grid).argmax(axis=1).reshape(60, 60))
    assert set(np.unique(z)) == {0, 1, 2}  # three regions after 3 epochs
    assert (region.zmin, region.zmax) == (-0.5, 2.5)
    assert sum(len(t.x) for t in fig.data[1:]) == len(ds.X_test)


def test_decision_regions_reject_wrong_shapes(digits, blobs):
    ds, model = digits
    with pytest.raises(ValueError, match=r"X \(N, 2\)"):
        decision_regions(model, ds.X_test, ds.y_test, 10)
    ds, model = blobs
    with pytest.raises(ValueError, match="n_classes=3"):
        decision_regions(model, ds.X_test, ds.y_test, 3)


# --- regression ---

def test_regression_fit_curve_is_the_model():
    ds = data.load("regression")
    rng = np.random.default_rng(0)
    model = Sequential(Linear(1, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng))
    fit(model, MSECriterion(), SGD(0.01, 0.9), ds.X_train, ds.y_train, epochs=2, batch_size=64, rng=0)
    fig = regression_fit(model, ds.X_test, ds.y_test)
    points, curve = fig.data
    assert isinstance(points, go.Scatter) and points.mode == "markers" and curve.mode == "lines"
    np.testing.assert_array_equal(arr(points.x), ds.X_test[:, 0])
    np.testing.assert_array_equal(arr(points.y), ds.y_test[:, 0])
    assert len(curve.x) == 300 and arr(curve.x)[0] == ds.X_test.min() and arr(curve.x)[-1] == ds.X_test.max()
    np.testing.assert_array_equal(arr(curve.y), predict(model, arr(curve.x).reshape(-1, 1))[:, 0])
    mse = MSECriterion().forward(predict(model, ds.X_test), ds.y_test)
    assert f"= {mse:.4g} on {len(ds.X_test)} points" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "y"
    with pytest.raises(ValueError, match=r"X \(N, 1\)"):
        regression_fit(model, np.zeros((3, 2)), np.zeros((3, 1)))


# --- confusion matrix ---

def test_confusion_matrix_equals_a_hand_count(digits):
    ds, model = digits
    predicted = predict(model, ds.X_test).argmax(axis=1)
    matrix = confusion_matrix(ds.y_test, predicted, 10)
    assert matrix.shape == (10, 10) and matrix.sum() == len(ds.X_test) == 449
    hand = np.zeros((10, 10), dtype=np.int64)
    for true, guess in zip(ds.y_test, predicted):
        hand[true, guess] += 1
    np.testing.assert_array_equal(matrix, hand)
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(ds.y_test, minlength=10))
    assert np.trace(matrix) == np.sum(predicted == ds.y_test)


def test_confusion_matrix_small_and_checked():
    matrix = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    with pytest.raises(ValueError, match="< n_classes=3"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="differ"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)


def test_confusion_figure_counts_in_cells(digits):
    ds, model = digits
    matrix = confusion_matrix(ds.y_test, predict(model, ds.X_test).argmax(axis=1), 10)
    fig = confusion_figure(matrix)
    (trace,) = fig.data
    assert isinstance(trace, go.Heatmap)
    np.testing.assert_array_equal(np.asarray(trace.z), matrix)
    assert np.array(trace.text).shape == (10, 10) and trace.text[3][3] == str(matrix[3, 3])
    assert trace.texttemplate == "%{text}" and trace.zmin == 0
    assert trace.colorscale[0][1] != trace.colorscale[-1][1]
    assert trace.zmid is None  # counts: a sequential scale, not centred
    assert fig.layout.xaxis.title.text == "predicted class" and fig.layout.yaxis.title.text == "true class"
    assert fig.layout.yaxis.autorange == "reversed"
    assert f"accuracy {np.trace(matrix) / 449:.3f}" in fig.layout.title.text


# --- image samples ---

def test_image_samples_digits(digits):
    ds, model = digits
    p = predict_probabilities(model, ds.X_test)
    fig = image_samples_figure(ds.X_test, ds.y_test, p, ds.image_shape, n=8)
    images = [t for t in fig.data if isinstance(t, go.Heatmap)]
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert len(images) == len(bars) == 8 and len(fig.data) == 16
    for i, (image, bar) in enumerate(zip(images, bars)):
        np.testing.assert_array_equal(np.asarray(image.z), ds.X_test[i].reshape(8, 8))
        np.testing.assert_array_equal(arr(bar.y), p[i])
        assert arr(bar.y).sum() == pytest.approx(1.0, rel=1e-12)
        assert list(bar.x) == list(range(10))
        assert bar.marker.color[ds.y_test[i]] == "#2ca02c"  # the true class is green
    titles = [a.text for a in fig.layout.annotations]
    assert titles[8] == f"true {ds.y_test[0]} · pred {p[0].argmax()}"
    assert fig.layout.yaxis9.title.text == "P(class)" and fig.layout.xaxis9.title.text == "class"
    assert fig.layout.yaxis.autorange == "reversed"  # image row 0 at the top


def test_image_samples_chosen_indices_and_limit(digits):
    ds, model = digits
    p = predict_probabilities(model, ds.X_test)
    fig = image_samples_figure(ds.X_test, ds.y_test, p, (8, 8), indices=[5, 40, 7])
    assert len(fig.data) == 6
    np.testing.assert_array_equal(np.asarray(fig.data[2].z), ds.X_test[40].reshape(8, 8))
    assert fig.layout.annotations[1].text == "#40"
    with pytest.raises(ValueError, match=f"at most {MAX_IMAGES}"):
        image_samples_figure(ds.X_test, ds.y_test, p, (8, 8), n=MAX_IMAGES + 1, indices=range(11))


def test_image_samples_mnist_csv_layout():
    """Kaggle's layout: a label column then 784 pixels in 0..255 -> (28, 28) images."""
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 10
    pixels = rng.integers(0, 256, size=(40, 784))
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    lines += [f"{label}," + ",".join(map(str, row)) for label, row in zip(labels, pixels)]
    ds = load_csv("\n".join(lines) + "\n")
    assert ds.image_shape == (28, 28)
    model = Sequential(Linear(784, 10, rng=rng), LogSoftMax())
    fit(model, NLLCriterion(), SGD(0.01), ds.X_train, ds.y_train, epochs=1, batch_size=10, rng=0)
    p = predict_probabilities(model, ds.X_test)
    fig = image_samples_figure(ds.X_test, ds.y_test, p, ds.image_shape, n=10)
    assert len(fig.data) == 20
    assert np.asarray(fig.data[0].z).shape == (28, 28)
    np.testing.assert_array_equal(np.asarray(fig.data[18].z), ds.X_test[9].reshape(28, 28))


# --- what the Train page shows ---

def test_predicted_classes_and_model_confusion(digits):
    ds, model = digits
    predicted = predicted_classes(model, ds.X_test)
    assert predicted.shape == (449,) and predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, predict(model, ds.X_test).argmax(axis=1))
    fig = model_confusion(model, ds.X_test, ds.y_test, 10)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), confusion_matrix(ds.y_test, predicted, 10))
    assert fig.layout.xaxis.title.text == "predicted class"


def test_predicted_classes_of_an_overflowing_model_without_warnings():
    model = Sequential(Linear(2, 2, rng=np.random.default_rng(0)), LogSoftMax())
    model.get_parameters()[0][0][...] = 1e308
    predicted = predicted_classes(model, np.array([[1e308, 1e308], [0.0, 0.0]]))
    assert predicted.shape == (2,) and set(predicted) <= {0, 1}


def test_predicted_images_misclassified_first(digits):
    ds, model = digits
    p = predict_probabilities(model, ds.X_test)
    wrong = np.flatnonzero(p.argmax(axis=1) != ds.y_test)
    assert len(wrong) > 0  # the trained fixture gets some wrong
    fig = predicted_images(model, ds.X_test, ds.y_test, ds.image_shape, n=5, wrong_first=True)
    expected = np.concatenate([wrong, np.setdiff1d(np.arange(449), wrong)])[:5]
    assert [a.text for a in fig.layout.annotations[:5]] == [f"#{i}" for i in expected]
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), ds.X_test[expected[0]].reshape(8, 8))
    np.testing.assert_allclose(arr(fig.data[1].y), p[expected[0]], rtol=1e-12)
    plain = predicted_images(model, ds.X_test, ds.y_test, ds.image_shape, n=20)
    assert len(plain.data) == 2 * MAX_IMAGES  # capped at MAX_IMAGES
    assert plain.layout.annotations[0].text == "#0"


def test_prediction_views_suit_each_dataset(blobs, digits):
    ds, model = blobs
    ((name, fig),) = prediction_views(model, ds, "train")
    assert name == "decision_regions" and isinstance(fig.data[0], go.Heatmap)
    assert sum(len(t.x) for t in fig.data[1:]) == len(ds.X_train)
    ds, model = digits
    views = prediction_views(model, ds, "test", n_images=4)
    assert [name for name, _ in views] == ["confusion", "images"]
    assert np.asarray(views[0][1].data[0].z).sum() == len(ds.X_test)
    assert len(views[1][1].data) == 8
    regression = data.load("regression")
    rng = np.random.default_rng(0)
    line = Sequential(Linear(1, 1, rng=rng))
    ((name, fig),) = prediction_views(line, regression)
    assert name == "regression_fit"
    np.testing.assert_array_equal(arr(fig.data[0].x), regression.X_test[:, 0])
    with pytest.raises(ValueError, match="split must be"):
        prediction_views(line, regression, "validation")


def test_a_cnn_s_views_add_the_first_layer_s_maps_of_the_images_shown():
    ds = data.load("digits")
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 4, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, rng=rng),
                       LogSoftMax())
    views = dict(prediction_views(model, ds, "test", n_images=5, wrong_first=True, inputs=(1, 8, 8)))
    assert list(views) == ["confusion", "images", "feature_maps"]
    images, maps = views["images"], views["feature_maps"]
    shown = [a.text for a in images.layout.annotations[:5]]
    p = predict_probabilities(model, ds.X_test.reshape(-1, 1, 8, 8))
    wrong = np.flatnonzero(p.argmax(axis=1) != ds.y_test)
    assert shown == [f"#{i}" for i in wrong[:5]]  # misclassified first (an untrained model gets most wrong)
    assert len(maps.data) == 4 * 5
    assert [maps.layout[f"xaxis{15 + j + 1}"].title.text for j in range(5)] == shown  # each column under its image
    first = int(wrong[0])
    y = model.modules[0].forward(ds.X_test[first].reshape(1, 1, 8, 8))
    np.testing.assert_allclose(arr(maps.data[5].z), y[0, 1], rtol=1e-6, atol=1e-6)  # channel 1 of the first image
