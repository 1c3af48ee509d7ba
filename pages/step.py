"""Step through: one training iteration, stage by stage, every tensor beside its formula."""
from dataclasses import replace

import streamlit as st

from engine.sequential import layers_of
from lab.exercise import check_code, iteration_npz
from ui.actions import act, error_for, lab, plural, sync
from ui.cache import per_iteration
from ui.unfinished import require_trace
from viz.by_hand import by_hand
from viz.stage_strip import short_label, stage_strip
from viz.stage_view import panel_rows, stage_label, stage_panels

L = lab()
require_trace()  # an unfinished network records no iteration: say why, point to Build
trace = L.trace

st.title("Step through one iteration")
st.caption(f"{L.config.dataset} · {len(trace.forward[0].input)} samples (batch size {L.config.batch_size}) · "
           f"epoch {L.cursor.epoch}, iteration {L.cursor.iteration} · {trace.criterion} · "
           f"SGD lr {trace.learning_rate:g}, momentum {trace.momentum:g}"
           + (f" · trained {plural(L.trained_epochs, 'epoch')}" if L.trained_epochs else ""))


def on_jump(key):
    act("step_jump", L.jump, labels.index(st.session_state[key]))


def on_mode():
    act("step_training", L.apply, replace(L.config, training=st.session_state.step_training))


labels = [short_label(stage) for stage in trace.stages]
prev_col, next_col, reset_col, new_col, mode_col = st.columns([1, 1, 1, 2, 2], vertical_alignment="center")
prev_col.button("◀ Prev", key="step_prev", on_click=L.step, args=(-1,), disabled=L.stage == 0,
                width="stretch", shortcut="Left", help="the previous stage (← key)")
next_col.button("Next ▶", key="step_next", on_click=L.step, args=(1,), type="primary",
                disabled=L.stage == len(labels) - 1, width="stretch", shortcut="Right",
                help="the next stage (→ key)")
reset_col.button("⟲ Reset", key="step_reset", on_click=L.jump, args=(0,), width="stretch",
                 help="back to the first stage of this iteration")
new_col.button("New iteration (next batch)", key="step_new_iteration", width="stretch",
               on_click=lambda: act("step_new_iteration", L.new_iteration),
               help="record the next batch's iteration; this iteration's update is already applied")
sync("step_training", L.config.training)
mode_col.toggle("Training mode", key="step_training", on_change=on_mode,
                help="Dropout and BatchNormalization behave differently in evaluate mode")
for key in ("step_new_iteration", "step_training"):
    error_for(key)

# A new key per shown stage: the slider is drawn afresh at the current stage, so a click that
# reaches the server before the browser has drawn the last stage cannot drag it back.
jump_key = f"step_jump_{id(trace)}_{L.stage}"
st.select_slider("Jump to a stage", options=labels, value=labels[L.stage], key=jump_key,
                 on_change=on_jump, args=(jump_key,),
                 label_visibility="collapsed")
st.markdown(stage_strip(trace.stages, L.stage))

stage = L.current
st.subheader(f"{L.stage + 1}/{len(labels)} · {stage_label(trace, stage)}")
if trace.first_nonfinite is not None and trace.first_nonfinite != stage:
    st.warning(f"NaN or inf first appears in this iteration at **{stage_label(trace, trace.first_nonfinite)}**.",
               icon="⚠️")

for row in panel_rows(stage_panels(trace, stage, layers_of(L.model))):
    columns = st.columns(len(row))
    for column, panel in zip(columns, row):
        with column:
            if panel.latex:
                st.latex(panel.latex)
            if panel.figure is not None:
                st.plotly_chart(panel.figure, key=f"step-{panel.key}", width="stretch")
            if panel.caption:
                st.caption(panel.caption)

# Both depend only on the recorded iteration (and the stage): made once, not on every rerun.
worked = per_iteration("_step_by_hand", stage, lambda: by_hand(trace, stage, layers_of(L.model)),
                       keep=len(trace.stages))
code = per_iteration("_step_check_code", None, lambda: check_code(L.config, L.data.n_features))
if worked:
    with st.expander("Work out one entry by hand, with these numbers", icon=":material/calculate:"):
        st.caption("The entry of largest magnitude of each result; indices count from 0, as on the heatmaps.")
        for item in worked:
            st.markdown(f"**{item.what}**")
            st.latex(item.latex)

with st.expander("Check your own framework against this iteration", icon=":material/fact_check:"):
    st.caption("Every tensor of this iteration in one .npz (inputs, outputs, gradients, parameters before "
               "and after the step, velocities), and code that rebuilds each of your layers with these "
               "weights and checks its forward, backward, parameter gradients, the loss and sgd_momentum, "
               "number by number. Save the file beside your notebook and run the code with your classes.")
    st.download_button("iteration.npz", lambda: iteration_npz(trace, L.model), file_name="iteration.npz",
                       mime="application/octet-stream", key="step_export_iteration",
                       icon=":material/download:")
    st.code(code, language="python")

if stage.kind == "backward" and st.button(
        f"See layer {stage.index}'s Jacobian: from this backward, in closed form, by finite differences",
        key="step_to_jacobian", icon=":material/grid_on:"):
    st.session_state["jacobian_layer"] = stage.index
    st.switch_page("pages/jacobians.py")
