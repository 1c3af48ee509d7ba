"""Extract every translatable string with Babel, bring each Russian catalogue up to date, compile it.

    python -m i18n.build           # update locale/ru/LC_MESSAGES/<domain>.po (new entries empty) and the .mo
    python -m i18n.build --check   # print what is missing, stale, untranslated or not compiled; exit 1 if any
"""
import argparse
import io
import re
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from i18n.catalog import LOCALE
from i18n.domains import DOMAINS, ROOT, sources

LANGUAGE = "ru"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)?[^{}]*\}(?!\})")


def extracted(name):
    """Domain name's strings as a template catalogue: msgid (or (singular, plural)) -> locations."""
    template = Catalog(domain=name)
    for path in sources(name):
        for lineno, message, comments, _context in extract_from_file("python", ROOT / path, keywords=KEYWORDS,
                                                                    strip_comment_tags=True):
            template.add(message, locations=[(path, lineno)], auto_comments=comments)
    return template


def po_path(name):
    return LOCALE / LANGUAGE / "LC_MESSAGES" / f"{name}.po"


def mo_path(name):
    return po_path(name).with_suffix(".mo")


def read(name):
    """The Russian catalogue of name, or an empty one."""
    path = po_path(name)
    if not path.exists():
        return Catalog(locale=LANGUAGE, domain=name, project="backprop-lens", version="0.1", fuzzy=False,
                       copyright_holder="the backprop-lens authors", msgid_bugs_address="the project's issues",
                       last_translator="the backprop-lens authors", language_team="Russian")
    with path.open("rb") as stream:
        return read_po(stream, locale=LANGUAGE, domain=name)


def compiled(catalog):
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(name):
    """Bring name's .po in line with the code (keeping every translation still used) and compile its .mo."""
    template, catalog = extracted(name), read(name)
    if not len(template) and not po_path(name).exists():
        return
    created = catalog.creation_date  # the header changes only when its content does
    catalog.update(template, no_fuzzy_matching=True)
    catalog.creation_date = created
    catalog.obsolete.clear()
    catalog.fuzzy = False
    po_path(name).parent.mkdir(parents=True, exist_ok=True)
    with po_path(name).open("wb") as stream:
        write_po(stream, catalog, width=116, include_lineno=False, ignore_obsolete=True)
    mo_path(name).write_bytes(compiled(catalog))


def fields(text):
    return sorted(set(FIELD.findall(text or "")))


def problems(name):
    """Everything wrong with name's Russian catalogue against the code, as sentences (empty when all is well)."""
    template, catalog, found = extracted(name), read(name), []
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    held = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    found += [f"{name}: not in the catalogue: {key!r}" for key in sorted(wanted - held.keys())]
    found += [f"{name}: in the catalogue, no longer in the code: {key!r}" for key in sorted(held.keys() - wanted)]
    for key, message in held.items():
        if key not in wanted:
            continue
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        source = message.id if isinstance(message.id, str) else message.id[1]
        if message.fuzzy or not all(forms):
            found.append(f"{name}: not translated{' (fuzzy)' if message.fuzzy else ''}: {key!r}")
        elif any(fields(form) != fields(source) for form in forms):
            found.append(f"{name}: the translation's {{fields}} differ from {fields(source)}: {key!r}")
        if not isinstance(message.id, str) and len(forms) != catalog.num_plurals:
            found.append(f"{name}: {len(forms)} plural forms instead of {catalog.num_plurals}: {key!r}")
    if po_path(name).exists() and (not mo_path(name).exists() or mo_path(name).read_bytes() != compiled(catalog)):
        found.append(f"{name}: {mo_path(name).name} is not compiled from its .po: run python -m i18n.build")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m i18n.build", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing, stale or not compiled")
    parser.add_argument("domains", nargs="*", default=list(DOMAINS), help="the catalogues (default: all)")
    args = parser.parse_args(argv)
    if not args.check:
        for name in args.domains:
            update(name)
    found = [line for name in args.domains for line in problems(name)]
    print("\n".join(found) or "every catalogue is complete and compiled")
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
