"""Bug hunt: a typical student mistake planted in a copy of your network; find the layer and the stage."""
import streamlit as st

from engine.sequential import layers_of
from engine.grade.catalogue import formula_of, sentence_of, title_of, translated
from i18n import domain
from lab.hunt import LEVELS, code_of, titles
from lab.links import link, shareable
from ui import hunt as hunting
from ui.actions import lab
from ui.unfinished import require_trace
from viz.stage_strip import short_label, stage_names
from viz.stage_view import stage_label

_, ngettext = domain("pages")
lab_ = domain("lab")[0]  # the levels are the lab's words (lab.hunt.LEVELS)
NOT_SURE = "(not sure)"  # the answer's value (ui.hunt reads it); shown in the session's language
# Each format_func below reads labels translated now (AppTest calls it again outside the run, in English).
L = lab()
st.title(_("Bug hunt"))
require_trace()
st.caption(_("One mistake students really make is planted in a copy of your network (your own network, "
             "its weights and the other pages are untouched), and this iteration is recorded with it, on the "
             "same batch. Step through its stages beside the correct iteration's, use the Jacobians page, then "
             "say where the bug is and which stage first shows it. *easy*: the forward is wrong; *medium*: only "
             "a grad_input is wrong; *hard*: only a parameter gradient, the update or evaluate mode."))
hunting.prepare()
with st.container(horizontal=True, vertical_alignment="bottom"):
    st.segmented_control(_("Level"), LEVELS, key=hunting.LEVEL,
                         format_func={level: lab_(level) for level in LEVELS}.get)
    st.button(_("New bug"), key="hunt_new", on_click=hunting.on_new, icon=":material/bug_report:")
hunt = hunting.current()
if hunt is None:
    st.info(_("No catalogued mistake changes this iteration of your network: add layers on Build."))
    st.stop()
if hunt.level != hunting.level():
    st.caption(_("No {wanted} bug fits this network; this one is {level}.").format(wanted=lab_(hunting.level()),
                                                                                  level=lab_(hunt.level)))

trace = hunt.trace
labels = [short_label(stage) for stage in trace.stages]
names = stage_names(trace.stages)  # the values stay the stages' labels in code
shown = st.select_slider(_("Stage of the buggy iteration"), options=labels, key="hunt_view", format_func=names.get)
stage = trace.stages[labels.index(shown)]
st.subheader(stage_label(trace, stage))
hunting.draw_beside(stage, trace, L.trace, layers_of(L.model))

st.markdown(_("**Your verdict**"))
with st.container(horizontal=True, vertical_alignment="bottom"):
    st.selectbox(_("Where is the bug?"), hunting.where_options(trace), key="hunt_layer", width=300, index=None,
                 placeholder=_("choose a place"))
    st.selectbox(_("Which stage first shows it?"), labels, key="hunt_stage", width=220, index=None,
                 placeholder=_("choose a stage"), format_func=names.get)
bugs = {NOT_SURE: _("(not sure)")} | {title: translated(title) for title in titles(hunting.found())}
st.selectbox(_("What is it? (optional)"), list(bugs), key="hunt_bug", format_func=bugs.get)
st.button(_("Submit"), key="hunt_submit", on_click=hunting.on_submit, type="primary")

given = hunting.answer()
if given:
    bug = hunt.misconception
    right, text = hunting.verdict(hunt, given)
    (st.success if right else st.error)(text)
    st.markdown(_("**{title}.** {sentence}  \nCorrect: `{formula}`").format(
        title=title_of(bug), sentence=sentence_of(bug), formula=formula_of(bug)))
    buggy, correct = code_of(bug)
    left, right = st.columns(2)
    with left:
        st.markdown(_("The buggy code, as a student writes it"))
        st.code(buggy, language="python", wrap_lines=True)
    with right:
        st.markdown(_("The engine's code"))
        st.code(correct, language="python", wrap_lines=True)

with st.expander(_("For a teacher: one mistake for the whole class")):
    options = hunting.found()
    choices = [hunting.choice_label(option) for option in options]
    st.selectbox(_("Plant this mistake"), range(len(options)), key=hunting.CHOSEN, index=None,
                 format_func=choices.__getitem__, on_change=hunting.on_choose,
                 placeholder=_("choose a mistake"))
    why_not = shareable(L.config)
    if why_not:
        st.caption(_("No link for this network: {reason}.").format(reason=why_not))
    elif st.session_state.get(hunting.CHOSEN) is not None:
        st.caption(_("Everyone who opens this link hunts this mistake in this network, on the same batch:"))
        st.code(link(st.context.url, L.config, host=st.context.headers.get("Host"), hunt=hunting.link_hunt(hunt)),
                language=None, wrap_lines=True)
