"""bench/st_client.py against one app server (SQLite): a teacher starts a class on Build, the projector's session
asks, two students answer without a browser (one changes theirs), and the projector's refresh draws the count."""
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.class_bench import stored
from bench.st_client import Tab, user_key
from classroom.classes import Classroom
from classroom.store import make_engine
from tests.e2e import server as app_server


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("st_client")
    url = f"sqlite:///{folder / 'classes.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BACKPROP_LENS_DB", url)  # the server inherits it
        server = app_server.start(folder / "server.log")
    yield server.url, url
    app_server.stop(server)


def test_a_widget_id_ends_with_its_user_key():
    assert user_key("$$ID-5f3a9c-predict_submit") == "predict_submit"
    assert user_key("$$ID-5f3a9c-step-forward 0-tensors") == "step-forward 0-tensors"
    assert user_key("$$ID-5f3a9c-None") is None


def test_students_without_a_browser_answer_and_the_projector_counts_them(app):
    url, database = app

    async def lecture():
        teacher = Tab(url)
        await teacher.open("build")
        _sent, done = await teacher.click("class_start")
        await teacher.until(lambda: teacher.whole_runs > done)
        code = re.search(r"class=(\w+)&teacher=", teacher.query)[1]
        counts = []
        projector = Tab(url, teacher.query)
        projector.on_markdown = lambda at, body: counts.extend(re.findall(r"^## (\d+) answered", body))
        await projector.open()
        students = [Tab(url, f"class={code}") for _ in range(2)]
        for student in students:
            await student.open()
        _sent, done = await projector.click("class_ask")
        await projector.until(lambda: projector.whole_runs > done)
        for student in students:  # their panel's refresh (run_every) brings the question
            await student.until(lambda s=student: s.labels.get("predict_submit") == "Send", timeout=30)
        for student, text in zip(students + students[:1], ["0.25", "1.5", "-2"]):
            student.set_text("predict_answer", text)
            _sent, done = await student.click("predict_submit")
            await student.until(lambda s=student, d=done: s.whole_runs > d)
        await projector.until(lambda: counts and counts[-1] == "2", timeout=30)
        ids = [dict(p.split("=", 1) for p in s.query.split("&"))["student"] for s in students]
        for tab in [teacher, projector, *students]:
            assert tab.errors == []
            await tab.close()
        return code, ids

    with ThreadPoolExecutor(1) as apart:  # a loop of its own: a worker that ran the browser tests has Playwright's
        code, ids = apart.submit(asyncio.run, lecture()).result()  # running in this thread
    engine = make_engine(database)
    assert Classroom(engine).count(code, 1) == 2
    assert {s: value for s, (_id, value) in stored(engine, code).items()} == {ids[0]: -2.0, ids[1]: 1.5}  # the latest answer of each counts
    engine.dispose()
