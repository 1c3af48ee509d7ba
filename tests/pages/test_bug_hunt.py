"""Bug hunt page (AppTest): a planted bug in a copy of the network, found by layer and stage, revealed."""
from dataclasses import replace

import numpy as np
import pytest

from lab.hunt import OPTIMIZER, candidates, plant
from lab.presets import PRESETS
from tests.pages.apptest import open_page
from ui.hunt import STORE, where_option
from viz.stage_strip import short_label


def planted(at):
    return at.session_state[STORE]["hunt"]


def submit_right_answer(at, hunt):
    at.selectbox(key="hunt_layer").set_value(where_option(hunt))
    at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    at.selectbox(key="hunt_bug").set_value(hunt.misconception.title)
    at.button(key="hunt_submit").click().run()
    assert not at.exception


@pytest.mark.parametrize("preset", [None, "digits", "cnn_digits"])
@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_a_right_verdict_is_confirmed_and_the_bug_explained_with_its_code(preset, level):
    at = open_page("bug_hunt", preset=preset)
    at.button_group(key="hunt_level").set_value(level).run()
    hunt = planted(at)
    assert hunt is not None and hunt.level == level
    submit_right_answer(at, hunt)
    assert at.success and "right" in at.success[0].value and "not that" not in at.success[0].value
    assert any(hunt.misconception.formula in m.value for m in at.markdown)
    assert len(at.code) == 2  # the buggy code beside the engine's


def test_an_adam_mistake_in_a_cnn_is_found_at_the_optimizers_update_and_revealed_with_its_code():
    at = open_page("bug_hunt")
    lab = at.session_state.lab
    lab.apply(replace(PRESETS["cnn_digits"].config, optimizer="Adam", learning_rate=1e-3))
    at.button_group(key="hunt_level").set_value("hard").run()
    seed = next(seed for seed in range(32) if plant(lab, "hard", seed).misconception.module == "Adam")
    for _ in range(seed):
        at.button(key="hunt_new").click().run()
    hunt = planted(at)
    assert hunt.where == OPTIMIZER and hunt.level == "hard" and hunt.first.kind == "update"
    at.select_slider(key="hunt_view").set_value(short_label(hunt.first)).run()  # the buggy update, drawn
    assert not at.exception and at.get("plotly_chart")
    submit_right_answer(at, hunt)
    assert at.success and "the optimizer" in at.success[0].value and "not that" not in at.success[0].value
    buggy, correct = (block.value for block in at.code)
    assert "def adam(" in buggy and "bias_corrected = " in buggy and correct.startswith("def adam_optimizer(")
    assert type(lab.optimizer).__name__ == "Adam" and lab.trace is not hunt.trace


def test_a_wrong_verdict_is_marked_and_new_bug_and_levels_plant_others():
    at = open_page("bug_hunt")
    hunt = planted(at)
    wrong = next(o for o in at.selectbox(key="hunt_layer").options if o != where_option(hunt))
    at.selectbox(key="hunt_layer").set_value(wrong)
    at.button(key="hunt_submit").click().run()
    assert at.error and "not that" in at.error[0].value
    at.button_group(key="hunt_level").set_value("medium").run()
    assert planted(at).level == "medium" and at.session_state[STORE]["answer"] is None
    seen = {planted(at).misconception.key}
    for _ in range(4):
        at.button(key="hunt_new").click().run()
        seen.add(planted(at).misconception.key)
    assert len(seen) > 1 and not at.exception


def test_the_planted_bug_never_reaches_the_learners_network_or_the_step_page():
    at = open_page("bug_hunt")
    lab = at.session_state.lab
    trace, weights = lab.trace, [np.array(v) for _, v, _ in lab.model.named_parameters()]
    for hunt in candidates(lab):
        assert hunt.trace is not trace
    at.button(key="hunt_new").click().run()
    assert lab.trace is trace
    assert all(np.array_equal(a, v) for a, (_, v, _) in zip(weights, lab.model.named_parameters()))
    assert all(type(layer).__module__.startswith("engine.") and "_" not in type(layer).__name__
               for layer in lab.model.modules)
    at.switch_page("pages/step.py").run()
    assert not at.exception and at.session_state.lab.trace is trace
