"""viz.data_view: the batch's images in order with their labels, and each sample's prediction table."""
import numpy as np
import pandas as pd
import pytest

from engine import LogSoftMax, MSECriterion, NLLCriterion, NLLCriterionUnstable, SoftMax
from engine.data import load, one_hot
from viz.data_view import (MAX_WIDTH, WRONG, batch_images_figure, class_labels, prediction_rows,
                           prediction_table)

RNG = np.random.default_rng(5)


def tiles(fig, n, shape):
    """The n images cut back out of the figure's mosaic, by the (sample, row, column) each cell carries."""
    z, where = np.asarray(fig.data[0].z, dtype=float), np.asarray(fig.data[0].customdata)
    images = np.full((n, *shape), np.nan)
    cells = where[..., 0] >= 0
    images[where[cells][:, 0], where[cells][:, 1], where[cells][:, 2]] = z[cells]
    return images, z, where


# --- images ---

def test_digits_batch_is_drawn_in_order_with_its_labels():
    digits = load("digits")
    x, y = digits.X_train[:12], digits.y_train[:12]
    fig = batch_images_figure(x, digits.image_shape, y)
    heat = fig.data[0]
    assert len(fig.data) == 1 and heat.type == "heatmap" and not heat.showscale
    assert heat.colorscale[0][1] == "rgb(255,255,255)" and heat.colorscale[-1][1] == "rgb(0,0,0)"  # ink dark
    assert (heat.zmin, heat.zmax) == (x.min(), x.max())  # one grey scale for the whole batch
    images, z, where = tiles(fig, 12, (8, 8))
    np.testing.assert_array_equal(images, x.reshape(12, 8, 8))  # every pixel of every sample, in place
    assert np.isnan(z[where[..., 0] < 0]).all()  # the gaps are empty
    first_cells = [np.argwhere(where[..., 0] == i)[0] for i in range(12)]  # top-left pixel of each image
    rows = [r for r, _ in first_cells]
    cols = [c for _, c in first_cells]
    assert rows[:8] == [rows[0]] * 8 and rows[8] > rows[0] and cols[:8] == sorted(cols[:8])  # left to right
    assert cols[8] == cols[0]  # then the next row starts under the first image
    texts = [a.text for a in fig.layout.annotations]
    assert texts == [str(v) for v in y]
    for (r, c), note in zip(first_cells, fig.layout.annotations):  # each label just above its image
        assert note.y < r and r - note.y < 2 and c <= note.x <= c + 7
    assert not fig.layout.xaxis.visible and not fig.layout.yaxis.visible
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # row 0 at the top


@pytest.mark.parametrize("n, shape", [(32, (8, 8)), (128, (8, 8)), (5, (28, 28)), (64, (28, 28))])
def test_the_figure_has_a_known_size_that_fits_an_800_pixel_window(n, shape):
    x = RNG.random((n, shape[0] * shape[1]))
    fig = batch_images_figure(x, shape, RNG.integers(0, 10, n))
    assert 0 < fig.layout.width <= MAX_WIDTH and 0 < fig.layout.height <= 520
    shown = min(n, 32)
    images, _, _ = tiles(fig, shown, shape)
    np.testing.assert_array_equal(images, x[:shown].reshape(shown, *shape))
    note = "the first 32 of the batch's"
    assert (note in fig.layout.title.text) == (n > 32) and f"{shape[0]}×{shape[1]}" in fig.layout.title.text
    assert len(fig.layout.annotations) == shown


def test_one_hot_labels_no_labels_and_max_images():
    x = RNG.random((6, 16))
    labelled = batch_images_figure(x, (4, 4), one_hot(np.array([3, 1, 0, 2, 2, 1]), 4), max_images=4)
    assert [a.text for a in labelled.layout.annotations] == ["3", "1", "0", "2"]
    assert "the first 4 of the batch's 6 samples" in labelled.layout.title.text
    bare = batch_images_figure(x, (4, 4))
    assert not bare.layout.annotations and "first" not in bare.layout.title.text
    flat = batch_images_figure(np.zeros((2, 16)), (4, 4))  # a constant batch still has a grey scale
    assert flat.data[0].zmax > flat.data[0].zmin


def test_rows_that_are_not_images_are_refused():
    with pytest.raises(ValueError, match=r"rows of shape \(10,\) are not images of shape \(8, 8\)"):
        batch_images_figure(np.zeros((3, 10)), (8, 8))
    with pytest.raises(ValueError, match="empty"):
        batch_images_figure(np.zeros((0, 64)), (8, 8))


