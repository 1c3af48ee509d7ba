"""Many learners at once: N concurrent browser sessions on one server, each building, training and stepping.

    python bench/load_bench.py               # 20 sessions
    python bench/load_bench.py --sessions 5

Starts `streamlit run app.py` on a free local port (tests/e2e/server.py), opens one headless
Debian Chromium (Playwright, async API) with one browser context per session, and drives
all sessions at the same time. Session i: open the app; Build: batch size 9 + i; Train:
epochs 2, Train 2 epochs; Step through: Next (1 + i % 5) times. Each action is timed from
the click until the server has finished the rerun it started (its "script finished"
message reached the browser: "served") and until the browser has drawn it (no rerun
running, every Plotly chart has its SVG: "drawn"). The server's resident memory (VmRSS of
its process and any children) is sampled every 0.1 s. At the end every session must show
its own state: its stage heading, the handout's network in the summary line, its batch size
and 2 trained epochs. Prints a table per action (count, median, worst), the peak memory,
and pass/fail lines; exits 1 when a session is wrong, an exception reached a page or the
server log, or the browser console logged an error.
Needs only requirements-dev.txt and `apt-get install chromium`.
"""
import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import server as app_server  # after sys.path names the project root

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1100}
TIMEOUT_S = 300  # one action under the load of all sessions
EPOCHS = 2
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

    def __init__(self, index, context, url, timings):
        self.index, self.context, self.url, self.timings = index, context, url, timings
        self.batch_size, self.clicks = 9 + index, 1 + index % 5
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
        until the browser had drawn it; note an exception box it left on the page."""
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
        await asyncio.sleep(0.2)  # not timed: let the last charts settle before the next click

    async def go(self, link):
        nav = self.page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name=link)
        await self.timed("navigate", nav.click)

    async def set_number(self, action_name, label, value):
        box = self.page.get_by_role("spinbutton", name=label)
        await box.fill(str(value))
        await self.timed(action_name, lambda: box.press("Enter"))

    async def run(self):
        await self.start()
        await self.timed("open the app", lambda: self.page.goto(self.url))
        await self.go("Build")
        await self.set_number("set batch size", "Batch size", self.batch_size)
        await self.go("Train")
        await self.set_number("set epochs", "Epochs", EPOCHS)
        train = self.page.get_by_role("button", name=f"Train {EPOCHS} epochs", exact=True)
        await self.timed(f"train {EPOCHS} epochs", train.click)
        await self.go("Step through")
        next_button = self.page.get_by_role("button", name="Next ▶")
        for _ in range(self.clicks):
            await self.timed("Next", next_button.click)

    async def check(self):
        """What is wrong with what this session shows (empty when it shows its own state)."""
        page, wrong = self.page, []
        expected = {
            "heading": f"{self.clicks + 1}/6 · {STAGES[self.clicks]}",
            "network": "Linear(2 -> 2)\nLogSoftMax",
            "summary": f"blobs, batch {self.batch_size}",
            "caption": f"blobs · {self.batch_size} samples (batch size {self.batch_size})",
            "trained": f"trained {EPOCHS} epochs",
        }
        shown = {
            "heading": await page.locator("h3").filter(has_text=" · ").first.inner_text(),
            "network": "\n".join(await page.locator(".st-key-network_summary code").all_inner_texts()),
            "summary": await page.locator(".st-key-network_summary").inner_text(),
            "caption": await page.get_by_test_id("stCaptionContainer").filter(has_text="samples (batch size")
                       .first.inner_text(),
        }
        shown["trained"] = shown["caption"]
        for key, want in expected.items():
            ok = shown[key].strip() == want if key in ("heading", "network") else want in shown[key]
            if not ok:
                wrong.append(f"{key}: expected {want!r}, shows {shown[key]!r}")
        if await page.get_by_test_id("stException").count():
            wrong.append("an exception box is on the page at the end")
        return wrong


def cpu_seconds(pid):
    """User + system CPU time of pid and its descendants so far (/proc/<pid>/stat)."""
    total = 0
    for p in app_server.process_tree(pid):
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


async def sample_memory(pid, peak, stop):
    while not stop.is_set():
        peak[0] = max(peak[0], app_server.rss_bytes(pid))
        await asyncio.sleep(0.1)


async def bench(n_sessions, url, pid):
    from playwright.async_api import async_playwright

    timings, peak, stop = {}, [app_server.rss_bytes(pid)], asyncio.Event()
    start_rss = peak[0]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                   args=FLAGS)
        version = browser.version
        sessions = [Session(i, await browser.new_context(viewport=VIEWPORT), url, timings)
                    for i in range(n_sessions)]
        sampler = asyncio.create_task(sample_memory(pid, peak, stop))
        started, cpu_before = time.perf_counter(), cpu_seconds(pid)
        outcomes = await asyncio.gather(*(session.run() for session in sessions), return_exceptions=True)
        wall, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
        stop.set()
        await sampler
        end_rss = app_server.rss_bytes(pid)
        results = []
        for session, outcome in zip(sessions, outcomes):
            wrong = [f"failed: {outcome!r}"] if isinstance(outcome, BaseException) else await session.check()
            results.append((session, wrong))
        await browser.close()
    return timings, results, (wall, cpu), (start_rss, peak[0], end_rss), version


def report(n_sessions, timings, results, times, memory, chromium_version, port, exceptions):
    import streamlit

    print(f"backprop-lens load bench: {n_sessions} concurrent browser sessions (one Chromium "
          f"{chromium_version}, one context each) on one `streamlit run app.py` (127.0.0.1:{port})")
    print(f"python {platform.python_version()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
          f"streamlit {streamlit.__version__}")
    print(f"session i: open; Build: batch size 9+i; Train: epochs {EPOCHS}, Train {EPOCHS} epochs "
          f"(blobs, 768 samples); Step through: Next (1 + i % 5) times")
    print("served = click until the server's 'script finished' message of the rerun reached the browser;")
    print("drawn = until the browser had drawn it (no rerun running, every Plotly chart has its SVG)\n")
    print(f"{'action':<16}{'count':>6}{'served median':>15}{'worst':>8}{'drawn median':>14}{'worst':>8}   (ms)")
    print("-" * 72)
    for name, values in timings.items():
        served, drawn = ([1000 * v[k] for v in values] for k in (0, 1))
        print(f"{name:<16}{len(values):>6}{statistics.median(served):>15.0f}{max(served):>8.0f}"
              f"{statistics.median(drawn):>14.0f}{max(drawn):>8.0f}")
    (wall, cpu), (start, peak, end) = times, (value / 2**20 for value in memory)
    print(f"\nwall time for all sessions: {wall:.1f} s; server CPU time in it: {cpu:.1f} s")
    print(f"server memory (VmRSS of the server process and its children): {start:.0f} MB before the "
          f"sessions, peak {peak:.0f} MB, {end:.0f} MB at the end")

    failed = [(session, wrong) for session, wrong in results if wrong]
    for session, wrong in failed:
        print(f"  session {session.index} (batch {session.batch_size}, {session.clicks} x Next): " + "; ".join(wrong))
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    args = parser.parse_args()
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    if shutil.which("chromium") is None:
        sys.exit("Chromium not found: apt-get install chromium (and pip install playwright)")
    server = app_server.start(ROOT / "artifacts" / "load_bench" / "server.log")
    try:
        outcome = asyncio.run(bench(args.sessions, server.url, server.pid))
    finally:
        app_server.stop(server)
    timings, results, times, memory, version = outcome
    ok = report(args.sessions, timings, results, times, memory, version, server.port,
                uncaught_exceptions(server.log_path))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
