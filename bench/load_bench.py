"""A class on one server: N concurrent browser sessions, most stepping, a few training, in two rounds.

    python bench/load_bench.py                 # 30 sessions, 2 rounds, 2 s think time, arrivals over 30 s
    python bench/load_bench.py --sessions 5 --rounds 1 --think 0.2 --arrival 0
    python bench/load_bench.py --uploads 5     # only the upload round: 5 learners upload a 76 MB CSV each
    python bench/load_bench.py --long-run-only --long-run 5 --arrival 10   # only the long-run round

Starts `streamlit run app.py` on a free local port (tests/e2e/server.py), opens one headless
Debian Chromium (Playwright, async API) per round with one browser context per session, and
drives all sessions at the same time. Session i arrives at i * arrival / N seconds, opens the
app and on Build sets the batch size to 9 + i. Every TRAIN_EVERY-th session (i % 6 == 0, 5 of
30) is a trainer: on Train it sets 2 epochs and clicks Train 2 epochs, then on Step through
clicks Next 1 + i % 5 times. The others step: Next five times (to the last stage), New
iteration, then Next i % 4 times. Between a page settling and the next action each learner
thinks for a uniform 0.5 to 1.5 times `--think` seconds (seeded). Each action is timed from the
click until the server had finished the rerun it started (its "script finished" message reached
the browser: "served") and until the browser had drawn it (no rerun running, every Plotly chart
has its SVG: "settled"). The server's resident memory (VmRSS of its process and any children)
is sampled every 0.1 s: when started; idle, 60 s (--after-close) after one warm-up learner's tab closed;
each round's peak; and 60 s after a round's sessions have all closed. Chromium and Playwright run at the
lowest CPU priority (nice 19): in a class the browsers are on the learners' machines. At the end of a
round every session must show its own state (its stage, the handout's network, its batch size, and 2
trained epochs for the trainers).
Then (--long-run N, default 5; 0: none) a round where one learner trains 500 epochs at batch 1 (an hour
alone, capped) while N others arrive over --arrival s and train 1 epoch each, after one such short run
alone: each short run's wait from its click until the server had sent its bar's first iteration (goal under
10 s; the browsers at nice 19 draw it later) and until the bar showed it, and the long run's state, stopped at
the end with Stop.
Prints per round a table per action (count, median, p95, worst), the memory, the goals, and
pass/fail lines; exits 1 when a session is wrong, an exception reached a page or the server log,
or the browser console logged an error. Needs requirements-dev.txt and `apt-get install chromium`.
"""
import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import server as app_server  # after sys.path names the project root
from ui import runlog

RUN_LOG = ROOT / "artifacts" / "load_bench" / "runs.jsonl"  # the server's own time per rerun (ui/runlog.py)

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1100}
TIMEOUT_S = 300  # one action under the load of all sessions
EPOCHS = 2
TRAIN_EVERY = 6  # sessions 0, 6, 12, ... train
GOALS = {"Next median": 1.0, "Next p95": 3.0}  # seconds, settled
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
      && app.dataset.testConnectionState === 'CONNECTED'
      && !document.querySelector('[data-testid="stStatusWidget"]')
      && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'));
}"""
STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return `script ${app && app.dataset.testScriptState}, connection ${app && app.dataset.testConnectionState}, `
       + `${charts.filter(c => !c.querySelector('.main-svg')).length} of ${charts.length} charts undrawn`;
}"""
STAGES = ["Forward · layer 0 · Linear(2 → 2)", "Forward · layer 1 · LogSoftMax", "Loss · NLLCriterion",
          "Backward · layer 1 · LogSoftMax", "Backward · layer 0 · Linear(2 → 2)",
          "Update · layer 0 · Linear(2 → 2)"]


