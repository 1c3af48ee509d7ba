"""The Step page's channel maps: a stage's 4-D tensors for a chosen sample, and a receptive field to outline."""
import numpy as np
import streamlit as st

from i18n import domain
from ui import tensor_grid
from ui.cache import per_iteration
from viz.channel_view import Position, channel_panels, pages, shown_channels

_, ngettext = domain("ui")
SAMPLE, CHANNEL, ROW, COL = "maps_sample", "rf_channel", "rf_row", "rf_col"
FIRST_OUT, FIRST_IN = "maps_first_out", "maps_first_in"  # the first channel of the page of channels drawn


def clamp(key, high):
    """The widget's value kept within 0..high (a smaller network or batch may come after a larger one)."""
    value = st.session_state.get(key)
    if value is None or not 0 <= value <= high:
        st.session_state[key] = min(max(int(value or 0), 0), high)


def show(trace, stage, layer, hide_results=False, scale=1.0):
    """Pickers and the maps of the shown stage, when it has a 4-D tensor; nothing otherwise."""
    if stage.kind not in ("forward", "backward") or (np.ndim(trace.forward[stage.index].input) != 4
                                                     and np.ndim(trace.forward[stage.index].output) != 4):
        return
    record = trace.forward[stage.index]
    conv = type(layer).__name__ == "Conv2d"
    st.markdown(_("**One sample's channels**: pick an output position to outline its receptive field, the window "
                  "of every input channel and the kernels it is computed from") if conv and stage.kind == "forward"
                else _("**One sample's channels**: pick an entry of grad_input to outline the window of every "
                       "grad_output map it is computed from") if conv else _("**One sample's channels**"))
    n = len(record.input)
    clamp(SAMPLE, n - 1)
    position = None
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.number_input(_("sample (0 to {last})").format(last=n - 1), key=SAMPLE, step=1, width=150)
        if conv:
            shape = record.output.shape if stage.kind == "forward" else record.input.shape
            channels, rows, cols = shape[1], shape[2], shape[3]
            for key, high in ((CHANNEL, channels - 1), (ROW, rows - 1), (COL, cols - 1)):
                clamp(key, high)
            what = _("output channel (0 to {last})") if stage.kind == "forward" else _("input channel (0 to {last})")
            st.number_input(what.format(last=channels - 1), key=CHANNEL, step=1, width=170)
            st.number_input(_("row (0 to {last})").format(last=rows - 1), key=ROW, step=1, width=140)
            st.number_input(_("column (0 to {last})").format(last=cols - 1), key=COL, step=1, width=140)
            position = Position(st.session_state[CHANNEL], st.session_state[ROW], st.session_state[COL])
        first = page_pickers(record, conv)
    sample = st.session_state[SAMPLE]
    panels = per_iteration("_step_maps", (str(stage), sample, position, hide_results, scale, first), keep=8,
                           compute=lambda: channel_panels(trace, stage, layer, sample, position, hide_results, scale,
                                                          first))
    with st.container(horizontal=True, gap="medium"):  # side by side as far as the page is wide, then wrapped
        for k, panel in enumerate(panels):  # keyed by place: a Next redraws each picture in place (ui.tensor_grid)
            tensor_grid.draw(dict(panel.picture, name=panel.key), f"step-maps-{k}")


def page_pickers(record, conv):
    """(first output channel, first input channel) drawn: a picker for each side with more than MAX_CHANNELS."""
    first = []
    for key, array, what in ((FIRST_OUT, record.output, _("output channels drawn (of {count})")),
                             (FIRST_IN, record.input, _("input channels drawn (of {count})") if conv
                              else _("channels drawn (of {count})"))):
        count = np.shape(array)[1] if np.ndim(array) == 4 else 0
        starts = pages(count)
        if len(starts) > 1 and (conv or key == FIRST_IN):
            if st.session_state.get(key) not in starts:
                st.session_state[key] = 0
            st.selectbox(what.format(count=count), starts, key=key, width=190,
                         format_func=lambda s, n=count: _("{first} to {last}").format(
                             first=shown_channels(n, s)[0], last=shown_channels(n, s)[-1]))
        first.append(st.session_state.get(key, 0) if len(starts) > 1 else 0)
    return tuple(first)
