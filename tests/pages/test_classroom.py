"""The lecture through the pages (AppTest): a teacher starts a class on Build, students join by link or code,
the teacher asks, the students answer, the vote closes, runs again and is revealed; on a SQLite file."""
import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from classroom.classes import shared
from classroom.questions import Rejected, checked_answer, read_question
from i18n import domain, use
from engine.sequential import layers_of
from lab.predict import Question
from tests.classroom.test_iteration import assert_same_iteration
from tests.e2e.server import free_port
from tests.pages.apptest import APP, errors, open_page, tile_names
from viz.asked import stage_question

_, ngettext = domain("classroom")


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'classes.sqlite'}"
    monkeypatch.setenv("BACKPROP_LENS_DB", url)
    return url


def param(at, key):
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def teacher(preset=None, stage=0):
    at = open_page("build", preset)
    at.session_state.lab.jump(stage)
    at.button(key="class_start").click().run()
    assert not at.exception, at.exception
    return at


def student(code, page=None, **params):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["class"] = code
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def code_of(at):
    return at.session_state["_class"]["code"]


def answer(at, value, language="en"):
    widget = {"number": at.text_input, "radio": at.radio, "multiselect": at.multiselect}  # a number as typed
    q, _ = read_question(shared().state(code_of(at)).round.question, language)
    typed = list(value) if q.widget == "multiselect" else repr(value) if q.widget == "number" else value
    widget[q.widget](key="predict_answer").set_value(typed)
    at.button(key="predict_submit").click().run()
    assert not at.exception, at.exception
    return q


def right_and_wrong(q):
    if q.widget == "number":
        return q.answer, -q.answer + 10 * q.tol + 1.0
    if q.widget == "radio":
        return q.answer, next(o for o in q.options if o != q.answer)
    return q.answer, tuple(o for o in q.options if o not in q.answer)[:1]


def test_starting_a_class_shows_its_code_link_qr_and_teacher_link():
    at = teacher()
    code = code_of(at)
    assert any(f"Class code: **{code}**" in m.value for m in at.markdown)
    links = [c.value for c in at.code]
    assert any(link.endswith(f"/?class={code}") for link in links)
    assert any(f"class={code}&teacher=" in link and "present=1" in link for link in links)
    assert param(at, "class") == code and len(param(at, "teacher")) > 30
    assert len(at.get("image")) >= 1  # the QR code, drawn here (segno), no network


def test_a_student_link_opens_the_class_network_at_the_teachers_stage_with_an_id_in_the_address():
    at = teacher("circles", stage=3)
    s = student(code_of(at))
    assert s.session_state["_class"] == {"code": code_of(at), "key": None}
    assert len(param(s, "student")) >= 16
    assert s.session_state.lab.config == at.session_state.lab.config and s.session_state.lab.stage == 3
    again = student(code_of(at), student=param(s, "student"))  # a reload keeps the id
    assert param(again, "student") == param(s, "student")


def test_a_teacher_asks_students_answer_once_the_vote_closes_runs_again_and_is_revealed():
    t = teacher()
    t.switch_page("pages/step.py").run()
    code = code_of(t)
    students = [student(code) for _ in range(3)]
    assert "class_ask" not in [b.key for s in students for b in s.button]
    t.button(key="class_ask").click().run()
    assert not t.exception, t.exception
    for s in students:
        s.run()
        assert s.button(key="predict_submit").label == "Send"
    q = answer(students[0], right_and_wrong(read_question(shared().state(code).round.question, "en")[0])[1])
    right, wrong = right_and_wrong(q)
    answer(students[0], right)   # changed: the latest counts
    answer(students[1], wrong)
    t.run()
    assert any("2 answered" in m.value for m in t.markdown)
    assert not t.get("plotly_chart") or "class_histogram" not in [c.key for c in t.get("plotly_chart")]
    t.button(key="class_close").click().run()
    answer(students[2], right)   # too late: refused, said so, not counted
    assert any("closed" in e for e in errors(students[2]))
    assert shared().count(code, 1) == 2
    t.run()
    chart = [c for c in t.get("plotly_chart") if c.key == "class_histogram"]
    assert chart, [c.key for c in t.get("plotly_chart")]
    t.button(key="class_revote").click().run()
    for s in students:
        s.run()
        answer(s, right)
    t.button(key="class_close").click().run()
    t.run()
    spec = json.loads([c for c in t.get("plotly_chart") if c.key == "class_histogram"][0].proto.spec)
    assert [trace["name"] for trace in spec["data"]] == ["Vote 1", "Vote 2"]
    hidden = tile_names(students[1])
    t.button(key="class_reveal").click().run()
    students[1].run()
    assert any("The answer:" in i.value for i in list(students[1].info) + list(students[1].success))
    assert tile_names(students[1]) > hidden  # the stage's results, hidden while the class voted, are shown
    t.button(key="class_end").click().run()
    assert "class_csv" in [d.key for d in t.get("download_button")]


