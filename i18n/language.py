"""Which language speaks now: set per thread of work (a Streamlit session's run, a grader call), never globally.

`use("ru")` sets it for a block; a Streamlit run sets it for its own run (ui/language.py), and a fragment's run,
which may start in a thread of its own, asks the registered resolver (the session's choice) once."""
import contextvars
import os
from contextlib import contextmanager

LANGUAGES = ("en", "ru")
DEFAULT = "en"
_chosen = contextvars.ContextVar("backprop_lens_language", default=None)
_resolver = None  # () -> language or None: the Streamlit session's choice (ui/language.py registers it)


def current():
    """The language of this thread of work: set by use() or by the resolver, else English."""
    chosen = _chosen.get()
    if chosen is None and _resolver is not None:
        chosen = _resolver()
        if chosen is not None:
            _chosen.set(chosen)  # once per thread: later strings of this run skip the resolver
    return chosen or DEFAULT


def set_for_this_run(language):
    """The language of the rest of this thread's work (a Streamlit run); unknown ones give English."""
    _chosen.set(language if language in LANGUAGES else DEFAULT)


def register_resolver(resolver):
    """resolver() names the language where no use() and no run has set one (a Streamlit fragment's thread)."""
    global _resolver
    _resolver = resolver


@contextmanager
def use(language):
    """Speak language inside the block (en or ru; anything else is English)."""
    token = _chosen.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _chosen.reset(token)


def from_locale(tag):
    """The language a locale tag asks for: "ru", "ru-RU", "ru_RU.UTF-8" give ru; anything else (or None) en."""
    if not tag:
        return DEFAULT
    base = str(tag).replace("-", "_").split(".")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT


def from_environment(environ=None):
    """The language the shell asks for, as gettext reads it: LANGUAGE, LC_ALL, LC_MESSAGES, then LANG."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value and value not in ("C", "POSIX"):
            return from_locale(value.split(":")[0])
    return DEFAULT
