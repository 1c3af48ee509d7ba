"""The lecture on two replicas behind HAProxy with PostgreSQL (deploy/local_cluster.sh 2 PORT): a teacher and six
students spread over both replicas by HAProxy's cookie; a question asked, answered, closed and revealed; a replica
killed while the vote is open, its students back in the class through the other one; every answer counted once.

Needs Debian's postgresql and haproxy (.ci/run installs them); without them it skips, and under CI=true fails.
Run alone with `python -m pytest -m e2e tests/e2e/test_cluster_browser.py`.
"""
import os
import signal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from classroom.classes import Classroom
from classroom.questions import read_question
from classroom.store import make_engine
from tests.classroom import postgres
from tests.e2e import cluster as cluster_script
from tests.e2e.conftest import ARTIFACTS, VIEWPORT, Learner
from tests.e2e.test_classroom_browser import answer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(chromium):
    if cluster_script.haproxy() is None or not postgres.available():
        message = "deploy/local_cluster.sh needs Debian's haproxy and postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must install them (.ci/run)")
        pytest.skip(message)
    process, info = cluster_script.start(2, ARTIFACTS / "cluster.log")
    yield info
    cluster_script.stop(process)


def replica_of(one):
    return next(c["value"] for c in one.context.cookies() if c["name"] == "BLREPLICA")


def student_id(one):
    return parse_qs(urlsplit(one.page.url).query)["student"][0]


def test_a_class_on_two_replicas_survives_a_replica_killed_during_the_vote(browser, cluster):
    url = cluster["url"]
    people = []

    def person(address, name):
        one = Learner(browser.new_context(viewport=VIEWPORT), address, name)
        one.open()
        people.append(one)
        return one
    teacher = person(url, "cluster-teacher")
    teacher.go("Build", "Build a network")
    teacher.click("Start a class")
    code = teacher.page.locator(".st-key-class_code strong").inner_text()
    projector = person(teacher.page.get_by_test_id("stCode").filter(has_text="teacher=").inner_text().strip(),
                       "cluster-projector")
    students = [person(f"{url}?class={code}", f"cluster-student-{k}") for k in range(6)]
    on = {one.name: replica_of(one) for one in people}
    assert set(on.values()) == {"replica1", "replica2"}, on  # spread over both replicas by the cookie
    projector.click("Ask the class")
    room = Classroom(make_engine(cluster["database"]))
    q = read_question(room.state(code).round.question, "en")[0]
    for student in students[:3]:
        expect(student.page.get_by_role("button", name="Send", exact=True)).to_be_visible()
        answer(student, q, q.answer)
    ids = {one.name: student_id(one) for one in students}
    killed = on[students[0].name]
    os.kill(cluster["replicas"][killed], signal.SIGKILL)  # a replica dies while the vote is open
    for student in students:  # those on the dead replica reconnect through HAProxy to the other one
        expect(student.page.get_by_role("button", name="Send", exact=True)).to_be_visible(timeout=90_000)
        student.idle()
        answer(student, q, q.answer)   # those who had answered send theirs again: it replaces the first
    assert room.count(code, 1) == 6
    for student in students:
        if on[student.name] == killed:
            assert replica_of(student) != killed  # it now talks to the living replica
        assert student_id(student) == ids[student.name]  # with the same student id
    expect(projector.page.locator(".st-key-class_count")).to_contain_text("6", timeout=90_000)
    projector.screenshot("cluster-live-count")
    projector.click("Close the vote")
    expect(projector.page.locator(".st-key-class_histogram")).to_be_visible()
    projector.click("Reveal")
    for student in students:
        expect(student.page.get_by_text("The answer:")).to_be_visible(timeout=30_000)
    assert room.count(code, 1) == 6
    for one in people:
        one.context.close()
