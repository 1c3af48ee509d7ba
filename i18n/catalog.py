"""The compiled catalogues (locale/<language>/LC_MESSAGES/<domain>.mo), read once by the standard library's
gettext, and the _ / ngettext pair each module binds to its domain."""
import gettext
from functools import lru_cache
from pathlib import Path

from i18n import language

LOCALE = Path(__file__).with_name("locale")


@lru_cache(maxsize=None)
def translations(domain_name, lang):
    """domain_name's catalogue in lang; English (and a missing catalogue) give the strings as written."""
    if lang == language.DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(domain_name, LOCALE, languages=[lang], fallback=True)


def domain(name):
    """(_, ngettext) of the catalogue `name`, each speaking the current language at every call."""
    def _(message):
        return translations(name, language.current()).gettext(message)

    def ngettext(singular, plural, n):
        return translations(name, language.current()).ngettext(singular, plural, n)
    return _, ngettext


def N_(message):
    """Mark message for extraction where it is defined; it is translated where it is shown, with _(message)."""
    return message
