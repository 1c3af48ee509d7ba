"""Presenter mode (&present=1): the Step page for a projector, in AppTest."""
import json
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab.links import PARAM, PRESENT, config_token
from lab.presets import PRESETS
from tests.pages.apptest import APP, grids, open_page, tile_names
from ui.present import SCALE


def open_presenting(preset=None):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[PRESENT] = "1"
    if preset is not None:
        at.query_params[PARAM] = config_token(PRESETS[preset].config)
    at.run()
    assert not at.exception, at.exception
    return at


def stage_sizes(at):
    """(width, height) in pixels of each of the stage's tensor grids, as drawn (its size times its scale)."""
    return [(int(np.ceil(p["width"] * p["scale"])), int(np.ceil(p["height"] * p["scale"])))
            for p in grids(at, "step-grid-").values()]


def styles(at):
    return [element.proto.body for element in at.get("html") if "<style>" in element.proto.body]


def large_type(at):
    """True when the page has presenter mode's larger type."""
    return any("font-size: 22px" in css for css in styles(at))


def keys(at, kind):
    return {element.key for element in at.get(kind)}


@pytest.mark.parametrize("preset", [None, "digits"])
def test_presenter_mode_hides_the_controls_and_enlarges_one_stage(preset):
    usual = open_page(None, preset=preset)
    at = open_presenting(preset)
    assert at.session_state.lab.config == usual.session_state.lab.config
    assert large_type(at) and not large_type(usual)
    assert "step_jump_0" in keys(usual, "select_slider") and not keys(at, "select_slider")  # one stage, no slider
    assert "step_training" in keys(usual, "toggle") and keys(at, "toggle") == {"step_predict"}
    assert not at.get("file_uploader")  # no upload or export at the projector; working out by hand stays
    assert [e.label for e in at.expander] == ["Work out one entry by hand, with these numbers"]
    assert tile_names(at) == tile_names(usual)
    for (w, h), (w0, h0) in zip(stage_sizes(at), stage_sizes(usual), strict=True):
        assert w == pytest.approx(w0 * SCALE, abs=1) and h == pytest.approx(h0 * SCALE, abs=1)
    for _ in range(3):  # Prev and Next (their arrow-key shortcuts too) step as always
        at.button(key="step_next").click().run()
    at.button(key="step_prev").click().run()
    assert at.session_state.lab.stage == 2 and not at.exception
    assert at.button(key="step_next").proto.shortcut and at.button(key="step_prev").proto.shortcut


def test_the_top_bar_keeps_only_the_pages_a_class_looks_at():
    at = open_presenting()
    for page in ("build", "train", "bug_hunt", "about"):  # not registered in presenter mode's navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")
    at.switch_page("pages/jacobians.py").run()
    assert not at.exception and "Jacobian" in at.title[0].value


def test_leaving_presenter_mode_brings_the_controls_back_and_keeps_the_stage():
    at = open_presenting()
    at.button(key="step_next").click().run()
    at.button(key="present_stop").click().run()
    assert PRESENT not in at.query_params and not large_type(at)
    assert "step_jump_1" in keys(at, "select_slider") and at.session_state.lab.stage == 1


def test_predict_first_in_presenter_mode_asks_with_the_inputs_drawn_large():
    at = open_presenting()
    at.toggle(key="step_predict").set_value(True).run()
    assert at.button(key="predict_submit") and tile_names(at) == {"input x", "W (before update)", "b (before update)"}
    assert stage_sizes(at) and all(w > 100 for w, _ in stage_sizes(at))


def test_the_build_page_offers_a_presenter_link():
    at = open_page("build")
    (box,) = [c for c in at.checkbox if c.key == "share_present"]
    box.check().run()
    (shown,) = [code.value for code in at.code if f"?{PARAM}=" in code.value]
    assert parse_qs(urlsplit(shown).query)[PRESENT] == ["1"]


def asked(at):
    """The open question ("**Predict first.** What is ..."): in presenter mode the title of the box's fold."""
    return [text for text in [m.value for m in at.markdown] + [e.label for e in at.expander]
            if text.startswith("**Predict first.**")]


@pytest.mark.parametrize("preset, values", [("digits", False), ("cnn_digits", False), (None, True)])
def test_presenter_mode_asks_a_value_only_where_the_cells_print_their_numbers(preset, values):
    """Issue 19, 4: "What is y[7, 20]?" about a 32 × 128 heatmap with no numbers in its cells cannot be answered
    from the back of a room: presenter mode asks another kind there; the default network's tensors print theirs."""
    at = open_presenting(preset)
    at.toggle(key="step_predict").set_value(True).run()
    lab, questions = at.session_state.lab, []
    for n in range(len(lab.trace.stages)):
        if n:
            at.button(key="step_next").click().run()
        assert not at.exception
        if asked(at):
            questions += asked(at)
            at.button(key="predict_skip").click().run()
    value = re.compile(r"What is \*\*[^*]*\[[\d, ]+\]\*\*")  # y[7, 20], W[3, 1] after the step, ...
    assert len(questions) == len(lab.trace.stages), questions
    assert any(value.search(q) for q in questions) == values, questions


def test_presenter_mode_draws_the_batchs_digits_as_large_as_the_stage():
    """Issue 19, 4: the digit images grow with the rest."""
    def images(at):
        (chart,) = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart") if c.key == "step-batch-images"]
        return chart["width"], chart["height"]

    (w, h), (w0, h0) = images(open_presenting("digits")), images(open_page(None, preset="digits"))
    assert w == pytest.approx(w0 * SCALE, abs=1) and h == pytest.approx(h0 * SCALE, abs=1)