class Session:
    """One learner: a browser context, its page, the reruns the server finished for it, its timings."""

    def __init__(self, index, context, url, timings, think, delay):
        self.index, self.context, self.url, self.timings = index, context, url, timings
        self.think, self.delay, self.random = think, delay, random.Random(index)
        self.trainer = index % TRAIN_EVERY == 0
        self.batch_size = 9 + index
        self.final_stage = (1 + index % 5) if self.trainer else index % 4  # 0-based stage shown at the end
        self.runs, self.errors, self.exceptions = 0, [], []  # console errors, exception boxes seen
        self.page = None

    async def start(self):
        self.page = await self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_S * 1000)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", self._console)

    def _console(self, message):
        if message.type == "error":
            where = re.sub(r"[0-9a-f]{16,}", "<id>", message.location.get("url") or "")  # one line per kind
            self.errors.append(f"console: {message.text}" + (f" at {where}" if where else ""))

    def _frame(self, frame):
        if app_server.finished_run(frame):
            self.runs += 1

    async def timed(self, action_name, do):
        """Run do() (a click, a key, ...); record the times until the server finished its rerun and
        until the browser had drawn it; note an exception box it left on the page; then think."""
        before, start = self.runs, time.perf_counter()
        await do()
        deadline = time.monotonic() + TIMEOUT_S
        while self.runs <= before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"session {self.index}: {action_name}: no rerun finished in {TIMEOUT_S} s")
            await asyncio.sleep(0.005)
        served = time.perf_counter() - start
        try:
            await self.page.wait_for_function(IDLE, polling=20, timeout=TIMEOUT_S * 1000)
        except Exception as error:  # say which action and what the page was doing
            state = await self.page.evaluate(STATE)
            raise TimeoutError(f"{action_name}: the page did not settle in {TIMEOUT_S} s ({state})") from error
        self.timings.setdefault(action_name, []).append((served, time.perf_counter() - start))
        exceptions = self.page.get_by_test_id("stException")
        if await exceptions.count():
            text = (await exceptions.first.inner_text()).strip().splitlines()
            self.exceptions.append(f"{action_name}: {text[0] if text else 'exception'}")
        await asyncio.sleep(max(0.2, self.think * self.random.uniform(0.5, 1.5)))  # not timed: reading

    async def go(self, link):
        nav = self.page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name=link)
        await self.timed("navigate", nav.click)

    async def set_number(self, action_name, label, value):
        box = self.page.get_by_role("spinbutton", name=label)
        await box.fill(str(value))
        await self.timed(action_name, lambda: box.press("Enter"))

    async def click(self, action_name, name, times=1, exact=False):
        button = self.page.get_by_role("button", name=name, exact=exact)
        for _ in range(times):
            await self.timed(action_name, button.click)

    async def run(self):
        await asyncio.sleep(self.delay)
        await self.start()
        await self.timed("open the app", lambda: self.page.goto(self.url))
        await self.go("Build")
        await self.set_number("set batch size", "Batch size", self.batch_size)
        if self.trainer:
            await self.go("Train")
            await self.set_number("set epochs", "Epochs", EPOCHS)
            await self.click(f"train {EPOCHS} epochs", f"Train {EPOCHS} epochs", exact=True)
            await self.go("Step through")
            await self.click("Next", "Next ▶", self.final_stage)
        else:
            await self.go("Step through")
            await self.click("Next", "Next ▶", len(STAGES) - 1)
            await self.click("New iteration", "New iteration")
            await self.click("Next", "Next ▶", self.final_stage)

    async def check(self):
        """What is wrong with what this session shows (empty when it shows its own state)."""
        page, wrong = self.page, []
        expected = {
            "heading": f"{self.final_stage + 1}/6 · {STAGES[self.final_stage]}",
            "network": "Linear(2 -> 2)\nLogSoftMax",
            "summary": f"blobs, batch {self.batch_size}",
            "caption": f"blobs · {self.batch_size} samples (batch size {self.batch_size})",
        }
        shown = {
            "heading": await page.locator("h3").filter(has_text=" · ").first.inner_text(),
            "network": "\n".join(await page.locator(".st-key-network_summary code").all_inner_texts()),
            "summary": await page.locator(".st-key-network_summary").inner_text(),
            "caption": await page.get_by_test_id("stCaptionContainer").filter(has_text="samples (batch size")
                       .first.inner_text(),
        }
        if self.trainer:
            expected["trained"], shown["trained"] = f"trained {EPOCHS} epochs", shown["caption"]
        for key, want in expected.items():
            ok = shown[key].strip() == want if key in ("heading", "network") else want in shown[key]
            if not ok:
                wrong.append(f"{key}: expected {want!r}, shows {shown[key]!r}")
        if await page.get_by_test_id("stException").count():
            wrong.append("an exception box is on the page at the end")
        return wrong


def cpu_seconds(pids):
    """User + system CPU time of the processes pids so far (/proc/<pid>/stat)."""
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def uncaught_exceptions(log_path):
    """The last line (the error) of every traceback Streamlit logged as an uncaught app exception."""
    errors, inside = [], False
    for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines():
        if "Uncaught app execution" in line or "Uncaught app exception" in line:
            inside = True
        elif inside and line and not line.startswith((" ", "Traceback")):
            errors.append(line.strip())
            inside = False
    return errors


