"""A CNN with SGD and with Adam on every page a learner steps through (AppTest): Build's shapes and optimizer,
the Step page's channel maps and formulas at every stage, the Jacobians' banded and selection structure."""
from dataclasses import replace

import numpy as np
import pytest

from streamlit.testing.v1 import AppTest

from lab.links import PARAM, config_token
from lab.presets import PRESETS
from tests.pages.apptest import APP, errors, figures, grids, open_page, picker, plotly_array
from tests.pages.test_jacobians import plain
from tests.pages.test_step_predict import answer, asked
from tests.uploaded import digits_csv
from viz.jacobian_view import tied_windows


def on_cnn(page, by_hand=False, **changes):
    at = open_page(page, by_hand=by_hand)
    at.session_state.lab.load_preset("cnn_digits")
    if changes:
        at.session_state.lab.apply(replace(at.session_state.lab.config, **changes))
    at.run()
    assert not at.exception and not errors(at)
    return at


def maps_drawn(at):
    """{panel key ("forward 0-maps-y"): its picture} of the Step page's channel maps (ui.channel_maps)."""
    return {picture["name"]: picture for picture in grids(at, "step-maps-").values()}


def texts(at):
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_build_says_what_the_first_layer_receives_and_lists_the_shapes():
    at = on_cnn("build")
    assert "The first layer receives images (32, 1, 8, 8)." in texts(at)
    table = at.dataframe[0].value
    assert list(table["output shape"])[:5] == ["(32, 4, 8, 8)", "(32, 4, 8, 8)", "(32, 4, 4, 4)", "(32, 64)",
                                               "(32, 10)"]
    assert list(table["parameters"])[-1] == 690  # the total: 40 of Conv2d, 650 of Linear
    assert "`Conv2d(1, 4, 3)` → images (4, 8, 8)" in texts(at)
    at.number_input(key="layer_2_kernel_size").set_value(3).run()  # 8 is not divisible by 3: refused, kept
    assert any("Use a MaxPool2d kernel size that divides H = 8 and W = 8 (2, 4, 8)" in e for e in errors(at))
    assert at.session_state.lab.config == PRESETS["cnn_digits"].config


def test_build_switches_to_adam_with_its_settings_and_back():
    at = on_cnn("build")
    assert not at.number_input(key="momentum").disabled
    at.selectbox(key="optimizer").set_value("Adam").run()
    lab = at.session_state.lab
    assert not errors(at) and lab.config.optimizer == "Adam" and lab.trace.optimizer == "Adam"
    assert {"beta1", "beta2", "epsilon"} <= {n.key for n in at.number_input}
    assert "momentum" not in {n.key for n in at.number_input}
    at.number_input(key="beta2").set_value(1.0).run()  # out of range: refused beside the field, kept
    assert any("beta2 (mean of g²) must be a number in [0, 0.99999], got 1" in e for e in errors(at))
    assert lab.config.beta2 == 0.999
    at.number_input(key="beta1").set_value(0.8).run()
    assert at.session_state.lab.trace.config["beta1"] == 0.8
    assert "optimizer = Adam(lr=0.1, beta1=0.8, beta2=0.999, epsilon=1e-08)" in at.code[0].value
    at.selectbox(key="optimizer").set_value("SGD").run()
    assert at.session_state.lab.trace.optimizer == "SGD" and "momentum" in {n.key for n in at.number_input}


@pytest.mark.parametrize("optimizer, named", [("SGD", "· SGD lr 0.1, momentum 0.9 ·"),
                                              ("Adam", "· Adam lr 0.1, β1 0.9, β2 0.999, ε 1e-08 ·")])
