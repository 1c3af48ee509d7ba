"""Step through: one training iteration, stage by stage, every tensor beside its formula.

The title, the iteration's caption and the export below stay; the stage area between them is a fragment
(st.fragment), so a Next, Prev, Reset, slider, cell or picker click reruns and redraws it alone.
"""
import streamlit as st

from engine.sequential import layers_of
from i18n import domain
from lab.exercise import check_code
from lab.mine import explain
from ui import channel_maps, classroom as lecture, entry_picker, fading, focus, mine as yours, predict as ask, present, runlog
from ui.actions import error_for, lab, plain_name, sync
from ui.cache import per_iteration
from ui.prefetch import prefetch
from ui.stage_panels import draw as draw_panels
from ui.step_jump import MOVED, on_jump, on_mode, on_new_iteration, on_reset, on_step  # see ui/step_jump.py
from ui.unfinished import require_trace
from viz import fade
from viz.by_hand import by_hand
from viz.data_view import batch_images_figure, class_labels, prediction_rows, prediction_table
from viz.entries import as_matrix, chooser, default_focus, entry
from viz.mine_view import comparison_figure, finding_text
from viz.stage_strip import short_label, stage_names, stage_strip
from viz.stage_view import optimizer_text, stage_label, stage_panels, stage_tensors, with_pictures

SMALL_TABLE = 16  # a larger batch's prediction table shows the samples with the lowest p(true)

_, ngettext = domain("pages")
viz_ = domain("viz")[0]  # the by-hand levels are viz's words (viz.fade.LEVELS)
L = lab()
presenting = present.on()  # &present=1: for a projector (ui/present.py), one stage filling the screen
if not presenting:
    st.title(_("Step through one iteration"))
require_trace()  # an unfinished network records no iteration: say why, point to Build
samples = len(L.trace.forward[0].input)
st.caption(_("{dataset} · {samples} (batch size {batch}) · epoch {epoch}, iteration {iteration} · {criterion} · "
             "{optimizer}").format(
    dataset=plain_name(L.config.dataset), samples=ngettext("{n} sample", "{n} samples", samples).format(n=samples),
    batch=L.config.batch_size, epoch=L.cursor.epoch, iteration=L.cursor.iteration, criterion=L.trace.criterion,
    optimizer=optimizer_text(L.trace))
    + (ngettext(" · trained {n} epoch", " · trained {n} epochs", L.trained_epochs).format(n=L.trained_epochs)
       if L.trained_epochs else ""))
lecture.draw_panel()  # in a class: its code, following the teacher; the teacher's controls, count and chart


def controls(labels):
    """The first-open hint, the buttons and toggles, and the jump slider."""
    if not st.session_state.get(MOVED) and not presenting and not ask.on():
        st.info(_("Press **Next ▶** (or the → key) to follow one training iteration of this network, stage by "
                  "stage, with your own numbers; click any cell of a heatmap to see how it is computed. Build your "
                  "own network on **Build**."), icon="👋")
    with st.container(horizontal=True, vertical_alignment="center", key="step_controls"):
        st.button(_("◀ Prev"), key="step_prev", on_click=on_step, args=(-1,), disabled=L.stage == 0, shortcut="Left")
        st.button(_("Next ▶"), key="step_next", on_click=on_step, args=(1,), type="primary",
                  disabled=L.stage == len(labels) - 1, shortcut="Right")
        st.button(_("↺ Reset"), key="step_reset", on_click=on_reset)
        st.button(_("New iteration"), key="step_new_iteration", on_click=on_new_iteration)
        if not presenting:
            sync("step_training", L.config.training)
            st.toggle(_("Training mode"), key="step_training", on_change=on_mode)
        st.toggle(_("Predict first"), key=ask.TOGGLE, help=_("Each stage first asks one question about its results, "
                                                              "with your numbers, and shows them once you answer"))
        if presenting:
            st.button(_("Leave presenter mode"), key="present_stop", on_click=present.stop, icon=":material/close:")
    if not presenting:
        st.caption(_("← and → step too. *Reset*: back to the first stage. *New iteration*: the next batch, from the "
                     "weights this update made. *Training mode* off: Dropout and BatchNormalization in evaluate "
                     "mode."))
    for key in ("step_new_iteration", "step_training", "step_jump"):
        error_for(key)
    # One key per shown stage: the slider is drawn afresh at each stage, and its callback does nothing for a
    # slider drawn at another one (ui/step_jump.py); the keys are few and hold no trace.
    jump_key = f"step_jump_{L.stage}"
    if not presenting:  # one stage fills the screen: the strip below is the map
        st.select_slider(_("Jump to a stage"), options=labels, value=labels[L.stage], key=jump_key,
                         format_func=stage_names(L.trace.stages).get, on_change=on_jump,
                         args=(jump_key, focus.stamp()), label_visibility="collapsed")


@st.fragment
def stage_area():
    """Everything that changes with the shown stage (a rerun of the fragment alone is logged as the page's)."""
    with runlog.logged_fragment("Step through"):
        draw_stage()


