"""Per-sample Jacobians three ways, the VJP check, batch coupling and the gradcheck table (float64)."""
import gc
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    NLLCriterion, ReLU, Scaling, Sequential, SoftMax, SoftPlus)
from engine.jacobian import input_jacobian
from engine.trace import trace_iteration
from lab.budget import LIMIT
from viz.coupling_view import (COUPLED_FEATURES, batch_coupling_figure, block_norms, block_norms_figure,
                               coupling_jacobian)
from viz.gradcheck_view import check_gradcheck, gradcheck_bytes, gradcheck_table
from viz.jacobian_view import (FIGURE_PX, as_recorded, check_sample_view, jacobian_figure, layer_sample_jacobians,
                               recorded_model, sample_jacobians, sample_view_bytes, sample_vjp_check, vjp_check)

N = 6


def every_kind(rng):
    """A small network holding every layer kind; Flatten first, LogSoftMax last."""
    return Sequential(Flatten(), Linear(6, 5, rng=rng), BatchNormalization(0.9), Scaling(5, rng=rng), ReLU(),
                      Dropout(0.3, rng=rng), Linear(5, 5, rng=rng), LeakyReLU(0.1), ELU(0.7), SoftMax(),
                      Linear(5, 5, rng=rng), SoftPlus(), Linear(5, 4, rng=rng), LogSoftMax())


@pytest.fixture(scope="module")
def traced():
    rng = np.random.default_rng(0)
    model = every_kind(rng)
    x, y = rng.normal(size=(N, 2, 3)), rng.integers(0, 4, size=N)
    trace = trace_iteration(model, NLLCriterion(), SGD(0.5, 0.9), x, y)
    return model, trace


