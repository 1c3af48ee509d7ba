"""The Step page's jump slider callback, kept out of the page script.

Streamlit keeps the callback of every widget key it has drawn until that key is drawn again. The
slider has one key per stage, and a function defined in the page script would keep the namespace
of the run that drew it (its trace, figures and tables) alive: up to one old iteration per stage.
"""
import streamlit as st

from ui.actions import act, lab

MOVED = "_step_moved"  # session key: the learner has moved once (the first-open hint has done its job)


def on_jump(key):
    """Slider callback: jump to the stage named by widget `key`'s value ("forward 0", "loss", ...)."""
    st.session_state[MOVED] = True
    act("step_jump", lab().jump_to, st.session_state[key])