def draw_stage():
    trace = L.trace
    labels = [short_label(stage) for stage in trace.stages]
    lecture.publish()  # the teacher's stage becomes the class's
    lecture.draw_elsewhere()  # a student at another stage than the class's open vote
    controls(labels)
    if presenting:
        present.to_top(L.stage)  # each step shows its stage from the top
    mine = yours.current() if not presenting else None  # the learner's own tensors (mine.npz), if uploaded
    first_diff = mine.first_difference(trace) if mine else None
    st.markdown(stage_strip(trace.stages, L.stage, flagged=first_diff))

    stage = L.current
    st.subheader(f"{L.stage + 1}/{len(labels)} · {stage_label(trace, stage)}")
    finding = per_iteration("_step_finding", (str(stage), id(mine)), keep=4,
                            compute=lambda: explain(mine, trace, L.model, stage)) if mine else None
    if mine:
        yours.focus_worst(mine, finding)
        if first_diff is None:
            st.success(_("Your tensors match the engine's at every stage of this iteration."), icon="✅")
        elif finding is None:
            st.info(_("Your tensors match here; they first differ at **{stage}** (red in the strip).").format(
                stage=stage_label(trace, first_diff)), icon="🔎")
        else:
            st.error(finding_text(finding, stage_label(trace, stage), stage_label(trace, first_diff)), icon="❌")
    if trace.first_nonfinite is not None and trace.first_nonfinite != stage:
        st.warning(_("NaN or inf first appears in this iteration at **{stage}**.").format(
            stage=stage_label(trace, trace.first_nonfinite)), icon="⚠️")
    draw_tensors(trace, stage, labels, mine)


def draw_tensors(trace, stage, labels, mine):
    """The stage's formula and tensors, its question, your tensors, its data, the by-hand working."""
    layers = layers_of(L.model)
    tensors = focus.tensors()
    chosen = ask.asked_focus(tensors) or focus.current() or default_focus(tensors)
    # Made once per recorded iteration, stage and chosen entry, not on every rerun.
    worked = per_iteration("_step_by_hand", (str(stage), chosen.key), keep=len(trace.stages) + 4,
                           compute=lambda: by_hand(trace, stage, layers, chooser(tensors, focus.current())))
    working = bool(worked) and not ask.hidden() and fading.hides_results(chosen.key, worked)
    hide = ask.hidden() or working  # the formula and the inputs stay; the results wait for the answer
    panels = per_iteration("_step_panels", (str(stage), chosen.key, hide, present.scale()), keep=8,
                           compute=lambda: stage_panels(trace, stage, layers, chosen, hide, present.scale()))
    draw_panels(panels, "step", clickable=True)
    if not ask.on() and fading.level() == fade.LEVELS[0] and L.stage + 1 < len(trace.stages):
        ahead = trace.stages[L.stage + 1]  # what Next shows: made now, in a thread (ui/prefetch.py)
        focus_ahead = focus.at(ahead) or default_focus(stage_tensors(trace, ahead, layers))
        scale = present.scale()  # read here: the thread has no page to read it from
        prefetch("_step_panels", (str(ahead), focus_ahead.key, False, scale),
                 lambda: with_pictures(stage_panels(trace, ahead, layers, focus_ahead, False, scale)))
    if stage.index is not None:  # a 4-D tensor's channels for one sample (Conv2d, MaxPool2d, ...)
        channel_maps.show(trace, stage, layers[stage.index], hide, present.scale())
    asked = ask.current_question() if ask.on() else None
    with st.container():  # under the inputs it is about; once answered, the verdict under the results
        if lecture.asks_here():
            lecture.draw_question()  # the class's question, answered with the same widgets
        elif asked is not None:
            ask.draw_question(asked)
        if ask.on() and L.stage == len(labels) - 1 and not ask.hidden():
            ask.draw_score(trace.stages, L.jump)
    with st.container():  # always there, so that what follows (the open expander) keeps its place in the page
        if working:
            st.caption(_("The results' heatmaps come back once you check your value below (*{level}*), "
                         "or choose *{worked}*.").format(level=viz_(fading.level()), worked=viz_(fade.LEVELS[0])))
    shown = mine.shown(trace, stage) if mine and not ask.hidden() else []
    if shown:
        st.markdown(_("**Your tensors beside the engine's** (from your mine.npz), and the difference; outlined: the "
                      "entry that differs most"))
        worst = {key: mine.worst_entry(key, engine) for key, _yours, engine in shown if key in mine.differences}
        st.plotly_chart(comparison_figure(shown, worst), key="step-mine", width="content",
                        config={"displayModeBar": False})
        for key, *_tensors in shown:
            if key in mine.notes:
                st.caption(f"{key}: {mine.notes[key]}.")
    st.caption(_("Colours: blue negative, white 0, red positive, up to the ± in each title; hover for the exact value. "
                 "Outlined: the entry worked out by hand below, and the rows, columns or entries it is computed "
                 "from. Click any cell to choose another."))
    draw_data(trace, stage)
    if worked and not ask.hidden():
        draw_by_hand(tensors, chosen, worked)
    if stage.kind == "backward" and st.button(
            _("See layer {i}'s Jacobian: from this backward, in closed form, by finite differences").format(
                i=stage.index),
            key="step_to_jacobian", icon=":material/grid_on:"):
        st.session_state["jacobian_layer"] = stage.index
        st.switch_page("pages/jacobians.py")


