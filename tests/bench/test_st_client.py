"""bench/st_client.py against one app server (SQLite): a teacher starts a class on Build, the projector's session
asks, two students answer without a browser (one changes theirs), and the projector's refresh draws the count."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.class_bench import stored
from bench.st_client import Tab, class_started, user_key
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
        counts = []
        teacher, projector, code = await class_started(url, counts)
        students = [Tab(url, f"class={code}") for _ in range(2)]
        for student in students:
            await student.open()
        _sent, ran = await projector.click("class_ask")
        await projector.until(ran)
        for student in students:  # their panel's refresh (run_every) brings the question
            await student.until(lambda s=student: s.labels.get("predict_submit") == "Send", timeout=30)
        for student, text in zip(students + students[:1], ["0.25", "1.5", "-2"]):
            student.set_text("predict_answer", text)
            _sent, ran = await student.click("predict_submit")
            await student.until(ran)
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


def test_a_students_refresh_draws_nothing_while_the_class_is_unchanged_and_send_reruns_the_question_alone(app):
    url, database = app

    async def lecture():
        teacher, projector, code = await class_started(url)
        student = Tab(url, f"class={code}")
        await student.open()
        assert student.labels.get("class_follow") == "Follow the teacher"
        refreshed, drawn = student.fragment_runs, student.elements
        await student.until(lambda: student.fragment_runs >= refreshed + 2, timeout=30)  # two 1.5 s refreshes
        idle = student.elements - drawn
        whole = student.whole_runs
        _sent, ran = await projector.click("class_ask")
        await projector.until(ran)
        await student.until(lambda: student.whole_runs > whole, timeout=30)  # the refresh drew the page again
        assert student.labels.get("predict_submit") == "Send"
        whole = student.whole_runs
        student.set_text("predict_answer", "0.25")
        _sent, ran = await student.click("predict_submit")
        await student.until(ran)
        sent_in, stage_in = student.fragment_of["predict_submit"], student.fragment_of["step_next"]
        for tab in (teacher, projector, student):
            assert tab.errors == []
            await tab.close()
        return idle, sent_in, stage_in, whole, student.whole_runs

    with ThreadPoolExecutor(1) as apart:
        idle, sent_in, stage_in, whole_before, whole_after = apart.submit(asyncio.run, lecture()).result()
    assert idle == 0  # the refreshes read the class and found it unchanged: no element drawn again
    assert sent_in and sent_in != stage_in  # Send is in a fragment of its own, not the stage's tensors' one
    assert whole_after == whole_before  # answering did not run the whole page
