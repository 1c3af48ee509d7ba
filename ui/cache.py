"""Per-iteration stores: keep a page's expensive results while the recorded iteration stays the same."""
import streamlit as st

import i18n
from ui.actions import lab


def iteration_store(name, **fields):
    """This session's store `name` ({"trace", "views", **fields}), emptied when a new trace appears.

    Every change of the model (training, a new iteration, a setting) records a new trace, so
    the trace object tells when a result about the model is out of date.
    """
    trace = lab().trace
    store = st.session_state.get(name)
    if store is None or store["trace"] is not trace:
        store = st.session_state[name] = {"trace": trace, "views": {}, **fields}
    return store


def worded(key):
    """key, in the language this run speaks: a result holding text is kept per language."""
    return i18n.current(), key


def per_iteration(name, key, compute, keep=1, **fields):
    """compute() once per (recorded iteration, language, key); at most `keep` keys, the oldest dropped first."""
    key, views = worded(key), iteration_store(name, **fields)["views"]
    if key not in views:
        if len(views) >= keep:
            views.pop(next(iter(views)))
        views[key] = compute()
    return views[key]
