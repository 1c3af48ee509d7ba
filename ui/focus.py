"""The Step page's focus: which entry of the shown stage is worked out by hand, chosen by a click on any cell
of any heatmap (st.plotly_chart's point selection) or by the picker; kept per stage of the recorded iteration."""
import streamlit as st

from engine.sequential import layers_of
from ui.actions import lab
from ui.cache import iteration_store
from viz import entries
from viz.heatmap import as_matrix, entry_of_cell
from viz.stage_view import stage_tensors

STORE = "_step_focus"   # {"trace": ..., "views": {stage: Focus}, "opened": stage whose focus a learner chose}


def tensors():
    L = lab()
    return stage_tensors(L.trace, L.current, layers_of(L.model))


def current():
    """The Focus of the shown stage: the learner's choice, or the largest entry of its main result."""
    return iteration_store(STORE, opened=None)["views"].get(str(lab().current))


def chosen():
    """True when the learner chose the shown stage's entry (a click or the picker): open its working."""
    return iteration_store(STORE, opened=None)["opened"] == str(lab().current)


def choose(tensor_id, row, col):
    """Focus on entry (row, col) of tensor `tensor_id`'s matrix view at the shown stage."""
    store = iteration_store(STORE, opened=None)
    store["views"][str(lab().current)] = entries.focus_at(tensors(), tensor_id, row, col)
    store["opened"] = str(lab().current)


def on_cell(key, metas):
    """Chart callback: the clicked cell's tensor (the cell trace's meta) and position -> the focus."""
    selection = (st.session_state.get(key) or {}).get("selection") or {}
    for point in selection.get("points") or []:
        tensor_id = metas.get(point.get("curve_number"))
        if tensor_id is not None and "x" in point and "y" in point:
            tensor = next(t for t in tensors() if t.id == tensor_id)
            choose(tensor_id, *entry_of_cell(tensor.array, point["y"], point["x"]))
            return


def on_pick():
    """Picker callback: the result chosen in the selectbox, at the row and column typed."""
    tensor = next(t for t in tensors() if t.id == st.session_state.pick_tensor)
    rows, cols = as_matrix(tensor.array).shape
    row, col = int(st.session_state.pick_row), int(st.session_state.pick_col)
    if not (0 <= row < rows and 0 <= col < cols):
        st.session_state.setdefault("_errors", {})["pick"] = (
            f"{tensor.title} has rows 0 to {rows - 1} and columns 0 to {cols - 1}; got ({row}, {col}), "
            "so the entry shown was kept")
        return
    st.session_state.get("_errors", {}).pop("pick", None)
    choose(tensor.id, row, col)


def on_pick_tensor():
    """Picker callback: another result chosen: its entry of largest magnitude."""
    tensor = next(t for t in tensors() if t.id == st.session_state.pick_tensor)
    choose(tensor.id, *entries.entry(tensor, {}))


def cell_metas(figure):
    """{curve number: tensor id} of a figure's clickable cell traces."""
    return {i: trace.meta for i, trace in enumerate(figure.data) if getattr(trace, "meta", None)}
