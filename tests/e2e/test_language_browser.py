"""The language switch and the decimal comma in a real browser: switching to Russian on the Step page keeps the
stage, the network and the answers (checked and only typed); an answer typed as 0,057 is read as 0.057.

Run alone with `python -m pytest -m e2e tests/e2e/test_language_browser.py`; screenshots land in artifacts/e2e/.
"""
import pytest
from playwright.sync_api import expect

from engine.sequential import layers_of
from lab.links import link
from lab.presets import PRESETS
from lab.session import Lab
from tests.e2e.test_predict_browser import answer
from viz.asked import stage_question
from viz.by_hand import by_hand

pytestmark = pytest.mark.e2e


def comma(value):
    """value as a learner used to a decimal comma types it: 0,057."""
    return repr(float(value)).replace(".", ",")


def stage_number(learner):
    return learner.heading().split("/")[0]


def test_switching_to_russian_keeps_the_stage_the_network_and_the_answers(learner):
    page, config = learner.page, PRESETS["circles"].config
    learner.url = link(learner.url, config)
    learner.open()
    lab, network = Lab(config), learner.network()
    trace, layers = lab.trace, layers_of(lab.model)
    learner.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    first = stage_question(trace, trace.stages[0], layers)
    answer(learner, first, first.answer)  # checked: its verdict
    assert any(text.startswith("Right") for text in learner.alerts("Success"))
    learner.click("Next ▶")
    second = stage_question(trace, trace.stages[1], layers)
    assert second.widget == "number" and "," in comma(second.answer)
    box = page.get_by_role("textbox", name="Your answer")
    box.fill(comma(second.answer))  # typed, not checked yet
    learner.rerun(lambda: box.press("Enter"))
    learner.rerun(lambda: page.get_by_text("Русский", exact=True).click())
    assert "lang=ru" in page.url
    assert stage_number(learner) == "2" and learner.network() == network
    box = page.get_by_role("textbox", name="Ваш ответ")
    expect(box).to_have_value(comma(second.answer))  # the typed answer is kept, under its Russian label
    learner.screenshot("russian_typed_answer")
    learner.click("Проверить", exact=True)
    assert any(text.startswith("Верно") for text in learner.alerts("Success"))  # 0,… read as 0.…
    learner.rerun(lambda: page.locator(".st-key-step_next button").click())
    assert stage_number(learner) == "3" and learner.network() == network
    learner.rerun(lambda: page.locator(".st-key-step_prev button").click())
    learner.rerun(lambda: page.locator(".st-key-step_prev button").click())
    assert stage_number(learner) == "1" and any(text.startswith("Верно") for text in learner.alerts("Success"))
    learner.screenshot("russian_first_stage_answered")
    learner.check_clean()


def test_a_by_hand_value_typed_with_a_decimal_comma_is_right_in_english(learner):
    page, lab = learner.page, Lab()
    learner.click("Next ▶")  # forward 1
    (item,) = by_hand(lab.trace, lab.trace.stages[1], layers_of(lab.model))
    learner.rerun(lambda: page.get_by_text("Work out one entry by hand, with these numbers").click())  # draws it
    learner.rerun(lambda: page.get_by_role("radio", name="Last step blank", exact=True).click())
    box = page.get_by_role("textbox", name="Your value")
    box.fill("0,05x")
    learner.rerun(lambda: box.press("Enter"))
    assert any("is not a number" in text for text in learner.alerts("Error"))
    box.fill(comma(item.engine))
    learner.rerun(lambda: box.press("Enter"))
    assert not learner.alerts("Error")
    learner.click("Check", exact=True)
    assert "Right." in learner.alerts("Success")
    learner.screenshot("by_hand_decimal_comma")
    learner.check_clean()


PASTE = """([field, text]) => {
  const data = new DataTransfer();
  data.setData("text", text);
  field.focus();
  field.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_the_build_pages_number_fields_read_a_typed_or_pasted_decimal_comma(learner):
    """st.number_input alone drops the comma: 0,5 typed became 5 and 0,01 became 1."""
    page = learner.page
    learner.go("Build", "Build a network")
    rate = page.get_by_role("spinbutton", name="Learning rate")
    rate.click()
    rate.press("Control+a")
    page.keyboard.type("0,5")
    expect(rate).to_have_value("0.5")
    learner.rerun(lambda: rate.press("Enter"))
    momentum = page.get_by_role("spinbutton", name="Momentum")
    momentum.press("Control+a")
    page.evaluate(PASTE, [momentum.element_handle(), "0,25"])
    expect(momentum).to_have_value("0.25")
    learner.rerun(lambda: momentum.press("Enter"))
    assert "lr 0.5, momentum 0.25" in learner.summary(), learner.summary()
    learner.screenshot("build_decimal_comma")
    learner.check_clean()


@pytest.mark.parametrize("present", [False, True])
def test_the_language_switch_stays_beside_a_long_network_line(learners, present):
    (learner,) = learners(1, viewport={"width": 1024, "height": 768})
    learner.url = link(learner.url, PRESETS["cnn_digits"].config, present=present) + "&lang=ru"
    learner.open()
    # The row lays out in two passes (the caption first takes the whole width): wait for the switch to sit beside it.
    learner.page.wait_for_function("""() => {
        const row = document.querySelector(".st-key-network_summary");
        const line = row?.querySelector("[data-testid=stCaptionContainer]");
        const switch_ = row?.querySelector("[data-testid=stButtonGroup]");
        if (!line || !switch_) return false;
        const right = line.getBoundingClientRect().right, box = switch_.getBoundingClientRect();
        return box.width > 0 && box.x >= right - 1;
    }""", timeout=10_000)
    summary = learner.page.locator(".st-key-network_summary")
    line = summary.get_by_test_id("stCaptionContainer").bounding_box()
    switch = summary.get_by_test_id("stButtonGroup").bounding_box()
    assert line["height"] > 30  # long enough to take two lines of its own
    assert switch["x"] >= line["x"] + line["width"] - 1 and switch["y"] < line["y"] + line["height"], (line, switch)
