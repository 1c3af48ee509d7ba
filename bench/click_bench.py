"""Speed as the learner feels it: a Step click in Chromium, against a trivial Streamlit click, in milliseconds.

    python bench/click_bench.py               # 5 rounds, about 5 minutes
    python bench/click_bench.py --rounds 3
    python bench/click_bench.py --quick       # 2 rounds, a smoke run

Starts `streamlit run app.py` (tests/e2e/server.py) and bench/trivial_app.py (one button, one
8×2 heatmap), opens headless Debian Chromium (Playwright) and, each round, clicks the trivial
button a few times, then on each network: an untimed New iteration, the Predict first toggle
turned on (timed: its first toggle in that iteration) and off again, an untimed Reset, and Next
through every Step stage. The networks: the default, 64-128-128-10 digits at batch 128 (a ?net=
share link), the small CNN preset on digits (a link) and the CNN preset on an uploaded 28×28 CSV
(uploaded and chosen on Build). A click is timed in the page, from the click until the rerun is
over, every Plotly chart has its SVG and the frame after the last DOM change is painted. Prints
the medians and the slowest stage against the trivial click beside the aims of issue 19, whether
each is met, then per stage: the server's rerun (until its script_finished websocket message
arrived), the bytes received, the charts, the browser's time after. Exits 0.
"""
import argparse
import base64
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import server as app_server  # noqa: E402  after sys.path names the project root
from tests.e2e.conftest import CHARTS_DRAWN, FLAGS, IDLE, VIEWPORT  # noqa: E402  the browser tests' settings

TRIVIAL_PER_ROUND = 6  # trivial clicks before each round's walks
TIMEOUT_MS = 60_000   # one click on a busy machine
QUIET_MS = 300        # no DOM change for this long after the last one: settled (not part of the time)
LATE_MS = 1000        # a DOM change this soon after a click had settled is reported as late
# Issue 19's aims, as × the trivial click: (median Next, slowest stage's median Next); and the first Predict first
# toggle of an iteration (its median over the rounds and the networks).
GOALS = {"default": (1.5, None), "digits": (2.0, 5.0), "cnn_digits": (None, 5.0), "cnn_csv": (None, 5.0)}
TOGGLE_GOAL = 3.0
NETWORKS = ("default", "digits", "cnn_digits", "cnn_csv")
CSV_ROWS = 400  # the uploaded CSV's digits (tests/uploaded.py: 8×8 digits scaled to 28×28)

# Installed before the page's own scripts: the time of the last DOM change and of the first frame after it.
RECORDER = """(() => {
  const b = window.__bench = {t0: 0, last: 0, painted: 0, settled: 0, after: null};
  const painted = () => requestAnimationFrame(() => setTimeout(() => { b.painted = performance.now(); }, 0));
  new MutationObserver(() => {
    b.last = performance.now();
    if (b.settled && b.after === null) b.after = b.last - b.settled;
    painted();
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();"""
# Click the button and return the click's time, and how long after the last click had settled
# the DOM changed again if that was within LATE_MS (then the quiet window was too short for it).
START = """([button, late]) => {
  const b = window.__bench, after = b.after !== null && b.after <= late ? b.after : null;
  b.t0 = b.last = b.painted = performance.now();
  b.settled = 0;
  button.click();
  return [b.t0, after];
}"""
# The browser tests' idle page (tests/e2e/conftest.py), and no DOM change for `quiet` ms, painted.
SETTLED = f"""quiet => ({IDLE})() && ({CHARTS_DRAWN})()
  && performance.now() - window.__bench.last >= quiet && window.__bench.painted >= window.__bench.last"""
STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]'), b = window.__bench, now = performance.now();
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"], [data-testid="stBidiComponentRegular"]')];
  return `script ${app && app.dataset.testScriptState}, connection ${app && app.dataset.testConnectionState}, `
       + `status widget ${JSON.stringify(document.querySelector('[data-testid="stStatusWidget"]')?.innerText ?? null)}, `
       + `${charts.filter(c => !c.querySelector('.main-svg, .tensor-grid svg')).length} of ${charts.length} charts undrawn, `
       + `last DOM change ${(now - b.last).toFixed(0)} ms ago, painted ${(b.painted - b.last).toFixed(0)} ms after it`;
}"""
RESULT = """() => {
  const b = window.__bench;
  b.settled = performance.now();
  b.after = null;
  return {painted: b.painted, charts: document.querySelectorAll('[data-testid="stPlotlyChart"], .tensor-grid').length,
          heading: [...document.querySelectorAll('h3')].map(h => h.innerText.trim())
                   .find(text => /^\\d+\\/\\d+ · /.test(text)) ?? null};
}"""


@dataclass
class Click:
    """One timed click: ms until settled, ms until the server's script_finished, bytes received, charts."""
    stage: str
    total: float
    server: float
    received: int
    charts: int

    @property
    def browser(self):
        return self.total - self.server


