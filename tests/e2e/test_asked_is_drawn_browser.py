"""Every question can be answered from the page, in a real browser (issue 19, 1): on every preset, at every stage,
with Predict first on and then with the by-hand working "On your own", every tensor the asked result is computed
from is drawn and no result is. (tests/viz/test_operands.py checks the same of the panels, outside a browser.)

Run alone with `python -m pytest -m e2e tests/e2e/test_asked_is_drawn_browser.py`; screenshots in artifacts/e2e/.
"""
import re
import time

import pytest
from playwright.sync_api import expect

from engine.sequential import layers_of
from lab.links import link
from lab.presets import PRESETS
from lab.session import Lab
from tests.uploaded import digits_csv, preset_lab
from viz.by_hand import by_hand
from viz.stage_view import is_revealing, stage_tensors

from .conftest import CHART_STATE, CHARTS_DRAWN, IDLE, NARROW, TIMEOUT_MS

pytestmark = pytest.mark.e2e


def open_on(learner, preset):
    """The learner's browser on the preset; the same network built here records the same iteration."""
    config = PRESETS[preset].config
    learner.url = link(learner.url, config)
    learner.open()
    return Lab(config)

# A Conv2d's 4-D W and its gradient are drawn once, as grids of kernels under the stage titled "W (4, 1, 3, 3)"
KERNELS = {"param:W": "W", "grad:W": "∂L/∂W"}


def check_drawn(titles, tensors, needed, where):
    """Every tensor of `needed` (ids) drawn (its title among the charts'), and none of the results."""
    by_id = {t.id: t for t in tensors}
    for tensor_id in needed:
        t = by_id[tensor_id]
        kernels = tensor_id in KERNELS and t.array.ndim == 4 and f"{KERNELS[tensor_id]} {t.array.shape}" in titles
        assert t.title in titles or kernels, (where, tensor_id, titles)
    for t in tensors:
        if is_revealing(t) and t.title not in {by_id[i].title for i in needed}:
            assert f"{t.title} (" not in titles, (where, t.title)


def press(learner, key):
    """Click the button `key` and wait until its rerun is over and every chart has its SVG (not the fixed settling
    time of Learner.rerun: drawn() looks again until what it sees passes)."""
    before = learner.runs
    learner.page.locator(f".st-key-{key} button").click()
    assert learner.wait_runs(before + 1), f"{learner.name}: no rerun after {key}"
    learner.page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    learner.page.wait_for_function(CHARTS_DRAWN, timeout=TIMEOUT_MS)


def drawn(learner, tensors, needed, where, patience_s=5.0):
    """check_drawn on the charts' and tensor grids' titles as the page shows them, looked at again every 0.1 s
    while the last rerun's charts may still be arriving (at most patience_s)."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return check_drawn(" ".join(title for _, title in learner.page.evaluate(CHART_STATE)), tensors, needed,
                               where)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            learner.page.wait_for_timeout(100)


KINDS = set()  # the kinds of stage already worked out On your own by this module's walks


def walk_both_ways(learner, lab):
    """Next through every stage with Predict first on: the question's operands drawn and no result. Then, at the
    first stage of each kind these walks meet (a Linear's backward, a ReLU's forward, ...; its criterion, its
    optimizer's update), Skip, and with the by-hand working *On your own*: each formula's operands drawn and no
    result it asks for. (tests/viz/test_operands.py checks every formula of every stage outside a browser.)"""
    layers = layers_of(lab.model)
    page = learner.page
    learner.rerun(lambda: page.get_by_text("Predict first", exact=True).click())
    for k, stage in enumerate(lab.trace.stages):
        if k:
            press(learner, "step_next")
        expect(page.locator("h3").filter(has_text=re.compile(r"^\d+/\d+ · ")).first).to_have_text(re.compile(rf"^{k + 1}/"))
        tensors = stage_tensors(lab.trace, stage, layers)
        asked = page.locator(".st-key-predict_box").inner_text()
        assert asked.startswith("Predict first."), (stage, asked)
        drawn(learner, tensors, {i for t in tensors if t.result for i in t.reads}, stage)
        by_id = {t.id: t for t in tensors}
        items = [item for item in by_hand(lab.trace, stage, layers) if item.tensor in by_id]
        kind = (stage.kind, lab.trace.criterion if stage.index is None else type(layers[stage.index]).__name__,
                lab.config.optimizer if stage.kind == "update" else lab.config.training)
        if not items or kind in KINDS:  # nothing to work out by hand here (a Flatten), or met on a walk before
            continue
        KINDS.add(kind)
        press(learner, "predict_skip")
        own = page.get_by_role("radio", name="On your own", exact=True)
        if not own.is_visible():  # a revealed answer opens the working (ui.focus.choose), and it stays open
            learner.rerun(lambda: page.get_by_text("Work out one entry by hand, with these numbers").click())
        if not own.is_checked():  # the level is the learner's until changed
            learner.rerun(lambda: own.click())
        expect(page.get_by_text("come back once you check your value")).to_be_visible()
        drawn(learner, tensors, {i for item in items for i in by_id[item.tensor].reads}, stage)


@pytest.mark.parametrize("preset", [name for name, preset in PRESETS.items() if not preset.upload])
def test_every_preset_draws_what_each_question_and_each_formula_reads(learners, preset):
    (learner,) = learners(1)
    walk_both_ways(learner, open_on(learner, preset))
    learner.screenshot(f"asked_drawn_{preset}")
    learner.check_clean()


def test_the_csv_cnn_draws_what_each_question_and_each_formula_reads_in_an_800_pixel_window(learners):
    (learner,) = learners(1, viewport=NARROW)
    learner.open()
    learner.go("Build", "Build a network")
    learner.upload("digits28.csv", digits_csv(200))
    learner.choose("Preset", "A CNN on an uploaded MNIST CSV")
    lab = preset_lab("cnn_csv", digits_csv(200))
    learner.go("Step", "Step through one iteration")
    walk_both_ways(learner, lab)
    learner.screenshot("asked_drawn_cnn_csv_800")
    learner.check_clean()
