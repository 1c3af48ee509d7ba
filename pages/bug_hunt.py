"""Bug hunt: a typical student mistake planted in a copy of your network; find the layer and the stage."""
import streamlit as st

from engine.grade.catalogue import CATALOGUE
from engine.sequential import layers_of
from lab.hunt import LEVELS, code_of
from ui import hunt as hunting
from ui.actions import lab
from ui.stage_panels import draw as draw_panels
from ui.unfinished import require_trace
from viz.stage_strip import short_label
from viz.stage_view import stage_label, stage_panels

L = lab()
st.title("Bug hunt")
require_trace()
st.caption("One mistake students really make is planted in a copy of your network (your own network, "
           "its weights and the other pages are untouched), and this iteration is recorded with it, on the "
           "same batch. Step through its stages, compare with the Step page, use the Jacobians page, then "
           "say where the bug is and which stage first shows it. *easy*: the forward is wrong; *medium*: only "
           "a grad_input is wrong; *hard*: only a parameter gradient, the update or evaluate mode.")
with st.container(horizontal=True, vertical_alignment="bottom"):
    st.segmented_control("Level", LEVELS, key=hunting.LEVEL, default=LEVELS[0])
    st.button("New bug", key="hunt_new", on_click=hunting.on_new, icon=":material/bug_report:")
found = hunting.current()
if found is None:
    st.info("No catalogued mistake changes this iteration of your network: add layers on Build.")
    st.stop()
if found.level != hunting.level():
    st.caption(f"No {hunting.level()} bug fits this network; this one is {found.level}.")

trace = found.trace
labels = [short_label(stage) for stage in trace.stages]
shown = st.select_slider("Stage of the buggy iteration", options=labels, key="hunt_view")
stage = trace.stages[labels.index(shown)]
st.subheader(stage_label(trace, stage))
draw_panels(stage_panels(trace, stage, layers_of(L.model)), "hunt")

st.markdown("**Your verdict**")
titles = ["(not sure)"] + sorted({m.title for m in CATALOGUE})
with st.container(horizontal=True, vertical_alignment="bottom"):
    st.selectbox("Where is the bug?", hunting.where_options(trace), key="hunt_layer", width=300, index=None,
                 placeholder="choose a place")
    st.selectbox("Which stage first shows it?", labels, key="hunt_stage", width=220, index=None,
                 placeholder="choose a stage")
st.selectbox("What is it? (optional)", titles, key="hunt_bug")
st.button("Submit", key="hunt_submit", on_click=hunting.on_submit, type="primary")

given = hunting.answer()
if given:
    bug = found.misconception
    right, text = hunting.verdict(found, given)
    (st.success if right else st.error)(text)
    st.markdown(f"**{bug.title}.** {bug.sentence}  \nCorrect: `{bug.formula}`")
    buggy, correct = code_of(bug)
    left, right = st.columns(2)
    with left:
        st.markdown("The buggy code")
        st.code(buggy, language="python")
    with right:
        st.markdown("The engine's code")
        st.code(correct, language="python")