def test_students_follow_the_teachers_stage_until_they_stop_following():
    t = teacher()
    t.switch_page("pages/step.py").run()
    follower, explorer = student(code_of(t), page="step"), student(code_of(t), page="step")
    assert follower.toggle(key="class_follow").value is True
    explorer.toggle(key="class_follow").set_value(False).run()
    for _ in range(2):
        t.button(key="step_next").click().run()
    assert shared().state(code_of(t)).stage == str(t.session_state.lab.current)
    follower.run()
    explorer.run()
    assert follower.session_state.lab.stage == 2 and explorer.session_state.lab.stage == 0
    explorer.toggle(key="class_follow").set_value(True).run()
    assert explorer.session_state.lab.stage == 2


def test_a_student_who_forges_a_teacher_key_is_a_student():
    t = teacher()
    s = student(code_of(t), page="step", teacher="forged")
    assert s.session_state["_class"]["key"] is None
    assert "class_ask" not in [b.key for b in s.button]


def test_wrong_join_codes_are_rate_limited_per_session():
    teacher()
    at = open_page("step")
    for attempt in range(7):
        at.text_input(key="class_join_code").set_value(f"ACDEF{'GHJKMNP'[attempt]}")
        at.button(key="class_join").click().run()
    assert any("Too many wrong class codes" in e for e in errors(at))