class Client:
    """One browser page (its own context, its own Streamlit session), its websocket frames and timed clicks.

    The frames come from Chromium's network layer (CDP Network.webSocketFrameReceived), so their
    times are when they arrived, not when the page's busy main thread got to them; CDP's clock minus
    the document's NavigationStart is the page's performance.now()."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Performance.enable")
        self.cdp.on("Network.webSocketFrameReceived", self.frame)
        self.frames = []  # (CDP seconds, bytes, whether it is a whole run's script_finished)
        self.runs, self.clicks, self.toggles, self.late, self.origin = 0, [], [], [], 0.0

    def frame(self, event):
        response = event["response"]
        if response["opcode"] not in (1, 2):
            return  # a control frame (ping, pong, close)
        payload = response["payloadData"]  # base64 for a binary frame: decode only the small ones
        size = len(payload) * 3 // 4 - payload[-2:].count("=") if response["opcode"] == 2 else len(payload.encode())
        finished = size <= 256 and response["opcode"] == 2 and app_server.finished_run(base64.b64decode(payload))
        self.frames.append((event["timestamp"], size, finished))
        self.runs += finished

    def wait_run(self, before):
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while self.runs <= before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no rerun finished within {TIMEOUT_MS} ms")
            self.page.wait_for_timeout(5)  # lets Playwright deliver the CDP events

    def settle(self):
        try:
            self.page.wait_for_function(SETTLED, arg=QUIET_MS, polling="raf", timeout=TIMEOUT_MS)
        except Exception as error:  # say what the page was doing
            raise TimeoutError(f"the page did not settle in {TIMEOUT_MS} ms: {self.page.evaluate(STATE)}") from error

    def open(self, url):
        self.page.bring_to_front()
        self.page.goto(url)
        self.wait_run(0)
        self.settle()
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        self.origin = metrics["NavigationStart"]

    def act(self, action):
        """Do action (a Playwright call: a choice, an upload, a link) and wait until its rerun settled; untimed."""
        before = self.runs
        action()
        self.wait_run(before)
        self.settle()

    def click(self, button, timed=True, into=None):
        """Click the button inside the page; wait until the page settled; record the Click if timed (in
        `into`, the list of Step clicks by default)."""
        before, self.frames = self.runs, []
        t0, late = self.page.evaluate(START, [button.element_handle(), LATE_MS])
        if late is not None:
            self.late.append(late)
        self.wait_run(before)
        self.settle()
        result = self.page.evaluate(RESULT)
        if not timed:
            return
        frames = [(1000 * (t - self.origin), size, finished) for t, size, finished in self.frames]
        finished = [t for t, _, done in frames if done and t >= t0]
        (self.clicks if into is None else into).append(Click(result["heading"] or f"click {len(self.clicks) + 1}", result["painted"] - t0,
                                 finished[-1] - t0, sum(size for t, size, _ in frames if t >= t0),
                                 result["charts"]))


def find_button(page, key, label):
    """The keyed button (Streamlit puts `st-key-<key>` on a keyed widget's container), else by its label."""
    keyed = page.locator(f".st-key-{key} button")
    return keyed.first if keyed.count() else page.get_by_role("button", name=re.compile(label)).first


def toggle(client):
    """A New iteration (not timed), then Predict first on (timed: its first toggle in the iteration) and off."""
    client.click(find_button(client.page, "step_new_iteration", "New iteration"), timed=False)
    switch = client.page.locator(".st-key-step_predict input").first
    client.click(switch, into=client.toggles)
    client.click(switch, timed=False)


def walk(client):
    """The Predict first toggle (see toggle), Reset (not timed), then Next until the last stage, each click timed."""
    client.page.bring_to_front()
    toggle(client)
    client.click(find_button(client.page, "step_reset", "Reset"), timed=False)
    next_button = find_button(client.page, "step_next", "Next")
    for _ in range(100):
        if next_button.is_disabled():
            return
        client.click(next_button)


def start_trivial(log_path):
    """`streamlit run bench/trivial_app.py` on a free port, like tests/e2e/server.start; the Server once healthy."""
    port = app_server.free_port()
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "bench/trivial_app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = app_server.Server(process, port, Path(log_path))
    deadline = time.monotonic() + app_server.START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if app_server.healthy(port):
            return server
        time.sleep(0.25)
    app_server.stop(server)
    raise RuntimeError(f"the trivial app did not become healthy on port {port}:\n{server.log_tail()}")


def upload_cnn(client):
    """On Build: upload a 28×28 digits CSV and choose the CSV CNN preset; then open Step (all untimed)."""
    from tests.uploaded import digits_csv

    page = client.page
    page.bring_to_front()
    nav = lambda name: page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name=name)  # noqa: E731
    client.act(lambda: nav("Build").click(timeout=TIMEOUT_MS))
    field = page.get_by_test_id("stFileUploader").first.locator('input[type="file"]')
    client.act(lambda: field.set_input_files(files=[{"name": "digits28.csv", "mimeType": "text/csv",
                                                      "buffer": digits_csv(CSV_ROWS)}], timeout=TIMEOUT_MS))
    page.get_by_role("combobox", name="Preset").click(timeout=TIMEOUT_MS)
    client.act(lambda: page.get_by_role("option", name="A CNN on an uploaded MNIST CSV", exact=True).click(
        timeout=TIMEOUT_MS))
    client.act(lambda: nav("Step through").click(timeout=TIMEOUT_MS))


