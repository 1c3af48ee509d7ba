"""Issue 20: every translatable string in the code has its Russian translation, with the same {fields}, its three
plural forms where it has any, and a compiled .mo; no translation outlives its string. A new English sentence
without its Russian one fails here."""
import gettext

import pytest

from i18n import N_, domain, from_environment, from_locale, use
from i18n.build import mo_path, po_path, problems, read
from i18n.catalog import LOCALE
from i18n.domains import DOMAINS, sources


@pytest.mark.parametrize("name", list(DOMAINS))
def test_the_russian_catalogue_matches_the_code_and_is_compiled(name):
    assert problems(name) == []


def test_every_source_file_belongs_to_exactly_one_catalogue():
    owned = [path for name in DOMAINS for path in sources(name)]
    assert len(owned) == len(set(owned))
    assert {"app.py", "pages/step.py", "viz/heatmap.py", "engine/grade/grader.py", "engine/linear.py"} <= set(owned)


def test_russian_plurals_have_three_forms_chosen_as_russian_grammar_does():
    catalog = read("pages")
    assert catalog.num_plurals == 3
    plural = gettext.c2py(catalog.plural_expr)
    assert [plural(n) for n in (1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111)] == [0, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 2]


def test_each_thread_of_work_speaks_its_own_language():
    _, ngettext = domain("pages")
    with use("ru"):
        assert _("Build") == "Сборка"
        with use("en"):
            assert _("Build") == "Build"
        assert _("Build") == "Сборка"
    assert _("Build") == "Build"  # English outside, as nothing was installed globally
    assert N_("Build") == "Build"


def test_a_locale_or_the_shell_names_the_language():
    assert [from_locale(tag) for tag in ("ru", "ru-RU", "ru_RU.UTF-8", "en-US", "de", None, "")] == \
        ["ru", "ru", "ru", "en", "en", "en", "en"]
    assert from_environment({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert from_environment({"LANG": "ru_RU.UTF-8", "LC_ALL": "C"}) == "ru"  # C is no choice: LANG decides
    assert from_environment({"LANGUAGE": "en_GB:ru", "LANG": "ru_RU.UTF-8"}) == "en"
    assert from_environment({}) == "en"


def test_a_missing_translation_a_stale_one_and_an_outdated_mo_are_reported(monkeypatch):
    """The check itself: a catalogue without the code's string, with one the code no longer has, or whose .mo
    was compiled from another version, is a failure."""
    import i18n.build as build

    catalog = read("pages")
    del catalog["Build"]
    catalog.add("A sentence the code no longer has", "Фраза, которой больше нет в коде")
    monkeypatch.setattr(build, "read", lambda name: catalog)
    found = build.problems("pages")
    assert "pages: not in the catalogue: 'Build'" in found
    assert "pages: in the catalogue, no longer in the code: 'A sentence the code no longer has'" in found
    assert any(line.endswith("is not compiled from its .po: run python -m i18n.build") for line in found)
    assert po_path("pages").is_relative_to(LOCALE) and mo_path("pages").suffix == ".mo"