def test_a_link_to_a_cnn_opens_with_its_layers_and_optimizer_in_the_one_line_summary(optimizer, named):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[PARAM] = config_token(replace(PRESETS["cnn_digits"].config, optimizer=optimizer))
    at.run()
    assert not at.exception and not errors(at)
    line = at.caption[0].value
    assert line.startswith("Your network: `Conv2d(1 -> 4, 3x3)` → `ReLU` → `MaxPool2d(2)` → `Flatten`") and named in line


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_every_stage_of_a_cnn_draws_its_maps_formulas_and_entry_by_hand(optimizer):
    at = on_cnn(None, optimizer=optimizer, learning_rate=0.1 if optimizer == "SGD" else 1e-3)
    lab = at.session_state.lab
    for i, stage in enumerate(lab.stages):
        assert not at.exception and not errors(at), stage
        four_d = stage.kind in ("forward", "backward") and stage.index <= 3  # Conv2d, ReLU, MaxPool2d, Flatten
        assert bool(maps_drawn(at)) == four_d, (stage, list(maps_drawn(at)))
        shown = " ".join(e.value for e in at.latex)
        if stage.kind == "forward" and stage.index == 0:
            assert r"\sum_{c" in shown or r"\sum_{c," in shown
        if stage.kind == "update":
            assert (r"\beta_1 m + (1 - \beta_1)" in shown) == (optimizer == "Adam")
        by_hand = [e for e in at.expander if "by hand" in e.label]
        assert len(by_hand) == (stage.index != 3 or stage.kind not in ("forward", "backward")), stage  # not Flatten
        if i < len(lab.stages) - 1:
            at.button(key="step_next").click().run()


def test_the_receptive_field_picker_outlines_the_window_of_the_chosen_output():
    at = on_cnn(None)
    at.number_input(key="rf_channel").set_value(2).run()
    at.number_input(key="rf_row").set_value(0).run()
    at.number_input(key="rf_col").set_value(7).run()
    assert not at.exception and not errors(at)
    maps = maps_drawn(at)["forward 0-maps-x"]
    boxes = [box for tile in maps["tiles"] for box in tile["marks"]]
    assert boxes and maps["svg"].count('class="mark"') == len(boxes)  # the window is outlined, and drawn
    assert {(box["y0"], box["y1"], box["x0"], box["x1"]) for box in boxes} == {(-0.5, 1.5, 5.5, 7.5)}
    # the window of row 0, column 7 ends at the image's top and right edges (padding beyond)
    (picked,) = [tile for tile in maps_drawn(at)["forward 0-maps-y"]["tiles"] if tile["marks"]]
    assert picked["title"] == "y[n=0, c=2]" and picked["marks"] == [dict(x0=6.5, x1=7.5, y0=-0.5, y1=0.5)]


@pytest.mark.parametrize("layer, phrase", [(0, "**Why it is banded.**"), (2, "**A selection matrix.**")])
def test_the_jacobians_of_conv2d_and_maxpool2d_agree_three_ways_and_say_why_they_look_so(layer, phrase):
    at = on_cnn("jacobians")
    at.selectbox(key="jacobian_layer").set_value(layer).run()
    assert not at.exception and not errors(at)
    metrics = {m.label: float(m.value) for m in at.metric}
    assert metrics["max |g · J − grad_input|"] < 1e-7 and metrics["max |closed form − backprop|"] < 1e-12
    lab, sample = at.session_state.lab, at.number_input(key="jacobian_sample").value
    ties = tied_windows(lab.model[layer], lab.trace.forward[layer].input[sample])
    if ties:  # ReLU's zeros tie in a window: max is not differentiable there, and the page says why
        assert metrics["max |backprop − finite diff.|"] == pytest.approx(0.5, abs=1e-6)
        assert f"{ties} of this sample's pooling windows have a tied maximum" in " ".join(c.value for c in at.caption)
    else:
        assert metrics["max |backprop − finite diff.|"] < 1e-6
    note = next(m.value for m in at.markdown if m.value.startswith(phrase))
    (backprop,) = [f for f in figures(at) if ": backprop (" in plain(f)]
    J = plotly_array(backprop["data"][0]["z"])
    if layer == 0:
        assert J.shape == (256, 64) and "only 36 distinct values" in note
        assert f"{np.count_nonzero(J) / J.size:.1%}" in note
    else:
        assert J.shape == (64, 256) and "(64 ones in 64 rows)" in note
        assert np.all(np.count_nonzero(J, axis=1) == 1)


