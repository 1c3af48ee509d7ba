"""Presenter mode and the Bug hunt in a real browser, on the default network and on the digits MLP.

Run alone with `python -m pytest -m e2e tests/e2e/test_present_hunt_browser.py`; screenshots land in
artifacts/e2e/.
"""

import pytest
from playwright.sync_api import expect

from lab.links import PRESENT, link
from lab.presets import PRESETS

from .conftest import NARROW

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1600, "height": 900}
NETWORKS = {"default": None, "digits": PRESETS["digits"].config}
# The width of each of the stage's tensor grids and charts (not the batch's images), in CSS pixels.
CHART_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"], .tensor-grid')]
  .filter(chart => !chart.closest('.st-key-step-batch-images'))
  .map(chart => chart.querySelector('.main-svg, svg').getBoundingClientRect().width)"""


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
    if network == "digits":  # its batch's digits: a Plotly chart, whose script a fresh window loads first
        for one in (usual, presenter):
            one.page.wait_for_selector(".st-key-step-batch-images .main-svg")
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


def beside(learner):
    """The chart titles (tensor names with their shapes and ± ranges) and the captions of the shown stage, of
    the buggy iteration and of the correct one drawn beside it."""
    def side(key):
        area = learner.page.locator(f".st-key-{key}")
        return area.get_by_test_id("stCaptionContainer").all_inner_texts() + [
            chart.locator("g.title text").all_text_contents().__str__()
            for chart in area.locator(".tensor-grid").all()]
    learner.chart_titles(at_least=2)  # every chart drawn
    return side("hunt-stage"), side("hunt-correct-stage")


@pytest.mark.parametrize("network", NETWORKS)
def test_a_teachers_bug_is_found_by_comparing_the_buggy_stage_with_the_correct_one_beside_it(learners, network):
    """A teacher plants a mistake and shares its link; a learner at 800 px opens it on the Bug hunt, steps until
    the buggy stage differs from the correct one beside it, names its layer and stage and submits: the mistake
    is named only then, with the code a student writes beside the engine's."""
    teacher, learner = learners(1)[0], learners(1, viewport=NARROW)[0]
    open_on(teacher, network)
    teacher.go("Bug hunt", "Bug hunt")
    page = teacher.page
    teacher.expand("For a teacher: one mistake for the whole class")
    box = page.get_by_role("combobox", name="Plant this mistake")
    box.click()
    choice = page.get_by_role("option").filter(has_text="(easy)").first  # a forward's mistake
    try:
        choice.wait_for(timeout=3000)
    except Exception:  # noqa: BLE001 - an empty box (placeholder, index=None) may take focus without opening
        box.press("ArrowDown")
    title = choice.inner_text().split(": ", 1)[1].rsplit(" (", 1)[0]
    teacher.rerun(choice.click)
    shared = page.get_by_test_id("stCode").last.inner_text().strip()
    assert "&bug=" in shared and "&level=easy" in shared
    learner.url = shared
    learner.open()
    lpage = learner.page
    expect(lpage.locator("h1").first).to_have_text("Bug hunt")
    slider = lpage.get_by_role("slider")
    while True:
        buggy, correct = beside(learner)
        assert title not in lpage.locator("body").inner_text()  # nothing names it before Submit
        if buggy != correct:
            break
        slider.focus()
        learner.rerun(lambda: lpage.keyboard.press("ArrowRight"))
    stage = slider.get_attribute("aria-valuetext")
    kind, index = stage.split(" ")
    assert kind == "forward"  # an easy mistake shows in a forward
    heading = lpage.locator("h3").first.inner_text()  # "Forward · layer 1 · LogSoftMax"
    layer = f"layer {index} ({heading.split(' · ')[-1].replace('→', '->')})"  # markdown draws -> as →
    learner.choose("Where is the bug?", layer)
    learner.choose("Which stage first shows it?", stage)
    learner.click("Submit", exact=True)
    verdict = " ".join(learner.alerts("Success")).replace("→", "->")
    assert f"The bug was in {layer}" in verdict and f"first seen at {stage}" in verdict, verdict
    expect(lpage.get_by_text(title, exact=False).first).to_be_visible()
    code = lpage.get_by_test_id("stCode")
    expect(code).to_have_count(2)
    assert "# <- the mistake" in code.first.inner_text()
    assert code.first.inner_text().startswith("def ") and "lambda" not in code.first.inner_text()
    widths = lpage.evaluate("""() => [...document.querySelectorAll('[data-testid="stCode"] pre')]
        .map(pre => [pre.scrollWidth, pre.clientWidth])""")
    assert all(scroll <= client for scroll, client in widths), widths  # wrapped: nothing cut at the right edge
    code.last.evaluate("e => e.scrollIntoView({block: 'center'})")
    learner.screenshot("bug_hunt_solved")
    learner.check_clean()
    teacher.check_clean()
