"""Bug hunt page in Russian (AppTest): the planted mistake's name, the teacher's sentence and the student's code
are shown in Russian, while the answer keeps the mistake's English title as its value."""

import i18n
from i18n import language
from engine.grade.catalogue import sentence_of, title_of
from tests.pages.apptest import open_page
from tests.pages.test_bug_hunt import planted
from ui.hunt import CHOSEN, STORE, where_option
from viz.stage_strip import short_label


def test_the_mistake_is_named_explained_and_shown_in_russian_and_its_answer_keeps_the_english_id(monkeypatch):
    at = open_page("bug_hunt")
    # After the first run AppTest runs the page without app.py, whose language switch would keep the choice:
    # each run asks the resolver (i18n.language), as a fragment's run does; app.py's first run registered it.
    monkeypatch.setattr(language, "_resolver", lambda: "ru")
    at.run()
    hunt = planted(at)
    with i18n.use("ru"):
        title, sentence = title_of(hunt.misconception), sentence_of(hunt.misconception)
    assert title != hunt.misconception.title
    assert title in at.selectbox(key="hunt_bug").options and hunt.misconception.title not in at.selectbox(
        key="hunt_bug").options
    assert any(title in option for option in at.selectbox(key=CHOSEN).options)  # the teacher's list
    with i18n.use("ru"):  # the options as the page shows them
        at.selectbox(key="hunt_layer").set_value(where_option(hunt))
        at.selectbox(key="hunt_stage").set_value(short_label(hunt.first))
    at.selectbox(key="hunt_bug").set_value(hunt.misconception.title)  # the option shown as `title` (asserted above)
    at.button(key="hunt_submit").click().run()
    assert not at.exception
    assert at.session_state[STORE]["answer"]["hunt_bug"] == hunt.misconception.title  # the value: its id
    assert at.success  # the right place, stage and mistake
    assert any(f"**{title}.** {sentence}" in m.value for m in at.markdown)
    assert not any(hunt.misconception.sentence in m.value for m in at.markdown)
    assert "# <- ошибка" in at.code[0].value and "# <- the mistake" not in at.code[0].value
