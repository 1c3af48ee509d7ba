"""viz.stage_view: every stage of real traces, panel by panel, against the trace's own arrays."""
import numpy as np
import pytest

from engine import (ELU, SGD, BatchNormalization, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    MSECriterion, NLLCriterion, NLLCriterionUnstable, ReLU, Scaling, Sequential, SoftMax,
                    SoftPlus)
from engine.data import load, one_hot
from engine.sequential import layers_of
from engine.trace import Stage, trace_iteration
from viz.heatmap import as_matrix
from viz.geometry import MAX_PLOT_HEIGHT, MAX_WIDTH
from viz.stage_view import (Panel, panel_rows, stage_label, stage_labels, stage_panels, stage_summary,
                            stage_tensors, target_matrix)

PARAM_AXES = {"W": ("input feature", "output unit"), "b": ("row", "output unit"),
              "gamma": ("row", "feature"), "beta": ("row", "feature")}


def run(model, criterion, x, y, learning_rate=1e-2, momentum=0.9):
    trace = trace_iteration(model, criterion, SGD(learning_rate, momentum), x, y)
    return trace, layers_of(model)


def handout(x=None):
    data = load("blobs")
    model = Sequential(Linear(2, 2, rng=np.random.default_rng(0)), LogSoftMax())
    return run(model, NLLCriterion(), data.X_train[:8] if x is None else x, data.y_train[:8])


def deep(evaluate=False):
    data, rng = load("spiral"), np.random.default_rng(1)
    model = Sequential(Linear(2, 5, rng=rng), BatchNormalization(alpha=0.9), Scaling(5, rng=rng), ReLU(),
                       Dropout(0.5, rng=rng), Linear(5, 3, rng=rng), SoftMax())
    x, y = data.X_train[:8], data.y_train[:8]
    if evaluate:
        trace_iteration(model, NLLCriterionUnstable(), SGD(0.05, 0.5), x, y)  # moving statistics first
        model.evaluate()
    return run(model, NLLCriterionUnstable(), x, y, learning_rate=0.05, momentum=0.5)


def mse():
    data, rng = load("regression"), np.random.default_rng(2)
    model = Sequential(Linear(1, 4, rng=rng), LeakyReLU(), Linear(4, 4, rng=rng), ELU(alpha=0.5),
                       SoftPlus(), Linear(4, 1, rng=rng))
    return run(model, MSECriterion(), data.X_train[:8], data.y_train[:8], learning_rate=1e-3, momentum=0.0)


def flatten():
    rng = np.random.default_rng(3)
    model = Sequential(Flatten(), Linear(6, 3, rng=rng), LogSoftMax())
    return run(model, NLLCriterion(), rng.standard_normal((8, 2, 3)), np.arange(8) % 3)


def nan_input():
    x = load("blobs").X_train[:8].copy()
    x[2, 1] = np.nan
    return handout(x)


CASES = {"handout": handout, "deep": deep, "deep evaluate": lambda: deep(evaluate=True), "mse": mse,
         "flatten": flatten, "nan": nan_input}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return CASES[request.param]()


def label(array, word):
    return word + (" (flattened row-major)" if array.ndim > 2 else "")


