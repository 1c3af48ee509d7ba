"""A learner's own text inside a message (a link's dataset name, a field or layer kind, a file name),
shortened and quoted, so that a message stays short whatever was typed. The page escapes the whole
message before it draws it (ui.actions.plain): nothing here is markdown."""
from i18n import domain

_, ngettext = domain("lab")
SHORT = 60   # characters of one name or value in a message
LISTED = 5   # names listed before "and 12 more"


def short(text, limit=SHORT):
    """text on one line, cut to `limit` characters with a final "…" when longer."""
    text = " ".join(str(text).splitlines())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quoted(value, limit=SHORT):
    """A value as Python prints it ('blobs', [1, 2], None), at most about `limit` characters."""
    if isinstance(value, str):
        return repr(short(value, limit))
    return short(repr(value), limit)


def listed(names, limit=LISTED):
    """At most `limit` names, each shortened, in sorted order: "a, b, c and 12 more"."""
    names = sorted(str(name) for name in names)
    shown = ", ".join(short(name) for name in names[:limit])
    more = len(names) - limit
    return ngettext("{names} and {n} more", "{names} and {n} more", more).format(names=shown, n=more) \
        if more > 0 else shown
