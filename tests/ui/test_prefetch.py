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


def made_ahead(at, store, wanted):
    """The views of `store` whose key (stage, ...) is wanted (waiting up to 30 s for the thread)."""
    deadline, views = time.monotonic() + 30, at.session_state[store]["views"]
    while not any(wanted(key[1]) for key in list(views)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {key: views[key] for key in list(views) if wanted(key[1])}


def test_the_next_stages_channel_maps_are_made_ahead_with_the_pickers_as_that_stage_will_read_them():
    """The small CNN: at its Conv2d forward with the sample picker moved to 2 (and the receptive field's to channel
    3, row 5), the ReLU's maps that Next shows are made in the thread for sample 2, under the key the click then
    reads: it draws the very object made ahead."""
    at = open_page(None, "cnn_digits")
    at.session_state["maps_sample"], at.session_state["rf_channel"], at.session_state["rf_row"] = 2, 3, 5
    at.run()
    assert str(at.session_state.lab.current) == "forward 0" and not at.exception
    ahead = made_ahead(at, "_step_maps", lambda key: key[0] == "forward 1" and key[1] == 2)
    assert len(ahead) == 1 and next(iter(ahead))[1][1:3] == (2, None)  # a ReLU has no receptive field
    at.button(key="step_next").click().run()
    assert not at.exception and str(at.session_state.lab.current) == "forward 1"
    key, made = next(iter(ahead.items()))
    assert at.session_state["_step_maps"]["views"][key] is made


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
