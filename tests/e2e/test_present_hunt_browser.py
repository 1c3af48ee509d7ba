"""Presenter mode and the Bug hunt in a real browser, on the default network and on the digits MLP.

Run alone with `python -m pytest -m e2e tests/e2e/test_present_hunt_browser.py`; screenshots land in
artifacts/e2e/.
"""

import pytest
from playwright.sync_api import expect

from lab.links import PRESENT, link
from lab.presets import PRESETS

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1600, "height": 900}
NETWORKS = {"default": None, "digits": PRESETS["digits"].config}
# The width of each of the stage's charts (not the batch's images), in CSS pixels.
CHART_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .filter(chart => !chart.closest('.st-key-step-batch-images'))
  .map(chart => chart.querySelector('.main-svg').getBoundingClientRect().width)"""


def open_on(learner, network, present=False):
    config = NETWORKS[network]
    url = learner.url if config is None else link(learner.url, config)
    learner.url = url + (("&" if "?" in url else "?") + f"{PRESENT}=1" if present else "")
    learner.open()


def key(learner, name):
    """Press an arrow key on the page (not in a field) and wait for its rerun."""
    learner.page.locator("h3").first.click()
    learner.rerun(lambda: learner.page.keyboard.press(name))


@pytest.mark.parametrize("network", NETWORKS)
def test_presenter_mode_projects_one_stage_large_and_steps_with_the_arrow_keys(learners, network):
    usual, presenter = learners(2)
    open_on(usual, network)
    presenter.page.set_viewport_size(PROJECTOR)
    open_on(presenter, network, present=True)
    page = presenter.page
    assert presenter.chart_titles(at_least=1) == usual.chart_titles(at_least=1)  # the same stage and tensors
    # Measured once both pages have drawn the same charts (a page can still be adding charts after a quiet
    # 0.2 s, and the two lists would not pair up).
    widths, large = usual.page.evaluate(CHART_WIDTHS), page.evaluate(CHART_WIDTHS)
    assert large and all(big >= 1.45 * small for big, small in zip(large, widths, strict=True)), (large, widths)
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    nav = page.get_by_test_id("stTopNavLinkContainer")
    expect(nav.get_by_role("link", name="Jacobians")).to_be_visible()
    assert nav.get_by_role("link", name="Build").count() == 0 and page.get_by_role("slider").count() == 0
    assert page.get_by_role("button", name="Leave presenter mode").is_visible()
    key(presenter, "ArrowRight")
    key(presenter, "ArrowRight")
    assert presenter.heading().startswith("3/")
    key(presenter, "ArrowLeft")
    assert presenter.heading().startswith("2/")
    presenter.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="Predict first.")).to_be_visible()
    asked = " ".join(presenter.chart_titles(at_least=1))
    assert "input x" in asked and "output y" not in asked  # the inputs drawn, the result waits
    presenter.screenshot("presenter_question")
    presenter.click("Skip", exact=True)
    assert "output y" in " ".join(presenter.chart_titles(at_least=1))
    presenter.click("Leave presenter mode")
    expect(page.get_by_role("slider")).to_have_count(1)
    presenter.check_clean()
    usual.check_clean()


def stage_views(learner, count, step):
    """The chart titles (tensor names with their shapes and ± ranges) of each of `count` stages, calling
    step() to go from one stage to the next."""
    views = []
    for n in range(count):
        if n:
            step()
        views.append(learner.chart_titles(at_least=1))
    return views


@pytest.mark.parametrize("network", NETWORKS)
def test_a_planted_bug_is_found_by_comparing_the_buggy_iteration_with_the_real_one(learner, network):
    """As a learner would: step through the real iteration and the buggy one, find the first stage whose
    tensors differ (their ± ranges in the titles), name its layer and submit. The easy level plants the bug
    in a forward, so the walk stops at the loss."""
    open_on(learner, network)
    page = learner.page
    count = 1 + len(learner.network())  # the forward stages and the loss: the easy level's bug shows there
    real = stage_views(learner, count, lambda: learner.click("Next ▶"))
    learner.go("Bug hunt", "Bug hunt")
    slider = page.get_by_role("slider")

    def next_stage():
        slider.focus()
        learner.rerun(lambda: page.keyboard.press("ArrowRight"))

    buggy = stage_views(learner, count, next_stage)
    first = next(n for n, (a, b) in enumerate(zip(real, buggy)) if a != b)
    slider.focus()
    for _ in range(count - 1 - first):  # back to the first stage that differs
        learner.rerun(lambda: page.keyboard.press("ArrowLeft"))
    stage = slider.get_attribute("aria-valuetext")
    kind, index = stage.split(" ")
    assert kind == "forward"  # the easy level's bug shows in a forward
    heading = page.locator("h3").first.inner_text()  # "Forward · layer 1 · LogSoftMax"
    layer = f"layer {index} ({heading.split(' · ')[-1].replace('→', '->')})"  # markdown draws -> as →
    learner.choose("Where is the bug?", layer)
    learner.choose("Which stage first shows it?", stage)
    learner.click("Submit", exact=True)
    verdict = " ".join(learner.alerts("Success")).replace("→", "->")
    assert f"The bug was in {layer}" in verdict and f"first seen at {stage}" in verdict, verdict
    expect(page.get_by_text("The buggy code")).to_be_visible()
    assert page.get_by_test_id("stCode").count() == 2
    learner.screenshot("bug_hunt_solved")
    learner.check_clean()