@pytest.fixture(scope="module")
def bn_batch():
    rng = np.random.default_rng(1)
    return rng.normal(size=(8, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]


LAYERS = range(len(every_kind(np.random.default_rng(0))))


@pytest.mark.parametrize("sample", [0, 3])
@pytest.mark.parametrize("index", LAYERS)
def test_closed_form_backprop_and_finite_differences_agree(traced, index, sample):
    model, trace = traced
    x_in, y_out = trace.forward_record(index).input, trace.forward_record(index).output
    sj = sample_jacobians(as_recorded(model[index], trace, index), x_in, sample)
    assert sj.backprop.shape == sj.numerical.shape == (y_out[sample].size, x_in[sample].size)
    assert sj.through_batch is None  # no grad_output given: nothing to sum over the batch
    assert sj.backprop.dtype == np.float64 and sj.sample == sample and sj.batch_size == N
    np.testing.assert_allclose(sj.backprop, sj.numerical, atol=1e-7)
    assert sj.max_abs_error == pytest.approx(np.abs(sj.backprop - sj.numerical).max()) and sj.max_abs_error < 1e-7
    np.testing.assert_array_equal(sj.difference, sj.backprop - sj.numerical)
    assert sj.closed is not None, sj.note  # every layer here has a closed form for its sample block
    np.testing.assert_allclose(sj.closed, sj.backprop, atol=1e-12)
    assert sj.closed_error < 1e-12
    assert sj.coupled == isinstance(model[index], BatchNormalization)


@pytest.mark.parametrize("index", LAYERS)
def test_vjp_of_the_sample_jacobian_equals_the_recorded_grad_input(traced, index):
    model, trace = traced
    record = trace.backward_record(index)
    sj = sample_jacobians(as_recorded(model[index], trace, index), trace.forward_record(index).input, 2,
                          grad_output=record.grad_output)
    assert sj.through_batch.shape == (trace.forward_record(index).input[2].size,)
    table, error = sample_vjp_check(sj, record.grad_output, record.grad_input)
    assert error < (1e-7 if sj.coupled else 1e-12)
    np.testing.assert_allclose(table["recorded grad_input"], np.ravel(record.grad_input[2]))


@pytest.mark.parametrize("index", LAYERS)
def test_layer_sample_jacobians_give_the_full_batch_blocks(traced, index):
    model, trace = traced
    layer, x_in = as_recorded(model[index], trace, index), trace.forward_record(index).input
    record = trace.backward_record(index)
    for s in (1, 4):
        full = sample_jacobians(layer, x_in, s, grad_output=record.grad_output)
        fast = layer_sample_jacobians(layer, x_in, s, grad_output=record.grad_output)
        assert (fast.sample, fast.batch_size, fast.coupled, fast.layer) == (s, N, full.coupled, full.layer)
        np.testing.assert_allclose(fast.backprop, full.backprop, atol=1e-14)
        np.testing.assert_allclose(fast.numerical, full.numerical, atol=1e-8)
        np.testing.assert_allclose(fast.closed, full.closed, atol=1e-14)
        assert fast.note == full.note and "fresh" not in fast.note
        # row-wise: only the sample's own outputs move with x_s, so x_s alone gives the same sum over t
        np.testing.assert_allclose(fast.through_batch, full.through_batch, atol=1e-7)
        assert sample_vjp_check(fast, record.grad_output, record.grad_input)[1] < 1e-7


def test_layer_sample_jacobians_keep_the_dropout_row_of_the_sample(traced):
    model, trace = traced
    dropout = model[5]
    sj = layer_sample_jacobians(dropout, trace.forward_record(5).input, 3)
    np.testing.assert_array_equal(sj.backprop, np.diag(dropout.mask[3]))
    assert dropout.mask.shape == (N, 5)
    with pytest.raises(ValueError, match="sample"):
        layer_sample_jacobians(dropout, trace.forward_record(5).input, N)


def test_recorded_model_has_the_parameters_of_the_trace(traced):
    model, trace = traced
    recorded = recorded_model(model, trace)
    assert len(recorded) == len(model) and repr(recorded) == repr(model)
    for update in trace.updates:
        values = {name: value for name, value, _ in recorded[update.index].named_parameters()}
        np.testing.assert_array_equal(values[update.param], update.before)
    x = trace.forward_record(0).input
    np.testing.assert_allclose(recorded.forward(x), trace.forward_record(len(model) - 1).output, atol=1e-12)
    table = gradcheck_table(recorded, x, n_samples=3)
    assert table["pass"].all() and list(table["tensor"])[:2] == ["input", "1.W"]


def test_as_recorded_restores_the_parameters_before_the_update(traced):
    model, trace = traced
    clone = as_recorded(model[1], trace, 1)
    before = {u.param: u.before for u in trace.update_records(1)}
    np.testing.assert_array_equal(clone.W, before["W"])
    np.testing.assert_array_equal(clone.b, before["b"])
    assert not np.array_equal(model[1].W, before["W"])  # the optimizer changed the live layer
    record = trace.backward_record(1)
    live = sample_jacobians(model[1], trace.forward_record(1).input, 0)
    assert sample_vjp_check(live, record.grad_output, record.grad_input)[1] > 1e-9


def test_dropout_uses_the_recorded_mask_of_that_sample(traced):
    model, trace = traced
    dropout = model[5]
    for s in (0, 4):
        sj = sample_jacobians(dropout, trace.forward_record(5).input, s)
        np.testing.assert_array_equal(sj.backprop, np.diag(dropout.mask[s]))
        assert "fresh" not in sj.note
    assert dropout.mask.shape == (N, 5)  # the learner's layer keeps its mask


def test_dropout_without_a_mask_for_this_batch_samples_one_and_says_so():
    layer = Dropout(0.5, rng=np.random.default_rng(3))
    sj = sample_jacobians(layer, np.random.default_rng(4).normal(size=(5, 7)), 1)
    assert "fresh mask" in sj.note and layer.mask is None
    np.testing.assert_allclose(sj.backprop, sj.numerical, atol=1e-8)
    np.testing.assert_array_equal(sj.closed, sj.backprop)


def test_batchnorm_training_sample_block_is_not_the_jacobian_of_the_row_alone(bn_batch):
    bn = BatchNormalization()
    sj = sample_jacobians(bn, bn_batch, 2)
    alone = input_jacobian(BatchNormalization(), bn_batch[2:3])  # a batch of one: var_B = 0
    assert not np.allclose(sj.backprop, alone, atol=1e-3)
    np.testing.assert_allclose(sj.backprop, input_jacobian(bn, bn_batch)[6:9, 6:9], atol=1e-14)
    assert sj.coupled and "diagonal block" in sj.note


def test_batchnorm_training_vjp_needs_the_other_samples(bn_batch):
    bn = BatchNormalization()
    g = np.random.default_rng(5).normal(size=bn_batch.shape)
    grad_input = bn.forward(bn_batch) is not None and bn.backward(bn_batch, g)
    sj = sample_jacobians(bn, bn_batch, 1, grad_output=g)
    assert vjp_check(g[1], sj.backprop, grad_input[1])[1] > 1e-3  # g_s J_ss alone misses the coupling
    assert sample_vjp_check(sj, g, grad_input)[1] < 1e-8           # sum_t g_t J_ts
    full = input_jacobian(bn, bn_batch)  # (N*3, N*3): the sum over t is g · its column block of sample 1
    np.testing.assert_allclose(sj.through_batch, np.ravel(g) @ full[:, 3:6], atol=1e-8)
    with pytest.raises(ValueError, match="couples the samples; give sample_jacobians the grad_output"):
        sample_vjp_check(sample_jacobians(bn, bn_batch, 1), g, grad_input)


def test_coupling_corner_is_the_full_batch_jacobian_corner(bn_batch):
    bn = BatchNormalization()
    coupling = coupling_jacobian(bn, bn_batch, n_samples=3)
    J, n = coupling.J, coupling.n
    assert n == 3 and J.shape == (9, 9) and not coupling.cut
    np.testing.assert_allclose(J, input_jacobian(bn, bn_batch)[:9, :9], atol=1e-14)
    norms = block_norms(J, n)
    assert norms.shape == (3, 3) and np.all(norms[~np.eye(3, dtype=bool)] > 1e-3)


def test_coupling_vanishes_in_evaluate_mode(bn_batch):
    bn = BatchNormalization()
    bn.forward(bn_batch)
    bn.evaluate()
    coupling = coupling_jacobian(bn, bn_batch, n_samples=4)
    norms = block_norms(coupling.J, coupling.n)
    assert np.all(norms[~np.eye(4, dtype=bool)] == 0) and np.all(np.diag(norms) > 0)
    assert not sample_jacobians(bn, bn_batch, 0).coupled


def test_batch_coupling_figure(bn_batch):
    fig = batch_coupling_figure(coupling_jacobian(BatchNormalization(), bn_batch, n_samples=3))
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].z).shape == (9, 9)
    assert "first 3 of 8 samples" in fig.layout.title.text.replace("<br>", " ")
    assert fig.layout.yaxis.title.text.endswith("(row)") and fig.layout.xaxis.title.text.endswith("(column)")
    assert len(fig.layout.shapes) == 4  # 2 vertical + 2 horizontal block boundaries
    assert sorted({s.x0 for s in fig.layout.shapes if s.x0 == s.x1}) == [2.5, 5.5]


