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


def test_the_panels_made_ahead_speak_the_sessions_language():
    from streamlit.testing.v1 import AppTest

    from tests.pages.apptest import APP

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "ru"
    at.run()
    deadline, views = time.monotonic() + 30, at.session_state["_step_panels"]["views"]
    while not any(key[1][0] == "forward 1" for key in views) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [key[0] for key in views if key[1][0] == "forward 1"] == ["ru"]  # made in the thread, for Russian
    assert [key[0] for key in views if key[1][0] == "forward 0"] == ["ru"]


def test_a_result_kept_per_iteration_is_made_again_in_another_language(monkeypatch):
    import streamlit as st
    from types import SimpleNamespace

    from i18n import current, use
    from ui.cache import per_iteration

    monkeypatch.setitem(st.session_state, "lab", SimpleNamespace(trace=object()))
    made = []

    def compute():
        made.append(current())
        return current()
    assert per_iteration("_test_words", "stage", compute, keep=2) == "en"
    with use("ru"):
        assert per_iteration("_test_words", "stage", compute, keep=2) == "ru"
        assert per_iteration("_test_words", "stage", compute, keep=2) == "ru"
    assert per_iteration("_test_words", "stage", compute, keep=2) == "en" and made == ["en", "ru"]
