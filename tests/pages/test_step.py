"""Step page: walk every stage of an iteration with Prev/Next/Reset/jump, new iterations, modes (AppTest)."""
import numpy as np
import pytest

from lab.presets import PRESETS
from tests.pages.apptest import errors, figures, grids, open_page, picker
from ui import focus


def heading(at):
    return at.subheader[0].value


def tiles(at):
    """Every tensor drawn in the stage's tensor grids (ui.tensor_grid), in order."""
    return [tile for picture in grids(at, "step-grid-").values() for tile in picture["tiles"]]


def shapes_drawn(at):
    """(rows, columns) of every tensor drawn in the stage's grids, then of the page's other heatmaps."""
    return [(t["rows"], t["cols"]) for t in tiles(at)] + [
        z_shape(trace) for fig in figures(at) for trace in fig["data"] if trace["type"] == "heatmap"]


def tile_titles(at):
    """The title of every tensor drawn on the page (its name, shape and colour range), then the annotations of
    the page's other charts."""
    return [t["heading"].replace("\xa0", " ") for t in tiles(at)] + [
        a["text"].replace("<br>", " ").replace("\xa0", " ") for fig in figures(at)
        for a in fig["layout"].get("annotations", [])]


def tile_shapes(at):
    """{tensor title: the outlines drawn on it (x0, x1, y0, y1 in its entries' coordinates)} over the stage."""
    return {t["title"]: t["marks"] for t in tiles(at)}


def z_shape(trace):
    z = trace["z"]
    if isinstance(z, dict):  # plotly 6+ sends NumPy arrays as typed arrays with their shape
        return tuple(int(n) for n in z["shape"].split(","))
    return (len(z), len(z[0]))


def test_first_open_is_the_handout_example_at_its_first_stage():
    at = open_page(None)  # the default page
    lab = at.session_state.lab
    assert heading(at) == "1/6 · Forward · layer 0 · Linear(2 -> 2)"
    titles = tile_titles(at)
    assert titles[0].startswith("input x (8, 2) · ±") and titles[1].startswith("W (before update) (2, 2) · ±")
    assert len(grids(at, "step-grid-")) == 1  # the stage's four tensors in one picture
    assert r"y &= x\,W + b" in at.latex[0].value
    assert any(m.value.startswith(":orange-badge[**▶ forward 0**] → :gray-badge[forward 1]")
               for m in at.markdown)
    assert lab.config.batch_size == 8 and not errors(at)


def by_hand_shown(at):
    return any("by hand" in expander.label for expander in at.expander)


def walk(at):
    """Click Next through every stage; return the headings seen and each stage's heatmap shapes.
    Every stage of the presets walked here also works one entry out by hand."""
    lab = at.session_state.lab
    seen = [(heading(at), shapes_drawn(at))]
    assert by_hand_shown(at)
    for _ in range(len(lab.stages) - 1):
        at.button(key="step_next").click().run()
        assert not at.exception
        assert by_hand_shown(at), heading(at)
        seen.append((heading(at), shapes_drawn(at)))
    return seen


def test_walking_the_default_iteration_shows_every_stage_and_its_tensors():
    at = open_page(None)
    seen = walk(at)
    assert [h for h, _ in seen] == [
        "1/6 · Forward · layer 0 · Linear(2 -> 2)", "2/6 · Forward · layer 1 · LogSoftMax",
        "3/6 · Loss · NLLCriterion", "4/6 · Backward · layer 1 · LogSoftMax",
        "5/6 · Backward · layer 0 · Linear(2 -> 2)", "6/6 · Update · layer 0 · Linear(2 -> 2)"]
    assert seen[0][1] == [(8, 2), (2, 2), (1, 2), (8, 2)]          # x, W, b, y
    assert (8, 2) in seen[4][1] and (2, 2) in seen[4][1]            # grads of x and W
    assert seen[5][1].count((2, 2)) == 4                            # W: before, grad, v, after (step = v)
    latex = " ".join(element.value for element in at.latex)
    assert "0.9" in latex and "0.01" in latex                       # the actual momentum and lr
    assert at.button(key="step_next").disabled


