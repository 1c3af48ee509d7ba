"""The Step page's focus: which entry of the shown stage is worked out by hand, chosen by a click on any cell
of any heatmap (ui.tensor_grid's click) or by the picker; kept per stage of the recorded iteration.

A busy browser may send a widget's value from a stage, an iteration or a network it no longer shows (a double
click on Next sends the picker as the last stage drew it). Streamlit then calls that widget's callback with the
arguments of the run that drew it, even when the widget is no longer drawn. So the picker's keys name the stage
and the iteration (`stamp`), each callback is given the stamp it was drawn with and does nothing for another one,
and what it is given is checked against the shown stage: the focus stays when it does not fit.
"""
import streamlit as st

from i18n import domain
from engine.sequential import layers_of
from ui.actions import lab
from ui.cache import iteration_store
from viz import entries
from viz.heatmap import as_matrix, entry_of_cell
from viz.stage_view import stage_tensors

_, ngettext = domain("ui")
STORE = "_step_focus"   # {"trace": ..., "views": {stage: Focus}, "opened": stage whose focus a learner chose,
                        #  "serial": this recorded iteration's number in the session}
SERIAL = "_step_serial"  # session key: how many recorded iterations the Step page has shown
BY_HAND = "by_hand_open"  # the by-hand expander's state (True: open); its working is made and sent only then


def tensors():
    L = lab()
    return stage_tensors(L.trace, L.current, layers_of(L.model))


def _store():
    store = iteration_store(STORE, opened=None)
    if "serial" not in store:
        store["serial"] = st.session_state[SERIAL] = st.session_state.get(SERIAL, 0) + 1
    return store


def stamp():
    """The shown iteration and stage, e.g. "3_5": given to the callbacks of what is drawn for them."""
    return f"{_store()['serial']}_{lab().stage}"


def picker_key(name, drawn=None):
    """The key of picker widget `name` ("pick_tensor", "pick_row", "pick_col") drawn at stamp `drawn` (the
    shown stage of the shown iteration by default), e.g. "pick_row_3_5"."""
    return f"{name}_{drawn or stamp()}"


def current():
    """The Focus the learner chose at the shown stage, or None (then: the largest entry of its main result)."""
    return at(lab().current)


def at(stage):
    """The Focus the learner chose at `stage` of the shown iteration, or None."""
    return _store()["views"].get(str(stage))


def choose(tensor_id, row, col):
    """Focus on entry (row, col) of tensor `tensor_id`'s matrix view at the shown stage, and open its working."""
    store = _store()
    store["views"][str(lab().current)] = entries.focus_at(tensors(), tensor_id, row, col)
    store["opened"] = str(lab().current)
    st.session_state[BY_HAND] = True


def shown_tensor(tensor_id, result=False):
    """The shown stage's tensor `tensor_id` (with result: only a result), or None when it has none."""
    return next((t for t in tensors() if t.id == tensor_id and (t.result or not result)), None)


def fits(tensor, row, col):
    """True when (row, col) is an entry of tensor's matrix view."""
    rows, cols = as_matrix(tensor.array).shape
    return 0 <= row < rows and 0 <= col < cols


def number(value):
    """value as an int, or None when it is none (a widget of another kind may have sent it)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def on_cell(key):
    """Tensor grid callback (ui.tensor_grid): the clicked cell {tensor, row, col, stamp} -> the focus. A click on
    a drawing of a stage no longer shown (its stamp), or outside the tensor, keeps the focus."""
    cell = (st.session_state.get(key) or {}).get("cell")
    if not isinstance(cell, dict) or cell.get("stamp") != stamp():
        return
    tensor, row, col = shown_tensor(cell.get("tensor")), number(cell.get("row")), number(cell.get("col"))
    if tensor is not None and row is not None and col is not None and fits(tensor, row, col):
        choose(tensor.id, *entry_of_cell(tensor.array, row, col))


def picked(drawn):
    """(tensor, row, column) the picker drawn at stamp `drawn` holds: all None when it was drawn for a stage
    no longer shown; tensor None when it names none of the shown stage's results."""
    if drawn != stamp():
        return None, None, None
    state = st.session_state
    return (shown_tensor(state.get(picker_key("pick_tensor", drawn)), result=True),
            number(state.get(picker_key("pick_row", drawn))), number(state.get(picker_key("pick_col", drawn))))


def on_pick(drawn):
    """Picker callback: the result chosen in the selectbox, at the row and column typed."""
    tensor, row, col = picked(drawn)
    if tensor is None or row is None or col is None:
        return  # a value for a stage no longer shown: the focus stays
    rows, cols = as_matrix(tensor.array).shape
    if not (0 <= row < rows and 0 <= col < cols):
        st.session_state.setdefault("_errors", {})["pick"] = _(
            "{tensor} has rows 0 to {last_row} and columns 0 to {last_column}; got ({row}, {column}), so the entry "
            "shown was kept").format(tensor=tensor.title, last_row=rows - 1, last_column=cols - 1, row=row,
                                     column=col)
        return
    st.session_state.get("_errors", {}).pop("pick", None)
    choose(tensor.id, row, col)


def on_pick_tensor(drawn):
    """Picker callback: another result chosen: its entry of largest magnitude."""
    tensor = picked(drawn)[0]
    if tensor is not None:
        choose(tensor.id, *entries.entry(tensor, {}))