def test_block_norms_figure(bn_batch):
    coupling = coupling_jacobian(BatchNormalization(), bn_batch, 4)
    fig = block_norms_figure(coupling)
    z = np.asarray(fig.data[0].z)
    assert fig.data[0].type == "heatmap" and z.shape == (4, 4)
    np.testing.assert_allclose(z, block_norms(coupling.J, 4))
    assert fig.layout.yaxis.title.text == "output sample s (row)"
    assert fig.layout.xaxis.title.text == "input sample t (column)"


def test_coupling_uses_at_most_the_batch():
    coupling = coupling_jacobian(Linear(3, 2, rng=np.random.default_rng(0)), np.ones((2, 3)), n_samples=8)
    J = coupling.J
    assert coupling.n == 2 and J.shape == (4, 6) and np.all(J[:2, 3:] == 0)


def test_jacobian_figure():
    J = np.arange(12.0).reshape(3, 4)
    fig = jacobian_figure(J, "backprop", Linear(4, 3))
    assert fig.data[0].type == "heatmap"
    np.testing.assert_array_equal(fig.data[0].z, J)
    assert fig.layout.xaxis.title.text == "input i (column)"
    assert fig.layout.yaxis.title.text == "output j (row)"
    assert fig.layout.annotations[0].text.replace("<br>", " ").startswith("Linear(4 -> 3): backprop (3, 4)")


def plot_box(fig):
    """(plot width, plot height, title lines) of a figure of fixed size in px."""
    m = fig.layout.margin
    return fig.layout.width - m.l - m.r, fig.layout.height - m.t - m.b, fig.layout.annotations[0].text.split("<br>")


@pytest.mark.parametrize("n, title", [(2, "layer 1, sample 0: backprop"), (10, "layer 5, sample 3: finite diff."),
                                      (10, "5 · LogSoftMax: backprop − finite differences")])