def test_prev_reset_and_jump():
    at = open_page(None)
    at.button(key="step_next").click().run()
    at.button(key="step_next").click().run()
    assert heading(at).startswith("3/6 · Loss")
    at.button(key="step_prev").click().run()
    assert heading(at).startswith("2/6")
    at.select_slider[0].set_value("backward 0").run()
    assert heading(at).startswith("5/6 · Backward · layer 0")
    assert at.select_slider[0].value == "backward 0"
    at.button(key="step_reset").click().run()
    assert heading(at).startswith("1/6") and at.button(key="step_prev").disabled


def test_loss_stage_shows_predictions_beside_targets_and_the_gradient():
    at = open_page(None)
    at.select_slider[0].set_value("loss").run()
    lab = at.session_state.lab
    titles = tile_titles(at)
    assert [title.split(" (")[0] for title in titles] == ["predictions ŷ", "targets y", "∂L/∂ŷ"]
    assert "(one-hot of labels) (8, 2)" in titles[1]
    assert any(f"L = {lab.trace.loss:.4g} (NLLCriterion, batch of 8)" in c.value for c in at.caption)


def test_new_iteration_takes_the_next_batch_after_the_update():
    at = open_page(None)
    lab = at.session_state.lab
    after = np.array(lab.trace.updates[0].after)
    at.button(key="step_next").click().run()
    at.button(key="step_new_iteration").click().run()
    lab = at.session_state.lab
    assert heading(at).startswith("1/6") and lab.cursor.iteration == 2
    assert np.array_equal(lab.trace.updates[0].before, after)


@pytest.mark.parametrize("preset", ["digits", "dropout_batchnorm"])
def test_walking_a_deeper_network(preset):
    at = open_page(None)
    at.session_state.lab.apply(PRESETS[preset].config)
    at.run()
    seen = walk(at)
    lab = at.session_state.lab
    assert len(seen) == len(lab.stages) and all(shapes for _, shapes in seen)
    assert seen[-1][0].startswith(f"{len(lab.stages)}/{len(lab.stages)} · Update")
    if preset == "digits":
        assert (32, 64) in seen[0][1] and (64, 128) in seen[0][1]


def test_the_mode_toggle_records_in_evaluate_mode():
    at = open_page(None, by_hand=True)
    at.session_state.lab.apply(PRESETS["dropout_batchnorm"].config)
    at.run()
    at.toggle(key="step_training").set_value(False).run()
    assert any("has no moving statistics yet" in e and "New iteration" in e for e in errors(at))
    assert at.session_state.lab.config.training is True and at.toggle(key="step_training").value is True
    at.button(key="step_new_iteration").click().run()
    at.toggle(key="step_training").set_value(False).run()
    lab = at.session_state.lab
    assert lab.config.training is False and not errors(at)
    dropout = lab.trace.forward[3]
    assert np.array_equal(dropout.output, dropout.input)  # evaluate mode: Dropout is the identity
    lab.jump(3)  # stage 3 is forward 3, the Dropout
    at.run()
    shown = " ".join(e.value for x in at.expander if "by hand" in x.label for e in x.latex)
    assert r"\text{evaluate mode: } y = x" in shown


def test_a_nonfinite_iteration_is_flagged_where_it_starts():
    at = open_page(None)
    lab = at.session_state.lab
    lab.apply(PRESETS["high_lr"].config)
    while lab.trace.first_nonfinite is None and lab.cursor.iteration < 40:
        lab.new_iteration()
    at.run()
    assert str(lab.trace.first_nonfinite) == "loss"
    assert any("NaN or inf first appears in this iteration at **Loss · MSECriterion**" in w.value
               for w in at.warning)
    at.select_slider[0].set_value("loss").run()
    assert any("The first NaN/inf of this iteration appears at this stage" in m.value for m in at.caption)


def test_a_backward_stage_opens_that_layers_jacobian():
    at = open_page(None)
    at.select_slider[0].set_value("backward 0").run()
    at.button(key="step_to_jacobian").click().run()
    assert not at.exception
    assert at.selectbox(key="jacobian_layer").value == 0
    assert at.title[0].value == "Jacobians"