class Memory:
    """The server's RSS sampled every 0.1 s; peak() since the last reset()."""

    def __init__(self, pid):
        self.pid, self.now = pid, app_server.rss_bytes(pid)
        self.top = self.now

    async def sample(self, stop):
        while not stop.is_set():
            self.now = app_server.rss_bytes(self.pid)
            self.top = max(self.top, self.now)
            await asyncio.sleep(0.1)

    def reset(self):
        self.top = self.now


async def one_round(playwright, n_sessions, url, pid, args):
    """Run every session once in a fresh Chromium; returns the round's timings, results and resources."""
    browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                               args=FLAGS)
    timings = {}
    sessions = [Session(i, await browser.new_context(viewport=VIEWPORT), url, timings, args.think,
                        i * args.arrival / n_sessions) for i in range(n_sessions)]
    started, began = time.perf_counter(), time.time()
    server_before = cpu_seconds(app_server.process_tree(pid))
    browser_before = cpu_seconds(app_server.process_tree(os.getpid()))  # this script, Playwright, Chromium
    outcomes = await asyncio.gather(*(session.run() for session in sessions), return_exceptions=True)
    wall = time.perf_counter() - started
    server_cpu = cpu_seconds(app_server.process_tree(pid)) - server_before
    browser_cpu = cpu_seconds(app_server.process_tree(os.getpid())) - browser_before
    results = []
    for session, outcome in zip(sessions, outcomes):
        wrong = [f"failed: {outcome!r}"] if isinstance(outcome, BaseException) else await session.check()
        results.append((session, wrong))
    version = browser.version
    await browser.close()  # every context closes: every session's websocket disconnects
    return timings, results, (wall, server_cpu, browser_cpu), version, (began, time.time())


async def bench(n_sessions, url, pid, args):
    from playwright.async_api import async_playwright

    memory, stop = Memory(pid), asyncio.Event()
    cold, rounds = memory.now, []
    sampler = asyncio.create_task(memory.sample(stop))
    async with async_playwright() as playwright:
        # idle: the server once one learner has used every page and left (its modules imported, its
        # caches filled, that session freed); before any session it has not even imported NumPy
        _, warm_up, _, _, _ = await one_round(playwright, 1, url, pid, argparse.Namespace(**{**vars(args), "arrival": 0}))
        if any(wrong for _, wrong in warm_up):
            raise SystemExit(f"the warm-up session went wrong: {warm_up[0][1]}")
        await asyncio.sleep(args.after_close)
        idle = memory.now
        for _ in range(args.rounds):
            memory.reset()
            timings, results, times, version, window = await one_round(playwright, n_sessions, url, pid, args)
            peak = memory.top
            await asyncio.sleep(args.after_close)
            rounds.append({"timings": timings, "results": results, "times": times, "peak": peak,
                           "after_close": memory.now, "version": version, "window": window})
    stop.set()
    await sampler
    return (cold, idle), rounds


# --- the upload round (issue 23, item 2): what an uploaded CSV costs the server while its learner stays ---

UPLOAD_ROWS = 42_000  # Kaggle's MNIST train.csv: a label and 784 pixels in each of 42,000 rows, about 76 MB
UPLOAD_SETTLE_S = 10  # the server's memory is read this long after the last upload was read


def mnist_like_csv(path, rows=UPLOAD_ROWS):
    """A Kaggle-layout CSV of `rows` 28 x 28 digit images (scikit-learn's digits, tests/uploaded.py), written
    once to path: as compressible as MNIST's mostly-black pixels."""
    if not path.exists():
        from tests.uploaded import digits_csv
        header, *lines = digits_csv(1797).decode().splitlines()
        with open(path, "w") as out:
            out.write("\n".join([header] + [lines[i % len(lines)] for i in range(rows)]) + "\n")
    return path


async def upload_one(browser, url, path, opened, go):
    """One learner: opens Build, waits for `go`, uploads path through the real file input (choosing it again
    when the uploader never asked the server where to send it, as tests/e2e/conftest.py does) and waits until
    the dataset selector shows the upload; the page stays open until the browser closes."""
    from playwright.async_api import expect

    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    page.set_default_timeout(TIMEOUT_S * 1000)
    await page.goto(url + "build")
    dataset = page.get_by_role("combobox", name="Dataset")
    await dataset.wait_for()
    await page.wait_for_function(IDLE, polling=50)
    opened.append(page)
    await go.wait()
    field = page.get_by_test_id("stFileUploader").first.locator('input[type="file"]')
    for _ in range(3):
        await field.set_input_files(str(path))
        try:
            await expect(dataset).to_have_value(f"upload: {path.name}", timeout=60_000)
            await page.wait_for_function(IDLE, polling=50)
            return
        except Exception:  # noqa: BLE001  no rerun started: choose it again
            continue
    raise TimeoutError(f"{path.name} was not uploaded after 3 choices")


