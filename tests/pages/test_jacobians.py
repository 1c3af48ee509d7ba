"""Jacobians page: the layer and sample pickers, three Jacobians, the VJP check, derivations, coupling, gradcheck."""
import gc
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

from engine.sequential import layers_of
from lab.presets import PRESETS, stack
from tests.pages.apptest import errors, figures, open_page, plotly_array as array
from viz.derivation import num

CACHE = "_jacobians_page"



def plain(fig):
    """A figure's title as one line (heatmap() wraps long titles with <br>; a Jacobian's is its first annotation)."""
    layout = fig["layout"]
    title = (layout.get("title") or {}).get("text") or next(iter(layout.get("annotations") or []), {}).get("text", "")
    return title.replace("<br>", " ")


def titled(at, text):
    """The one figure whose title contains text."""
    (fig,) = [f for f in figures(at) if text in plain(f)]
    return fig


def metrics(at):
    return {m.label: float(m.value) for m in at.metric}


def latex(at):
    return "\n".join(element.value for element in at.latex)



def check_layer(at, index, sample):
    """The three heatmaps of layer `index` agree with the recorded shapes and each other; the VJP check passes."""
    lab = at.session_state.lab
    x, y = lab.trace.forward_record(index).input, lab.trace.forward_record(index).output
    shape = (y[sample].size, x[sample].size)
    for name in (": backprop (", ": finite diff.", ": closed form", ": backprop − finite differences"):
        fig = titled(at, name)
        heat = fig["data"][0]
        assert heat["type"] == "heatmap" and array(heat["z"]).shape == shape, name
        assert fig["layout"]["xaxis"]["title"]["text"] == "input i (column)"
        assert fig["layout"]["yaxis"]["title"]["text"] == "output j (row)"
        title = plain(fig)
        assert title.startswith(f"{index} · ") or title.startswith(f"layer {index}, sample {sample}: ")
    found = metrics(at)
    assert found["max |backprop − finite diff.|"] < 1e-6
    assert found["max |closed form − backprop|"] < 1e-12
    assert found["max |g · J − grad_input|"] < 1e-7
    vjp = at.dataframe[0].value
    np.testing.assert_allclose(vjp["recorded grad_input"],
                               np.ravel(lab.trace.backward_record(index).grad_input[sample]))
    assert vjp["abs error"].max() < 1e-7


def test_default_page_shows_logsoftmax_three_ways_with_its_derivation():
    at = open_page("jacobians")
    assert not errors(at)
    picker = at.selectbox(key="jacobian_layer")
    assert picker.options == ["0 · Linear(2 -> 2)", "1 · LogSoftMax"] and picker.value == 1
    assert at.number_input(key="jacobian_sample").value == 0
    check_layer(at, 1, 0)
    lab = at.session_state.lab
    x = np.asarray(lab.trace.forward_record(1).input[0], dtype=np.float64)
    a = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    z = array(titled(at, ": backprop (")["data"][0]["z"])
    np.testing.assert_allclose(z, np.eye(2) - a[None, :], atol=1e-12)  # I - 1 a^T
    text = latex(at)
    assert r"\mathbb{R}^{2 \times 2}" in text and "N = 8" in text
    assert r"J = \frac{\partial b}{\partial x} = I - \mathbf{1} a^{\top}" in text
    assert r"g - a \sum_k g_k" in text
    grad_input = lab.trace.backward_record(1).grad_input[0]
    assert num(a[0]) in text and num(grad_input[0]) in text and num(grad_input[1]) in text


def test_sample_picker_changes_the_numbers():
    at = open_page("jacobians")
    lab = at.session_state.lab
    at.number_input(key="jacobian_sample").set_value(5).run()
    assert not at.exception
    check_layer(at, 1, 5)
    assert "sample 5" in plain(titled(at, ": backprop ("))
    g = lab.trace.backward_record(1).grad_output[5]
    grad_input = lab.trace.backward_record(1).grad_input[5]
    text = latex(at)
    assert num(g.sum()) in text and num(grad_input[0]) in text and "s = 5" in text
    at.selectbox(key="jacobian_layer").set_value(0).run()
    check_layer(at, 0, 5)
    assert r"I - \mathbf{1} a^{\top}" not in latex(at)  # no derivation for Linear
    z = array(titled(at, ": closed form (")["data"][0]["z"])
    before = {update.param: update.before for update in lab.trace.update_records(0)}
    np.testing.assert_array_equal(z, before["W"].T)  # W^T with the weights of the recorded iteration


