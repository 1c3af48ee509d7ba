"""The by-hand entry's indices as its formula names them: row and column of a matrix, x[n, c, i, j] of an image
batch, W[o, c, p, q] of a Conv2d's kernels (not a flattened row and column)."""
import numpy as np
import streamlit as st

from i18n import domain
from ui import focus
from ui.actions import lab, sync
from viz.heatmap import as_matrix

_, ngettext = domain("ui")
AXES = "pick_axis_"  # widget keys pick_axis_0, pick_axis_1, ...


def axis_names(tensor_id, ndim, layer_name=""):
    """The index names the by-hand formula uses for a result with ndim axes (4: images and kernels)."""
    if ndim != 4:
        return None
    if tensor_id == "grad:W":
        return ("o", "c", "p", "q")
    if tensor_id == "output" and layer_name.startswith("Conv2d"):
        return ("n", "o", "i", "j")
    return ("n", "c", "i", "j")


def index_of(shape, row, col):
    """The index in the array's own shape of entry (row, col) of its matrix view."""
    return (row, *(int(i) for i in np.unravel_index(col, shape[1:])))


def axis_key(k, drawn):
    """The key of the picker's axis k drawn at stamp `drawn` (ui.focus.stamp), e.g. "pick_axis_2_3_5"."""
    return f"{AXES}{k}_{drawn}"


def on_axes(tensor_id, shape, drawn):
    """Picker callback: the entry at the typed indices (each widget keeps to its axis's range). Indices sent
    for a stage no longer shown (a double click), or for a tensor it does not have, keep the focus."""
    tensor = focus.shown_tensor(tensor_id, result=True) if drawn == focus.stamp() else None
    index = [focus.number(st.session_state.get(axis_key(k, drawn))) for k in range(len(shape))]
    if tensor is None or np.shape(tensor.array) != tuple(shape) or None in index \
            or not all(0 <= i < n for i, n in zip(index, shape)):
        return
    focus.choose(tensor_id, index[0], int(np.ravel_multi_index(index[1:], shape[1:])))


def draw_indices(primary, row, col, drawn):
    """Number inputs for the entry of `primary` (an entries.Tensor) worked out by hand: row and column, or
    one per named axis of an image batch or a kernel tensor; `drawn`: the stamp their callbacks are given."""
    shape = np.shape(primary.array)
    stage = lab().current
    layer_name = lab().trace.forward[stage.index].name if stage.index is not None else ""
    names = axis_names(primary.id, len(shape), layer_name)
    if names is None:
        rows, cols = as_matrix(primary.array).shape
        for name, label, value, size in (("row", _("row (0 to {last})"), row, rows),
                                         ("column", _("column (0 to {last})"), col, cols)):
            key = focus.picker_key(f"pick_{name[:3]}", drawn)
            sync(key, value)
            st.number_input(label.format(last=size - 1), key=key, step=1, on_change=focus.on_pick, args=(drawn,),
                            width=150)
        return
    for k, (name, size, value) in enumerate(zip(names, shape, index_of(shape, row, col))):
        sync(axis_key(k, drawn), int(value))
        st.number_input(_("{axis} (0 to {last})").format(axis=name, last=size - 1), key=axis_key(k, drawn), step=1, min_value=0,
                        max_value=size - 1, on_change=on_axes, args=(primary.id, shape, drawn), width=110)
