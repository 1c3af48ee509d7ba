"""per_iteration: keep a page's expensive result while the learner's recorded iteration stays the same."""
import streamlit as st

from ui.actions import lab


def per_iteration(name, key, compute):
    """compute() once per (recorded iteration, key) in this session; any new trace empties the slot.

    Every change of the model (training, a new iteration, a setting) records a new trace, so
    the trace object tells when a result about the model is out of date.
    """
    trace = lab().trace
    slot = st.session_state.get(name)
    if slot is None or slot["trace"] is not trace or slot["key"] != key:
        slot = st.session_state[name] = {"trace": trace, "key": key, "value": compute()}
    return slot["value"]
