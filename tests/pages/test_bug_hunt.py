"""Bug hunt page (AppTest): a planted bug in a copy of the network, found by layer and stage, revealed."""
from dataclasses import replace

import numpy as np
import pytest

from streamlit.testing.v1 import AppTest

import engine
import i18n
from engine.grade.catalogue import WRITTEN, as_shown, title_of
from lab.hunt import OPTIMIZER, bug_code, candidates, plant, titles, with_trace
from lab.links import BUG, LEVEL, PARAM, config_token
from lab.presets import PRESETS
from tests.pages.apptest import APP, grids, open_page
from ui.hunt import CHOSEN, LEVEL as LEVEL_KEY, STORE, where_option, where_options
from viz.stage_strip import short_label
from viz.stage_view import stage_label


def planted(at):
    return at.session_state[STORE]["hunt"]


def submit_right_answer(at, hunt):
    at.selectbox(key="hunt_layer").set_value(where_option(hunt))
    at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    pick_mistake(at, hunt.misconception)
    at.button(key="hunt_submit").click().run()
    assert not at.exception


def pick_mistake(at, misconception):
    """Choose the mistake in "What is it?" by the name it shows, in the page's language (its value: the English
    title)."""
    names = set()
    for language in i18n.LANGUAGES:
        with i18n.use(language):
            names.add(title_of(misconception))
    box = at.selectbox(key="hunt_bug")
    assert names & set(box.options)  # shown by its name in the page's language
    box.set_value(misconception.title)  # AppTest sets the value, which format_func shows as that name


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
    assert not at.exception and grids(at, "hunt-")
    shown = "\n".join(page_texts(at))
    assert hunt.misconception.variant.__name__ not in shown and hunt.misconception.title not in shown
    assert hunt.misconception.key not in shown and "Planted" not in shown
    submit_right_answer(at, hunt)
    assert at.success and "the optimizer" in at.success[0].value and "not that" not in at.success[0].value
    buggy, correct = (block.value for block in at.code)
    assert buggy.startswith("def adam_optimizer(") and "# <- the mistake" in buggy
    assert correct.startswith("def adam_optimizer(") and "# <- the mistake" not in correct
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
    assert all(type(layer) is getattr(engine, type(layer).__name__) for layer in lab.model.modules)
    at.switch_page("pages/step.py").run()
    assert not at.exception and at.session_state.lab.trace is trace


def page_texts(at, node=None, skip=("hunt_bug", CHOSEN)):
    """Every text the page holds, each element's whole message (labels, values, options, chart JSON with its
    titles and hover text, captions, LaTeX, headings), but for the widgets in `skip`, whose options list
    every mistake of the network."""
    node = at._tree if node is None else node
    if getattr(node, "key", None) in skip:
        return []
    found = [str(node.proto)] if getattr(node, "proto", None) is not None else []
    for child in getattr(node, "children", {}).values():
        found += page_texts(at, child, skip)
    return found


def show(at, hunt):
    """The page with `hunt` planted (as a teacher's link or New bug would), at its level; the Hunt with its trace."""
    hunt = with_trace(at.session_state.lab, hunt)
    store = at.session_state[STORE]
    store.update(hunt=hunt, level=hunt.level, answer=None)
    at.session_state[LEVEL_KEY] = hunt.level
    at.run()
    assert not at.exception and at.session_state[STORE]["hunt"] is hunt
    return hunt


def shows_nothing_of(at, lab, hunt):
    """With `hunt` planted, at the first stage and at its first buggy one: no text on the page names its mistake,
    and every stage's heading, every place offered and the criterion are the real network's."""
    mistake = hunt.misconception
    hunt = show(at, hunt)
    for stage in dict.fromkeys([short_label(hunt.trace.stages[0]), short_label(hunt.first)]):
        at.select_slider(key="hunt_view").set_value(stage).run()
        shown = "\n".join(page_texts(at))
        for secret in (mistake.variant.__name__, mistake.title, "engine.grade"):
            assert secret not in shown, (mistake.module, mistake.key, stage, secret)
    assert [stage_label(hunt.trace, s) for s in hunt.trace.stages] == [
        stage_label(lab.trace, s) for s in lab.trace.stages]
    assert where_options(hunt.trace) == where_options(lab.trace) and hunt.trace.criterion == lab.trace.criterion
    assert at.selectbox(key="hunt_layer").options == where_options(lab.trace)


