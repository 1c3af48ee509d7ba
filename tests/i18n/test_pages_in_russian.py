"""Issue 20: every page in Russian, for the default network, the digits MLP and a CNN preset, with Predict first
on, the by-hand working open, a bug planted and revealed, shows no English prose (tests/i18n/prose.py)."""
import pytest

from i18n import use
from tests.i18n.prose import english_on
from tests.pages.apptest import open_page

PRESETS = [None, "digits", "cnn_digits"]
PAGES = ["build", "jacobians", "activations", "train", "bug_hunt", "about"]


def open_in_russian(page=None, preset=None):
    return open_page(page, preset, lang="ru", by_hand=True)  # the Step page's by-hand working open


def report(found):
    unique = list(dict.fromkeys(found))
    return f"{len(unique)} English text(s):\n" + "\n".join(unique[:80])


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_russian_shows_no_english(page, preset):
    at = open_in_russian(page, preset)
    found = english_on(at)
    assert not found, report(found)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_stage_with_predict_first_and_by_hand_in_russian_shows_no_english(preset):
    """Each stage: first its open question, then (skipped) the stage itself with the by-hand working."""
    at = open_in_russian(None, preset)
    found = english_on(at)
    at.toggle(key="step_predict").set_value(True).run()
    for _ in range(40):
        found += english_on(at)  # the question
        if at.button(key="predict_skip"):
            at.button(key="predict_skip").click().run()
            found += english_on(at)  # the stage, its heatmaps and the by-hand working
        if not at.button(key="step_next") or at.button(key="step_next").disabled:
            break
        at.button(key="step_next").click().run()
        assert not at.exception, at.exception
    assert not found, report(found)


@pytest.mark.parametrize("preset", PRESETS)
def test_the_bug_hunt_planted_and_revealed_in_russian_shows_no_english(preset):
    from tests.pages.test_bug_hunt import planted, submit_right_answer

    at = open_in_russian("bug_hunt", preset)
    found = english_on(at)
    with use("ru"):  # the options the test picks are the page's, in Russian
        submit_right_answer(at, planted(at))
    found += english_on(at)
    assert not found, report(found)
