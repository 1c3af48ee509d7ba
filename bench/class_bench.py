"""A hall answering at once: answers lost, and the time from a student's answer to the projector's count (median
and p95; aim <= 2 s), straight against the class database, then through 2 replicas and HAProxy.

    python bench/class_bench.py                  # every row: the database layer, 300 simulated students and
                                                 # 20 browsers through 2 replicas and HAProxy
    python bench/class_bench.py --cluster 0      # the database layer alone (SQLite, PostgreSQL)
    python bench/class_bench.py --backends '' --students 100 --browsers 0   # 100 simulated students alone

Rows, each one class, its students answering at moments drawn uniformly within --within seconds, a fifth of them
changing their answer 0.5 to 2 s later, as students do (a simulated one not before its first answer's page is back):
- sqlite, postgresql: each student a thread calling classroom.classes.Classroom.answer on a fresh database
  (PostgreSQL: a throw-away server, tests/classroom/postgres.py); the projector a thread reading the count every
  1.5 s, as the class panel does (ui/classroom.POLL_S).
- 2 replicas + HAProxy, simulated: deploy/local_cluster.sh 2 (PostgreSQL, 2 app servers, HAProxy; see
  tests/e2e/cluster.py). Each student is a Streamlit session without a browser (bench/st_client.py): it GETs the
  student link through HAProxy, keeps the affinity cookie, talks to its replica over the websocket, runs the
  class panel's 1.5 s refresh as the browser's timer does, and answers by sending the answer field's text and
  the Send button's trigger, in a rerun of the fragment the button is drawn in, as the browser does. The projector is a teacher's session of the same kind on the teacher link: the
  count is read from the "N answered" its own refresh draws. When the row misses the aim, a second one with
  --also (100) students follows, so that the curve shows.
- 2 replicas + HAProxy, browsers: --browsers students in headless Chromium (one process, one context each,
  async Playwright), the projector a Chromium page on the teacher link, its count sampled every 50 ms.
All students have joined and see the question before the window starts (untimed; simulated students who have
not begun to join within 240 s, or do not see the question within 120 s, stay out, and the row says how many
answered: a machine that cannot admit the hall shows it there). An answer's latency runs
from its click (the simulated student sending its rerun; the browser's click event, read in the page) to the
projector first showing a count that includes it; the answers are ranked by their database rows, which keep
the order of the students' first answers. Lost: students whose answer is not in the database, or is not the last
one they sent (must be 0). Each cluster row also prints the load average, the replicas' and the bench's CPU,
and how long the answering student's own rerun took. Always exits 0.
"""
import argparse
import asyncio
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from classroom import codes, store  # noqa: E402
from classroom.classes import Classroom  # noqa: E402
from classroom.questions import question_json, read_answer  # noqa: E402
from classroom.schema import answers, classes, rounds  # noqa: E402
from lab.predict import Question  # noqa: E402

POLL_S = 1.5  # the class panel's count refresh (ui/classroom.POLL_S)
JOIN_TRIES = 5
JOIN_S = 240   # simulated students who have not begun to join by then stay out (the row says how many joined)
WAIT_S = 120   # the longest a simulated student waits for the question, or for its answer's page
AIM_S = 2.0
VALUES = [0.5, -0.5, 1.0, 0.25]
QUESTION = Question("value", "forward 0", "What is y[0, 1]?", "number", 0.5, tol=0.005, swapped=-0.25)
COUNT = re.compile(r"^## (\d+) ")  # the projector's "N answered" (ui/classroom.teacher_panel)


# --- what every row reports ---

def note(text):
    """Progress, on stderr: the cluster rows take minutes on a busy machine."""
    print(f"[{time.strftime('%H:%M:%S')}, load {os.getloadavg()[0]:.1f}] {text}", file=sys.stderr, flush=True)


