"""A hall answering at once, straight against the class database: answers lost, and the time from an answer to the
projector's count (median and p95; aim <= 2 s), on SQLite and on a throw-away PostgreSQL.

    python bench/class_bench.py                     # 300 students within 10 s, on both backends
    python bench/class_bench.py --students 100 --within 5 --backends sqlite
    python bench/class_bench.py --browsers 20      # and 20 real browsers through 2 replicas and HAProxy

Each student is a thread that sends its answer at a random moment within the window (some change it once, as
students do); the projector reads the count every 1.5 s, as the class panel does (ui/classroom.py). An answer's
latency runs from its commit to the end of the first count that began after it. Lost: answers that were taken
(no error) but are missing from the final count, plus answers refused with an error (both must be 0).

With --browsers N: deploy/local_cluster.sh 2 (PostgreSQL, 2 replicas, HAProxy), a teacher's projector and N
students in headless Chromium; the students send their answers as fast as the browsers go, and an answer's
latency runs from its commit (the database's time) to the projector's page showing a count that includes it.
Always exits 0.
"""
import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classroom import codes, store  # noqa: E402
from classroom.classes import Classroom  # noqa: E402
from classroom.questions import question_json  # noqa: E402
from lab.predict import Question  # noqa: E402

POLL_S = 1.5  # the class panel's count refresh (ui/classroom.POLL_S)
QUESTION = Question("value", "forward 0", "What is y[0, 1]?", "number", 0.5, tol=0.005, swapped=-0.25)


def run(url, students, within, workers, seed=0):
    engine = store.make_engine(url)
    room = Classroom(engine)
    code, key = room.start("token", "forward 0")
    room.ask(code, key, question_json(QUESTION, n=8))
    rng = random.Random(seed)
    ids = [codes.new_student_id() for _ in range(students)]
    plan = sorted((rng.uniform(0, within), sid, rng.choice([0.5, -0.5, 1.0, 0.25])) for sid in ids)
    plan += [(t + rng.uniform(0.5, 2.0), sid, 0.5) for t, sid, _ in plan[: students // 5]]  # a fifth change it
    commits, errors, polls, stop = {}, [], [], threading.Event()
    start = time.monotonic()

    def send(when, sid, value):
        time.sleep(max(0.0, start + when - time.monotonic()))
        try:
            room.answer(code, sid, 1, value)
            commits.setdefault(sid, time.monotonic())  # the first answer makes the count grow
        except Exception as error:  # noqa: BLE001 - every failure is counted as a lost answer
            errors.append(repr(error))

    def projector():
        while not stop.is_set():
            began = time.monotonic()
            polls.append((began, room.count(code, 1), time.monotonic()))
            stop.wait(POLL_S)

    watcher = threading.Thread(target=projector)
    watcher.start()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda p: send(*p), plan))
    time.sleep(POLL_S * 1.5)
    stop.set()
    watcher.join()
    final = room.count(code, 1)
    latencies = []
    for committed in commits.values():
        seen = next((end for began, count, end in polls if began >= committed), None)
        if seen is not None:
            latencies.append(seen - committed)
    engine.dispose()
    lost = len(commits) - final + len(errors)
    return dict(answers=len(plan), students=len(commits), counted=final, lost=lost, errors=errors[:3],
                median=statistics.median(latencies), p95=sorted(latencies)[int(0.95 * (len(latencies) - 1))])


