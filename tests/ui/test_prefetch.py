"""ui.prefetch: the next stage's panels made in a thread, found by the next Step click."""
import time

from tests.pages.apptest import open_page


def test_after_a_stage_is_drawn_the_next_stages_panels_are_made_ahead():
    at = open_page(None)
    deadline = time.monotonic() + 30
    views = at.session_state["_step_panels"]["views"]
    while not any(key[1][0] == "forward 1" for key in views) and time.monotonic() < deadline:
        time.sleep(0.05)
    made = next(views[key] for key in views if key[1][0] == "forward 1")
    at.button(key="step_next").click().run()
    assert not at.exception and at.session_state["_step_panels"]["views"].get(
        next(key for key in at.session_state["_step_panels"]["views"] if key[1][0] == "forward 1")) is made
