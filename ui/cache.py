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


def spoken(key):
    """key with the session's language: a result holding words (a title, a caption) is made again after a
    switch of the language. A tuple key keeps its items first: ("forward 1", ..., "ru")."""
    return (*key, i18n.current()) if isinstance(key, tuple) else (key, i18n.current())


def per_iteration(name, key, compute, keep=1, **fields):
    """compute() once per (recorded iteration, key, language); at most `keep` keys, the oldest dropped first."""
    views, key = iteration_store(name, **fields)["views"], spoken(key)
    if key not in views:
        if len(views) >= keep:
            views.pop(next(iter(views)))
        views[key] = compute()
    return views[key]
