"""A CNN in a real browser: a learner loads the small CNN on digits, steps through its backward (grad_output
maps, MaxPool2d's winners, grad_input maps and the kernels' gradients with both correlations' formulas), opens
the Conv2d Jacobian, and on an uploaded 28 x 28 CSV trains the CSV preset with Adam in an 800-pixel window.

Run alone with `python -m pytest -m e2e tests/e2e/test_cnn_browser.py`; screenshots land in artifacts/e2e/.
"""
from pathlib import Path

import pytest

from tests.uploaded import digits_csv

from .conftest import NARROW
from .test_step_browser import OVERFLOW

pytestmark = pytest.mark.e2e


def load_preset(learner, title):
    learner.go("Build", "Build a network")
    learner.choose("Preset", title)
    assert learner.alerts("Error") == []


def jump(learner, key):
    """A key on the stage slider (redrawn at each stage, so focused afresh): End, ArrowLeft, ArrowRight."""
    slider = learner.page.get_by_role("slider")
    slider.focus()
    learner.rerun(lambda: learner.page.keyboard.press(key))


def fits(learner, heading_start):
    """At the stage whose heading starts with heading_start, nothing runs off the page."""
    assert learner.heading().startswith(heading_start), learner.heading()
    learner.chart_titles(at_least=1)
    assert learner.page.evaluate(OVERFLOW) == [], learner.heading()


def text(learner):
    return learner.page.get_by_test_id("stMainBlockContainer").inner_text()


def test_a_learner_steps_through_a_cnns_backward_and_its_jacobian(learner):
    load_preset(learner, "A small CNN on digits")
    assert "The first layer receives images (32, 1, 8, 8)." in text(learner)
    assert learner.network()[:4] == ["Conv2d(1 -> 4, 3x3)", "ReLU", "MaxPool2d(2)", "Flatten"]
    learner.screenshot("cnn-build")
    learner.go("Step", "Step through one iteration")
    titles = " ".join(learner.chart_titles(at_least=3))
    assert "x[n=0] (1, 8, 8)" in titles and "W (4, 1, 3, 3)" in titles and "y[n=0] (4, 8, 8)" in titles
    learner.screenshot("cnn-forward-0")
    jump(learner, "End")  # the last update, then back through the updates to the backward of the Conv2d
    jump(learner, "ArrowLeft")
    jump(learner, "ArrowLeft")
    assert learner.heading().startswith("13/15") and "Conv2d" in learner.heading()  # the two correlations
    titles = " ".join(learner.chart_titles(at_least=4))
    assert "∂L/∂W (4, 1, 3, 3)" in titles and "∂L/∂x[n=0] (1, 8, 8)" in titles
    formulas = " ".join(learner.page.locator(".katex-display").all_inner_texts())
    assert "∂L" in formulas or "partial" in formulas
    learner.screenshot("cnn-backward-conv")
    jump(learner, "ArrowLeft")
    jump(learner, "ArrowLeft")
    assert learner.heading().startswith("11/15") and "MaxPool2d" in learner.heading()
    titles = " ".join(learner.chart_titles(at_least=3))
    assert "grad_output" in titles and "winner" in titles.lower() and "∂L/∂x[n=0] (4, 8, 8)" in titles
    learner.screenshot("cnn-backward-maxpool")
    learner.go("Jacobians", "Jacobians")
    learner.choose("Layer", "0 · Conv2d(1 -> 4, 3x3)")
    shown = text(learner)
    assert "Why it is banded." in shown and "Weight sharing" in shown and "Locality" in shown
    learner.screenshot("cnn-jacobian-conv")
    learner.check_clean()


@pytest.fixture
def narrow(learners):
    """A learner in an 800 x 1000 window."""
    (one,) = learners(1, viewport=NARROW)
    one.open()
    return one


def test_the_csv_cnn_with_adam_steps_and_trains_in_an_800_pixel_window(narrow):
    narrow.go("Build", "Build a network")
    box = narrow.page.get_by_role("combobox", name="Preset")  # refused until a CSV is uploaded: nothing changes
    box.click()
    narrow.rerun(narrow.page.get_by_role("option", name="A CNN on an uploaded MNIST CSV", exact=True).click)
    assert box.input_value() == "The handout's example"
    assert any("upload a Kaggle MNIST or Fashion-MNIST CSV first" in alert for alert in narrow.alerts("Error"))
    narrow.upload("digits28.csv", digits_csv(400))
    narrow.choose("Preset", "A CNN on an uploaded MNIST CSV")
    assert narrow.alerts("Error") == [] and "The first layer receives images (32, 1, 28, 28)." in text(narrow)
    assert "Adam lr 0.001, β1 0.9, β2 0.999, ε 1e-08" in narrow.summary()
    narrow.go("Step", "Step through one iteration")
    fits(narrow, "1/22")  # forward 0: the Conv2d's 8 output maps
    jump(narrow, "End")
    fits(narrow, "22/22")  # Adam's update of the Linear
    assert "β" in " ".join(narrow.page.locator(".katex-display").all_inner_texts())
    for stage in ("21/22", "20/22", "19/22"):  # Adam's updates of both kernels, then the first Conv2d's backward
        jump(narrow, "ArrowLeft")
        fits(narrow, stage)
    assert "Backward" in narrow.heading() and "Conv2d" in narrow.heading()
    jump(narrow, "ArrowRight")
    assert "Update" in narrow.heading()
    narrow.screenshot("csv-cnn-adam-update")
    narrow.go("Train", "Train")
    narrow.rerun(lambda: narrow.page.locator(".st-key-train_start button").first.click())
    assert narrow.alerts("Error") == []
    narrow.screenshot("csv-cnn-trained")
    narrow.check_clean()


PAGE_HEIGHT = "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
SHOTS = Path("/work/shots")  # the screenshots looked at by hand, when that folder exists


def stage_heights(learner, count):
    """{heading: the page's height in px} at each of the `count` stages, from the first, along the slider."""
    heights = {}
    for n in range(count):
        if n:
            jump(learner, "ArrowRight")
        learner.chart_titles(at_least=1)
        heights[learner.heading()] = learner.page.evaluate(PAGE_HEIGHT)
        if "Backward" in learner.heading() and "Conv2d(8 → 16" in learner.heading() and SHOTS.is_dir():
            screen = learner.page.viewport_size
            learner.page.set_viewport_size({"width": screen["width"], "height": heights[learner.heading()] + 120})
            learner.page.wait_for_timeout(500)
            learner.page.screenshot(path=str(SHOTS / "cnn_conv_backward_1400.png"))
            learner.page.set_viewport_size(screen)
    return heights


def test_every_stage_of_the_csv_cnn_fits_three_screens_at_1400_px(learner):
    """The CSV CNN's backward of Conv2d(8 -> 16) was a 16,400-px page of 256 kernel charts. (Every preset's stage
    figures, the small CNN's included, are measured against the same 3 screens in tests/viz/test_stage_fit.py.)"""
    screens = 3 * learner.page.viewport_size["height"]
    learner.go("Build", "Build a network")
    learner.upload("digits28.csv", digits_csv(200))
    load_preset(learner, "A CNN on an uploaded MNIST CSV")
    learner.go("Step", "Step through one iteration")
    heights = stage_heights(learner, 22)
    assert len(heights) == 22
    print("the tallest stages (px):", sorted(heights.items(), key=lambda item: -item[1])[:4])
    assert {stage: px for stage, px in heights.items() if px > screens} == {}, heights
    learner.check_clean()
