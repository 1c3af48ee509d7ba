"""The Step page's callbacks (stepping, the jump slider, a new iteration, the mode), kept out of the page script.

Streamlit keeps the callback of every widget key it has drawn until that key is drawn again. The
slider has one key per stage, and a function defined in the page script would keep the namespace
of the run that drew it (its trace, figures and tables) alive: up to one old iteration per stage.

The stage area is a fragment (pages/step.py): a Next, Prev, Reset or slider click reruns it alone. A new
iteration or another mode changes the caption and the network line above it too, so their callbacks ask
for a rerun of the whole page.
"""
from dataclasses import replace

import streamlit as st

from ui import focus
from ui.actions import act, lab

MOVED = "_step_moved"  # session key: the learner has moved once (the first-open hint has done its job)


def on_step(delta):
    """Prev (-1) and Next (+1): the neighbouring stage, within the iteration."""
    st.session_state[MOVED] = True
    lab().step(delta)


def on_reset():
    st.session_state[MOVED] = True
    lab().jump(0)


def on_jump(key, drawn):
    """Slider callback: jump to the stage named by widget `key`'s value ("forward 0", "loss", ...). Streamlit
    calls it with the arguments of the run that drew the slider, also for a slider of a stage no longer shown
    that a busy browser still sends (a double click on Next): `drawn` (ui.focus.stamp) tells, and then
    nothing happens."""
    if drawn != focus.stamp():
        return
    st.session_state[MOVED] = True
    act("step_jump", lab().jump_to, st.session_state[key])


def on_new_iteration():
    st.session_state[MOVED] = True
    act("step_new_iteration", lab().new_iteration)
    st.rerun()  # the caption's epoch and iteration change: the whole page


def on_mode():
    L = lab()
    act("step_training", L.apply, replace(L.config, training=st.session_state.step_training))
    st.rerun()  # a new recording under another mode: the whole page
