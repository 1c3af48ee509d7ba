"""Every question can be answered from the page, in a real browser: with Predict first on and with "On your own",
at each stage visited (jumping along the stage slider), every tensor the asked result is computed from is drawn
and no result is.

Run alone with `python -m pytest -m e2e tests/e2e/test_asked_is_drawn_browser.py`; screenshots in artifacts/e2e/.
"""
import pytest

from engine.sequential import layers_of
from lab.links import link
from lab.presets import PRESETS
from lab.session import Lab
from viz.by_hand import by_hand
from viz.stage_view import is_revealing, stage_tensors

from .conftest import NARROW

pytestmark = pytest.mark.e2e

# preset -> the keys pressed on the stage slider, one stage each (None: Next through every stage)
WALKS = {"handout": None, "cnn_digits": ["End", "ArrowLeft", "ArrowLeft", "ArrowLeft"]}


def open_on(learner, preset):
    """The learner's browser on the preset; the same network built here records the same iteration."""
    config = PRESETS[preset].config
    learner.url = link(learner.url, config)
    learner.open()
    return Lab(config)


def walk(learner, preset, lab):
    """Yield each stage visited: every one by Next, or the slider's keys of WALKS."""
    yield lab.trace.stages[0]
    keys = WALKS[preset] or ["ArrowRight"] * (len(lab.trace.stages) - 1)
    index = 0
    for key in keys:
        slider = learner.page.get_by_role("slider")
        slider.focus()
        learner.rerun(lambda: learner.page.keyboard.press(key))
        index = {"End": len(lab.trace.stages) - 1, "ArrowLeft": index - 1, "ArrowRight": index + 1}[key]
        assert learner.heading().startswith(f"{index + 1}/"), learner.heading()
        yield lab.trace.stages[index]


def drawn_titles(learner):
    return " ".join(learner.chart_titles(at_least=1))


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


@pytest.mark.parametrize("preset", WALKS)
def test_predict_first_draws_what_each_question_reads(learner, preset):
    lab = open_on(learner, preset)
    layers = layers_of(lab.model)
    learner.rerun(lambda: learner.page.get_by_text("Predict first", exact=True).click())
    for stage in walk(learner, preset, lab):
        tensors = stage_tensors(lab.trace, stage, layers)
        asked = learner.page.locator(".st-key-predict_box").inner_text()
        assert asked.startswith("Predict first."), (stage, asked)
        reads = {i for t in tensors if t.result for i in t.reads}  # every question of the stage is answerable
        check_drawn(drawn_titles(learner), tensors, reads, stage)
    learner.screenshot(f"asked_drawn_predict_{preset}")
    learner.check_clean()


def test_on_your_own_draws_what_each_formula_reads(learners):
    (learner,) = learners(1, viewport=NARROW)
    lab = open_on(learner, "handout")
    layers = layers_of(lab.model)
    learner.rerun(lambda: learner.page.get_by_text("Work out one entry by hand, with these numbers").click())
    learner.rerun(lambda: learner.page.get_by_role("radio", name="On your own", exact=True).click())
    for stage in walk(learner, "handout", lab):
        tensors = stage_tensors(lab.trace, stage, layers)
        by_id = {t.id: t for t in tensors}
        needed = {i for item in by_hand(lab.trace, stage, layers) if item.tensor in by_id
                  for i in by_id[item.tensor].reads}
        check_drawn(drawn_titles(learner), tensors, needed, stage)
        if str(stage) == "backward 0":
            learner.screenshot("asked_drawn_on_your_own_linear_backward_800")
    learner.check_clean()
