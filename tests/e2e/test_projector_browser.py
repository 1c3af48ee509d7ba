"""Presenter mode on a 1280 x 720 projector, in a real browser (issue 19, 4): each step shows the stage from its
top, the open question is on the screen without scrolling, the batch's digits grow with the rest.

Run alone with `python -m pytest -m e2e tests/e2e/test_projector_browser.py`; screenshots land in artifacts/e2e/.
"""
import os
import re

import pytest

from lab.links import PRESENT, link
from lab.presets import PRESETS

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
MAIN = "document.querySelector('[data-testid=\"stMain\"]')"  # the element that scrolls
# Where a box is on the screen: [top, bottom] in CSS pixels of the viewport.
PLACE = """selector => { const box = document.querySelector(selector).getBoundingClientRect();
  return [box.top, box.bottom]; }"""
IMAGES_WIDTH = """() => document.querySelector('.st-key-step-batch-images .main-svg').getBoundingClientRect().width"""


def presenting(learner, config):
    learner.page.set_viewport_size(PROJECTOR)
    learner.url = link(learner.url, config) + f"&{PRESENT}=1"
    learner.open()


def test_a_projected_step_starts_at_the_stage_top_and_keeps_the_question_on_the_screen(learners):
    presenter, usual = learners(2)
    usual.url = link(usual.url, PRESETS["digits"].config)
    usual.open()
    presenting(presenter, PRESETS["digits"].config)
    page = presenter.page
    # The 32 digits of the batch, 1.5 times as large as in the usual page (once Plotly has drawn both).
    for one in (presenter, usual):
        one.page.wait_for_selector(".st-key-step-batch-images .main-svg")
    assert page.evaluate(IMAGES_WIDTH) >= 1.45 * usual.page.evaluate(IMAGES_WIDTH)
    presenter.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    for _ in range(8):  # to backward 4, Linear(128 -> 10), each Next from the bottom of the last stage
        page.evaluate(f"{MAIN}.scrollTop = {MAIN}.scrollHeight")
        presenter.rerun(lambda: page.locator(".st-key-step_next button").click())
        page.wait_for_timeout(300)
        top, _ = page.evaluate(PLACE, ".st-key-step_controls")
        assert 40 <= top <= 120, (presenter.heading(), top)  # under the top bar: Prev and Next, the strip, the stage
    assert presenter.heading().startswith("9/16 · Backward · layer 4")
    top, bottom = page.evaluate(PLACE, ".st-key-predict_box")
    assert 0 <= top and bottom <= PROJECTOR["height"], (top, bottom)  # the whole question, check and skip
    question = page.locator(".st-key-predict_box").inner_text()
    assert "Predict first." in question and not re.search(r"What is \S+\[[\d, ]+\]", question), question  # no value
    presenter.screenshot("presenter_backward")
    if os.environ.get("SHOTS"):  # e.g. SHOTS=/work/shots: the picture for the closing note
        page.screenshot(path=os.path.join(os.environ["SHOTS"], "presenter_backward.png"))
    presenter.check_clean()
    usual.check_clean()


# The pinned question box, its answer widget, and whether the answer widget is the topmost thing at its own centre
# (no other element, the box's own title included, lies over it).
BOX = """() => { const box = document.querySelector('.st-key-predict_box').getBoundingClientRect();
  const answer = document.querySelector('.st-key-predict_box .st-key-predict_answer');
  const a = answer.getBoundingClientRect(), x = a.left + Math.min(20, a.width / 2), y = a.top + a.height / 2;
  return {top: box.top, bottom: box.bottom, answer: [a.top, a.bottom],
          reachable: answer.contains(document.elementFromPoint(x, y))}; }"""


@pytest.mark.parametrize("preset", [None, "digits"])
def test_the_projected_question_box_is_compact_and_leaves_its_answer_field_free(learners, preset):
    """Issue 19, 4: on a 1280 x 720 projector the pinned Predict-first box takes at most a fifth of the screen
    (it covered a third, over the inputs), its answer field is on the screen and not covered, and the class can
    fold it away to one line."""
    (presenter,) = learners(1)
    presenter.page.set_viewport_size(PROJECTOR)
    presenter.url = link(presenter.url, PRESETS[preset].config, present=True) if preset \
        else f"{presenter.url}?{PRESENT}=1"
    presenter.open()
    page = presenter.page
    presenter.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    for _ in range(3):  # value questions (a number field) on the default network, shape ones (a choice) on digits
        place = page.evaluate(BOX)
        assert place["bottom"] <= PROJECTOR["height"] and place["bottom"] - place["top"] <= 0.2 * PROJECTOR["height"], \
            (presenter.heading(), place)
        assert place["top"] <= place["answer"][0] and place["answer"][1] <= place["bottom"], place
        assert place["reachable"], (presenter.heading(), place)
        presenter.rerun(lambda: page.locator(".st-key-step_next button").click())
    presenter.screenshot("presenter_question_box")
    if os.environ.get("SHOTS"):
        page.screenshot(path=os.path.join(os.environ["SHOTS"], f"presenter_question_box_{preset}.png"))
    title = page.locator(".st-key-predict_box summary")
    title.click()  # folded: the question alone, one line (the fold closes in an animation)
    page.wait_for_function(f"() => {{ const [top, bottom] = ({PLACE})('.st-key-predict_box'); "
                           f"return bottom - top <= {0.1 * PROJECTOR['height']}; }}", timeout=10_000)
    assert "Predict first." in title.inner_text()
    presenter.check_clean()
