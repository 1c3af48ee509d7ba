"""Bug hunt page (AppTest): a planted bug in a copy of the network, found by layer and stage, revealed."""
import numpy as np
import pytest

from lab.hunt import candidates
from tests.pages.apptest import open_page
from ui.hunt import STORE, where_option
from viz.stage_strip import short_label


def planted(at):
    return at.session_state[STORE]["hunt"]


@pytest.mark.parametrize("preset", [None, "digits"])
@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_a_right_verdict_is_confirmed_and_the_bug_explained_with_its_code(preset, level):
    at = open_page("bug_hunt", preset=preset)
    at.button_group(key="hunt_level").set_value(level).run()
    hunt = planted(at)
    assert hunt is not None and hunt.level == level
    at.selectbox(key="hunt_layer").set_value(where_option(hunt))
    at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    at.selectbox(key="hunt_bug").set_value(hunt.misconception.title)
    at.button(key="hunt_submit").click().run()
    assert not at.exception
    assert at.success and "right" in at.success[0].value and "not that" not in at.success[0].value
    assert any(hunt.misconception.formula in m.value for m in at.markdown)
    assert len(at.code) == 2  # the buggy code beside the engine's


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