@pytest.mark.parametrize("preset", [None, "digits", "dropout_batchnorm", "cnn_digits"])
def test_before_submit_nothing_names_the_planted_mistake_and_after_it_its_code_is_shown_as_written(preset):
    at = open_page("bug_hunt", preset=preset)
    lab = at.session_state.lab
    found = at.session_state[STORE]["found"]
    assert {h.level for h in found} == {"easy", "medium", "hard"}
    revealed = set()
    for hunt in found:
        mistake = hunt.misconception
        shows_nothing_of(at, lab, hunt)
        # After Submit: the mistake as a student writes it, its wrong line marked, beside the engine's, wrapped.
        at.button(key="hunt_submit").click().run()
        buggy, engines = at.code
        assert buggy.value == as_shown(WRITTEN[mistake.module, mistake.key]) and buggy.value.startswith("def ")
        assert "# <- the mistake" in buggy.value and "lambda" not in buggy.value
        assert engines.value.startswith("def ") and buggy.proto.wrap_lines and engines.proto.wrap_lines
        revealed.add((mistake.module, mistake.key))
    assert revealed == {(h.misconception.module, h.misconception.key) for h in candidates(lab)}


def test_what_is_it_offers_only_the_mistakes_of_this_network_and_a_new_bug_clears_the_answers():
    at = open_page("bug_hunt", preset="digits")
    found = at.session_state[STORE]["found"]
    offered = at.selectbox(key="hunt_bug").options
    assert all(h.trace is None for h in found) and at.session_state[STORE]["hunt"].trace is not None  # one kept
    assert offered == ["(not sure)"] + titles(found) and len(offered) < 15
    assert not {"m and v used without the bias correction", "gradW and gradb averaged over the batch"} & set(offered)
    hunt = at.session_state[STORE]["hunt"]
    at.selectbox(key="hunt_layer").set_value(where_option(hunt))
    at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    at.selectbox(key="hunt_bug").set_value(hunt.misconception.title).run()
    at.button(key="hunt_new").click().run()
    assert at.selectbox(key="hunt_layer").value is None and at.selectbox(key="hunt_stage").value is None
    assert at.selectbox(key="hunt_bug").value == "(not sure)"
    at.selectbox(key="hunt_layer").set_value(where_option(hunt))
    at.button_group(key="hunt_level").set_value("hard").run()
    assert at.selectbox(key="hunt_layer").value is None and not at.exception


def test_the_correct_iterations_stage_is_drawn_beside_the_buggy_one():
    at = open_page("bug_hunt", preset="digits")
    hunt = at.session_state[STORE]["hunt"]
    at.select_slider(key="hunt_view").set_value(short_label(hunt.first)).run()
    keys = list(grids(at))
    assert any(k.startswith("hunt-correct-") for k in keys) and any(k.startswith("hunt-") and "correct" not in k
                                                                  for k in keys)
    assert {"The buggy iteration", "The correct iteration (as on the Step page)"} <= {
        m.value.strip("*") for m in at.markdown}


@pytest.mark.parametrize("preset", ["digits", "cnn_digits"])
def test_a_teachers_link_plants_the_chosen_mistake_for_everyone_who_opens_it(preset):
    at = open_page("bug_hunt", preset=preset)
    at.query_params.update({BUG: "000000", LEVEL: "hard"})  # an older link's: the teacher's choice replaces it
    found = at.session_state[STORE]["found"]
    shown = at.session_state[STORE]["hunt"].misconception
    chosen = next(i for i, h in enumerate(found) if h.level == "medium" and h.misconception is not shown)
    at.selectbox(key=CHOSEN).set_value(chosen).run()
    hunt = at.session_state[STORE]["hunt"]
    assert hunt.misconception is found[chosen].misconception and at.button_group(key="hunt_level").value == "medium"
    assert BUG not in at.query_params and LEVEL not in at.query_params
    shared = next(c.value for c in at.code if f"{BUG}=" in c.value)
    assert f"{BUG}={bug_code(hunt.misconception)}&{LEVEL}=medium" in shared
    assert hunt.misconception.key not in shared and hunt.misconception.module not in shared
    # A learner opens the link: the same mistake at the same place, the choice nowhere on their page.
    learner = AppTest.from_file(APP, default_timeout=120)
    learner.query_params.update({PARAM: config_token(PRESETS[preset].config), BUG: bug_code(hunt.misconception),
                                 LEVEL: "medium"})
    learner.run()  # the app's root opens the Bug hunt
    assert not learner.exception and learner.title[0].value == "Bug hunt"
    theirs = learner.session_state[STORE]["hunt"]
    assert (theirs.misconception, theirs.where, theirs.level) == (hunt.misconception, hunt.where, hunt.level)
    assert learner.button_group(key="hunt_level").value == "medium" and learner.selectbox(key=CHOSEN).value is None
    assert hunt.misconception.title not in "\n".join(page_texts(learner))
    learner.button(key="hunt_new").click().run()  # the learner moves on: the link no longer names the bug
    assert BUG not in learner.query_params
    assert learner.session_state[STORE]["hunt"].misconception is not theirs.misconception
