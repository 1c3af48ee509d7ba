"""The Bug hunt page's state: the mistakes this iteration can hold, the planted one for the level, and the answer.

A teacher's link (&bug=<code>&level=<level>, lab.links) plants the same mistake for everyone who opens it.
"""
from dataclasses import replace

import streamlit as st

from engine.grade.catalogue import title_of, translated
from i18n import N_, domain
from lab.hunt import CRITERION, LEVELS, bug_code, candidates, named, pick, unrecorded, with_trace
from lab.links import BUG, LEVEL as LEVEL_PARAM
from ui.actions import lab
from ui.stage_panels import draw as draw_panels
from viz.stage_strip import short_label, stage_names
from viz.stage_view import stage_panels

_, ngettext = domain("ui")
level_text = domain("lab")[0]  # a level's name (lab.hunt.LEVELS)
PLACES = (N_("the criterion"), N_("the optimizer"))  # lab.hunt's CRITERION and OPTIMIZER, as a learner reads them
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


def where_label(hunt):
    """Where the bug is, as the learner reads it: "layer 2", "the criterion"."""
    return _(hunt.where) if isinstance(hunt.where, str) else _("layer {index}").format(index=hunt.where)


def choice_label(hunt):
    return _("{where}: {title} ({level})").format(where=where_label(hunt), title=title_of(hunt.misconception),
                                                 level=level_text(hunt.level))


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
        for name, prefix, (heading, *rest) in zip((_("The buggy iteration"), _("The correct iteration (as on the Step "
                                                                             "page)")), ("hunt", "hunt-correct"), sides):
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
    return [_("layer {index} ({name})").format(index=record.index, name=record.name) for record in trace.forward] \
        + [_(place) for place in PLACES]


def where_option(hunt):
    """hunt's place among where_options (in the session's language)."""
    options = where_options(hunt.trace)
    return options[hunt.where] if not isinstance(hunt.where, str) else options[-2 if hunt.where == CRITERION else -1]


def verdict(hunt, given):
    """(place and stage both right, the markdown that says what was right)."""
    where, first, names = where_option(hunt), short_label(hunt.first), stage_names(hunt.trace.stages)
    right_where, right_stage = given["hunt_layer"] == where, given["hunt_stage"] == first
    right, wrong, nothing = _("right"), _("not that"), _("nothing")
    text = _("The bug was in **{where}** (you said {said_where}: {where_verdict}), first seen at **{stage}** (you "
             "said {said_stage}: {stage_verdict}).").format(
        where=where, said_where=given["hunt_layer"] or nothing, where_verdict=right if right_where else wrong,
        stage=names[first], said_stage=names.get(given["hunt_stage"]) or nothing,
        stage_verdict=right if right_stage else wrong)
    titles = {t for found_hunt in found() for t in (found_hunt.misconception.title,
                                                    translated(found_hunt.misconception.title))}
    if given["hunt_bug"] in titles:  # a mistake named, in either language (not "(not sure)")
        title = hunt.misconception.title
        text += " " + _("What it is: {verdict}.").format(
            verdict=right if given["hunt_bug"] in (title, translated(title)) else wrong)
    return right_where and right_stage, text