def test_every_layer_of_a_deeper_preset_and_batchnorm_coupling():
    at = open_page("jacobians", "dropout_batchnorm")
    lab = at.session_state.lab
    layers = layers_of(lab.model)
    picker = at.selectbox(key="jacobian_layer")
    assert picker.options == [f"{i} · {layer!r}" for i, layer in enumerate(layers)]
    assert picker.value == 1  # still a valid index after the network grew: kept
    at.number_input(key="jacobian_sample").set_value(3).run()
    for index in range(len(layers)):
        at.selectbox(key="jacobian_layer").set_value(index).run()
        assert not at.exception and not errors(at)
        check_layer(at, index, 3)
        coupling = [f for f in figures(at) if "block (s, t)" in plain(f)]
        assert bool(coupling) == (index == 1)  # BatchNormalization is layer 1
    at.selectbox(key="jacobian_layer").set_value(1).run()
    (coupling,) = [f for f in figures(at) if "block (s, t)" in plain(f)]
    assert coupling["data"][0]["type"] == "heatmap" and array(coupling["data"][0]["z"]).shape == (64, 64)
    assert coupling["layout"]["yaxis"]["title"]["text"].endswith("(row)")
    norms = array(titled(at, "‖∂y_s/∂x_t‖")["data"][0]["z"])
    assert norms.shape == (4, 4) and np.all(norms[~np.eye(4, dtype=bool)] > 1e-4)  # coupled
    assert "N = 16" in latex(at) and r"\sum_{t=0}^{N-1}" in latex(at)


def test_batchnorm_in_evaluate_mode_has_no_coupling():
    at = open_page("jacobians", "dropout_batchnorm")
    lab = at.session_state.lab
    lab.new_iteration()  # its starting weights now carry moving statistics (a fresh BatchNorm has none)
    lab.apply(replace(lab.config, training=False))
    at.run()
    at.selectbox(key="jacobian_layer").set_value(1).run()
    assert not at.exception
    check_layer(at, 1, 0)
    assert any("no coupling" in info.value for info in at.info)
    assert not [f for f in figures(at) if "block (s, t)" in plain(f)]
    norms = array(titled(at, "‖∂y_s/∂x_t‖")["data"][0]["z"])
    assert np.all(norms[~np.eye(4, dtype=bool)] == 0) and np.all(np.diag(norms) > 0)


def test_softmax_layer_shows_its_derivation():
    at = open_page("jacobians", "saturated_softmax")
    assert at.selectbox(key="jacobian_layer").value == 1
    check_layer(at, 1, 0)
    text = latex(at)
    assert r"\operatorname{diag}(a) - a a^{\top}" in text
    assert num(at.session_state.lab.trace.backward_record(1).grad_input[0][0]) in text


def test_pickers_stay_valid_when_the_network_shrinks():
    at = open_page("jacobians", "dropout_batchnorm")
    at.selectbox(key="jacobian_layer").set_value(4).run()
    at.number_input(key="jacobian_sample").set_value(15).run()
    at.session_state.lab.apply(PRESETS["handout"].config)  # 2 layers, batch 8
    at.run()
    assert not at.exception
    assert at.selectbox(key="jacobian_layer").value == 1 and at.number_input(key="jacobian_sample").value == 0
    check_layer(at, 1, 0)


def test_views_are_cached_per_trace():
    at = open_page("jacobians")
    views = at.session_state[CACHE]["views"]
    view = views[("en", ("jacobians", 1, 0))]
    at.run()
    assert at.session_state[CACHE]["views"][("en", ("jacobians", 1, 0))] is view  # a rerun reuses it
    at.session_state.lab.new_iteration()
    at.run()
    assert at.session_state[CACHE]["views"][("en", ("jacobians", 1, 0))] is not view  # a new iteration does not


@pytest.mark.parametrize("preset, tensors", [("handout", ["input", "0.W", "0.b"]),
                                             ("dropout_batchnorm", ["input", "0.W", "0.b", "4.W", "4.b"])])
def test_gradcheck_button_checks_every_tensor(preset, tensors):
    at = open_page("jacobians", preset)
    assert any(c.value == "Not run yet for this iteration." for c in at.caption)
    at.button(key="gradcheck_run").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["tensor"]) == tensors and table["pass"].all() and (table["samples"] == 4).all()
    assert (table["max abs error"] < 1e-6).all()
    assert at.success[0].value == f"All {len(tensors)} tensors pass."
    result = at.session_state[CACHE]["gradcheck"]
    at.selectbox(key="jacobian_layer").set_value(0).run()
    assert at.session_state[CACHE]["gradcheck"] is result and len(at.success) == 1  # kept, not recomputed
    at.session_state.lab.new_iteration()
    at.run()
    assert at.session_state[CACHE]["gradcheck"] is None and not at.success