async def upload_round(n_sessions, url, pid, args):
    """n_sessions learners open Build, then all upload the same MNIST-sized CSV at once; the server's memory
    before, at its peak, UPLOAD_SETTLE_S after the last upload (pages still open) and after they closed."""
    from playwright.async_api import async_playwright

    path = mnist_like_csv(ROOT / "artifacts" / "load_bench" / "mnist_like.csv")
    memory, stop = Memory(pid), asyncio.Event()
    sampler = asyncio.create_task(memory.sample(stop))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                   args=FLAGS)
        opened, go = [], asyncio.Event()
        learners = [asyncio.create_task(upload_one(browser, url, path, opened, go)) for _ in range(n_sessions)]
        while len(opened) < n_sessions and not any(task.done() for task in learners):
            await asyncio.sleep(0.2)
        await asyncio.sleep(UPLOAD_SETTLE_S)
        memory.reset()
        before = memory.now
        go.set()
        await asyncio.gather(*learners)
        await asyncio.sleep(UPLOAD_SETTLE_S)
        peak, held = memory.top, memory.now
        await browser.close()
    await asyncio.sleep(args.after_close)
    stop.set()
    await sampler
    return {"file_mb": path.stat().st_size / 2**20, "before": before, "peak": peak, "held": held,
            "after_close": memory.now}


def upload_report(n_sessions, upload, args):
    mb = 2**20
    per_learner = (upload["held"] - upload["before"]) / n_sessions / mb
    print(f"upload round: {n_sessions} learners on Build each uploaded a {upload['file_mb']:.0f} MB MNIST-layout "
          f"CSV ({UPLOAD_ROWS:,} rows) at the same time")
    print(f"  server memory (VmRSS): {upload['before'] / mb:.0f} MB with their pages open before, peak "
          f"{upload['peak'] / mb:.0f} MB, {upload['held'] / mb:.0f} MB {UPLOAD_SETTLE_S} s after the last upload "
          f"(pages still open): {per_learner:.0f} MB per learner; {upload['after_close'] / mb:.0f} MB "
          f"{args.after_close:g} s after they closed")


def quantile(values, q):
    """The q-quantile (0..1) of values by linear interpolation (statistics.quantiles' 'inclusive')."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def table(timings):
    print(f"{'action':<16}{'count':>6}{'served':>9}{'p95':>7}{'worst':>7}{'settled':>10}{'p95':>7}{'worst':>7}"
          "   (ms; served and settled medians)")
    print("-" * 78)
    for name, values in timings.items():
        served, settled = ([1000 * v[k] for v in values] for k in (0, 1))
        print(f"{name:<16}{len(values):>6}{statistics.median(served):>9.0f}{quantile(served, 0.95):>7.0f}"
              f"{max(served):>7.0f}{statistics.median(settled):>10.0f}{quantile(settled, 0.95):>7.0f}"
              f"{max(settled):>7.0f}")


def server_runs(window):
    """The server's reruns (ui/runlog.py records) that ended within the round's window."""
    import json

    if not RUN_LOG.exists():
        return []
    records = [json.loads(line) for line in RUN_LOG.read_text().splitlines() if line.strip()]
    return [r for r in records if window[0] <= r["at"] <= window[1]]


def server_table(runs):
    """Per page: reruns, wall and CPU time of the session's thread (median, p95), interrupted reruns."""
    print(f"{'server reruns':<16}{'count':>6}{'wall':>9}{'p95':>7}{'worst':>7}{'CPU':>10}{'p95':>7}"
          f"{'interrupted':>13}   (ms; the server's own time per rerun, BACKPROP_LENS_RUN_LOG)")
    for page in sorted({r["page"] for r in runs}):
        mine = [r for r in runs if r["page"] == page]
        wall, cpu = ([1000 * r[key] for r in mine] for key in ("wall_s", "cpu_s"))
        print(f"{page[:15]:<16}{len(mine):>6}{statistics.median(wall):>9.0f}{quantile(wall, 0.95):>7.0f}"
              f"{max(wall):>7.0f}{statistics.median(cpu):>10.0f}{quantile(cpu, 0.95):>7.0f}"
              f"{sum(not r['finished'] for r in mine):>13}")