def expected_tensors(trace, stage, layers):
    """tensor id -> (array, y axis title, x axis title), built from the trace alone."""
    i = stage.index
    if stage.kind == "forward":
        record = trace.forward[i]
        out = {"input": (record.input, "sample", label(record.input, "feature")),
               "output": (record.output, "sample", label(record.output, "unit"))}
        out.update({f"param:{u.param}": (u.before, *PARAM_AXES[u.param]) for u in trace.update_records(i)})
        if isinstance(layers[i], BatchNormalization) and layers[i].training:
            out["mean"] = (record.input.mean(axis=0), "row", "feature")
            out["variance"] = (record.input.var(axis=0), "row", "feature")
        elif isinstance(layers[i], BatchNormalization):
            out["moving_mean"] = (layers[i].moving_mean, "row", "feature")
            out["moving_variance"] = (layers[i].moving_variance, "row", "feature")
        if isinstance(layers[i], Dropout) and layers[i].training:
            out["mask"] = (mask(trace, i), "sample", "unit")
        return out
    if stage.kind == "loss":
        x_label = "output" if "MSE" in trace.criterion else "class"
        return {"predictions": (trace.predictions, "sample", x_label),
                "targets": (target_matrix(trace.target, trace.predictions.shape, trace.criterion)[0], "sample",
                            x_label),
                "loss_grad": (trace.loss_grad, "sample", x_label)}
    if stage.kind == "backward":
        record, forward, layer = trace.backward_record(i), trace.forward[i], layers[i]
        out = {"grad_output": (record.grad_output, "sample", label(record.grad_output, "unit")),
               "grad_input": (record.grad_input, "sample", label(record.grad_input, "feature"))}
        out.update({f"grad:{name}": (grad, *PARAM_AXES[name]) for name, grad in record.grad_params.items()})
        # what each backward reads besides grad_output: the forward's x, y, parameters, statistics or mask
        x, y = (forward.input, "sample", label(forward.input, "feature")), (forward.output, "sample", "unit")
        training = getattr(layer, "training", True)
        reads = {Linear: ["input"], Scaling: ["input"], SoftMax: ["output"], LogSoftMax: ["output", "softmax"],
                 Flatten: [], BatchNormalization: ["output", "variance"] if training else ["moving_variance"],
                 Dropout: ["mask"] if training else []}.get(type(layer), ["input"])
        arrays = {"input": lambda: x, "output": lambda: y,
                  "softmax": lambda: (np.exp(forward.output), "sample", "unit"),
                  "variance": lambda: (forward.input.var(axis=0), "row", "feature"),
                  "moving_variance": lambda: (layer.moving_variance, "row", "feature"),
                  "mask": lambda: (mask(trace, i), "sample", "unit")}
        out.update({name: arrays[name]() for name in reads})
        out.update({f"param:{u.param}": (u.before, *PARAM_AXES[u.param]) for u in trace.update_records(i)
                    if u.param in ("W", "gamma")})
        return out
    out = {}
    for u in trace.update_records(i):
        out.update({f"{what}:{u.param}": (getattr(u, what), *PARAM_AXES[u.param])
                    for what in ("before", "grad", "velocity", "after")})  # SGD's step before - after is v
        if u.previous_velocity is not None:  # the first step's is 0, as the caption says
            out[f"velocity_prev:{u.param}"] = (u.previous_velocity, *PARAM_AXES[u.param])
    return out


def mask(trace, i):
    """Dropout's mask M: 1 where the unit passed its value or its gradient through."""
    return ((trace.forward[i].output != 0) | (trace.backward_record(i).grad_input != 0)).astype(float)


def drawn(panels, tensor_id):
    """(heatmap trace, cell trace, figure) that draw tensor `tensor_id` in one of the panels."""
    (figure,) = [p.figure for p in panels if tensor_id in p.tensors]
    k = next(k for k, trace in enumerate(figure.data) if trace.meta == tensor_id)
    return figure.data[k - 1], figure.data[k], figure


def check_drawn(panels, tensor_id, array, y_label, x_label):
    heat, cells, figure = drawn(panels, tensor_id)
    assert heat.type == "heatmap" and cells.type == "scatter" and cells.marker.maxdisplayed == 1
    m = as_matrix(array)
    np.testing.assert_array_equal(np.asarray(cells.customdata), m.ravel())  # exact values on hover and click
    z = np.asarray(heat.z, dtype=np.float64)
    assert z.shape == m.shape
    finite = np.isfinite(m)
    if np.asarray(heat.z).dtype == np.int8:  # colour levels: -127 .. 127 for -limit .. +limit
        limit = np.abs(m[finite]).max() if finite.any() and np.abs(m[finite]).max() > 0 else 1.0
        np.testing.assert_allclose(z * limit / 127, np.where(finite, m, 0.0), rtol=0, atol=limit / 254 * 1.001)
        assert heat.zmax == 127 and heat.zmin == -127
    else:                                    # printed values: exact
        np.testing.assert_array_equal(z, np.where(finite, m, np.nan))
    x_axis = figure.layout["xaxis" + heat.xaxis[1:]]
    y_axis = figure.layout["yaxis" + heat.yaxis[1:]]
    if y_axis.showticklabels is False:  # a strip: its row means nothing; the last strip of its group names x
        assert y_label == "row" and y_axis.title.text is None
        assert x_label in [figure.layout[k].title.text for k in figure.layout if k.startswith("xaxis")]
    else:
        assert x_axis.title.text == x_label and y_axis.title.text == y_label
    assert figure.layout.width <= MAX_WIDTH


