"""Run a Lab action from a widget callback; a ValueError becomes a message beside that widget."""
import streamlit as st

ERRORS = "_errors"  # session key: widget key -> the message to show beside it


def lab():
    """This learner's Lab (created once per session by app.py)."""
    return st.session_state["lab"]


def act(key, action, *args, **kwargs):
    """Call action(*args); on ValueError keep everything as it was and remember the message for `key`."""
    errors = st.session_state[ERRORS] = {}  # a new action makes earlier messages stale
    try:
        return action(*args, **kwargs)
    except ValueError as error:
        errors[key] = str(error)
        return None


def error_for(key):
    """Show the message of the last failed action of widget `key`, if any."""
    message = st.session_state.get(ERRORS, {}).get(key)
    if message:
        st.error(message, icon="⚠️")


def sync(key, value):
    """Make widget `key` show `value` (call before the widget is drawn), e.g. after a preset changed it."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def widget_value(key):
    return st.session_state[key]
