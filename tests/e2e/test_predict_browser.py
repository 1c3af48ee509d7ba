"""Predict first in a real browser: a question before the tensors, one answer right and one wrong.

Run alone with `python -m pytest -m e2e tests/e2e/test_predict_browser.py`; screenshots land in artifacts/e2e/.
"""
import pytest
from playwright.sync_api import expect

from engine.sequential import layers_of
from lab.links import link
from lab.presets import PRESETS
from lab.session import Lab
from viz.asked import stage_question
from viz.by_hand import by_hand

pytestmark = pytest.mark.e2e


def answer(learner, q, value):
    """Give value to the question's widget and press Check."""
    page = learner.page
    if q.widget == "number":
        box = page.get_by_role("textbox", name="Your answer")
        box.fill(repr(float(value)))
        learner.rerun(lambda: box.press("Enter"))
    elif q.widget == "radio":
        learner.rerun(lambda: page.get_by_test_id("stRadio").get_by_text(value, exact=True).click())
    else:
        raise AssertionError("the default network asks no multiselect question in its first two stages")
    learner.click("Check", exact=True)


NETWORKS = {"default": None, "digits": PRESETS["digits"].config}


def open_on(learner, network):
    """The learner's browser on the network; the same network built here records the same iteration."""
    config = NETWORKS[network]
    if config is not None:
        learner.url = link(learner.url, config)
    learner.open()
    return Lab() if config is None else Lab(config)


@pytest.mark.parametrize("network", NETWORKS)
def test_a_question_answered_right_and_the_next_answered_wrong(learner, network):
    page = learner.page
    lab = open_on(learner, network)
    trace, layers = lab.trace, layers_of(lab.model)
    learner.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    first = stage_question(trace, trace.stages[0], layers)
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="Predict first.")).to_be_visible()
    shown = " ".join(learner.chart_titles(at_least=1))
    assert "input x" in shown and "output y" not in shown  # the inputs are drawn, the result waits
    learner.screenshot("predict_question")
    answer(learner, first, first.answer)
    assert any(text.startswith("Right") for text in learner.alerts("Success"))
    assert learner.chart_titles(at_least=1)
    learner.click("Next ▶")
    second = stage_question(trace, trace.stages[1], layers)
    wrong = (second.answer + 10 * second.tol + 1) if second.widget == "number" else \
        next(o for o in second.options if o != second.answer)
    answer(learner, second, wrong)
    assert any(text.startswith("Not quite") for text in learner.alerts("Error"))
    learner.screenshot("predict_wrong")
    learner.check_clean()


@pytest.mark.parametrize("network", NETWORKS)
def test_a_faded_entry_is_worked_out_on_your_own_then_shown_worked(learner, network):
    page = learner.page
    lab = open_on(learner, network)
    learner.click("Next ▶")  # forward 1
    (item,) = by_hand(lab.trace, lab.trace.stages[1], layers_of(lab.model))
    learner.rerun(lambda: page.get_by_text("Work out one entry by hand, with these numbers").click())  # draws it
    learner.rerun(lambda: page.get_by_role("radio", name="On your own", exact=True).click())
    shown = " ".join(learner.chart_titles(at_least=1))
    assert "input x" in shown and "output y" not in shown  # the result waits for the value
    expect(page.get_by_text("come back once you check your value")).to_be_visible()
    box = page.get_by_role("textbox", name="Your value")
    box.fill(repr(-float(item.engine)))  # a sign slip
    learner.rerun(lambda: box.press("Enter"))
    learner.screenshot("by_hand_on_your_own")
    learner.click("Check", exact=True)
    assert any("wrong sign" in text for text in learner.alerts("Error"))
    assert "output y" in " ".join(learner.chart_titles(at_least=1))
    learner.screenshot("by_hand_checked")
    learner.check_clean()