def test_every_stage_draws_the_recorded_arrays(case):
    trace, layers = case
    for stage in trace.stages:
        panels = stage_panels(trace, stage, layers)
        assert all(isinstance(panel, Panel) for panel in panels)
        assert panels[0].title == stage_label(trace, stage) and panels[0].caption == stage_summary(trace, stage)
        expected = expected_tensors(trace, stage, layers)
        assert sorted(t for p in panels for t in p.tensors) == sorted(expected), stage
        for tensor_id, (array, y_label, x_label) in expected.items():
            check_drawn(panels, tensor_id, array, y_label, x_label)
        assert len({p.key for p in panels}) == len(panels)  # distinct Streamlit keys
        assert sorted(t.id for t in stage_tensors(trace, stage, layers)) == sorted(expected)


def test_formulas_carry_shapes_and_optimizer_numbers(case):
    trace, layers = case
    for stage in trace.stages:
        latex = " ".join(p.latex for p in stage_panels(trace, stage, layers) if p.latex)
        if stage.kind in ("forward", "backward"):
            record = trace.forward[stage.index]
            assert r" \times ".join(map(str, record.input.shape)) in latex
            assert r" \times ".join(map(str, record.output.shape)) in latex
        elif stage.kind == "loss":
            assert f"N = {len(trace.predictions)}" in latex
        else:
            assert f"{trace.momentum:g}\\, v_" in latex and f"{trace.learning_rate:g}\\," in latex
            assert latex.count(r"\leftarrow") == 2 * len(trace.update_records(stage.index))


def test_handout_labels_formulas_and_values():
    trace, layers = handout()
    assert stage_labels(trace) == ["Forward · layer 0 · Linear(2 -> 2)", "Forward · layer 1 · LogSoftMax",
                                   "Loss · NLLCriterion", "Backward · layer 1 · LogSoftMax",
                                   "Backward · layer 0 · Linear(2 -> 2)", "Update · layer 0 · Linear(2 -> 2)"]
    backward = stage_panels(trace, Stage("backward", 0), layers)[0].latex
    assert r"(8 \times 2) = (8 \times 2)\,(2 \times 2)" in backward
    assert r"(2 \times 2) = (2 \times 8)\,(8 \times 2)" in backward
    update = stage_panels(trace, Stage("update", 0), layers)
    assert [p.latex is not None for p in update] == [False, True, False, True, False]
    assert r"0.9\, v_{W} + 0.01\," in update[1].latex and r"(2 \times 2)" in update[1].latex
    assert r"0.9\, v_{b} + 0.01\," in update[3].latex and "(2)" in update[3].latex
    assert update[4].tensors == ("before:b", "grad:b", "velocity:b", "after:b")  # one figure of strips (step = v)
    assert "this is the first step, so what was kept from the last one is 0" in update[1].caption
    strips = [a.text.replace("<br>", " ").replace("\xa0", " ") for a in update[4].figure.layout.annotations]
    assert strips[0].startswith("b before (2,) · ±") and len(strips) == 4
    loss = stage_panels(trace, Stage("loss"), layers)
    assert f"L = {trace.loss:.4g}" in loss[0].caption and r"-\frac{y}{8}" in loss[0].latex


def test_first_update_velocity_is_learning_rate_times_gradient():
    trace, layers = handout()
    panels = stage_panels(trace, Stage("update", 0), layers)
    for name in ("W", "b"):
        z = {what: np.asarray(drawn(panels, f"{what}:{name}")[1].customdata) for what in
             ("before", "grad", "velocity", "after")}
        np.testing.assert_array_equal(z["velocity"], 0.01 * z["grad"])
        np.testing.assert_allclose(z["after"], z["before"] - z["velocity"], rtol=0, atol=1e-15)
        step = trace.update_records(0)[name == "b"].step  # before - after: v, which is drawn
        np.testing.assert_allclose(np.ravel(step), np.ravel(z["velocity"]), rtol=0, atol=1e-15)
    assert not [t for p in panels for t in p.tensors if t.startswith("step:")]  # SGD's step is v: drawn once
    after = trace.update_records(0)[0].after
    np.testing.assert_array_equal(after, layers[0].W)