def test_a_diverged_iteration_still_draws():
    at = open_page("jacobians", "high_lr")
    lab = at.session_state.lab
    for _ in range(30):  # lr 0.5, momentum 0.9: the loss reaches inf within a few iterations
        if lab.trace.first_nonfinite is not None:
            break
        lab.new_iteration()
    assert lab.trace.first_nonfinite is not None
    at.run()
    for index in range(len(lab.model)):
        at.selectbox(key="jacobian_layer").set_value(index).run()
        assert not at.exception
    at.button(key="gradcheck_run").click().run()
    assert not at.exception and len(at.dataframe[-1].value) == 5


def test_ten_classes_derivation_is_shortened_and_drawn_whole_in_strips():
    """Digits (10 classes): the formulas show 3 entries, ⋯ and the last; the strips hold every entry."""
    at = open_page("jacobians", "digits")
    at.selectbox(key="jacobian_layer").set_value(5).run()  # LogSoftMax
    at.number_input(key="jacobian_sample").set_value(3).run()
    assert not at.exception
    lab = at.session_state.lab
    x = np.asarray(lab.trace.forward_record(5).input[3], dtype=np.float64)
    g = np.asarray(lab.trace.backward_record(5).grad_output[3], dtype=np.float64)
    grad_input = lab.trace.backward_record(5).grad_input[3]
    strip = titled(at, "LogSoftMax, sample 3: every entry")
    rows = [array(trace["z"]) for trace in strip["data"]]
    assert [trace["type"] for trace in strip["data"]] == ["heatmap"] * 5 and all(r.shape == (1, 10) for r in rows)
    np.testing.assert_array_equal(rows[0][0], x)
    np.testing.assert_array_equal(rows[3][0], g)
    np.testing.assert_allclose(rows[4][0], grad_input, rtol=1e-12, atol=1e-18)
    assert strip["layout"]["xaxis5"]["title"]["text"].startswith("class k")
    text = latex(at)
    assert rf"{num(x[2])} & \cdots & {num(x[9])}" in text and num(x[3]) not in text.split("K = 10")[0]
    assert rf"{num(grad_input[2])} & \cdots & {num(grad_input[9])}" in text


# --- every computation within the learner's budget ---

def test_the_issue_network_at_batch_768_builds_only_what_is_shown():
    """Linear(512), BatchNormalization, Linear(2), LogSoftMax on blobs, batch 768, opened at layer 1: the page
    took 3.2 GB for the (768*512, 512) finite-difference column; now one sample's 512 x 512 block and the
    coupling of 4 samples x 16 features are built."""
    at = open_page(None)
    lab = at.session_state.lab
    lab.apply(replace(lab.config, batch_size=768,
                      layers=stack(("Linear", 512), "BatchNormalization", ("Linear", 2), "LogSoftMax")))
    at.session_state["jacobian_layer"] = 1  # the page keeps the last chosen layer: merely opening it computes
    gc.collect()
    tracemalloc.start()
    try:
        at.switch_page("pages/jacobians.py").run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not at.exception and not errors(at) and not at.warning
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert at.selectbox(key="jacobian_layer").value == 1
    assert metrics(at)["max |g · J − grad_input|"] < 1e-6  # the sum over every sample t, without the column
    assert array(titled(at, ": backprop (")["data"][0]["z"]).shape == (128, 128)  # 512 x 512, downsampled
    coupling = titled(at, "block (s, t)")
    assert "first 4 of 768 samples, first 16 of 512 features" in plain(coupling)
    assert array(coupling["data"][0]["z"]).shape == (64, 64)


def test_a_view_or_a_gradcheck_over_the_budget_is_refused_saying_what_to_shrink(monkeypatch):
    at = open_page("jacobians", "digits")
    monkeypatch.setattr("lab.budget.LIMIT", 2**20)  # 1 MB: a 128 x 128 Jacobian three ways is over it
    at.selectbox(key="jacobian_layer").set_value(2).run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("Not computed: layer 2 (Linear(128 -> 128)): the Jacobian of one sample "
                              "(128 × 128, three ways) would take about 1.5 MB; the limit per learner is 1.0 MB: "
                              "choose a layer with fewer features, or use fewer units before it")
    assert not [f for f in figures(at) if ": backprop (" in plain(f)] and not at.metric
    at.selectbox(key="jacobian_layer").set_value(5).run()  # LogSoftMax: 10 x 10 fits
    assert not at.warning and metrics(at)["max |g · J − grad_input|"] < 1e-7
    at.button(key="gradcheck_run").click().run()
    assert not at.exception and at.session_state[CACHE]["gradcheck"] is None
    assert [e for e in errors(at) if e.startswith("the gradient check (10 outputs per sample, 256 entries per "
                                                  "tensor) would take about")]
    assert any(c.value == "Not run yet for this iteration." for c in at.caption)
