"""ui/ in Russian: the console script's help in the shell's language, messages beside an answer field."""
import pytest

from i18n import use
from ui import cli
from ui.number_field import parse


@pytest.mark.parametrize("environ, first", [({"LANG": "ru_RU.UTF-8"}, "использование: backprop-lens"),
                                           ({"LANG": "en_US.UTF-8"}, "usage: backprop-lens"), ({}, "usage:")])
def test_the_scripts_help_speaks_the_shells_language(monkeypatch, capsys, environ, first):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(first) and "grade-class SUBMISSIONS --out OUT" in shown


def test_an_unreadable_answer_is_explained_in_the_sessions_language():
    with use("ru"), pytest.raises(ValueError, match="«1,2,3» — не число: введите его как 0.057 или 0,057"):
        parse("1,2,3")
    with pytest.raises(ValueError, match='"1,2,3" is not a number: type it as 0.057 or 0,057'):
        parse("1,2,3")


def test_the_bug_hunts_places_and_verdict_speak_russian():
    from streamlit.testing.v1 import AppTest

    from tests.pages.apptest import APP
    from ui.hunt import STORE, where_option, where_options
    from viz.stage_strip import short_label

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "ru"
    at.run()
    at.switch_page("pages/bug_hunt.py").run()
    hunt = at.session_state[STORE]["hunt"]
    with use("ru"):
        assert at.selectbox(key="hunt_layer").options == where_options(hunt.trace)
        where = where_option(hunt)
    assert where.startswith("слой ") or where in ("критерий (функция потерь)", "оптимизатор")
    at.selectbox(key="hunt_layer").set_value(where)
    at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    at.button(key="hunt_submit").click().run()
    assert not at.exception
    (verdict,) = [s.value for s in at.success]
    assert verdict.startswith(f"Место ошибки: **{where}** (ваш ответ: {where} — верно)"), verdict


def test_a_predict_first_question_is_worded_again_after_a_language_switch(monkeypatch):
    """The shown stage's question is kept per iteration; after a switch it is asked in the new language."""
    from dataclasses import replace

    import i18n
    import ui.predict as predict
    from tests.pages.apptest import open_page

    asked = predict.stage_question
    monkeypatch.setattr(predict, "stage_question", lambda *args: replace(asked(*args), text=f"[{i18n.current()}]"))
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    assert any("[en]" in m.value for m in at.markdown)
    at.query_params["lang"] = "ru"
    at.run()
    assert any("[ru]" in m.value for m in at.markdown) and not any("[en]" in m.value for m in at.markdown)