def test_every_stage_of_the_default_iteration_works_one_entry_out_by_hand():
    from viz.derivation import num
    at = open_page(None, by_hand=True)
    lab = at.session_state.lab
    for i in range(len(lab.stages)):
        expanders = [e for e in at.expander if "by hand" in e.label]
        assert len(expanders) == 1, lab.current
        shown = " ".join(element.value for element in expanders[0].latex)
        trace = lab.trace
        if lab.current.kind == "loss":
            assert num(trace.loss) in shown
        elif lab.current.kind == "forward":
            output = trace.forward[lab.current.index].output
            assert num(output.flat[np.argmax(np.abs(output))]) in shown  # the largest entry
        if i < len(lab.stages) - 1:
            at.button(key="step_next").click().run()
    assert r"^{\text{prev}} + \eta \, g_{" in shown  # the last stage is the update: v = mu v_prev + eta g


def test_the_iteration_can_be_taken_home_to_check_a_hand_written_framework():
    at = open_page(None)
    expander = next(e for e in at.expander if "Check your own framework" in e.label)
    code = expander.code[0].value
    assert "layer = Linear(2, 2)" in code and "sgd_momentum(variables, gradients, config, state)" in code
    assert [b.proto.label for b in at.get("download_button")] == ["iteration.npz"]


def worked_latex(at):
    return " ".join(e.value for x in at.expander if "by hand" in x.label for e in x.latex)


def test_the_picker_chooses_the_entry_worked_out_and_the_heatmaps_outline_what_it_uses():
    at = open_page(None, by_hand=True)
    lab = at.session_state.lab
    assert picker(at, "pick_tensor").value == "output"
    y = lab.trace.forward[0].output
    picker(at, "pick_row").set_value(5).run()
    picker(at, "pick_col").set_value(0).run()
    assert not at.exception and not errors(at)
    assert r"y_{5,0}" in worked_latex(at)
    from viz.derivation import num
    assert num(y[5, 0]) in worked_latex(at)
    assert any(m.value == f"output y [5, 0] = `{float(y[5, 0])!r}` (exactly)" for m in at.markdown)
    shapes = tile_shapes(at)
    assert {(s["y0"], s["y1"]) for s in shapes["input x"]} == {(4.5, 5.5)}          # row 5 of x
    assert {(s["x0"], s["x1"]) for s in shapes["W (before update)"]} == {(-0.5, 0.5)}  # column 0 of W
    assert [(s["x0"], s["y0"]) for s in shapes["output y"]] == [(-0.5, 4.5)]        # the entry itself
    picker(at, "pick_row").set_value(99).run()                              # out of range: kept
    assert any("rows 0 to 7" in e and "kept" in e for e in errors(at)) and r"y_{5,0}" in worked_latex(at)


def test_the_picker_follows_the_stage_and_a_chosen_entry_stays_with_its_stage():
    at = open_page(None, by_hand=True)
    at.select_slider[0].set_value("backward 0").run()
    picker(at, "pick_tensor").set_value("grad:W").run()
    picker(at, "pick_row").set_value(0).run()
    picker(at, "pick_col").set_value(1).run()
    assert r"W_{0,1}" in worked_latex(at) and r"b_{1}" in worked_latex(at)
    at.button(key="step_prev").click().run()
    assert picker(at, "pick_tensor").value == "grad_input"
    at.button(key="step_next").click().run()
    assert picker(at, "pick_tensor").value == "grad:W" and r"W_{0,1}" in worked_latex(at)
    at.button(key="step_new_iteration").click().run()   # a new iteration: the largest entries again
    assert picker(at, "pick_tensor").value == "output"


def test_the_first_open_hint_goes_once_the_learner_steps():
    at = open_page(None)
    assert any("Press **Next ▶**" in i.value for i in at.info)
    at.button(key="step_next").click().run()
    assert not any("Press **Next ▶**" in i.value for i in at.info)


