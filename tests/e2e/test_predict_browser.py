"""Predict first in a real browser: a question before the tensors, one answer right and one wrong.

Run alone with `python -m pytest -m e2e tests/e2e/test_predict_browser.py`; screenshots land in artifacts/e2e/.
"""
import pytest
from playwright.sync_api import expect

from lab.exercise import fingerprint
from lab.predict import question
from lab.session import Lab

pytestmark = pytest.mark.e2e


def answer(learner, q, value):
    """Give value to the question's widget and press Check."""
    page = learner.page
    if q.widget == "number":
        box = page.get_by_role("spinbutton", name="Your answer")
        box.fill(repr(float(value)))
        learner.rerun(lambda: box.press("Enter"))
    elif q.widget == "radio":
        learner.rerun(lambda: page.get_by_test_id("stRadio").get_by_text(value, exact=True).click())
    else:
        raise AssertionError("the default network asks no multiselect question in its first two stages")
    learner.click("Check", exact=True)


def test_a_question_answered_right_and_the_next_answered_wrong(learner):
    page = learner.page
    trace = Lab().trace  # the learner's default network records the same first iteration
    learner.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    first = question(trace, trace.stages[0], fingerprint(trace))
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="Predict first.")).to_be_visible()
    shown = " ".join(learner.chart_titles(at_least=1))
    assert "input x" in shown and "output y" not in shown  # the inputs are drawn, the result waits
    learner.screenshot("predict_question")
    answer(learner, first, first.answer)
    assert any(text.startswith("Right") for text in learner.alerts("Success"))
    assert learner.chart_titles(at_least=1)
    learner.click("Next ▶")
    second = question(trace, trace.stages[1], fingerprint(trace))
    wrong = (second.answer + 10 * second.tol + 1) if second.widget == "number" else \
        next(o for o in second.options if o != second.answer)
    answer(learner, second, wrong)
    assert any(text.startswith("Not quite") for text in learner.alerts("Error"))
    learner.screenshot("predict_wrong")
    learner.check_clean()