def draw_data(trace, stage):
    """The learner's data as data: the batch's images (digits, an uploaded CSV), each sample's prediction."""
    if stage == trace.stages[0] and L.data.image_shape is not None:
        st.plotly_chart(per_iteration("_step_images", present.scale(), lambda: batch_images_figure(
            trace.forward[0].input, L.data.image_shape, class_labels(trace.target, L.data.n_classes),
            title=_("This batch's inputs as images (the label above each):"), scale=present.scale())),
            key="step-batch-images", width="content")
    if stage.kind == "loss":
        table = per_iteration("_step_predictions", None,
                              lambda: prediction_table(trace.predictions, trace.target, trace.criterion))
        if table is not None:
            right = int((table["right"] == "✓").sum())
            shown = table if len(table) <= SMALL_TABLE else table.sort_values("p(true)" if "p(true)" in table else
                                                                              "right", kind="stable").head(SMALL_TABLE)
            st.markdown(_("**Each sample's prediction**: {right} of {n} right. The loss rewards a high p(true); ✗ rows "
                          "are the samples the network gets wrong.").format(right=right, n=len(table))
                        + (_(" The {n} samples with the lowest p(true):").format(n=SMALL_TABLE)
                           if len(shown) < len(table) else ""))
            # a plain table (a data grid took ~0.4 s to draw), its text made once per iteration
            st.table(per_iteration("_step_prediction_rows", None, lambda: prediction_rows(shown)))


def draw_by_hand(tensors, chosen, worked):
    """The expander that works one entry out by hand: the picker, the level, each item's formula."""
    # Its working is made and sent only while it is open (it was most of a Next's time): opening it reruns the stage
    # area, and it stays open from stage to stage until closed; choosing an entry (a click on a cell) opens it.
    box = st.expander(_("Work out one entry by hand, with these numbers"), icon=":material/calculate:",
                      key=focus.BY_HAND, on_change="rerun")
    with box:
        if not box.open:
            return
        results = {t.id: t for t in tensors if t.result}
        primary = results[chosen.primary]
        row, col = entry(primary, chosen.roles)
        drawn = focus.stamp()  # the callbacks do nothing for a picker drawn at another stage (ui/focus.py)
        sync(focus.picker_key("pick_tensor", drawn), primary.id)
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.selectbox(_("Entry of"), list(results), key=focus.picker_key("pick_tensor", drawn),
                         format_func=lambda i: results[i].title, on_change=focus.on_pick_tensor, args=(drawn,),
                         width=260)
            entry_picker.draw_indices(primary, row, col, drawn)  # row and column, or n, c, i, j as the formula names them
        error_for("pick")
        st.segmented_control(_("How much is worked out"), fade.LEVELS, key=fading.LEVEL, default=fade.LEVELS[0],
                             format_func={level: viz_(level) for level in fade.LEVELS}.get)  # translated now:
                                                                           # AppTest calls it outside the run
        if fading.level() == fade.LEVELS[0]:
            st.markdown(_("{tensor} [{row}, {col}] = `{value}` (exactly)").format(
                tensor=primary.title, row=row, col=col, value=repr(float(as_matrix(primary.array)[row, col]))))
        st.caption(_("Indices count from 0, as on the heatmaps.") + " " + (
            _("The entry you chose, and the entries of the other results that use the same cells.")
            if focus.current() else _("Each result's entry of largest magnitude; click a cell or pick one above.")))
        for k, item in enumerate(worked):
            st.markdown(f"**{item.what}**")
            checked = fading.result(chosen.key, k)
            if fading.level() != fade.LEVELS[0] and checked is None:
                st.latex(fade.faded(item.latex, fading.level()))
                with st.container(horizontal=True, vertical_alignment="bottom"):
                    fading.draw_answer(k)  # 0.057 or 0,057 (ui/number_field.py)
                    swapped = fading.swapped_value(results[item.tensor].array, item.index) \
                        if item.tensor in results else None
                    st.button(_("Check"), key=f"by_hand_check_{k}", on_click=fading.on_check,
                              args=(chosen.key, k, item, swapped))
                fading.answer_error(k)
                st.caption(fading.tolerance_text(item))
                continue
            if checked is not None:
                right, text = fading.verdict(checked, item)
                (st.success if right else st.error)(text)
            st.latex(item.latex)


stage_area()
if lecture.current() is None and not presenting:
    lecture.draw_join()
if not presenting:  # the iteration's export and your tensors: the same at every stage
    yours.draw_check(L.trace, L.model, per_iteration("_step_check_code", None, lambda: check_code(L.config, L.inputs)))
