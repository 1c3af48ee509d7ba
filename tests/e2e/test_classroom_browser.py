"""The lecture in real browsers on one server with SQLite: a teacher starts a class on Build, opens the projector
with the teacher link, two students join by link, the class answers, the vote closes, runs again, is revealed.

Run alone with `python -m pytest -m e2e tests/e2e/test_classroom_browser.py`; screenshots land in artifacts/e2e/
(the projector's live count, the distribution after closing, votes 1 and 2 side by side).
"""
import os
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from classroom.classes import shared
from classroom.questions import read_question
from tests.e2e import server as app_server
from tests.e2e.conftest import ARTIFACTS, VIEWPORT, Learner

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def class_server(chromium, tmp_path_factory):
    """An app server of its own on a fresh SQLite class database (BACKPROP_LENS_DB, inherited by the server)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('class') / 'classes.sqlite'}"
    before = os.environ.get("BACKPROP_LENS_DB")
    os.environ["BACKPROP_LENS_DB"] = url
    try:
        server = app_server.start(ARTIFACTS / "server-classroom.log")
    finally:
        os.environ.pop("BACKPROP_LENS_DB") if before is None else os.environ.__setitem__("BACKPROP_LENS_DB", before)
    yield server, url
    app_server.stop(server)


def person(browser, url, name, viewport=VIEWPORT):
    one = Learner(browser.new_context(viewport=viewport), url, name)
    one.open()
    return one


WORDS = {"en": ("Your answer", "Send"), "ru": ("Ваш ответ", "Отправить")}  # the answer box and its button


def answer(student, q, value, language="en"):
    page, (label, send) = student.page, WORDS[language]
    if q.widget == "number":
        box = page.get_by_role("textbox", name=label)
        box.fill(repr(float(value)))
        box.press("Enter")
        page.wait_for_timeout(300)
    elif q.widget == "radio":
        student.rerun(lambda: page.get_by_test_id("stRadio").get_by_text(value, exact=True).click())
    else:
        raise AssertionError("the default network's first stage asks no multiselect question")
    student.rerun(lambda: page.get_by_role("button", name=send, exact=True).click())


def wrong(q):
    return q.answer + 10 * q.tol + 1.0 if q.widget == "number" else next(o for o in q.options if o != q.answer)


def test_a_class_votes_twice_and_sees_the_answer(browser, class_server):
    server, url = class_server
    teacher = person(browser, server.url, "class-teacher")
    teacher.go("Build", "Build a network")
    teacher.click("Start a class")
    code = teacher.page.locator(".st-key-class_code strong").inner_text()
    teacher_link = teacher.page.get_by_test_id("stCode").filter(has_text="teacher=").inner_text()
    assert f"class={code}&teacher=" in teacher_link
    key = parse_qs(urlsplit(teacher_link.strip()).query)["teacher"][0]
    projector = person(browser, teacher_link.strip().replace(f"http://{teacher_link.split('/')[2]}", server.url[:-1]),
                       "class-projector", viewport={"width": 1280, "height": 800})
    students = [person(browser, f"{server.url}?class={code}&lang=ru", "class-student-ru"),  # a Russian student
                person(browser, f"{server.url}?class={code}", "class-student-en")]
    languages = ("ru", "en")
    projector.click("Ask the class")
    room = shared(url)
    q, _ = read_question(room.state(code).round.question, "en")
    asked = [read_question(room.state(code).round.question, language)[0] for language in languages]
    for student, language, one in zip(students, languages, asked):
        expect(student.page.get_by_role("button", name=WORDS[language][1], exact=True)).to_be_visible()
        expect(student.page.locator(".st-key-class_question")).to_contain_text(one.text.replace("**", ""))
        expect(student.page.locator(".st-key-class_follow input")).to_be_checked()  # still following
    students[0].screenshot("question-in-russian")
    answer(students[0], asked[0], asked[0].answer, "ru")
    answer(students[1], q, wrong(q))
    expect(projector.page.locator(".st-key-class_count")).to_contain_text("2 answered", timeout=10_000)
    assert projector.page.locator(".st-key-class_histogram").count() == 0
    projector.screenshot("live-count")
    projector.click("Close the vote")
    expect(projector.page.locator(".st-key-class_histogram")).to_be_visible()
    projector.chart_titles()
    projector.screenshot("distribution")
    projector.click("Vote again")
    for student, language, one in zip(students, languages, asked):
        expect(student.page.get_by_role("button", name=WORDS[language][1], exact=True)).to_be_visible()
        answer(student, one, one.answer, language)
    expect(projector.page.locator(".st-key-class_count")).to_contain_text("2 answered", timeout=10_000)
    projector.click("Close the vote")
    expect(projector.page.locator(".st-key-class_histogram")).to_contain_text("Vote 2")
    projector.chart_titles()
    projector.screenshot("votes-1-and-2")
    projector.click("Reveal")
    expect(students[1].page.get_by_text("The answer:")).to_be_visible(timeout=10_000)
    students[1].screenshot("revealed")
    assert (room.count(code, 1), room.count(code, 2)) == (2, 2)
    right = read_question(room.state(code).round.question)[0].answer  # the option's id
    assert room.results(code, key, 2)[1] == [right, right]  # the Russian and the English answer: one option
    for one in (teacher, projector, *students):
        one.check_clean()
        one.context.close()