def test_small_jacobians_are_square_with_readable_cells_and_a_title_above_the_plot(n, title):
    """The 2 x 2 and 10 x 10 Jacobians were strips with rows 9 px tall, titles wrapped onto the axis."""
    J = np.random.default_rng(n).standard_normal((n, n)) * (1e-10 if "−" in title else 1)
    fig = jacobian_figure(J, title)
    width, height, lines = plot_box(fig)
    assert width <= FIGURE_PX and width / n == pytest.approx(height / n, rel=0.05) and height / n >= 18
    assert all(len(line) * 8 <= fig.layout.width - 10 for line in lines)  # each title line fits the width
    assert fig.layout.margin.t >= 14 + 19 * len(lines)                     # and the margin holds them all
    bar = fig.data[0].colorbar  # ±max and 0 (and ±max/2 on a tall bar), far enough apart to read
    assert len(bar.tickvals) in (3, 5) and height / (len(bar.tickvals) - 1) >= 20
    assert bar.tickvals[-1] == pytest.approx(np.abs(J).max()) and bar.ticktext[1 if len(bar.tickvals) == 3 else 2] == "0"
    assert (fig.data[0].texttemplate is not None) == (n == 2)  # the 2 x 2 prints its values in its cells


def test_a_tall_jacobian_keeps_its_figure_within_the_page():
    fig = jacobian_figure(np.ones((256, 64)), "sample 0: backprop")
    width, height, _ = plot_box(fig)
    assert fig.layout.width == FIGURE_PX and height <= 420


def test_vjp_check_table():
    J = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    g = np.array([1.0, 0.0, -1.0])
    table, error = vjp_check(g, J, np.array([-4.0, -4.5]))
    assert isinstance(table, pd.DataFrame) and len(table) == 2
    assert list(table.columns) == ["input i", "grad_output · J", "recorded grad_input", "abs error"]
    np.testing.assert_array_equal(table["grad_output · J"], [-4.0, -4.0])
    assert error == 0.5
    with pytest.raises(ValueError, match="shape"):
        vjp_check(g, J.T, np.zeros(2))


def test_bad_sample_is_rejected(bn_batch):
    with pytest.raises(ValueError, match="sample"):
        sample_jacobians(ReLU(), bn_batch, 8)


# --- gradcheck table ---

def test_gradcheck_table_one_row_per_tensor_all_pass(traced):
    model, trace = traced
    table = gradcheck_table(model, trace.forward_record(0).input, n_samples=3, max_entries=None)
    names = [name for name, _, _ in model.named_parameters()]
    assert list(table["tensor"]) == ["input"] + names
    assert table["pass"].all() and (table["max abs error"] < 1e-7).all()
    assert (table["samples"] == 3).all()
    for _, row in table.iloc[1:].iterrows():
        assert row["module"] == repr(model[row["layer"]]) and row["tensor"] == f"{row['layer']}.{row['name']}"
    assert table.iloc[0]["layer"] == 0 and table.iloc[0]["module"].startswith("network input")
    w = table[table["tensor"] == "1.W"].iloc[0]
    assert w["jacobian shape"] == "12×30" and w["entries checked"] == "30 of 30"


def test_sampled_gradcheck_matches_the_full_one(traced):
    model, trace = traced
    x = trace.forward_record(0).input
    full = gradcheck_table(model, x, n_samples=2, max_entries=None)
    sampled = gradcheck_table(model, x, n_samples=2, max_entries=1000)
    np.testing.assert_allclose(sampled["max abs error"], full["max abs error"], rtol=1e-6, atol=1e-15)
    few = gradcheck_table(model, x, n_samples=2, max_entries=5)
    assert few.set_index("tensor").loc["1.W", "entries checked"] == "5 of 30" and few["pass"].all()


class WrongLinear(Linear):
    def update_grad_input(self, input, grad_output):
        return super().update_grad_input(input, 2 * grad_output)  # a factor 2 too many


def test_gradcheck_table_flags_a_wrong_backward():
    rng = np.random.default_rng(2)
    model = Sequential(Linear(3, 4, rng=rng), ReLU(), WrongLinear(4, 2, rng=rng))
    table = gradcheck_table(model, rng.normal(size=(5, 3)), n_samples=2)
    by_tensor = table.set_index("tensor")["pass"]
    assert not by_tensor["input"] and not by_tensor["0.W"] and by_tensor["2.W"]


def test_gradcheck_table_of_a_single_layer():
    table = gradcheck_table(Linear(3, 2, rng=np.random.default_rng(0)), np.ones((4, 3)))
    assert list(table["tensor"]) == ["input", "W", "b"] and (table["layer"] == 0).all() and table["pass"].all()


# --- only what is shown is built, within a bound known beforehand ---

