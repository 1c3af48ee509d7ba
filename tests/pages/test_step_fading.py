"""Step page, Work out one entry by hand, faded: the learner types the result, is marked, then sees the working."""
import numpy as np
import pytest

from engine.sequential import layers_of
from lab.predict import Question, hint, tolerance
from tests.pages.apptest import open_page, tile_names
from viz.by_hand import by_hand
from viz.fade import BLANK, blank_last_step, faded, formula_only


def worked_items(at):
    lab = at.session_state.lab
    return by_hand(lab.trace, lab.current, layers_of(lab.model))


def latex_shown(at):
    return " ".join(item.value for item in at.latex)


def test_last_step_blank_hides_the_value_and_a_right_answer_reveals_the_working():
    at = open_page(None, by_hand=True)
    at.button_group(key="by_hand_level").set_value("Last step blank").run()
    (item,) = worked_items(at)
    assert blank_last_step(item.latex) in latex_shown(at) and item.latex not in latex_shown(at)
    assert not any("(exactly)" in m.value for m in at.markdown)  # the value is not printed above either
    at.text_input(key="by_hand_answer_0").input(repr(float(item.engine))).run()
    at.button(key="by_hand_check_0").click().run()
    assert not at.exception and at.success and at.success[0].value == "Right."
    assert item.latex in latex_shown(at)


def test_on_your_own_shows_only_the_formula_and_a_wrong_sign_is_named():
    at = open_page(None, by_hand=True)
    at.button_group(key="by_hand_level").set_value("On your own").run()
    (item,) = worked_items(at)
    shown = formula_only(item.latex)
    assert shown in latex_shown(at) and "\\cdot" not in shown  # no numbers substituted
    at.text_input(key="by_hand_answer_0").input(repr(-float(item.engine))).run()
    at.button(key="by_hand_check_0").click().run()
    assert at.error and "the right magnitude with the wrong sign" in at.error[0].value
    assert item.latex in latex_shown(at)


def test_faded_levels_keep_the_worked_latex_up_to_the_blank():
    at = open_page(None, by_hand=True)
    for stage in at.session_state.lab.trace.stages:
        lab = at.session_state.lab
        for item in by_hand(lab.trace, stage, layers_of(lab.model)):
            blank = faded(item.latex, "Last step blank")
            assert "?" in blank and blank != item.latex
            head = blank.split(BLANK)[0]
            assert item.latex.startswith(head) and len(head) > 0.5 * len(item.latex.split(r"\quad")[0]) - 40
            assert "?" in faded(item.latex, "On your own") and faded(item.latex, "Worked") == item.latex


def test_hints_tell_swapped_indices_and_the_batch_size():
    q = Question("by_hand", "forward 0", "y", "number", 0.3, tol=tolerance(0.3))
    assert hint(q, 0.7, swapped=0.7).startswith("the value of the entry with its two indices swapped")
    assert hint(q, 0.3 * 8, n=8).startswith("N = 8 times") and hint(q, 0.3 / 8, n=8).startswith("1/N = 1/8")
    assert hint(q, 0.31, swapped=0.7, n=8) is None and np.isclose(q.tol, 0.003)


def test_faded_levels_hide_the_result_heatmaps_until_the_value_is_checked():
    at = open_page(None, by_hand=True)
    everything = tile_names(at)
    at.button_group(key="by_hand_level").set_value("On your own").run()
    assert "input x" in tile_names(at) and "output y" not in tile_names(at) and "output y" in everything
    assert any("come back once you check" in c.value for c in at.caption)
    (item,) = worked_items(at)
    at.text_input(key="by_hand_answer_0").input(repr(float(item.engine))).run()
    at.button(key="by_hand_check_0").click().run()
    assert tile_names(at) == everything
    at.button(key="step_next").click().run()  # the next stage's entry is not checked yet: its result waits
    assert "input x" in tile_names(at) and "output y" not in tile_names(at)
    at.button_group(key="by_hand_level").set_value("Worked").run()
    assert {"input x", "output y"} <= tile_names(at)


@pytest.mark.parametrize("level", ["Last step blank", "On your own"])
def test_on_the_digits_mlp_every_stage_fades_and_a_right_value_brings_the_working_and_results_back(level):
    at = open_page(None, preset="digits", by_hand=True)
    at.button_group(key="by_hand_level").set_value(level).run()
    for n, stage in enumerate(at.session_state.lab.trace.stages):
        if n:
            at.button(key="step_next").click().run()
        items = worked_items(at)
        assert items, stage
        for k, item in enumerate(items):
            assert faded(item.latex, level) in latex_shown(at) and item.latex not in latex_shown(at)
            at.text_input(key=f"by_hand_answer_{k}").input(repr(float(item.engine))).run()
            before = tile_names(at)
            at.button(key=f"by_hand_check_{k}").click().run()
            assert not at.exception and item.latex in latex_shown(at)
        assert before < tile_names(at)  # the result heatmaps came back with the last checked item


def test_a_checked_value_is_read_as_people_do_and_the_tolerance_says_the_cells_are_enough():
    at = open_page(None, by_hand=True)
    at.button_group(key="by_hand_level").set_value("Last step blank").run()
    (item,) = worked_items(at)
    assert any("printed in the cells are enough" in c.value for c in at.caption)
    wrong = float(item.engine) * 3.123456789
    at.text_input(key="by_hand_answer_0").input(repr(wrong)).run()
    at.button(key="by_hand_check_0").click().run()
    text = at.error[0].value
    assert f"you typed {wrong:.4g}".replace("-", "−") in text and f"it is {item.engine:.4g}".replace("-", "−") in text
    assert repr(float(item.engine)) not in text and repr(wrong) not in text


def test_numbers_are_shown_with_4_digits_and_zero_to_the_tolerance_as_0():
    from lab.predict import shown
    assert shown(1.3877787807814457e-17, 1e-6) == "0" and shown(-0.0040721970) == "−0.004072"
    assert shown(123456.7) == "1.235e+05" and shown(0.5) == "0.5"


def test_a_probability_given_for_a_log_probability_gets_its_hint():
    q = Question("value", "forward 1", "y", "number", np.log(0.3), tol=tolerance(np.log(0.3)), log=True)
    assert hint(q, 0.3).startswith("the probability e^y = 0.3")
    assert hint(q, np.log(0.3)) is None
