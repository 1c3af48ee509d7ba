"""The Bug hunt page's state: the mistakes this iteration can hold, the planted one for the level, and the answer.

A teacher's link (&bug=<code>&level=<level>, lab.links) plants the same mistake for everyone who opens it.
"""
from dataclasses import replace

import streamlit as st

from engine.grade.catalogue import title_of
from lab.hunt import LEVELS, bug_code, candidates, named, pick, unrecorded, with_trace
from lab.links import BUG, LEVEL as LEVEL_PARAM
from ui.actions import lab
from ui.stage_panels import draw as draw_panels
from viz.stage_strip import short_label
from viz.stage_view import stage_panels

STORE, LEVEL, CHOSEN = "_hunt", "hunt_level", "hunt_choose"
ANSWERS = ("hunt_layer", "hunt_stage", "hunt_bug")  # the verdict's widgets, cleared with every new bug


def level():
    return st.session_state.get(LEVEL) or LEVELS[0]


def replant(store, level, seed, hunt=None):
    """Plant `hunt` (else the seed's bug of the level, another than the one shown) in the store; the previous
    answers go."""
    hunt = with_trace(lab(), hunt or pick(store["found"], level, seed, other_than=store.get("hunt")))
    store.update(level=level, seed=seed, hunt=hunt, answer=None)
    for key in ANSWERS:
        st.session_state.pop(key, None)


def forget_link(choice=True):
    """The learner moved on: the link's &bug= and &level= (and the teacher's choice) no longer name the bug
    shown."""
    if choice:
        st.session_state.pop(CHOSEN, None)
    for key in (BUG, LEVEL_PARAM):
        st.query_params.pop(key, None)


def prepare():
    """Before the page's widgets: the candidates of the shown iteration (found once per iteration) and the bug
    the address names (its level then chosen), or the level the address or the last visit chose."""
    L, store = lab(), st.session_state.get(STORE)
    if store is None or store["trace"] is not L.trace:
        found = unrecorded(candidates(L))  # one trace kept, the planted one's: a session holds little
        linked = named(found, st.query_params.get(BUG))
        wanted = linked.level if linked else st.query_params.get(LEVEL_PARAM)
        if wanted in LEVELS:
            st.session_state[LEVEL] = wanted
        seed = 0 if store is None else store["seed"]
        store = st.session_state[STORE] = {"trace": L.trace, "found": found}
        replant(store, level(), seed, linked)
    st.session_state.setdefault(LEVEL, store["level"])  # back on the page: the level it was left at


def current():
    """The planted Hunt (planted again when the level changed), or None."""
    store = st.session_state[STORE]
    if store["level"] != level():
        replant(store, level(), store["seed"])
        forget_link()
    return store["hunt"]


def found():
    """Every Hunt this iteration can hold, without their traces."""
    return st.session_state[STORE]["found"]


def on_new():
    """New bug: the next one of the level."""
    store = st.session_state[STORE]
    replant(store, level(), store["seed"] + 1)
    forget_link()


def on_choose():
    """A teacher's choice (an index into found()): plant that mistake, at its level."""
    chosen = st.session_state.get(CHOSEN)
    if chosen is not None:
        hunt = found()[chosen]
        st.session_state[LEVEL] = hunt.level
        replant(st.session_state[STORE], hunt.level, st.session_state[STORE]["seed"], hunt)
        forget_link(choice=False)


def choice_label(hunt):
    return f"{hunt.where_text}: {title_of(hunt.misconception)} ({hunt.level})"


def link_hunt(hunt):
    """(code, level) of the hunt for lab.links.link."""
    return bug_code(hunt.misconception), hunt.level


def draw_beside(stage, buggy, correct, layers):
    """The stage of the buggy and of the correct iteration side by side where both fit, one above the other
    where not; the stage's formula, the same in both, once above them."""
    sides = [stage_panels(trace, stage, layers, kernels_below=False) for trace in (buggy, correct)]
    if sides[0][0].latex:
        st.latex(sides[0][0].latex)
    with st.container(horizontal=True, gap="large"):
        for name, prefix, (heading, *rest) in zip(("The buggy iteration", "The correct iteration (as on the Step "
                                                   "page)"), ("hunt", "hunt-correct"), sides):
            with st.container(width="content", key=f"{prefix}-stage"):
                st.markdown(f"**{name}**")
                draw_panels([replace(heading, latex=None)] + rest, prefix)


def on_submit():
    st.session_state[STORE]["answer"] = {key: st.session_state.get(key) for key in ANSWERS}


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