def through_cluster(n):
    """The projector's count against the answers of n students in browsers, through 2 replicas and HAProxy."""
    import shutil
    from playwright.sync_api import expect, sync_playwright
    from sqlalchemy import select
    from classroom.questions import read_question
    from classroom.schema import answers
    from tests.e2e import cluster
    from tests.e2e.conftest import FLAGS, VIEWPORT, Learner

    process, info = cluster.start(2, Path(tempfile.gettempdir()) / "class_bench_cluster.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=FLAGS)
            teacher = Learner(browser.new_context(viewport=VIEWPORT), info["url"], "bench-teacher")
            teacher.open()
            teacher.go("Build", "Build a network")
            teacher.click("Start a class")
            code = teacher.page.locator(".st-key-class_code strong").inner_text()
            projector = Learner(browser.new_context(viewport=VIEWPORT), teacher.page.get_by_test_id("stCode")
                                .filter(has_text="teacher=").inner_text().strip(), "bench-projector")
            projector.open()
            students = []
            for k in range(n):
                one = Learner(browser.new_context(viewport=VIEWPORT), f"{info['url']}?class={code}", f"bench-{k}")
                one.open()
                students.append(one)
            replicas = {c["value"] for one in students for c in one.context.cookies() if c["name"] == "BLREPLICA"}
            projector.click("Ask the class")
            engine = store.make_engine(info["database"])
            room = Classroom(engine)
            q = read_question(room.state(code).round.question, "en")[0]
            for one in students:
                expect(one.page.get_by_role("button", name="Send", exact=True)).to_be_visible()
            projector.page.evaluate("""() => { window.seen = []; const look = () => {
                const box = document.querySelector('.st-key-class_count');
                const n = box ? parseInt(box.innerText) : NaN;
                if (!Number.isNaN(n)) window.seen.push([Date.now() / 1000, n]); };
              setInterval(look, 50); }""")
            began = time.time()
            for one in students:  # each answer sent without waiting for its rerun: as fast as the browsers go
                box = one.page.get_by_role("spinbutton", name="Your answer")
                box.fill(repr(float(q.answer)))
                box.press("Enter")
                one.page.get_by_role("button", name="Send", exact=True).click()
            deadline = time.time() + 60
            while room.count(code, 1) < n and time.time() < deadline:
                time.sleep(0.2)
            time.sleep(POLL_S * 2)
            seen = projector.page.evaluate("() => window.seen")
            with engine.connect() as c:
                commits = sorted(c.execute(select(answers.c.at)).scalars())
            counted = room.count(code, 1)
            browser.close()
    finally:
        cluster.stop(process)
    latencies = [next((t for t, shown in seen if shown >= rank and t >= at), float("nan")) - at
                 for rank, at in enumerate(commits, start=1)]
    done = [x for x in latencies if x == x]
    return (f"{n} browsers over {len(replicas)} replicas (HAProxy, PostgreSQL): sent in {commits[-1] - began:.1f} s, "
            f"counted {counted}, lost {n - counted}, answer to projector median {statistics.median(done):.2f} s, "
            f"p95 {sorted(done)[int(0.95 * (len(done) - 1))]:.2f} s ({len(done)} of {n} seen)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which the answers arrive")
    parser.add_argument("--workers", type=int, default=64, help="threads sending answers at once")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--browsers", type=int, default=0, help="students in real browsers through 2 replicas")
    args = parser.parse_args()
    print(f"{args.students} students answering within {args.within:g} s ({args.workers} sending threads), "
          f"the count read every {POLL_S} s")
    print(f"{'backend':12} {'answers':>8} {'counted':>8} {'lost':>5} {'median s':>9} {'p95 s':>7}  aim: lost 0, p95 <= 2 s")
    for backend in filter(None, args.backends.split(",")):
        server = None
        with tempfile.TemporaryDirectory() as folder:
            if backend == "sqlite":
                url = f"sqlite:///{folder}/classes.sqlite"
            else:
                from tests.classroom import postgres
                if not postgres.available():
                    print(f"{backend:12} skipped: PostgreSQL's initdb and pg_ctl are not installed")
                    continue
                server = postgres.start()
                url = server.url
            try:
                r = run(url, args.students, args.within, args.workers)
            finally:
                if server is not None:
                    server.stop()
        print(f"{backend:12} {r['answers']:>8} {r['counted']:>8} {r['lost']:>5} {r['median']:>9.2f} {r['p95']:>7.2f}"
              + (f"  errors: {r['errors']}" if r["errors"] else ""))
    if args.browsers:
        print(through_cluster(args.browsers))


if __name__ == "__main__":
    main()