def checks(results, exceptions):
    """Print the pass/fail lines of a round; True when all pass."""
    failed = [(session, wrong) for session, wrong in results if wrong]
    for session, wrong in failed:
        print(f"  session {session.index} ({'trainer' if session.trainer else 'stepper'}, batch "
              f"{session.batch_size}): " + "; ".join(wrong))
    print(f"sessions that ended with their own correct state: {len(results) - len(failed)}/{len(results)} "
          f"{'PASS' if not failed else 'FAIL'}")
    boxes = [(session.index, text) for session, _ in results for text in session.exceptions]
    for index, text in boxes:
        print(f"  session {index}: exception box after {text}")
    for text in exceptions:
        print(f"  server log: uncaught app exception: {text}")
    print(f"uncaught app exceptions: {len(exceptions)} in the server log, exception boxes seen by "
          f"{len({index for index, _ in boxes})} sessions {'PASS' if not (exceptions or boxes) else 'FAIL'}")
    console = [(session.index, text) for session, _ in results for text in session.errors]
    for text in sorted({text for _, text in console}):
        print(f"  {text} (x{sum(t == text for _, t in console)})")
    print(f"browser console errors: {len(console)} in {len({index for index, _ in console})} sessions "
          f"{'PASS' if not console else 'FAIL'}")
    return not (failed or exceptions or boxes or console)


def report(n_sessions, memory, rounds, port, exceptions, args, load):
    import streamlit

    trainers = len(range(0, n_sessions, TRAIN_EVERY))  # sessions 0, 6, 12, ...
    print(f"backprop-lens load bench: {n_sessions} concurrent browser sessions (Chromium {rounds[0]['version']}, "
          f"one context each) on one `streamlit run app.py` (127.0.0.1:{port}), {len(rounds)} round(s)")
    print(f"python {platform.python_version()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
          f"streamlit {streamlit.__version__}; load average (1 min) {load[0]:.2f} before the bench, "
          f"{os.getloadavg()[0]:.2f} at its end")
    print(f"mix: {n_sessions - trainers} steppers (Build: batch size 9+i; Step through: Next x5, New iteration, "
          f"Next x(i % 4)), {trainers} trainers (Build; Train: epochs {EPOCHS}, Train {EPOCHS} epochs on blobs, "
          f"768 samples; Step through: Next x(1 + i % 5)); arrivals over {args.arrival:g} s, think time "
          f"{0.5 * args.think:g}-{1.5 * args.think:g} s")
    print("served = click until the server's 'script finished' message of the rerun reached the browser;")
    print("settled = until the browser had drawn it (no rerun running, every Plotly chart has its SVG)")
    ok = True
    for number, one in enumerate(rounds, 1):
        wall, server_cpu, browser_cpu = one["times"]
        print(f"\nround {number}:")
        table(one["timings"])
        server_table(server_runs(one["window"]))
        print(f"wall time {wall:.1f} s; CPU time of the server {server_cpu:.1f} s, of Chromium and the bench "
              f"{browser_cpu:.1f} s ({(server_cpu + browser_cpu) / (wall * os.cpu_count()):.0%} of the machine)")
        ok &= checks(one["results"], exceptions if number == len(rounds) else [])
    mb = 2**20
    cold, idle = memory
    print(f"\nserver memory (VmRSS of the server process and its children): {cold / mb:.0f} MB when started; "
          f"idle {idle / mb:.0f} MB ({args.after_close:g} s after a warm-up learner, who opened the app, built, "
          "stepped and trained once, closed the tab)")
    for number, one in enumerate(rounds, 1):
        print(f"  round {number}: peak {one['peak'] / mb:.0f} MB, {args.after_close:g} s after its sessions closed "
              f"{one['after_close'] / mb:.0f} MB ({one['after_close'] / idle - 1:+.0%} of idle)")
    if len(rounds) > 1:
        print(f"  round {len(rounds)}'s peak against round 1's: {rounds[-1]['peak'] / rounds[0]['peak'] - 1:+.0%}")
    print("goals (Next over all rounds):")
    for kind, column in (("served", 0), ("settled", 1)):
        nexts = [timing[column] for one in rounds for timing in one["timings"].get("Next", [])]
        if nexts:
            met = {"Next median": statistics.median(nexts), "Next p95": quantile(nexts, 0.95)}
            print(f"  {kind:<8}" + "; ".join(f"{name} {value:.2f} s (<= {GOALS[name]:g} s: "
                                             f"{'met' if value <= GOALS[name] else 'NOT met'})"
                                             for name, value in met.items()))
    steps = [r["wall_s"] for one in rounds for r in server_runs(one["window"]) if r["page"] == "Step through"]
    if steps:
        median, p95 = statistics.median(steps), quantile(steps, 0.95)
        print(f"  server  Step through rerun (the server's own time for Next) median {median:.2f} s (<= 1 s: "
              f"{'met' if median <= 1 else 'NOT met'}); p95 {p95:.2f} s (<= 3 s: {'met' if p95 <= 3 else 'NOT met'})")
    after = rounds[-1]["after_close"]
    print(f"  memory after close {after / idle - 1:+.0%} of idle (within 10%: {'met' if after <= 1.1 * idle else 'NOT met'})")
    if len(rounds) > 1:
        growth = after / rounds[0]["after_close"] - 1
        print(f"  memory after close, round {len(rounds)} against round 1: {growth:+.0%} "
              f"(no growth, within 5%: {'met' if growth <= 0.05 else 'NOT met'})")
    return ok