def test_image_data_shows_the_batch_as_images_and_the_loss_each_samples_prediction():
    at = open_page(None, preset="digits")
    lab = at.session_state.lab
    images = [fig for fig in figures(at) if "images" in (fig["layout"].get("title") or {}).get("text", "")]
    assert len(images) == 1 and "8×8" in images[0]["layout"]["title"]["text"]
    labels = [a["text"] for a in images[0]["layout"]["annotations"]]
    assert labels == [str(int(v)) for v in lab.trace.target[:32]]          # the batch's own labels, in order
    at.select_slider[0].set_value("loss").run()
    (table,) = at.table
    frame = table.value
    assert list(frame.columns) == ["sample", "true class", "predicted class", "p(predicted)", "p(true)", "right"]
    p = np.exp(lab.trace.predictions)                                       # log-probabilities -> probabilities
    p_true = p[np.arange(32), lab.trace.target]
    lowest = np.argsort(p_true, kind="stable")[:16]                         # the 16 least sure of the truth
    assert list(frame["sample"].astype(int)) == list(lowest)
    assert list(frame["true class"].astype(int)) == list(lab.trace.target[lowest])
    np.testing.assert_allclose(frame["p(true)"].astype(float), p_true[lowest], rtol=1e-3)  # shown to 4 digits
    right = int((np.argmax(lab.trace.predictions, axis=1) == lab.trace.target).sum())
    assert any(f"{right} of 32 right" in m.value and "lowest p(true)" in m.value for m in at.markdown)


def test_two_dimensional_data_shows_no_images_and_a_small_batch_a_plain_prediction_table():
    at = open_page(None)
    assert not any("images" in (fig["layout"].get("title") or {}).get("text", "") for fig in figures(at))
    at.select_slider[0].set_value("loss").run()
    assert not at.dataframe and len(at.table) == 1          # 8 samples: a plain table, not a data grid
    frame = at.table[0].value
    assert list(frame["true class"]) == list(at.session_state.lab.trace.target) and len(frame) == 8


def as_drawn(at):
    """The page's element tree with every widget's value as it is now, as a browser keeps the page it drew
    while the server moves on (AppTest otherwise reads a widget's value from the session, by its key)."""
    from streamlit.testing.v1.element_tree import Widget

    tree = at._tree
    for node in tree:
        if isinstance(node, Widget) and node.type not in ("button", "download_button"):
            node.set_value(node.value)
    return tree


def old_button(old, key):
    (button,) = [b for b in old.get("button") if b.key == key]
    return button


def stale_click(at, old, key):
    """Click button `key` as a busy browser does that has not drawn the last rerun yet: with the widget
    values of the page as it was before (the old element tree), e.g. a second click on Next."""
    old_button(old, key).click()
    old.run()


@pytest.mark.parametrize("preset", [None, "digits"])
def test_a_double_click_sends_the_last_stages_picker_and_keeps_the_page(preset):
    """Issue 23, 1: the second click of a double click carries the picker of the stage before (tensor ids,
    rows and columns it no longer has): no exception, the stage moves twice, the new stage keeps its focus."""
    at = open_page(None, preset, by_hand=True)  # its pickers drawn, as a learner working by hand has them
    lab = at.session_state.lab
    last = len(lab.trace.stages) - 1
    for start in range(last):
        lab.jump(start)
        old = as_drawn(at.run())
        at.button(key="step_next").click().run()
        stale_click(at, old, "step_next")                                       # Next, Next
        assert not at.exception, (start, at.exception)
        assert lab.stage == min(start + 2, last)
        assert at.session_state["_step_focus"]["opened"] is None, (start, "a stale pick chose the entry")
        twice, old = lab.stage, as_drawn(at)
        at.button(key="step_prev").click().run()
        stale_click(at, old, "step_prev")                                       # Prev, Prev
        assert not at.exception and lab.stage == max(twice - 2, 0), start
        old = as_drawn(at)
        at.button(key="step_next").click().run()
        old_button(old, "step_next").set_value(False)  # the same tree's node: clicked once only
        (slider,) = old.get("select_slider")
        slider.set_value(slider.options[-1]).run()                              # Next, then the slider it drew
        assert not at.exception and lab.stage == max(twice - 2, 0) + 1, start   # a slider no longer shown
        assert at.session_state["_step_focus"]["opened"] is None, start


