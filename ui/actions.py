"""Run a Lab action from a widget callback; a ValueError becomes a message beside that widget."""
import re

import streamlit as st

from i18n import domain
from lab.layers import exact
from lab.quoting import SHORT, short

ERRORS = "_errors"  # session key: widget key -> the message to show beside it
REQUESTED = "_requested_url"  # the page a learner opened directly, before app.py had run
MAX_MESSAGE = 600  # characters of one message; a learner's own names in it are shortened by lab.quoting
PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark, which CommonMark lets escape
# Where GitHub-flavoured markdown would turn plain text into a link (http://, https://, www., a@b.c) even when
# escaped: a word joiner (U+2060, invisible) goes there.
AUTOLINK = re.compile(r"(?i)(?<=http:)(?=//)|(?<=https:)(?=//)|(?<=www)(?=\.)|(?<=@)")
JOINER = "\u2060"
_, ngettext = domain("ui")


def lab():
    """This learner's Lab (created once per session by app.py).

    A page opened by its own URL on a freshly started server runs before app.py has
    ever run (Streamlit's pages/ folder convention); then go through app.py, which
    creates the Lab and the navigation, and comes back to the page asked for.
    """
    if "lab" not in st.session_state:
        st.session_state[REQUESTED] = st.context.url
        st.switch_page("app.py", query_params=st.query_params.to_dict())  # keep a link's ?net=
    return st.session_state["lab"]


def act(key, action, *args, kept=None, **kwargs):
    """Call action(*args); on ValueError keep everything as it was and remember the message for `key`.

    kept: the value a number field shows again after a refusal, named in the message ("...; kept 0.5").
    """
    errors = st.session_state[ERRORS] = {}  # a new action makes earlier messages stale
    try:
        return action(*args, **kwargs)
    except ValueError as error:
        errors[key] = str(error) if kept is None else _("{error}; kept {value}").format(error=error, value=shown(kept))
        return None


def shown(value):
    """A number as the learner typed it: 8, 0.5, 1e-06, 2147483647."""
    return str(value) if isinstance(value, int) else exact(value)


def plain(text, limit=MAX_MESSAGE):
    """text as markdown that shows it as it is (one line, at most `limit` characters, every punctuation
    mark escaped, no address linked): a learner's `[a](http://…)`, `![x](…)`, `<b>` or `*a*a…` draws no
    link, image or HTML."""
    return PUNCTUATION.sub(r"\\\1", AUTOLINK.sub(JOINER, short(text, limit)))


def plain_name(name):
    """A learner's name (a dataset, a file) for markdown: plain(name), at most quoting.SHORT characters."""
    return plain(name, SHORT)


def error_for(key):
    """Show the message of the last failed action of widget `key`, if any, as plain text."""
    message = st.session_state.get(ERRORS, {}).get(key)
    if message:
        st.error(plain(message), icon="⚠️")


def sync(key, value):
    """Make widget `key` show `value` (call before the widget is drawn), e.g. after a preset changed it."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def widget_value(key):
    return st.session_state[key]


def return_to_requested(pages):
    """After app.py built the navigation: switch to the page whose URL was opened before it ran."""
    url = st.session_state.pop(REQUESTED, None)
    path = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    for page in pages:
        if path and page.url_path == path:
            st.switch_page(page, query_params=st.query_params.to_dict())