# --- a round where one learner trains for a long time while others train briefly ---

LONG_EPOCHS, LONG_BATCH = 500, 1  # blobs: 384,000 iterations, more than an hour alone (capped at budget.RUN_S)
SHORT_WAIT_GOAL_S = 10.0          # a short run must start within this, whatever the long one trains
BAR = re.compile(rb"epoch \d+ / \d+, iteration \d+ / \d+")  # a progress bar's text in a websocket frame
STARTED = """() => {
  const bar = document.querySelector('[data-testid="stProgress"]');
  return (!!bar && bar.innerText.includes('iteration'))
      || !!document.querySelector('[data-testid="stAlertContentSuccess"]');
}"""


async def long_run_round(playwright, url, n_short, arrival):
    """One learner trains 500 epochs at batch 1; n_short others arrive over `arrival` s and each trains 1
    epoch. Returns the long run's bar once they had finished, its message after Stop, and (served, shown,
    done) of one short run alone before and of each short run: seconds from its click until the server sent
    its first iteration, until its bar showed it (or it had finished), and until it had finished."""
    browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                               args=FLAGS)

    async def learner(on_frame=None):
        page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        if on_frame is not None:
            page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
        await page.goto(url)
        await page.wait_for_function(IDLE, polling=50)
        await page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name="Train").click()
        await page.get_by_role("button", name="Compare ReLU, LeakyReLU, ELU, SoftPlus").wait_for()
        await page.wait_for_function(IDLE, polling=50)
        return page

    async def set_number(page, label, value, until):
        """Type value into the field and commit it, again until `until` (a locator) shows (a busy machine
        may drop a keystroke typed while the page was still starting)."""
        box = page.get_by_role("spinbutton", name=label)
        for _ in range(5):
            await box.fill(str(value))
            await box.press("Enter")
            try:
                await until.wait_for(timeout=30_000)
                break
            except Exception:  # noqa: BLE001 - not committed: type it again
                continue
        await page.wait_for_function(IDLE, polling=50)

    async def short(index, delay):
        await asyncio.sleep(delay)
        served = []

        def progress(frame):  # the server sent the bar's iteration count (its own wait, without drawing)
            if isinstance(frame, bytes) and len(frame) < 4096 and BAR.search(frame):
                served.append(time.perf_counter())

        page = await learner(progress)
        await set_number(page, "Epochs", 1, page.get_by_role("button", name="Train 1 epoch", exact=True))
        start = time.perf_counter()
        await page.get_by_role("button", name="Train 1 epoch", exact=True).click()
        await page.wait_for_function(STARTED, polling=20)
        shown = time.perf_counter() - start
        await page.get_by_test_id("stAlertContentSuccess").wait_for()
        done = time.perf_counter() - start
        first = [at - start for at in served if at >= start]
        return (first[0] if first else float("nan")), shown, done

    try:
        long_page = await learner()
        summary = long_page.locator(".st-key-network_summary")
        await set_number(long_page, "Batch size", LONG_BATCH,
                         summary.filter(has_text=re.compile(rf"batch {LONG_BATCH}(?!\d)")))
        await set_number(long_page, "Epochs", LONG_EPOCHS,
                         long_page.get_by_role("button", name=f"Train {LONG_EPOCHS} epochs", exact=True))
        alone = await short(-1, 0)  # the same short run with no other run: the machine's own pace
        await long_page.get_by_role("button", name=f"Train {LONG_EPOCHS} epochs", exact=True).click()
        await long_page.wait_for_function(STARTED, polling=20)
        shorts = await asyncio.gather(*(short(i, i * arrival / n_short) for i in range(n_short)))
        bar = long_page.get_by_test_id("stProgress")
        if not await bar.count():  # the long run reached its cap first
            cap = long_page.get_by_test_id("stAlertContentWarning")
            return "ended at its cap before the short runs did", await cap.inner_text(), alone, shorts
        still = await bar.inner_text()  # the long run goes on
        await long_page.locator(".st-key-train_stop").get_by_role("button", name="Stop").click()
        stopped = long_page.get_by_test_id("stAlertContentInfo").filter(has_text="Stopped in epoch")
        return still, await stopped.inner_text(), alone, shorts
    finally:
        await browser.close()