def urls(app_url, trivial_url):
    """{client name: the address it opens}: the digits MLP and the small CNN by a share link."""
    from lab.links import PARAM, config_token
    from lab.presets import PRESETS

    link = lambda config: f"{app_url}?{PARAM}={config_token(config)}"  # noqa: E731
    return {"trivial": trivial_url, "default": app_url,
            "digits": link(replace(PRESETS["digits"].config, batch_size=128)),
            "cnn_digits": link(PRESETS["cnn_digits"].config), "cnn_csv": app_url}


def bench(rounds, app_url, trivial_url, networks=NETWORKS):
    """Clients for the trivial app and each network, after `rounds` interleaved rounds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=FLAGS)
        clients = {}
        for name, url in urls(app_url, trivial_url).items():
            if name != "trivial" and name not in networks:
                continue
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(RECORDER)
            clients[name] = Client(context)
            clients[name].open(url)
            if name == "cnn_csv":
                upload_cnn(clients[name])
        for round_ in range(rounds):
            trivial = clients["trivial"]
            trivial.page.bring_to_front()
            button = find_button(trivial.page, "trivial_click", "Click")
            for _ in range(TRIVIAL_PER_ROUND):
                trivial.click(button)
            for name in networks:
                walk(clients[name])
            print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr, flush=True)
        version = browser.version
        browser.close()
    return clients, version


def deciles(values):
    """(p10, p90) of values."""
    cuts = statistics.quantiles(values, n=10, method="inclusive") if len(values) > 1 else list(values) * 9
    return cuts[0], cuts[-1]


def by_stage(clicks):
    """{stage heading: [Click]} in the order the stages were first reached."""
    stages = {}
    for click in clicks:
        stages.setdefault(click.stage, []).append(click)
    return stages


def met(ratio, goal):
    return "yes" if ratio <= goal else "NO"


NAMES = {"trivial": "trivial click", "default": "default network (as the app opens)",
         "digits": "64-128-128-10 digits MLP, batch 128", "cnn_digits": "small CNN on digits (preset)",
         "cnn_csv": "CNN on an uploaded 28×28 CSV (preset)"}


def slowest(clicks):
    """(stage heading, ms) of the stage with the highest median click."""
    return max(((stage, statistics.median(c.total for c in cs)) for stage, cs in by_stage(clicks).items()),
               key=lambda item: item[1])


def aim(ratio, goal):
    """The goal and whether the ratio meets it, for the table's last two columns."""
    return f"{goal:>6.1f}  {met(ratio, goal)}" if goal else f"{'-':>6}"


def summary(clients, base):
    """The medians, the slowest stages and the first Predict first toggles against the trivial click, beside
    issue 19's aims, each with whether it is met."""
    networks = [name for name in NETWORKS if name in clients]
    print(f"{'':<42}{'clicks':>7}{'median ms':>10}{'p10':>6}{'p90':>6}{'× trivial':>10}{'aim':>6}  met?")
    print("-" * 93)
    for name in ("trivial", *networks):
        totals = [c.total for c in clients[name].clicks]
        (p10, p90), median = deciles(totals), statistics.median(totals)
        goal = GOALS.get(name, (None,))[0]
        print(f"{NAMES[name]:<42}{len(totals):>7}{median:>10.0f}{p10:>6.0f}{p90:>6.0f}{median / base:>10.2f}"
              + (aim(median / base, goal) if name != "trivial" else ""))
    print(f"\n{'slowest stage (highest median)':<42}{'':<48}{'ms':>6}{'× trivial':>10}{'aim':>6}  met?")
    print("-" * 118)
    for name in networks:
        stage, ms = slowest(clients[name].clicks)
        print(f"{NAMES[name]:<42}{stage[:47]:<48}{ms:>6.0f}{ms / base:>10.2f}" + aim(ms / base, GOALS[name][1]))
    toggles = [c.total for name in networks for c in clients[name].toggles]
    print(f"\n{'first Predict first toggle of an iteration':<42}{'clicks':>7}{'median ms':>10}{'worst':>6}"
          f"{'× trivial':>10}{'aim':>6}  met?")
    print("-" * 87)
    for name in networks:
        ms = [c.total for c in clients[name].toggles]
        print(f"{NAMES[name]:<42}{len(ms):>7}{statistics.median(ms):>10.0f}{max(ms):>6.0f}"
              f"{statistics.median(ms) / base:>10.2f}")
    print(f"{'all networks':<42}{len(toggles):>7}{statistics.median(toggles):>10.0f}{max(toggles):>6.0f}"
          f"{statistics.median(toggles) / base:>10.2f}" + aim(statistics.median(toggles) / base, TOGGLE_GOAL))