def test_panel_rows_put_a_stages_tensors_in_one_row_and_each_update_in_its_own():
    trace, layers = handout()
    rows = panel_rows(stage_panels(trace, Stage("forward", 0), layers))
    assert [[p.tensors for p in row] for row in rows] == [[()], [("input", "param:W", "param:b", "output")]]
    figure = rows[1][0].figure
    assert figure.layout.width <= MAX_WIDTH and [t.meta for t in figure.data if t.meta] == [
        "input", "param:W", "param:b", "output"]   # one chart: four tensors, each clickable
    update_rows = panel_rows(stage_panels(trace, Stage("update", 0), layers))
    assert [len(row) for row in update_rows] == [1, 1, 1, 1, 1]


def test_sizes_follow_the_shapes_for_a_large_batch():
    data = load("blobs")
    model = Sequential(Linear(2, 3, rng=np.random.default_rng(0)), LogSoftMax())
    trace, layers = run(model, NLLCriterion(), data.X_train[:300], data.y_train[:300])
    for stage in trace.stages:
        for panel in stage_panels(trace, stage, layers):
            if panel.figure is not None:
                layout = panel.figure.layout
                assert layout.width <= MAX_WIDTH
                for name in (k for k in layout if k.startswith("yaxis")):  # every tensor's plot stays short
                    low, high = layout[name].domain
                    assert (high - low) * layout.height <= MAX_PLOT_HEIGHT + 1


def test_loss_stage_draws_predictions_targets_and_the_gradient_apart():
    trace, layers = handout()
    panels = stage_panels(trace, Stage("loss"), layers)
    assert [p.tensors for p in panels[1:]] == [("predictions", "targets", "loss_grad")]
    np.testing.assert_array_equal(drawn(panels, "targets")[1].customdata, one_hot(trace.target, 2).ravel())
    titles = [a.text.replace("<br>", " ").replace("\xa0", " ") for a in panels[1].figure.layout.annotations]
    assert titles[0].startswith("predictions ŷ (8, 2) · ±") and titles[1].startswith(
        "targets y (one-hot of labels) (8, 2) · ±1")
    mse_trace, mse_layers = mse()
    targets = drawn(stage_panels(mse_trace, Stage("loss"), mse_layers), "targets")
    np.testing.assert_array_equal(targets[1].customdata, mse_trace.target.ravel())
    assert targets[2].layout["xaxis" + targets[0].xaxis[1:]].title.text == "output"


