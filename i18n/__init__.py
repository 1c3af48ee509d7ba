"""The app's and the grader's two languages, English and Russian, through gettext catalogues.

How a module speaks both languages:

    from i18n import domain
    _, ngettext = domain("viz")        # the catalogue of the package the module lives in (i18n/domains.py)

    _("Work out one entry by hand")
    _("{layer}: its input has shape {shape}").format(layer=name, shape=shape)   # never an f-string inside _()
    ngettext("{n} layer", "{n} layers", n).format(n=n)                           # 1 слой, 2 слоя, 5 слоёв

A string defined at import time (a table of titles, a catalogue entry) is marked with N_("...") so that it is
extracted, and translated where it is shown: _(entry.title). The language is the session's (i18n.language):
each Streamlit session has its own, nothing is installed globally.

The catalogues are i18n/locale/ru/LC_MESSAGES/<domain>.po (edited by hand) and their compiled .mo (read at
run time by the standard library's gettext). After changing strings: `python -m i18n.build` extracts them
with Babel, updates every .po (new entries empty, removed ones dropped) and compiles the .mo files;
tests/i18n checks that nothing is missing, stale or untranslated. Terms follow docs/glossary.md.
"""
from i18n.catalog import N_, domain
from i18n.language import LANGUAGES, current, from_environment, from_locale, use

__all__ = ["LANGUAGES", "N_", "current", "domain", "from_environment", "from_locale", "use"]