def report_long_run(still, stopped, alone, shorts, n_short, arrival):
    """Print the long-run round; True when every short run started within SHORT_WAIT_GOAL_S."""
    print(f"\nlong-run round: one learner trains {LONG_EPOCHS} epochs at batch {LONG_BATCH} on blobs "
          f"({LONG_EPOCHS * 768:,} iterations); {n_short} others arrive over {arrival:g} s and train 1 epoch each")
    print(f"{'short run':<12}{'served':>8}{'shown':>8}{'done':>8}   (s from its click: until the server sent its "
          "first iteration; until the bar showed it; until it had finished)")
    for index, (served, shown, done) in [("alone", alone)] + list(enumerate(shorts)):
        print(f"{index:<12}{served:>8.2f}{shown:>8.2f}{done:>8.2f}")
    waits = [shown for _, shown, _ in shorts]  # the learner's own wait: what the browser showed
    print(f"the long run while the short ones had finished: {still.strip().splitlines()[0]}")
    print(f"the long run at the end: {' '.join(stopped.split())}")
    served = [first for first, _, _ in shorts]
    print(f"short runs' wait as shown (Chromium at nice 19): median {statistics.median(waits):.2f} s, worst "
          f"{max(waits):.2f} s; {statistics.median(waits) / alone[1]:.1f}x the same run alone ({alone[1]:.2f} s)")
    ok = max(served) < SHORT_WAIT_GOAL_S  # the server's part: in a class the browsers run on the learners' machines
    print(f"short runs' wait on the server (served): median {statistics.median(served):.2f} s, worst "
          f"{max(served):.2f} s (< {SHORT_WAIT_GOAL_S:g} s: {'PASS' if ok else 'FAIL'}); "
          f"{statistics.median(served) / alone[0]:.1f}x the same run alone ({alone[0]:.2f} s)")
    return ok



# --- the double-click round (issue 23, 1) ---

BURSTS = ("Next", "Next", "Prev", "Next, slider")  # each a double click, or a click and a key with no gap
BURST_ROUNDS = 3  # the bursts above, this many times per learner, then Reset and a double Next (stage 2 or 3)


class DoubleClicker:
    """A learner who double-clicks: Next twice with no gap, Prev twice, Next then the stage slider's Home key,
    on the default network or the digits MLP; counts the exception boxes it sees after each burst."""

    def __init__(self, index, context, url):
        self.index, self.context, self.url = index, context, url
        self.boxes, self.page = [], None

    async def settle(self):
        for _ in range(2):  # a double click may start a second rerun after the first one's end
            await asyncio.sleep(0.3)
            await self.page.wait_for_function(IDLE, polling=50, timeout=TIMEOUT_S * 1000)

    async def burst(self, name):
        page = self.page
        if name == "Next, slider":
            await page.locator(".st-key-step_next button").click(force=True)  # force: even when disabled
            await page.get_by_role("slider").press("Home")  # the slider of the stage the browser still shows
        else:
            await page.locator(f".st-key-step_{name.lower()} button").dblclick(force=True)
        await self.settle()
        boxes = page.get_by_test_id("stException")
        if await boxes.count():
            text = (await boxes.first.inner_text()).strip().splitlines()
            self.boxes.append(f"{name}: {text[0] if text else 'exception'}")

    async def run(self):
        self.page = await self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_S * 1000)
        await self.page.goto(self.url)
        await self.settle()
        for _ in range(BURST_ROUNDS):
            for name in BURSTS:
                await self.burst(name)
        await self.page.locator(".st-key-step_reset button").click()
        await self.settle()
        await self.burst("Next")
        return await self.page.locator("h3").filter(has_text=" · ").first.inner_text()


async def double_clicks(url, n_sessions):
    """n_sessions learners at once (half on the default network, half on the digits MLP by a link), each
    double-clicking through BURSTS; returns (error boxes [(session, text)], headings at the end)."""
    from playwright.async_api import async_playwright

    from lab.links import link
    from lab.presets import PRESETS

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                   args=FLAGS)
        learners = [DoubleClicker(i, await browser.new_context(viewport=VIEWPORT),
                                  url if i % 2 == 0 else link(url, PRESETS["digits"].config))
                    for i in range(n_sessions)]
        outcomes = await asyncio.gather(*(learner.run() for learner in learners), return_exceptions=True)
        await browser.close()
    boxes = [(learner.index, text) for learner in learners for text in learner.boxes]
    return boxes, outcomes


