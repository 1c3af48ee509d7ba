"""A long session's memory (AppTest): New iteration and the jump slider keep at most two iterations alive.

Streamlit keeps the callback of every widget key ever drawn (its metadata) until that key is drawn
again; a key or a callback that pins an old run keeps its trace, figures and tables alive.
"""
import gc
import threading
import tracemalloc

from engine.trace import IterationTrace
from tests.pages.apptest import open_page

MB = 2**20


def traces_alive():
    for thread in threading.enumerate():  # a stage made ahead (ui/prefetch.py) holds its trace until it is made
        if thread.name == "step-prefetch":
            thread.join()
    gc.collect()
    return sum(isinstance(o, IterationTrace) for o in gc.get_objects())


def traced_after_gc():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_many_new_iterations_keep_memory_flat():
    """Digits 64-128-128-10: clicks 10 to 40 of New iteration add no memory (a leak held ~1.9 MB a click)."""
    at = open_page(None, "digits")
    tracemalloc.start()
    try:
        for click in range(1, 41):
            at.button(key="step_new_iteration").click().run()
            assert not at.exception
            if click == 10:
                after_10 = traced_after_gc()
        after_40 = traced_after_gc()
    finally:
        tracemalloc.stop()
    assert after_40 - after_10 < 4 * MB, f"{(after_40 - after_10) / MB:.1f} MB more after 30 more clicks"
    assert traces_alive() <= 2  # the shown iteration, and the one the last rerun's page still names


def test_jumping_to_other_stages_between_new_iterations_keeps_two_iterations():
    """The slider has a key per stage: its callbacks must not keep the runs that drew them (and their traces)."""
    at = open_page(None, "digits")
    lab = at.session_state.lab
    labels = [str(stage) for stage in lab.trace.stages]
    for k in range(1, 7):  # jump to the last stage but k, then a new iteration: each stage key drawn once
        at.select_slider(key="step_jump_0").set_value(labels[-k]).run()
        assert not at.exception and lab.stage == len(labels) - k
        at.button(key="step_new_iteration").click().run()
        assert not at.exception and lab.stage == 0
    assert traces_alive() <= 2