def test_target_matrix_cases():
    labels = np.array([0, 2, 1])
    np.testing.assert_array_equal(target_matrix(labels, (3, 3))[0], np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(target_matrix(labels.reshape(3, 1), (3, 3))[0], np.eye(3)[[0, 2, 1]])
    one = np.eye(3)[[1, 1, 0]]
    assert target_matrix(one, (3, 3)) == (one, "targets y")
    ints = np.array([[1], [0], [1]])
    assert target_matrix(ints, (3, 1), "MSECriterion") == (ints, "targets y")  # integer regression targets
    assert target_matrix(ints, (3, 1))[1] == "targets y"                      # not labels in [0, 1)
    np.testing.assert_array_equal(target_matrix(np.array([[0], [0]]), (2, 1))[0], np.ones((2, 1)))
    floats = np.array([[0.5], [1.5], [2.0]])
    assert target_matrix(floats, (3, 1), MSECriterion())[0] is floats
    np.testing.assert_array_equal(target_matrix(np.array([1.0, 0.0]), (2, 2))[0], [[0, 1], [1, 0]])
    assert target_matrix(np.array([np.nan, 0.0]), (2, 2))[1] == "targets y"


def test_nan_input_is_flagged_where_it_first_appears():
    trace, layers = nan_input()
    assert trace.first_nonfinite == Stage("forward", 0)
    panels = stage_panels(trace, Stage("forward", 0), layers)
    figure = drawn(panels, "input")[2]
    assert [t.type for t in figure.data[:3]] == ["heatmap", "scatter", "scatter"]
    assert list(figure.data[2].x) == [1] and list(figure.data[2].y) == [2]
    assert "1 NaN/inf cell" in figure.layout.annotations[0].text
    assert "first NaN/inf" in panels[0].caption and "⚠ 2 NaN/inf" in panels[0].caption
    assert "first NaN/inf" not in stage_panels(trace, Stage("loss"), layers)[0].caption
    assert "nan" in stage_summary(trace, Stage("loss")).lower()


def test_evaluate_mode_formulas_and_no_batch_statistics():
    trace, layers = deep(evaluate=True)
    bn = stage_panels(trace, Stage("forward", 1), layers)
    assert r"\sqrt{v + \varepsilon}" in bn[0].latex and r"\mu_B" not in bn[0].latex
    assert not any("mean" in p.tensors for p in bn)
    dropout = stage_panels(trace, Stage("forward", 4), layers)[0]
    assert "evaluate" in dropout.latex and "0 of 40 units zeroed" in dropout.caption


def test_training_batchnorm_statistics_and_dropout_count():
    trace, layers = deep()
    panels = stage_panels(trace, Stage("forward", 4), layers)
    record = trace.forward[4]
    zeroed = int(np.count_nonzero((record.output == 0) & (record.input != 0)))
    assert f"{zeroed} of 40 units zeroed" in panels[0].caption and r"M \cdot 2" in panels[0].latex
    stats = stage_panels(trace, Stage("forward", 1), layers)
    np.testing.assert_allclose(drawn(stats, "mean")[1].customdata, layers[1].moving_mean, rtol=0,
                               atol=1e-15)  # the first batch sets the moving mean
    stacked = [t.meta for t in stats[1].figure.data if t.meta in ("mean", "variance")]
    assert stacked == ["mean", "variance"]
    axes = {t.meta: t.yaxis for t in stats[1].figure.data if t.meta}
    assert stats[1].figure.layout["yaxis" + axes["mean"][1:]].showticklabels is False  # drawn as strips


def test_without_layers_there_are_tensors_but_no_layer_formulas():
    trace, _ = handout()
    forward = stage_panels(trace, Stage("forward", 0))
    assert forward[0].latex is None and [p.tensors for p in forward if p.figure] == [
        ("input", "param:W", "param:b", "output")]
    assert stage_panels(trace, Stage("loss"))[0].latex is not None


def test_unknown_stage_kind_raises():
    trace, layers = handout()
    with pytest.raises(ValueError, match="unknown stage kind 'jump'"):
        stage_panels(trace, Stage("jump", 0), layers)


def test_relu_summary_counts_zero_outputs_and_units_dead_for_the_batch():
    model = Sequential(Linear(2, 3, rng=np.random.default_rng(0)), ReLU(), Linear(3, 2), LogSoftMax())
    model[0].W[:, 1] = 0.0
    model[0].b[1] = -1.0  # unit 1 is negative for every sample: a dead ReLU
    x = np.random.default_rng(1).normal(size=(6, 2))
    trace = trace_iteration(model, NLLCriterion(), SGD(0.01, 0.9), x, np.array([0, 1, 0, 1, 0, 1]))
    text = stage_summary(trace, Stage("forward", 1))
    zeros = int(np.count_nonzero(trace.forward[1].output == 0))
    assert f"{zeros} of 18 outputs are 0, 1 of 3 units are 0 for every sample of the batch" in text
    assert "no gradient reaches their weights" in text


def test_adams_update_draws_its_step_which_neither_m_nor_v_is():
    from tests.zoo import zoo_lab

    lab = zoo_lab("cnn-Adam")
    trace, layers = lab.trace, layers_of(lab.model)
    stage = next(s for s in trace.stages if s.kind == "update")
    drawn_ids = {t for p in stage_panels(trace, stage, layers) for t in p.tensors}
    assert {"m:W", "v:W", "step:W", "after:W"} <= drawn_ids, drawn_ids
