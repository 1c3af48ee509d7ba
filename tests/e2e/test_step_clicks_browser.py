"""Rapid clicks on the Step page in a real browser (issue 23, 1), the stage area redrawn alone on a Next (issue 19,
"every click fast"), and the page's top under the top bar (issue 19, 16).

Run alone with `python -m pytest -m e2e tests/e2e/test_step_clicks_browser.py`; screenshots land in artifacts/e2e/.
"""
import pytest

from lab.links import link
from lab.presets import PRESETS

from .conftest import NARROW

pytestmark = pytest.mark.e2e

NETWORKS = {"default": None, "digits": PRESETS["digits"].config}
# The empty band between the bottom of the top bar and the first line of the page, in CSS pixels.
BAND = """() => document.querySelector('.st-key-network_summary').getBoundingClientRect().top
  - document.querySelector('[data-testid="stHeader"]').getBoundingClientRect().bottom"""


def open_on(learner, network):
    config = NETWORKS[network]
    learner.url = learner.url if config is None else link(learner.url, config)
    learner.open()


def burst(learner, do, reruns=True):
    """do() (two clicks, or a click and a key, with no gap); wait until every rerun it started has finished and
    drawn, and check that no exception box and no console error came of it. reruns=False: do() may start none
    (a double click on a disabled button)."""
    before = learner.runs
    do()
    if reruns:
        assert learner.wait_runs(before + 1), f"{learner.name}: no rerun finished"
    else:
        learner.wait_runs(before + 1, timeout_ms=2000)
    for _ in range(2):  # the second click's rerun may start after the first one's end
        learner.page.wait_for_timeout(300)
        learner.idle()
    learner.check_clean()


@pytest.mark.parametrize("network", NETWORKS)
def test_double_clicks_on_next_and_prev_with_the_slider_between_leave_no_error_box(learner, network):
    """A double click sends the second click with the picker, slider and charts of the stage the browser still
    shows: on the digits MLP 4 of 40 double clicks on Next showed a StopIteration box (issue 23, 1)."""
    open_on(learner, network)
    page = learner.page
    stages = int(learner.heading().split(" · ")[0].split("/")[1])
    button = {name: page.locator(f".st-key-step_{name} button") for name in ("next", "prev", "reset")}
    for _ in range(3):
        for name in ("next", "next", "prev"):  # force: a disabled Next at the end (or Prev at the start) too
            burst(learner, lambda: button[name].dblclick(force=True), reruns=not button[name].is_disabled())
        burst(learner, lambda: (button["next"].click(force=True), page.get_by_role("slider").press("Home")),
              reruns=not button["next"].is_disabled() or not button["prev"].is_disabled())
    burst(learner, lambda: button["reset"].click())
    assert learner.heading().startswith(f"1/{stages} · ")
    burst(learner, lambda: button["next"].dblclick())
    # One Next or two (Streamlit folds a click that arrives before the first one's rerun began into it), never
    # back: the second click's slider value, drawn at the first stage, dragged the stage back to it.
    assert learner.heading().startswith((f"2/{stages} · ", f"3/{stages} · ")), learner.heading()


def test_a_next_redraws_the_stage_area_alone(learner):
    """The title, the iteration's caption and the network line stay the same elements across a Next (the stage
    area is a fragment); a New iteration redraws the caption."""
    page = learner.page
    page.evaluate("window.__kept = [document.querySelector('h1'), document.querySelector('.st-key-network_summary')]")
    learner.rerun(lambda: page.locator(".st-key-step_next button").click())
    assert learner.heading().startswith("2/6 · ")
    assert page.evaluate("window.__kept[0].isConnected && window.__kept[1].isConnected"
                         " && window.__kept[0] === document.querySelector('h1')")
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="samples (batch size")
    assert "iteration 1" in caption.inner_text()
    learner.rerun(lambda: page.locator(".st-key-step_new_iteration button").click())
    assert "iteration 2" in caption.inner_text() and learner.heading().startswith("1/6 · ")
    learner.check_clean()


def test_the_page_starts_right_under_the_top_bar(learners):
    """Issue 19, 16: the network line sat 68 px below the 60 px top bar, at 1400 and at 800 px."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for one in learners(1) + learners(1, viewport=NARROW):
        one.open()
        try:  # the page's style element can land a moment after the run's last element
            one.page.wait_for_function(f"({BAND})() <= 16", timeout=10_000)
        except PlaywrightTimeout:
            pass  # the assertion below reports what the page settled on
        assert 0 <= one.page.evaluate(BAND) <= 16, one.page.evaluate(BAND)