CALLBACKS = """
import streamlit as st
from lab.session import Lab
from ui import focus

st.session_state.setdefault("lab", Lab())
drawn = focus.stamp()
for key, cell in (("chart-of-another-stage", {"tensor": "grad:W", "row": 0, "col": 1}),  # forward 0 has no grad:W
                  ("chart-outside", {"tensor": "output", "row": 99, "col": 1}),        # y has 8 rows, not 100
                  ("chart-outside-column", {"tensor": "output", "row": 0, "col": "a"})):  # "a" is no column
    st.session_state[key] = {"cell": dict(cell, stamp=drawn)}
    focus.on_cell(key)
for tensor, row, col in (("grad:W", 0, 0), ("input", 0, 0), (None, 0, 0), ("output", None, 0), ("output", 0, "")):
    for name, value in (("pick_tensor", tensor), ("pick_row", row), ("pick_col", col)):
        st.session_state[focus.picker_key(name)] = value
    if tensor != "output":  # the shown stage's y is a result: choosing it is a choice
        focus.on_pick_tensor(drawn)
    focus.on_pick(drawn)
st.session_state["chart-of-this-stage"] = {"cell": {"tensor": "output", "row": 2, "col": 1, "stamp": "0_4"}}
focus.on_cell("chart-of-this-stage")  # drawn at another stage (4) of another iteration
for name, value in (("pick_tensor", "output"), ("pick_row", 2), ("pick_col", 1)):
    st.session_state[focus.picker_key(name, "0_4")] = value
    st.session_state[focus.picker_key(name)] = value
focus.on_pick_tensor("0_4")                                  # the picker drawn there: the values are not for here
focus.on_pick("0_4")
st.session_state["focus"] = focus.current()
"""


def test_focus_callbacks_keep_the_focus_for_what_the_shown_stage_does_not_have():
    """Issue 23, 1: a heatmap click or a pick naming a tensor, row or column the shown stage does not have
    (sent for a stage no longer shown), or no result at all, keeps the focus, with no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(CALLBACKS).run()
    assert not at.exception, at.exception
    assert at.session_state["focus"] is None and at.session_state.lab.stage == 0


def by_hand_drawn(at):
    """What of the by-hand working the page holds: its level control, pickers and worked items."""
    return ([w.key for w in at.get("button_group") if w.key == "by_hand_level"]
            + [w.key for w in at.get("number_input") if (w.key or "").startswith("pick_")]
            + [m.value for m in at.markdown if m.value.startswith("**") and "by hand" not in m.value])


def test_the_by_hand_working_is_made_and_sent_only_while_its_expander_is_open():
    """Issue 19: the closed expander's working (pickers, level, formulas) was most of a Next's time; it is drawn
    only once the learner opens it, stays open from stage to stage, and goes when closed."""
    at = open_page(None)
    (box,) = [e for e in at.expander if "by hand" in e.label]
    assert not by_hand_drawn(at) and not box.children
    at.session_state[focus.BY_HAND] = True  # the learner opens it
    at.run()
    opened = by_hand_drawn(at)
    assert "by_hand_level" in opened and any(k.startswith("pick_row") for k in opened), opened
    at.button(key="step_next").click().run()
    assert "by_hand_level" in by_hand_drawn(at) and at.session_state[focus.BY_HAND] is True
    at.session_state[focus.BY_HAND] = False  # and closes it
    at.run()
    assert not by_hand_drawn(at) and not at.exception


CHOOSE = """
import streamlit as st
from lab.session import Lab
from ui import focus

st.session_state.setdefault("lab", Lab())
st.session_state["grid"] = {"cell": {"tensor": "output", "row": 3, "col": 1, "stamp": focus.stamp()}}
focus.on_cell("grid")
st.session_state["chosen"] = (focus.current().primary, st.session_state.get(focus.BY_HAND))
"""


def test_a_click_on_a_cell_opens_the_by_hand_working():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(CHOOSE).run()
    assert not at.exception and at.session_state["chosen"] == ("output", True)


def test_the_first_open_hint_goes_once_predict_first_is_on():
    """Issue 19, 16: the hint says to press Next; with Predict first on, the stage asks first, so it goes."""
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    assert not any("Press **Next ▶**" in i.value for i in at.info) and not at.exception
