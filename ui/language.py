"""The session's language: ?lang= in the address, else the switch (key `lang`, which writes the address, so a
reload and a shared link keep it), else the browser's language (st.context.locale), else English.

Each session speaks its own: the choice lives in its address and session state and is handed to i18n for each
run (i18n.language); nothing is installed globally."""
import streamlit as st

from i18n import LANGUAGES, domain, from_locale
from i18n import language as i18n_language

_, ngettext = domain("ui")
KEY = "lang"    # the switch's key, and the address's parameter
CHOSEN = "_language"  # the session's language, kept where a run that draws no switch (a fragment's) finds it
NAMES = {"en": "English", "ru": "Русский"}  # each in its own language, as a switch shows them


def from_address():
    value = st.query_params.get(KEY)
    return value if value in LANGUAGES else None


def resolved():
    """The language this run speaks, in order of precedence (see the module's docstring)."""
    chosen = from_address() or st.session_state.get(KEY) or st.session_state.get(CHOSEN)
    if chosen in LANGUAGES:
        return chosen
    try:
        return from_locale(st.context.locale)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return i18n_language.DEFAULT


def _session_language():
    """For a fragment's run in a thread of its own: this session's language, or None outside a session."""
    try:
        chosen = st.session_state.get(CHOSEN)
    except Exception:
        return None
    return chosen if chosen in LANGUAGES else None


def choose():
    """Fix this run's language (call first thing in each run of app.py)."""
    language = resolved()
    st.session_state[KEY] = st.session_state[CHOSEN] = language  # the switch shows it; a fragment's run reads it
    i18n_language.set_for_this_run(language)
    i18n_language.register_resolver(_session_language)
    return language


def on_switch():
    if st.session_state[KEY] not in LANGUAGES:  # the chosen segment clicked again: it stays chosen
        st.session_state[KEY] = from_address() or i18n_language.DEFAULT
    st.query_params[KEY] = st.session_state[KEY]


def switch():
    """The language switch, on every page (app.py draws it beside the network's line)."""
    st.segmented_control(_("Language"), options=list(LANGUAGES), format_func=NAMES.get, key=KEY,
                         on_change=on_switch, label_visibility="collapsed", width="content")
