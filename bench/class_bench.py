"""A hall answering at once, straight against the class database: answers lost, and the time from an answer to the
projector's count (median and p95; aim <= 2 s), on SQLite and on a throw-away PostgreSQL.

    python bench/class_bench.py                     # 300 students within 10 s, on both backends
    python bench/class_bench.py --students 100 --within 5 --backends sqlite

Each student is a thread that sends its answer at a random moment within the window (some change it once, as
students do); the projector reads the count every 1.5 s, as the class panel does (ui/classroom.py). An answer's
latency runs from its commit to the end of the first count that began after it. Lost: answers that were taken
(no error) but are missing from the final count, plus answers refused with an error (both must be 0). Not yet
here: the same through 2 replicas and HAProxy with real browsers (deploy/local_cluster.sh). Always exits 0.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which the answers arrive")
    parser.add_argument("--workers", type=int, default=64, help="threads sending answers at once")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{args.students} students answering within {args.within:g} s ({args.workers} sending threads), "
          f"the count read every {POLL_S} s")
    print(f"{'backend':12} {'answers':>8} {'counted':>8} {'lost':>5} {'median s':>9} {'p95 s':>7}  aim: lost 0, p95 <= 2 s")
    for backend in args.backends.split(","):
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
    print("Not measured here: the same through 2 replicas and HAProxy with real browsers.")


if __name__ == "__main__":
    main()
