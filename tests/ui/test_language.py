"""The session's language (ui/language.py): ?lang=, the switch that writes it into the address, the browser's
locale, English by default; each session its own (AppTest).

AppTest runs app.py first, then the page alone (the pages/ folder convention): the switch is drawn in the first
run only, and the later runs must still speak the session's language.
"""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
EXPANDER = {"en": "Check your own framework against this iteration",  # the Step page's (ui/mine.py)
            "ru": "Проверьте свой фреймворк на этой итерации"}


def opened(lang=None, locale=None):
    at = AppTest.from_file(APP, default_timeout=120)
    if lang is not None:
        at.query_params["lang"] = lang
    if locale is not None:
        at.context = {"locale": locale}
    at.run()
    assert not at.exception, at.exception
    return at


def speaks(at):
    """The language the Step page is drawn in, by a sentence of ui/."""
    labels = {e.label for e in at.expander}
    (lang,) = [lang for lang, label in EXPANDER.items() if label in labels]
    return lang


def switch(at):
    return at.button_group(key="lang")


@pytest.mark.parametrize("lang, locale", [("ru", None), ("en", None), ("en", "ru-RU"), ("ru", "en-US")])
def test_the_address_names_the_language_before_the_browsers_locale(lang, locale):
    at = opened(lang, locale)
    assert speaks(at) == lang and switch(at).value == lang
    at.button(key="step_next").click().run()  # a later run (the page alone) speaks it too
    assert speaks(at) == lang


@pytest.mark.parametrize("locale, lang", [("ru-RU", "ru"), ("ru", "ru"), ("en-GB", "en"), ("de-DE", "en"),
                                          (None, "en")])
def test_without_lang_in_the_address_the_browsers_locale_decides_and_english_is_the_default(locale, lang):
    at = opened(locale=locale)
    assert speaks(at) == lang and switch(at).value == lang
    at.button(key="step_next").click().run()
    at.button(key="step_next").click().run()
    assert speaks(at) == lang


def test_the_switch_writes_the_language_into_the_address_and_the_page_speaks_it():
    at = opened()
    assert speaks(at) == "en" and "lang" not in at.query_params
    switch(at).set_value("ru").run()
    assert at.query_params["lang"] == ["ru"] or at.query_params["lang"] == "ru"
    assert speaks(at) == "ru"
    at.button(key="step_next").click().run()
    assert speaks(at) == "ru"


@pytest.mark.parametrize("lang, locale", [("ru", None), (None, "ru-RU")])
def test_clicking_the_chosen_segment_again_keeps_the_language(lang, locale):
    at = opened(lang, locale)
    switch(at).set_value(None).run()
    assert not at.exception and speaks(at) == "ru"
    assert at.query_params["lang"] in ("ru", ["ru"])


def test_two_sessions_in_two_languages_do_not_leak_into_each_other():
    russian, english = opened("ru"), opened()
    for _ in range(2):
        russian.button(key="step_next").click().run()
        english.button(key="step_next").click().run()
        assert speaks(russian) == "ru" and speaks(english) == "en"
    english.run()
    russian.run()
    assert speaks(russian) == "ru" and speaks(english) == "en"