def plan(students, within, rng):
    """[(seconds into the window, student index, value)]: one answer each, a fifth changing theirs to 0.5."""
    first = sorted((rng.uniform(0, within), k, rng.choice(VALUES)) for k in range(students))
    return sorted(first + [(t + rng.uniform(0.5, 2.0), k, 0.5) for t, k, _ in first[: students // 5]])


def stored(engine, code):
    """{student: (row id, answer)} of the class's first round: the ids keep the order of first answers."""
    with engine.connect() as c:
        rows = c.execute(select(answers.c.id, answers.c.student, answers.c.answer)
                         .join(rounds, answers.c.round_id == rounds.c.id).join(classes, rounds.c.class_id == classes.c.id)
                         .where(classes.c.code == code, rounds.c.number == 1)).all()
    return {student: (row_id, read_answer(text)) for row_id, student, text in rows}


def row(name, plan_, ids, clicks, found, shown, sent_s):
    """A table row of a run of plan_ (student k's id: ids[k]). clicks: {student: the time of their first answer's
    click}; found: stored(); shown: [(time, count)] as the projector showed it; sent_s: the last click's second."""
    last = {ids[k]: value for _t, k, value in plan_}  # plan_ is in time order: each student's last value
    rank = {student: k for k, student in enumerate(sorted(found, key=lambda s: found[s][0]), start=1)}
    latencies = []
    for student, clicked in clicks.items():
        seen = next((t for t, n in shown if n >= rank.get(student, len(ids) + 1) and t >= clicked), None)
        if seen is not None:
            latencies.append(seen - clicked)
    lost = sum(1 for student, value in last.items() if student not in found or found[student][1] != value)
    median, p95 = quantiles(latencies)
    return dict(name=name, answers=len(plan_), students=len(last), counted=len(found), lost=lost,
                seen=len(latencies), median=median, p95=p95, sent=sent_s)


def quantiles(xs):
    """(median, p95) of xs, the p95 by nearest rank (of 20: the 19th); nan for none."""
    xs = sorted(xs)
    return (statistics.median(xs), xs[math.ceil(0.95 * len(xs)) - 1]) if xs else (float("nan"), float("nan"))


# --- the database layer ---

def database_layer(name, url, students, within, workers, seed=0):
    engine = store.make_engine(url)
    room = Classroom(engine)
    code, key = room.start("token", "forward 0")
    room.ask(code, key, question_json(QUESTION, n=8))
    ids = [codes.new_student_id() for _ in range(students)]
    answers_ = plan(students, within, random.Random(seed))
    clicks, errors, shown, stop = {}, [], [], threading.Event()
    start = time.monotonic()

    def send(when, k, value):
        time.sleep(max(0.0, start + when - time.monotonic()))
        clicked = time.monotonic()
        try:
            room.answer(code, ids[k], 1, value)
            clicks.setdefault(ids[k], clicked)
        except Exception as error:  # noqa: BLE001 - a refused answer is a lost one
            errors.append(repr(error))

    def projector():
        while not stop.is_set():
            n = room.count(code, 1)
            shown.append((time.monotonic(), n))  # the count as read, at the end of its read
            stop.wait(POLL_S)

    watcher = threading.Thread(target=projector)
    watcher.start()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda p: send(*p), answers_))
    sent_s = max(clicks.values()) - start
    time.sleep(POLL_S * 1.5)
    stop.set()
    watcher.join()
    found = stored(engine, code)
    engine.dispose()
    r = row(name, answers_, ids, clicks, found, shown, sent_s)
    r["notes"] = [f"errors: {errors[:3]}"] if errors else []
    return r


# --- the cluster: CPU and load ---

def cpu_seconds(pid):
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Usage:
    """The replicas' CPU, the bench's own (this process and its Chromium, not the cluster it started), and the
    load average, over a stretch of time."""

    def __init__(self, replicas, cluster_pid):
        self.replicas, self.cluster_pid = replicas, cluster_pid
        self.load = os.getloadavg()
        self.wall = time.monotonic()
        self.cpu = {name: cpu_seconds(pid) for name, pid in replicas.items()}
        self.mine = self.bench()

    def bench(self):
        """{pid: CPU seconds} of this process and its descendants outside the cluster script's."""
        from tests.e2e.server import process_tree
        cluster = set(process_tree(self.cluster_pid))
        return {pid: cpu_seconds(pid) for pid in process_tree(os.getpid()) if pid not in cluster}

    def report(self):
        wall = time.monotonic() - self.wall
        each = ", ".join(f"{name} {100 * (cpu_seconds(pid) - self.cpu[name]) / wall:.0f}%"
                         for name, pid in sorted(self.replicas.items()))
        mine = sum(now - self.mine.get(pid, 0.0) for pid, now in self.bench().items())
        return (f"over {wall:.1f} s: replicas' CPU {each} (100% = one core, the most one replica's script "
                f"threads take under Python's GIL), the bench's own {100 * mine / wall:.0f}%; "
                f"load average {' '.join(f'{x:.2f}' for x in self.load)} before, "
                f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after (2 cores)")


async def start_class(url):
    """A teacher's session starts a class on Build: (code, the teacher link's query)."""
    from bench.st_client import Tab
    teacher = Tab(url)
    await teacher.open("build")
    _sent, ran = await teacher.click("class_start")
    await teacher.until(ran)
    await teacher.close()
    return re.search(r"class=(\w+)", teacher.query).group(1), teacher.query


async def wait_counted(engine, code, n, timeout=120):
    deadline = time.monotonic() + timeout
    while len(stored(engine, code)) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    await asyncio.sleep(POLL_S * 2)  # the projector's next refresh, and one more


# --- the cluster: simulated students ---

async def simulated(info, students, within, seed=0, joining=10):
    """students Streamlit sessions without a browser (bench/st_client.py) through HAProxy; the projector one too."""
    from bench.st_client import Tab
    url, engine = info["url"], store.make_engine(info["database"])
    code, teacher_query = await start_class(url)
    shown = []
    projector = Tab(url, teacher_query)
    projector.on_markdown = lambda at, body: shown.append((at, int(COUNT.match(body)[1]))) if COUNT.match(body) else None
    await projector.open()
    hall = students
    tabs = [Tab(url, f"class={code}") for _ in range(students)]
    gate, retried = asyncio.Semaphore(joining), []
    joined_at = time.monotonic()
    note(f"{students} simulated students join, {joining} at a time")

    async def join(tab):
        async with gate:
            if time.monotonic() > joined_at + JOIN_S:
                return None  # the hall is not admitted in time: this student does not join
            for attempt in range(JOIN_TRIES):  # a refused page (HAProxy's 503) is opened again, as a student would
                try:
                    return await tab.open()
                except Exception as error:  # noqa: BLE001 - counted and reported
                    retried.append(repr(error))
                    if attempt == JOIN_TRIES - 1:
                        raise
                    await tab.close()
                    await asyncio.sleep(2)
    failed = [e for e in await asyncio.gather(*(join(t) for t in tabs), return_exceptions=True) if e is not None]
    tabs = [t for t in tabs if t.whole_runs]
    joined, joined_s = len(tabs), time.monotonic() - joined_at
    note(f"{len(tabs)} joined in {joined_s:.0f} s (the rest not begun within {JOIN_S} s); the projector asks")
    _sent, ran = await projector.click("class_ask")
    await projector.until(ran, timeout=WAIT_S)
    asked = time.monotonic()

    async def sees(tab):
        try:
            await tab.until(lambda: tab.labels.get("predict_submit") == "Send", timeout=WAIT_S)
            return True
        except TimeoutError:
            return False
    saw = await asyncio.gather(*(sees(t) for t in tabs))
    seen_s = time.monotonic() - asked
    blind = len(tabs) - sum(saw)  # still without the question after WAIT_S: they do not answer
    tabs = [t for t, seen in zip(tabs, saw) if seen]
    students = len(tabs)
    note(f"{students} see the question after {seen_s:.0f} s ({blind} not within {WAIT_S} s); they answer within "
         f"{within:g} s")
    ids = [dict(part.split("=", 1) for part in t.query.split("&"))["student"] for t in tabs]
    answers_ = plan(students, within, random.Random(seed))
    clicks, served, unserved, alerts = {}, [], [], []
    usage = Usage(info["replicas"], info["pid"])
    start = time.time()

    async def send(when, k, value):
        tab = tabs[k]
        await asyncio.sleep(max(0.0, start + when - time.time()))
        tab.set_text("predict_answer", repr(value))
        sent, ran = await tab.click("predict_submit")  # a rerun of the question's fragment, as the browser sends it
        clicks.setdefault(ids[k], sent)
        try:
            await tab.until(ran, timeout=WAIT_S)
            served.append(time.time() - sent)
        except TimeoutError:
            unserved.append(k)
    # a student's second answer waits for the first one's rerun, as a person waits for the page
    by_student = {}
    for when, k, value in answers_:
        by_student.setdefault(k, []).append((when, value))

    async def student(k):
        for when, value in by_student[k]:
            await send(when, k, value)
    await asyncio.gather(*(student(k) for k in by_student))
    sent_s = max(clicks.values()) - start
    await wait_counted(engine, code, students)
    cpu = usage.report()
    found = stored(engine, code)
    for tab in [projector, *tabs]:
        alerts.extend(tab.errors)
        await tab.close()
    engine.dispose()
    spread = {}
    for tab in tabs:
        spread[tab.replica] = spread.get(tab.replica, 0) + 1
    r = row(f"2 replicas + HAProxy, {hall} simulated", answers_, ids, clicks, found, shown, sent_s)
    mid, p95 = quantiles(served)
    r["notes"] = [f"{students} of {hall} students answered, over the replicas {spread}: {joined} joined in "
                  f"{joined_s:.0f} s (the rest had not begun within {JOIN_S} s; {len(failed)} failed, {len(retried)} "
                  f"pages opened again: {sorted(set(retried))[:2]}), {blind} never saw "
                  f"the question within {WAIT_S} s, the others saw it "
                  f"{seen_s:.1f} s after it was asked (their 1.5 s refresh)",
                  f"the answering student's own rerun (click to its page redrawn): median {mid:.2f} s, p95 {p95:.2f} s"
                  + (f", {len(unserved)} not redrawn within {WAIT_S} s" if unserved else ""),
                  cpu] + ([f"exceptions on the pages: {alerts[:3]}"] if alerts else [])
    return r


# --- the cluster: browsers ---

SAMPLE = """() => { window.seen = []; setInterval(() => {
    const box = document.querySelector('.st-key-class_count');
    const n = box ? parseInt(box.innerText) : NaN;
    if (!Number.isNaN(n)) window.seen.push([Date.now() / 1000, n]); }, 50); }"""
CLICKS = """() => { window.clicks = []; document.addEventListener('click', (event) => {
    if (event.target.closest('.st-key-predict_submit')) window.clicks.push(Date.now() / 1000); }, true); }"""


async def browsers(info, n, within, seed=0):
    """n students in headless Chromium answering at once through HAProxy; the projector a Chromium page."""
    from playwright.async_api import async_playwright, expect
    from tests.e2e.conftest import FLAGS, IDLE
    url, engine = info["url"], store.make_engine(info["database"])
    code, teacher_query = await start_class(url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                   args=FLAGS)
        viewport = {"width": 1200, "height": 900}

        async def opened(address):
            context = await browser.new_context(viewport=viewport)
            context.set_default_timeout(120_000)
            page = await context.new_page()
            await page.goto(address)
            await page.wait_for_function(IDLE, timeout=180_000)
            return context, page
        note(f"{n} browsers join, one after another")
        projector = (await opened(f"{url}?{teacher_query}"))[1]
        students = []
        for _k in range(n):  # one after another: joining is not timed, and twenty at once starve the machine
            students.append(await opened(f"{url}?class={code}"))
        spread = {}
        for context, _page in students:
            replica = next((c["value"] for c in await context.cookies() if c["name"] == "BLREPLICA"), None)
            spread[replica] = spread.get(replica, 0) + 1
        await projector.get_by_role("button", name="Ask the class").click()
        for _context, page in students:
            await expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible(timeout=180_000)
            await page.evaluate(CLICKS)
        await projector.evaluate(SAMPLE)
        ids = [re.search(r"student=([\w-]+)", page.url)[1] for _c, page in students]
        answers_ = plan(n, within, random.Random(seed))
        by_student = {}
        for when, k, value in answers_:
            by_student.setdefault(k, []).append((when, value))
        usage = Usage(info["replicas"], info["pid"])
        note(f"the {n} browsers see the question; they answer within {within:g} s")
        start = time.time()

        async def student(k):
            page = students[k][1]
            for when, value in by_student[k]:
                await asyncio.sleep(max(0.0, start + when - time.time()))
                box = page.get_by_role("textbox", name="Your answer")
                await box.fill(repr(value))
                await box.press("Enter")
                await page.get_by_role("button", name="Send", exact=True).click()
        await asyncio.gather(*(student(k) for k in by_student))
        await wait_counted(engine, code, n)
        cpu = usage.report()
        shots = Path(__file__).resolve().parents[1] / "artifacts" / "class_bench"  # what a student and the projector
        shots.mkdir(parents=True, exist_ok=True)                                 # showed at the end (gitignored)
        await students[0][1].screenshot(path=str(shots / "student-0.png"))
        await projector.screenshot(path=str(shots / "projector.png"))
        clicks = {}
        for k, (_context, page) in enumerate(students):
            times = await page.evaluate("() => window.clicks")
            if times:
                clicks[ids[k]] = times[0]
        shown = [tuple(x) for x in await projector.evaluate("() => window.seen")]
        found = stored(engine, code)
        await browser.close()
    engine.dispose()
    sent_s = max(clicks.values()) - start if clicks else float("nan")
    r = row(f"2 replicas + HAProxy, {n} browsers", answers_, ids, clicks, found, shown, sent_s)
    r["notes"] = [f"{n} browsers over the replicas {spread}, one headless Chromium on this machine", cpu]
    return r


# --- the table ---

HEADER = (f"{'row':36} {'answers':>7} {'students':>8} {'counted':>7} {'lost':>4} {'sent s':>6} {'median s':>8} "
          f"{'p95 s':>6}  aim met")


def met(r):
    """The aim: no answer lost, every answer seen on the projector, p95 <= 2 s."""
    return r["lost"] == 0 and r["seen"] == r["students"] and r["p95"] <= AIM_S


def line(r):
    return (f"{r['name']:36} {r['answers']:>7} {r['students']:>8} {r['counted']:>7} {r['lost']:>4} {r['sent']:>6.1f} "
            f"{r['median']:>8.2f} {r['p95']:>6.2f}  {'yes' if met(r) else 'NO'}"
            + ("" if r["seen"] == r["students"] else f" ({r['seen']} of {r['students']} seen)"))


def show(r):
    print(line(r))
    for note in r.get("notes", []):
        print("    " + note)


def attempt(name, run):
    """The row run (a coroutine) gives, shown; a row of its failure when it raises (the others still run)."""
    try:
        r = asyncio.run(run)
    except Exception as error:  # noqa: BLE001 - a row that failed is reported as such
        nan = float("nan")
        r = dict(name=name, answers=0, students=0, counted=0, lost=0, seen=-1, median=nan, p95=nan, sent=nan,
                 notes=[f"failed: {error!r} (after {time.strftime('%H:%M:%S')})"])
    show(r)
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300, help="students of the database and simulated rows")
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which the answers arrive")
    parser.add_argument("--workers", type=int, default=64, help="database layer: threads sending answers at once")
    parser.add_argument("--backends", default="sqlite,postgresql", help="database-layer rows ('' for none)")
    parser.add_argument("--cluster", type=int, default=1, help="0: no rows through 2 replicas and HAProxy")
    parser.add_argument("--simulated", type=int, default=None,
                        help="simulated students through the cluster (default: --students; 0: none)")
    parser.add_argument("--also", type=int, default=100,
                        help="simulated students of a smaller run when the first one misses the aim (0: none)")
    parser.add_argument("--browsers", type=int, default=20, help="students in real browsers (0: none)")
    args = parser.parse_args()
    print(f"{args.students} students answering within {args.within:g} s, a fifth changing their answer; the count "
          f"refreshed every {POLL_S} s; aim: lost 0, p95 <= {AIM_S:g} s")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    for backend in filter(None, args.backends.split(",")):
        server = None
        with tempfile.TemporaryDirectory() as folder:
            if backend == "sqlite":
                url = f"sqlite:///{folder}/classes.sqlite"
            else:
                from tests.classroom import postgres
                if not postgres.available():
                    print(f"{backend}: skipped, PostgreSQL's initdb and pg_ctl are not installed")
                    continue
                server = postgres.start()
                url = server.url
            try:
                rows.append(database_layer(f"{backend} (database layer)", url, args.students, args.within,
                                           args.workers))
            finally:
                if server is not None:
                    server.stop()
        show(rows[-1])
    if args.cluster:
        from tests.e2e import cluster
        process, info = cluster.start(2, Path(tempfile.gettempdir()) / "class_bench_cluster.log")
        info["pid"] = process.pid
        try:
            hall = args.students if args.simulated is None else args.simulated
            if hall:
                rows.append(attempt(f"2 replicas + HAProxy, {hall} simulated", simulated(info, hall, args.within)))
                if args.also and args.also < hall and not met(rows[-1]):
                    rows.append(attempt(f"2 replicas + HAProxy, {args.also} simulated",
                                        simulated(info, args.also, args.within, seed=1)))
            if args.browsers:
                rows.append(attempt(f"2 replicas + HAProxy, {args.browsers} browsers",
                                    browsers(info, args.browsers, args.within)))
        finally:
            cluster.stop(process)
    print()
    print(HEADER)
    for r in rows:
        print(line(r))
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