def double_click_round(server, n_sessions):
    """Run the double-click round on the running server and print it; True when no error box was seen, no
    exception was logged and every learner ended on stage 2 or 3 (Reset, then a double Next: Streamlit folds a
    click that arrives before the first one's rerun began into it; a stale slider had dragged it back to 1)."""
    logged = len(uncaught_exceptions(server.log_path))
    started = time.perf_counter()
    boxes, outcomes = asyncio.run(double_clicks(server.url, n_sessions))
    exceptions = uncaught_exceptions(server.log_path)[logged:]
    wrong = [(i, outcome) for i, outcome in enumerate(outcomes)
             if isinstance(outcome, BaseException) or not str(outcome).startswith(("2/", "3/"))]
    print(f"\ndouble clicks: {n_sessions} learners at once (even: the default network, odd: the digits MLP), each "
          f"{BURST_ROUNDS} x ({', '.join(BURSTS)}) as double clicks with no gap, then Reset and Next Next; "
          f"{time.perf_counter() - started:.0f} s")
    for index, text in boxes:
        print(f"  session {index}: error box after {text}")
    for index, outcome in wrong:
        print(f"  session {index}: ended on {outcome!r}, not stage 2 or 3")
    print(f"error boxes seen: {len(boxes)} (must be 0) {'PASS' if not boxes else 'FAIL'}; uncaught app exceptions "
          f"in the server log: {len(exceptions)} {'PASS' if not exceptions else 'FAIL'}; "
          f"learners on stage 2 or 3 at the "
          f"end: {n_sessions - len(wrong)}/{n_sessions} {'PASS' if not wrong else 'FAIL'}")
    return not (boxes or exceptions or wrong)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions (default 30)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of all sessions (default 2)")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between actions, s (default 2)")
    parser.add_argument("--arrival", type=float, default=30.0, help="sessions arrive over this many s (default 30)")
    parser.add_argument("--after-close", type=float, default=60.0,
                        help="memory is read this many s after a round's sessions closed (default 60)")
    parser.add_argument("--uploads", type=int, default=0,
                        help="run only the upload round, with this many learners (the README's upload cost: 5)")
    parser.add_argument("--long-run", type=int, default=5, metavar="N",
                        help="then a round where one learner trains for an hour while N others train 1 epoch "
                             "each (default 5; 0: no such round)")
    parser.add_argument("--long-run-only", action="store_true", help="only the long-run round")
    parser.add_argument("--double-clicks", type=int, default=20, metavar="N",
                        help="learners in the double-click round after the rounds (default 20; 0: none)")
    parser.add_argument("--only-double-clicks", action="store_true", help="the double-click round alone")
    args = parser.parse_args()
    if args.sessions < 1 or args.rounds < 1:
        parser.error("--sessions and --rounds must be at least 1")
    if shutil.which("chromium") is None:
        sys.exit("Chromium not found: apt-get install chromium (and pip install playwright)")
    load = os.getloadavg()
    RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    RUN_LOG.write_text("")
    os.environ[runlog.ENV] = str(RUN_LOG)  # the server inherits it: one line per rerun
    server = app_server.start(ROOT / "artifacts" / "load_bench" / "server.log")
    # Chromium, Playwright and this script at the lowest priority (inherited by their processes), the server
    # at normal: in a class the browsers run on the learners' machines, not on the server's two cores
    os.nice(19)
    try:
        time.sleep(2)  # idle: the server has started and settled
        if args.uploads:
            upload_report(args.uploads, asyncio.run(upload_round(args.uploads, server.url, server.pid, args)), args)
            return
        if args.only_double_clicks:
            sys.exit(0 if double_click_round(server, max(1, args.double_clicks)) else 1)
        ok = True
        if not args.long_run_only:
            memory, rounds = asyncio.run(bench(args.sessions, server.url, server.pid, args))
            ok = report(args.sessions, memory, rounds, server.port, uncaught_exceptions(server.log_path), args, load)
            ok &= double_click_round(server, args.double_clicks) if args.double_clicks else True
        n_short = args.long_run or 5
        long_run = asyncio.run(with_playwright(long_run_round, server.url, n_short, args.arrival)) \
            if args.long_run or args.long_run_only else None
    finally:
        app_server.stop(server)
    if long_run is not None:
        ok &= report_long_run(*long_run, n_short, args.arrival)
        if args.long_run_only:
            exceptions = uncaught_exceptions(server.log_path)
            print(f"uncaught app exceptions in the server log: {len(exceptions)} {'FAIL' if exceptions else 'PASS'}")
            ok &= not exceptions
    sys.exit(0 if ok else 1)


async def with_playwright(round_, *args):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        return await round_(playwright, *args)


if __name__ == "__main__":
    main()
