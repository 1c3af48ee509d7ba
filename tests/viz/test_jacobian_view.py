"""Per-sample Jacobians three ways, the VJP check, batch coupling and the gradcheck table (float64)."""
import numpy as np
import pandas as pd
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    NLLCriterion, ReLU, Scaling, Sequential, SoftMax, SoftPlus)
from engine.jacobian import input_jacobian
from engine.trace import trace_iteration
from viz.jacobian_view import (as_recorded, batch_coupling_figure, block_norms, block_norms_figure,
                               coupling_jacobian, gradcheck_table, jacobian_figure, layer_sample_jacobians,
                               recorded_model, sample_jacobians, sample_vjp_check, vjp_check)

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
    assert sj.column.shape == (y_out.size, x_in[sample].size)
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
    sj = sample_jacobians(as_recorded(model[index], trace, index), trace.forward_record(index).input, 2)
    table, error = sample_vjp_check(sj, record.grad_output, record.grad_input)
    assert error < (1e-7 if sj.coupled else 1e-12)
    np.testing.assert_allclose(table["recorded grad_input"], np.ravel(record.grad_input[2]))


@pytest.mark.parametrize("index", LAYERS)
def test_layer_sample_jacobians_give_the_full_batch_blocks(traced, index):
    model, trace = traced
    layer, x_in = as_recorded(model[index], trace, index), trace.forward_record(index).input
    for s in (1, 4):
        full, fast = sample_jacobians(layer, x_in, s), layer_sample_jacobians(layer, x_in, s)
        assert (fast.sample, fast.batch_size, fast.coupled, fast.layer) == (s, N, full.coupled, full.layer)
        np.testing.assert_allclose(fast.backprop, full.backprop, atol=1e-14)
        np.testing.assert_allclose(fast.numerical, full.numerical, atol=1e-8)
        np.testing.assert_allclose(fast.closed, full.closed, atol=1e-14)
        assert fast.note == full.note and "fresh" not in fast.note
        if full.coupled:  # BatchNormalization in training: the whole batch, every output sample
            assert fast.column.shape == full.column.shape
        else:             # row-wise: only the sample's own outputs depend on x_s
            assert fast.column.shape == fast.backprop.shape
            np.testing.assert_array_equal(full.column[:s * fast.backprop.shape[0]], 0)
        record = trace.backward_record(index)
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
    sj = sample_jacobians(bn, bn_batch, 1)
    assert vjp_check(g[1], sj.backprop, grad_input[1])[1] > 1e-3  # g_s J_ss alone misses the coupling
    assert sample_vjp_check(sj, g, grad_input)[1] < 1e-8           # sum_t g_t J_ts


def test_coupling_corner_is_the_full_batch_jacobian_corner(bn_batch):
    bn = BatchNormalization()
    J, n = coupling_jacobian(bn, bn_batch, n_samples=3)
    assert n == 3 and J.shape == (9, 9)
    np.testing.assert_allclose(J, input_jacobian(bn, bn_batch)[:9, :9], atol=1e-14)
    norms = block_norms(J, n)
    assert norms.shape == (3, 3) and np.all(norms[~np.eye(3, dtype=bool)] > 1e-3)


def test_coupling_vanishes_in_evaluate_mode(bn_batch):
    bn = BatchNormalization()
    bn.forward(bn_batch)
    bn.evaluate()
    J, n = coupling_jacobian(bn, bn_batch, n_samples=4)
    norms = block_norms(J, n)
    assert np.all(norms[~np.eye(4, dtype=bool)] == 0) and np.all(np.diag(norms) > 0)
    assert not sample_jacobians(bn, bn_batch, 0).coupled


def test_batch_coupling_figure(bn_batch):
    fig = batch_coupling_figure(BatchNormalization(), bn_batch, n_samples=3)
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].z).shape == (9, 9)
    assert "first 3 of 8 samples" in fig.layout.title.text.replace("<br>", " ")
    assert fig.layout.yaxis.title.text.endswith("(row)") and fig.layout.xaxis.title.text.endswith("(column)")
    assert len(fig.layout.shapes) == 4  # 2 vertical + 2 horizontal block boundaries
    assert sorted({s.x0 for s in fig.layout.shapes if s.x0 == s.x1}) == [2.5, 5.5]


def test_block_norms_figure(bn_batch):
    fig = block_norms_figure(BatchNormalization(), bn_batch, n_samples=4)
    z = np.asarray(fig.data[0].z)
    assert fig.data[0].type == "heatmap" and z.shape == (4, 4)
    J, n = coupling_jacobian(BatchNormalization(), bn_batch, 4)
    np.testing.assert_allclose(z, block_norms(J, n))
    assert fig.layout.yaxis.title.text == "output sample s (row)"
    assert fig.layout.xaxis.title.text == "input sample t (column)"


def test_coupling_uses_at_most_the_batch():
    J, n = coupling_jacobian(Linear(3, 2, rng=np.random.default_rng(0)), np.ones((2, 3)), n_samples=8)
    assert n == 2 and J.shape == (4, 6) and np.all(J[:2, 3:] == 0)


def test_jacobian_figure():
    J = np.arange(12.0).reshape(3, 4)
    fig = jacobian_figure(J, "backprop", Linear(4, 3))
    assert fig.data[0].type == "heatmap"
    np.testing.assert_array_equal(fig.data[0].z, J)
    assert fig.layout.xaxis.title.text == "input i (column)"
    assert fig.layout.yaxis.title.text == "output j (row)"
    assert fig.layout.title.text.replace("<br>", " ").startswith("Linear(4 -> 3): backprop (3, 4)")


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
