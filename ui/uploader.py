"""File uploaders that pin no file: each is capped at what its reader accepts, and its file is dropped as soon
as the reader has read or refused it, so a session keeps only what the lab made of it.

st.file_uploader keeps every chosen file's bytes for as long as the widget shows it (in Streamlit's upload
store and in the widget's state), whatever the app accepts: a 190 MB CSV held 266 MB until the tab closed.
Here the callback hands the bytes to the reader once, then removes the file from the upload store and gives
the widget a new key, so the page draws an empty uploader and Streamlit forgets the old widget's state.
"""
import math

import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

ROUNDS = "_upload_rounds"  # session key: {uploader key: files dropped so far}, which the widget's key counts


def widget_key(key, state=None):
    """The widget key of uploader `key` now: the key itself, then key.1, key.2, ... after each file.
    state: the session state to look in (an AppTest's in tests), by default this session's."""
    state = st.session_state if state is None else state
    dropped = state[ROUNDS].get(key, 0) if ROUNDS in state else 0
    return key if not dropped else f"{key}.{dropped}"


def megabytes(max_bytes):
    """Streamlit's per-widget cap, in whole MB (its unit), at least 1: the browser refuses a larger file."""
    return max(1, math.ceil(max_bytes / 2**20))


def file_uploader(label, key, types, max_bytes, on_read, container=None, **kwargs):
    """st.file_uploader accepting at most max_bytes; on_read(name, content) runs once per chosen file (its
    own size check refuses a larger one sent past the browser), then the file is dropped."""
    (container or st).file_uploader(label, type=types, key=widget_key(key), max_upload_size=megabytes(max_bytes),
                                    on_change=read_and_drop, args=(key, on_read), **kwargs)


def read_and_drop(key, on_read):
    """The uploader's callback: the file to on_read, then out of the upload store and the widget."""
    upload = st.session_state.get(widget_key(key))
    if upload is None:  # the learner removed the file: nothing is held
        return
    try:
        on_read(upload.name, upload.getvalue())
    finally:
        drop(key, upload.file_id)


def drop(key, file_id):
    """Forget the file: remove it from Streamlit's upload store (as st.chat_input does once it has read its
    files) and draw uploader `key` under a new widget key, whose old state Streamlit then discards."""
    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=file_id)
    rounds = st.session_state.setdefault(ROUNDS, {})
    rounds[key] = rounds.get(key, 0) + 1
