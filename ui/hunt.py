"""The Bug hunt page's state: the planted bug for the learner's shown iteration and level, and the answer."""
import streamlit as st

from lab.hunt import LEVELS, plant
from ui.actions import lab
from viz.stage_strip import short_label

STORE, LEVEL = "_hunt", "hunt_level"


def level():
    return st.session_state.get(LEVEL) or LEVELS[0]


def current():
    """The planted Hunt (planted again when the network, the iteration or the level changed), or None."""
    store = st.session_state.get(STORE)
    L = lab()
    if store is None or store["trace"] is not L.trace or store["level"] != level():
        seed = 0 if store is None else store["seed"]
        store = st.session_state[STORE] = {"trace": L.trace, "level": level(), "seed": seed,
                                           "hunt": plant(L, level(), seed), "answer": None}
    return store["hunt"]


def on_new():
    """New bug: the next one of the level."""
    store = st.session_state.get(STORE)
    seed = (store["seed"] + 1) if store else 1
    L = lab()
    st.session_state[STORE] = {"trace": L.trace, "level": level(), "seed": seed, "hunt": plant(L, level(), seed),
                               "answer": None}


def on_submit():
    st.session_state[STORE]["answer"] = {key: st.session_state.get(key) for key in ("hunt_layer", "hunt_stage",
                                                                                    "hunt_bug")}


def answer():
    store = st.session_state.get(STORE)
    return store and store["answer"]


def where_options(trace):
    """The places a bug can hide in this network: every layer, the criterion, the optimizer."""
    return [f"layer {record.index} ({record.name})" for record in trace.forward] + ["the criterion", "the optimizer"]


def where_option(hunt):
    return next(o for o in where_options(hunt.trace) if o.startswith(hunt.where_text + " (") or o == hunt.where_text)


def verdict(hunt, given):
    """(place and stage both right, the markdown that says what was right)."""
    where, first = where_option(hunt), short_label(hunt.first)
    right_where, right_stage = given["hunt_layer"] == where, given["hunt_stage"] == first
    text = (f"The bug was in **{where}** (you said {given['hunt_layer'] or 'nothing'}: "
            f"{'right' if right_where else 'not that'}), first seen at **{first}** (you said "
            f"{given['hunt_stage'] or 'nothing'}: {'right' if right_stage else 'not that'}).")
    if given["hunt_bug"] not in (None, "(not sure)"):
        text += f" What it is: {'right' if given['hunt_bug'] == hunt.misconception.title else 'not that'}."
    return right_where and right_stage, text