def peak_bytes(compute):
    """(result, tracemalloc's peak of compute() above what was traced when it started)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = compute()
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_coupling_of_a_wide_layer_shows_the_first_features_of_each_block():
    x = np.random.default_rng(6).normal(size=(6, 40))
    bn = BatchNormalization()
    coupling = coupling_jacobian(bn, x, n_samples=4)
    assert (coupling.n, coupling.k_out, coupling.k_in, coupling.n_out) == (4, COUPLED_FEATURES, 16, 40)
    assert coupling.cut and coupling.J.shape == (64, 64)
    index = [t * 40 + i for t in range(4) for i in range(16)]  # (t, i) of the full-batch Jacobian
    np.testing.assert_allclose(coupling.J, input_jacobian(bn, x)[np.ix_(index, index)], atol=1e-13)
    title = batch_coupling_figure(coupling).layout.title.text.replace("<br>", " ")
    assert "first 4 of 6 samples, first 16 of 40 features" in title
    assert "first 16 of 40 features" in block_norms_figure(coupling).layout.title.text.replace("<br>", " ")


@pytest.mark.parametrize("layer, shape", [(ReLU(), (4, 300)), (Linear(200, 150, rng=np.random.default_rng(0)),
                                                                 (4, 200)),
                                          (SoftMax(), (3, 250)), (BatchNormalization(), (64, 120))],
                         ids=["ReLU", "Linear", "SoftMax", "BatchNormalization"])
def test_sample_view_bytes_bounds_what_the_view_builds(layer, shape):
    x = np.random.default_rng(7).normal(size=shape)
    y = layer.forward(x)
    g = np.random.default_rng(8).normal(size=y.shape)
    grad_input = layer.backward(x, g)
    bound = sample_view_bytes(layer, x, y.shape)

    def view():
        sj = layer_sample_jacobians(layer, x, 1, grad_output=g)
        return sj, sample_vjp_check(sj, g, grad_input)

    (sj, (_, error)), peak = peak_bytes(view)
    assert error < 1e-6 and sj.backprop.shape == (y[1].size, x[1].size)
    assert peak <= bound, f"peak {peak / 2**20:.1f} MB over the bound {bound / 2**20:.1f} MB"


def test_a_sample_view_over_the_limit_is_refused_before_anything_is_built():
    x = np.zeros((2, 5000))  # ReLU on 5,000 features: a 5000 x 5000 Jacobian, ~1.6 GB three ways
    with pytest.raises(ValueError) as refused:
        check_sample_view(ReLU(), x, x.shape, LIMIT, "layer 0 (ReLU)")
    assert str(refused.value) == (
        "layer 0 (ReLU): the Jacobian of one sample (5000 × 5000, three ways) would take about 1,526 MB; the "
        "limit per learner is 128 MB: choose a layer with fewer features, or use fewer units before it (it "
        "takes 5000 features and gives 5000)")
    with pytest.raises(ValueError, match="or a smaller batch"):
        check_sample_view(BatchNormalization(), np.zeros((4096, 1024)), (4096, 1024), LIMIT)
    assert check_sample_view(ReLU(), x[:, :100], (2, 100), LIMIT) == sample_view_bytes(ReLU(), x[:, :100], (2, 100))


def test_gradcheck_builds_only_the_checked_columns():
    """64-512-512-10 on 2 samples: the full Jacobian of 2.W alone would be 20 x 262,144 (42 MB); 64 columns, 10 KB."""
    rng = np.random.default_rng(9)
    model = Sequential(Linear(64, 512, rng=rng), ReLU(), Linear(512, 512, rng=rng), ReLU(),
                       Linear(512, 10, rng=rng), LogSoftMax())
    x, y = rng.normal(size=(8, 64)), rng.integers(0, 10, size=8)
    trace = trace_iteration(model, NLLCriterion(), SGD(0.01, 0.9), x, y)
    bound = gradcheck_bytes(model, trace, n_samples=2, max_entries=64)
    table, peak = peak_bytes(lambda: gradcheck_table(recorded_model(model, trace), x, n_samples=2, max_entries=64))
    assert table["pass"].all() and list(table["entries checked"])[3] == "64 of 262144"
    assert table.set_index("tensor").loc["2.W", "jacobian shape"] == "20×262144"
    assert peak <= bound < 16 * 2**20, f"peak {peak / 2**20:.1f} MB, bound {bound / 2**20:.1f} MB"
    with pytest.raises(ValueError, match="the gradient check .* would take about .*: use fewer units"):
        check_gradcheck(model, trace, 2**20)