def test_an_unreachable_database_leaves_stepping_alone_working(monkeypatch):
    monkeypatch.setenv("BACKPROP_LENS_DB", f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    at = open_page("build")
    at.button(key="class_start").click().run()
    assert not at.exception and any("cannot be reached" in e for e in errors(at))
    s = student("ACDEFG", page="step")
    assert any("cannot be reached" in e for e in errors(s))
    before = s.session_state.lab.stage
    s.button(key="step_next").click().run()
    assert not s.exception and s.session_state.lab.stage == before + 1


def test_the_class_speaks_russian():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "ru"
    at.run()
    at.switch_page("pages/build.py").run()
    assert at.button(key="class_start").label == "Начать занятие"
    at.button(key="class_start").click().run()
    assert any(m.value.startswith("Код занятия: **") for m in at.markdown)
    at.switch_page("pages/step.py").run()
    at.button(key="class_ask").click().run()
    assert not at.exception, at.exception
    assert any("0 ответов" in m.value for m in at.markdown) and at.button(key="class_close").label == \
        "Закрыть голосование"
    with use("ru"):
        with pytest.raises(Rejected, match="ответ должен быть конечным числом"):
            checked_answer(Question("value", "forward 0", "x", "number", 0.5, tol=0.01), float("nan"))
        assert ngettext("{n} answered", "{n} answered", 5).format(n=5) == "5 ответов"


def own_question(lab, language="en"):
    """The question a learner's own Predict first asks at their stage (ui.predict.current_question's), in language."""
    with use(language):
        return stage_question(lab.trace, lab.current, layers_of(lab.model))


def test_a_following_student_records_the_teachers_very_iteration_and_is_asked_the_same_question():
    t = teacher("dropout_batchnorm")
    t.switch_page("pages/step.py").run()
    code = code_of(t)
    follower, explorer = student(code, page="step"), student(code, page="step")
    explorer.toggle(key="class_follow").set_value(False).run()
    own = explorer.session_state.lab.trace
    for _ in range(2):
        t.button(key="step_new_iteration").click().run()
    for _ in range(3):
        t.button(key="step_next").click().run()
    teacher_lab = t.session_state.lab
    follower.run()
    assert_same_iteration(follower.session_state.lab, teacher_lab)
    assert follower.session_state.lab.stage == 3 and teacher_lab.cursor.iteration == 3
    assert explorer.session_state.lab.trace is own  # who stopped following keeps their own iteration
    t.switch_page("pages/train.py").run()
    t.number_input(key="train_epochs").set_value(2).run()
    t.button(key="train_start").click().run()  # the teacher trains on the Train page, in the class
    assert not t.exception and teacher_lab.trained_epochs == 2
    t.switch_page("pages/step.py").run()  # (AppTest runs a page alone: app.py's publish() after it does not run)
    follower.run()
    assert_same_iteration(follower.session_state.lab, teacher_lab)
    assert follower.session_state.lab.trained_epochs == 2 and follower.session_state.lab.stage == 0
    for _ in range(3):
        t.button(key="step_next").click().run()
    t.button(key="class_ask").click().run()
    follower.run()
    asked = read_question(shared().state(code).round.question, "en")[0]
    assert asked == own_question(teacher_lab) == own_question(follower.session_state.lab)  # the answer included
    assert follower.session_state.lab.stage == 3 and follower.button(key="predict_submit")
    explorer.run()
    assert explorer.session_state.lab.trace is own
    explorer.toggle(key="class_follow").set_value(True).run()  # back: the teacher's iteration and stage
    assert_same_iteration(explorer.session_state.lab, teacher_lab)
    assert explorer.session_state.lab.stage == 3


def test_a_student_who_records_an_iteration_of_their_own_stops_following():
    t = teacher()
    t.switch_page("pages/step.py").run()
    s = student(code_of(t), page="step")
    s.button(key="step_new_iteration").click().run()
    assert s.toggle(key="class_follow").value is False
    t.button(key="step_next").click().run()
    s.run()
    assert s.session_state.lab.stage == 0 and s.session_state.lab.cursor.iteration == 2


def test_each_student_reads_the_class_question_in_their_language_and_their_answers_count_together():
    t = open_page("build")
    lab = t.session_state.lab
    for _attempt in range(20):  # a stage whose question's options are words (a sign, a direction)
        found = [k for k, stage in enumerate(lab.trace.stages)
                 if (lab.jump(k) or own_question(lab)) and own_question(lab).kind in ("sign", "direction")]
        if found:
            break
        lab.new_iteration()
    lab.jump(found[0])
    t.button(key="class_start").click().run()
    t.switch_page("pages/step.py").run()
    code = code_of(t)
    russian, english = student(code, page="step", lang="ru"), student(code, page="step", lang="en")
    t.button(key="class_ask").click().run()
    asked_en, asked_ru = own_question(lab, "en"), own_question(lab, "ru")
    assert asked_en.options != asked_ru.options
    for s, asked in ((russian, asked_ru), (english, asked_en)):
        s.run()
        box = [m.value for m in s.markdown if asked.text in m.value]
        assert box, [m.value for m in s.markdown]
        assert tuple(s.radio(key="predict_answer").options) == asked.options
    answer(russian, asked_ru.answer, "ru")
    answer(english, asked_en.answer, "en")
    assert not errors(russian) and not errors(english)
    t.run()
    assert any("2 answered" in m.value for m in t.markdown)
    t.button(key="class_close").click().run()
    t.run()
    spec = json.loads([c for c in t.get("plotly_chart") if c.key == "class_histogram"][0].proto.spec)
    (bars,) = spec["data"]
    assert list(bars["x"]) == list(asked_en.options)  # the teacher's language
    counts = np.frombuffer(base64.b64decode(bars["y"]["bdata"]), dtype=bars["y"]["dtype"])
    assert dict(zip(bars["x"], counts.tolist())) == {o: 2 * (o == asked_en.answer) for o in asked_en.options}