# --- predictions ---

def logits(n=6, k=4):
    return RNG.normal(size=(n, k)) * 2


def closed_form_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_table(table, p, labels):
    guess = np.argmax(p, axis=1)
    rows = np.arange(len(p))
    assert list(table.columns) == ["sample", "true class", "predicted class", "p(predicted)", "p(true)", "right"]
    np.testing.assert_array_equal(table["sample"], rows)
    np.testing.assert_array_equal(table["true class"], labels)
    np.testing.assert_array_equal(table["predicted class"], guess)
    assert table["p(predicted)"].dtype == np.float64
    np.testing.assert_allclose(table["p(predicted)"], p[rows, guess], rtol=1e-13)
    np.testing.assert_allclose(table["p(true)"], p[rows, labels], rtol=1e-13)
    assert list(table["right"]) == ["✓" if g == t else "✗" for g, t in zip(guess, labels)]


def test_nll_reads_log_probabilities():
    z, labels = logits(), np.array([0, 1, 2, 3, 0, 1])
    log_p = LogSoftMax().forward(z)
    table = prediction_table(log_p, labels, "NLLCriterion")
    check_table(table, closed_form_softmax(z), labels)
    same = prediction_table(log_p, one_hot(labels, 4), NLLCriterion())  # one-hot targets, a criterion object
    pd.testing.assert_frame_equal(same, table)


def test_unstable_nll_reads_probabilities_and_mse_one_hot_targets():
    z, labels = logits(), np.array([3, 3, 2, 0, 1, 1])
    p = SoftMax().forward(z)
    check_table(prediction_table(p, labels, NLLCriterionUnstable), closed_form_softmax(z), labels)
    check_table(prediction_table(p, one_hot(labels, 4), "MSECriterion"), closed_form_softmax(z), labels)
    raw = prediction_table(z, one_hot(labels, 4), MSECriterion())  # no SoftMax: the outputs are no probabilities
    assert list(raw.columns)[3:5] == ["output (predicted)", "output (true)"]
    np.testing.assert_array_equal(raw["output (true)"], z[np.arange(6), labels])


def test_regression_has_no_table_and_labels_are_read_back():
    y = RNG.normal(size=(6, 1))
    assert prediction_table(RNG.normal(size=(6, 1)), y, "MSECriterion") is None
    assert prediction_table(logits(), RNG.random((6, 4)), "MSECriterion") is None  # real targets, not one-hot
    np.testing.assert_array_equal(class_labels(np.array([[2], [0]]), 3), [2, 0])
    assert class_labels(np.array([0.5, 1.0]), 3) is None and class_labels(np.array([3, 0]), 3) is None
    with pytest.raises(ValueError, match="criterion must be one of"):
        prediction_table(logits(), np.zeros(6, dtype=int), "CrossEntropy")


def test_the_rows_mark_a_wrong_prediction_on_red_and_print_p_to_four_digits():
    z, labels = np.array([[2.0, 0.0], [0.0, 2.0], [3.0, 0.0]]), np.array([0, 0, 0])
    table = prediction_table(LogSoftMax().forward(z), labels, "NLLCriterion")
    assert list(table["right"]) == ["✓", "✗", "✓"]
    rows = prediction_rows(table)
    assert list(rows["right"]) == ["✓", WRONG, "✓"] and WRONG == ":red-background[✗]"
    assert list(rows["p(true)"]) == [f"{p:.4g}" for p in table["p(true)"]] and rows["p(true)"][1] == "0.1192"
    assert list(rows["sample"]) == [0, 1, 2] and list(rows.columns) == list(table.columns)


def test_the_table_of_the_lowest_p_true_has_no_unnamed_index_column():
    """The Step page shows a large batch's 16 lowest p(true), sorted: st.table drew their row labels as an
    unnamed first column beside "sample" (it hides only an index 0, 1, 2, ...)."""
    z = RNG.normal(size=(20, 3))
    table = prediction_table(LogSoftMax().forward(z), RNG.integers(0, 3, 20), "NLLCriterion")
    shown = table.sort_values("p(true)", kind="stable").head(16)
    rows = prediction_rows(shown)
    assert list(rows.index) == list(range(16)) and list(rows["sample"]) == list(shown["sample"])
    assert list(rows.columns)[:2] == ["sample", "true class"]