def test_predict_first_on_a_cnn_hides_the_output_maps_until_each_question_is_answered_right():
    at = on_cnn(None)
    at.toggle(key="step_predict").set_value(True).run()
    lab = at.session_state.lab
    for i, stage in enumerate(lab.stages):
        keys = maps_drawn(at)
        assert f"{stage}-maps-y" not in keys and f"{stage}-maps-dx" not in keys, stage
        answer(at, asked(at).answer)
        assert not errors(at) and any("right" in s.value.lower() for s in at.success), stage
        keys = maps_drawn(at)
        if stage.kind == "forward" and stage.index in (0, 2):  # Conv2d's and MaxPool2d's output maps come back
            assert f"{stage}-maps-y" in keys, (stage, list(keys))
        if i < len(lab.stages) - 1:
            at.button(key="step_next").click().run()


def test_a_28_by_28_convolutions_jacobian_is_refused_with_where_to_see_one_whole():
    at = open_page("jacobians")
    lab = at.session_state.lab
    lab.upload("digits28.csv", digits_csv(200))
    lab.load_preset("cnn_csv")
    at.run()
    at.selectbox(key="jacobian_layer").set_value(0).run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if w.value.startswith("Not computed")]
    assert "layer 0 (Conv2d(1 -> 8, 3x3)): the Jacobian of one sample (6272 × 784, three ways)" in warning
    assert "its input is 1 map of 28 × 28 (784 numbers); on the small CNN on digits (8 × 8 images" in warning


def test_a_layer_of_more_than_16_channels_draws_a_page_of_them_with_a_picker_for_the_rest():
    from lab.presets import stack
    at = on_cnn(None, layers=stack(("Conv2d", 20, 3), "ReLU", ("MaxPool2d", 2), "Flatten", ("Linear", 10),
                                   "LogSoftMax"))
    y = maps_drawn(at)["forward 0-maps-y"]
    assert [tile["heading"].split(" ·")[0] for tile in y["tiles"]] == [f"c={c}" for c in range(16)]
    at.selectbox(key="maps_first_out").set_value(16).run()
    assert not at.exception and not errors(at)
    y, W = maps_drawn(at)["forward 0-maps-y"], maps_drawn(at)["forward 0-maps-W"]
    assert [tile["heading"].split(" ·")[0] for tile in y["tiles"]] == [f"c={c}" for c in range(4, 20)]
    assert "channels 4 to 19 of 20" in y["title"]  # a full page: the last 16
    assert [tile["title"] for tile in W["tiles"]] == [f"W[{o}, 0]" for o in range(4, 20)]


def test_the_by_hand_picker_of_a_conv2d_names_the_indices_as_its_formula_does():
    at = on_cnn(None, by_hand=True)
    lab = at.session_state.lab
    lab.jump([str(s) for s in lab.trace.stages].index("backward 0"))
    at.run()
    labels = [n.label for n in at.number_input if n.key and n.key.startswith("pick_axis_")]
    assert [label.split(" ")[0] for label in labels] == ["n", "c", "i", "j"]  # x[n, c, i, j], not row/column
    assert labels[1] == "c (0 to 0)" and labels[2] == "i (0 to 7)"
    picker(at, "pick_axis_2").set_value(5).run()
    picker(at, "pick_axis_3").set_value(6).run()
    assert not at.exception
    latex = " ".join(item.value for item in at.latex)
    assert r"\partial x_{" in latex and ",0,5,6}" in latex  # ∂L/∂x[n, 0, 5, 6] worked out
    picker(at, "pick_tensor").set_value("grad:W").run()
    labels = [n.label.split(" ")[0] for n in at.number_input if n.key and n.key.startswith("pick_axis_")]
    assert labels == ["o", "c", "p", "q"]