def breakdown(clients, base):
    """Per stage: total, server, browser after the server, bytes received and charts (medians)."""
    median = statistics.median
    print("\nWhere the time goes, per stage (medians of its clicks): total = click until settled; server = click"
          "\nuntil the rerun's script_finished message arrived; browser = total - server (Streamlit applying the"
          "\ndeltas, Plotly and the tensor grids drawing); KB = websocket bytes received for the click; charts = Plotly"
          "\ncharts and tensor grids after it")
    for name in ("trivial", *[name for name in NETWORKS if name in clients]):
        print(f"\n{'' if name == 'trivial' else NAMES[name] + ', stage':<48}{'n':>3}{'total':>7}{'× triv':>7}"
              f"{'server':>8}{'browser':>9}{'KB':>8}{'charts':>7}")
        groups = {NAMES[name]: clients[name].clicks} if name == "trivial" else by_stage(clients[name].clicks)
        for stage, clicks in groups.items():
            total = median(c.total for c in clicks)
            print(f"{stage[:48]:<48}{len(clicks):>3}{total:>7.0f}{total / base:>7.2f}"
                  f"{median(c.server for c in clicks):>8.0f}{median(c.browser for c in clicks):>9.0f}"
                  f"{median(c.received for c in clicks) / 1024:>8.1f}{median(c.charts for c in clicks):>7.0f}")


def report(clients, version, rounds, loads):
    import streamlit

    base = statistics.median(c.total for c in clients["trivial"].clicks)
    print(f"backprop-lens click bench: headless Chromium {version}, Streamlit {streamlit.__version__}, "
          f"python {platform.python_version()}, os.cpu_count() = {os.cpu_count()}")
    print(f"{rounds} rounds, each: {TRIVIAL_PER_ROUND} trivial clicks (bench/trivial_app.py: one button, one 8×2 "
          f"heatmap), then on each network: New iteration, Predict first on (timed) and off, Reset, Next through "
          f"every stage")
    print(f"load average (1 min): {loads[0]:.2f} at the start, {loads[1]:.2f} at the end")
    print("time = in the page, from the click until it settled: rerun over, no status widget, every chart drawn,")
    print(f"the frame after the last DOM change painted ({QUIET_MS} ms without a change, not counted)\n")
    summary(clients, base)
    late = [(name, ms) for name, client in clients.items() for ms in client.late]
    print(f"\nDOM changes within {LATE_MS} ms after a click had settled (the quiet window too short for them): "
          f"{len(late)}" + "".join(f"; {name} {ms:.0f} ms after" for name, ms in late[:5]))
    breakdown(clients, base)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="walks through every stage per network (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 rounds, a smoke run")
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS),
                        help="the networks to walk (default: all four)")
    args = parser.parse_args()
    rounds = 2 if args.quick else max(1, args.rounds)
    if shutil.which("chromium") is None:
        print("Chromium not found: apt-get install chromium (and pip install playwright)")
        return
    logs = ROOT / "artifacts" / "click_bench"
    logs.mkdir(parents=True, exist_ok=True)
    # Other people edit the checkout while the bench runs: a watched file that changes would put
    # "Source file changed" in the status widget for good, and nothing would settle.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    servers = []
    try:
        servers.append(app_server.start(logs / "app.log"))
        servers.append(start_trivial(logs / "trivial.log"))
        load = os.getloadavg()[0]
        clients, version = bench(rounds, servers[0].url, servers[1].url, tuple(args.networks))
        report(clients, version, rounds, (load, os.getloadavg()[0]))
    except Exception:  # noqa: BLE001 - a bench reports what went wrong and exits 0
        traceback.print_exc()
        print("click bench: the run did not complete (see the traceback above)")
    finally:
        for server in servers:
            app_server.stop(server)


if __name__ == "__main__":
    main()
