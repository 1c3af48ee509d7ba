"""Browser tests: one `streamlit run app.py` and one headless Debian Chromium for the whole test session
(one each per pytest-xdist worker that runs browser tests: `--dist loadfile` in pyproject.toml keeps a
file's tests together and in order); each learner is a fresh page, i.e. a fresh Streamlit session with its own Lab,
in one browser context shared by the worker's tests (the app's scripts then load from its cache: a second
learner's page is drawn about a second sooner); tests that need their own cookies make their own contexts.

Without Chromium or Playwright the tests skip with how to install them; with CI=true they fail.
"""
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from . import server as app_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"  # screenshots and the server log (gitignored)
INSTALL = "Chromium not found: apt-get install chromium (and pip install playwright)"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1100}
NARROW = {"width": 800, "height": 1000}  # a laptop's half screen, a projector's window
TIMEOUT_MS = 60_000  # one action's rerun; generous for a busy 2-core machine
SETTLE_S = 0.2       # after a rerun: let Plotly and KaTeX draw what arrived

# Set on the stApp element by Streamlit's frontend; "notRunning" once a rerun has finished.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
      && app.dataset.testConnectionState === 'CONNECTED'
      && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
# Every Plotly chart has its SVG, and every tensor grid (ui/tensor_grid.py, a custom component) has drawn its picture
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .every(chart => chart.querySelector('.main-svg'))
  && [...document.querySelectorAll('[data-testid="stBidiComponentRegular"]')]
  .every(grid => grid.querySelector('.tensor-grid svg'))"""
# A chart's title, or its annotations (a Step stage's tensors are titled by annotations), lines joined by spaces; a
# tensor grid's tile titles (their lines joined by spaces) alike
CHART_STATE = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"], .tensor-grid')].map(chart => [
  !!chart.querySelector('.main-svg, svg'),
  chart.querySelector('.gtitle')?.textContent
    || [...chart.querySelectorAll('.annotation-text, g.title')].map(a => [...a.querySelectorAll('.line, text')]
         .map(line => line.textContent).join(' ') || a.textContent).join(' | ').replace(/\u00a0/g, ' ')])"""


def missing_browser():
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not importable"
    if shutil.which("chromium") is None:
        return "no `chromium` on PATH"
    return None


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium; skip the browser tests without it, except under CI=true, where that fails."""
    reason = missing_browser()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{INSTALL} ({reason}); CI=true requires the browser tests to run", pytrace=False)
        pytest.skip(f"{INSTALL} ({reason})")
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def app_url(chromium):
    """The root URL of a `streamlit run app.py` started for this test session, stopped by its pid after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1: one server and log each
    server = app_server.start(ARTIFACTS / (f"server-{worker}.log" if worker else "server.log"))
    yield server.url
    app_server.stop(server)


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so a fixture can see that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def shared_context(browser):
    """The browser context of the learners below: its HTTP cache keeps the app's scripts and styles."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def learners(shared_context, browser, app_url, request):
    """learners(n): n fresh learners, each a page of its own (its own Streamlit session), in a window of
    `viewport` (NARROW: 800 px wide). The test's first learner is a page of the shared context; the others get
    contexts of their own (a window each: Chromium does not draw a tab that is not in front)."""
    made = []

    def make(n=1, viewport=VIEWPORT):
        new = []
        for k in range(n):
            own = browser.new_context(viewport=viewport) if made or new else None
            new.append(Learner(own or shared_context, app_url, f"{request.node.name}-{len(made) + k}", viewport,
                               own=own is not None))
        made.extend(new)
        return new

    yield make
    failed = getattr(request.node, "report_call", None) is None or request.node.report_call.failed
    for learner in made:
        if failed:
            learner.screenshot("failure")  # what the page showed when the test failed
        learner.close()


@pytest.fixture(scope="module")
def visitor(browser, app_url):
    """One learner shared by a module's tests that only look at pages, opened once (in a window of its own: the
    module's other tests' learners take the shared context's)."""
    one = Learner(browser.new_context(viewport=VIEWPORT), app_url, "visitor", own=True)
    one.open()
    yield one
    one.close()


@pytest.fixture
def learner(learners):
    """One fresh learner with the app open on its default page."""
    (one,) = learners(1)
    one.open()
    return one


class Learner:
    """One page on the app (one Streamlit session): actions that wait for Streamlit's rerun, and what the page
    shows. `viewport`: the page's window, where the context's is not the one wanted."""

    def __init__(self, context, url, name, viewport=None, own=False):
        self.context, self.url, self.name, self.own = context, url, name, own
        context.set_default_timeout(TIMEOUT_MS)
        self.page = context.new_page()
        if viewport is not None:
            self.page.set_viewport_size(viewport)
        self.console_errors = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        self.runs = 0  # whole script runs the server finished for this session (seen on the websocket)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def close(self):
        """Close the page, and its context when it has one of its own."""
        self.page.close()
        if self.own:
            self.context.close()

    def _console(self, message):
        if message.type == "error":
            self.console_errors.append(f"console error: {message.text} at {message.location.get('url')}")

    def _frame(self, frame):
        if app_server.finished_run(frame):
            self.runs += 1

    # --- waiting ---

    def wait_runs(self, n, timeout_ms=TIMEOUT_MS):
        """Wait until the server has finished n whole runs of this session's script; False if it did
        not within timeout_ms (the callers that can try again), else True."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.runs < n:
            if time.monotonic() >= deadline:
                return False
            self.page.wait_for_timeout(25)  # lets Playwright deliver the websocket events
        return True

    def idle(self):
        """Wait until no rerun is running, then let the charts and formulas that arrived draw."""
        self.page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
        time.sleep(SETTLE_S)
        self.page.wait_for_function(CHARTS_DRAWN, timeout=TIMEOUT_MS)

    def rerun(self, action):
        """Do action (a click, a key, ...) and wait until the rerun it started has finished and drawn."""
        before = self.runs
        action()
        assert self.wait_runs(before + 1), f"{self.name}: no rerun finished within {TIMEOUT_MS} ms"
        self.idle()

    # --- actions ---

    def open(self):
        self.page.goto(self.url)
        assert self.wait_runs(1), f"{self.name}: the app did not finish its first run within {TIMEOUT_MS} ms"
        self.idle()

    def go(self, link, title):
        """Open a page through the navigation in the top bar and wait until its title is drawn."""
        from playwright.sync_api import expect

        self.rerun(lambda: self.page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name=link).click())
        expect(self.page.locator("h1").first).to_have_text(title)

    def click(self, name, exact=False, nth=0):
        self.rerun(lambda: self.page.get_by_role("button", name=name, exact=exact).nth(nth).click())

    def expand(self, label):
        """Open the expander whose summary reads `label` (on the client: no rerun) and return it once its content
        shows. A click that a late shift of the layout sent elsewhere (a chart drawing above) is made again."""
        from playwright.sync_api import expect

        box = self.page.get_by_test_id("stExpander").filter(has=self.page.locator("summary", has_text=label))
        details = box.locator("details")
        for _ in range(3):
            if details.get_attribute("open") is not None:
                break
            box.locator("summary").click()
            try:
                expect(details).to_have_attribute("open", "", timeout=5000)
            except AssertionError:
                self.idle()  # the click may have started a rerun where it landed
        expect(details).to_have_attribute("open", "")
        expect(box.get_by_test_id("stExpanderDetails")).to_be_visible()
        return box

    def choose(self, label, option):
        """Pick `option` in the selectbox labelled `label`."""
        from playwright.sync_api import expect

        box = self.page.get_by_role("combobox", name=label)
        if box.input_value() == option:
            return  # already chosen: picking it again would not rerun
        box.click()
        item = self.page.get_by_role("option", name=option, exact=True)
        try:
            item.wait_for(timeout=3000)
        except Exception:  # noqa: BLE001 - an empty box (placeholder, index=None) may take focus without opening
            box.press("ArrowDown")
        self.rerun(item.click)
        expect(box).to_have_value(option)

    def set_number(self, label, value, nth=0):
        """Type `value` into the number input labelled `label` and commit it with Enter."""
        box = self.page.get_by_role("spinbutton", name=label).nth(nth)
        shown = None  # a value set through session state can show up to ~0.5 s after the rerun drew
        while shown != (shown := box.input_value()):
            self.page.wait_for_timeout(400)
        assert shown != str(value), f"{label} already shows {value}: entering it again would not rerun"
        box.fill(str(value))
        self.rerun(lambda: box.press("Enter"))

    def upload(self, name, content, nth=0, attempts=3, patience_ms=20_000, mime="text/csv"):
        """Choose a file in the nth file uploader's real <input type=file> and wait for its rerun.

        Now and then (about one run in five of the whole browser suite on the 2-core machine) the
        uploader lists the file but never asks the server where to send it: no upload request, no
        rerun. Choosing the file again then goes through."""
        field = self.page.get_by_test_id("stFileUploader").nth(nth).locator('input[type="file"]')
        before = self.runs
        for _ in range(attempts):
            field.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
            if self.wait_runs(before + 1, patience_ms):
                self.idle()
                return
        raise AssertionError(f"{self.name}: {attempts} choices of {name} started no rerun")

    # --- what the page shows ---

    def heading(self):
        """The Step page's stage heading, e.g. '2/6 · Forward · layer 1 · LogSoftMax'."""
        return self.page.locator("h3").filter(has_text=re.compile(r"^\d+/\d+ · ")).first.inner_text()

    def network(self):
        """The layers of the "Your network" line every page opens with."""
        return self.page.locator(".st-key-network_summary code").all_inner_texts()

    def summary(self):
        """The whole "Your network" line: layers, criterion, optimizer, data and batch size."""
        return self.page.locator(".st-key-network_summary").inner_text()

    def chart_titles(self, at_least=1):
        """Each Plotly chart's title (an untitled one: its annotations), once at least `at_least` charts
        are on the page, every chart has drawn its SVG and two looks 0.2 s apart agree."""
        deadline, previous = time.monotonic() + TIMEOUT_MS / 1000, None
        while True:
            state = self.page.evaluate(CHART_STATE)
            if state == previous and len(state) >= at_least and all(drawn for drawn, _ in state):
                return [title for _, title in state]
            assert time.monotonic() < deadline, f"{self.name}: the charts did not finish drawing: {state}"
            previous = state
            self.page.wait_for_timeout(200)

    def alerts(self, kind):
        """Texts of the alerts of a kind ("Error", "Warning", "Info" or "Success"), without their icons."""
        alerts = self.page.get_by_test_id(f"stAlertContent{kind}").get_by_test_id("stMarkdownContainer")
        return alerts.all_inner_texts()

    def screenshot(self, label):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{self.name}-{label}").strip("-").lower()
        self.page.mouse.move(5, VIEWPORT["height"] - 5)  # no tooltip over the picture
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(ARTIFACTS / f"{slug}.png"))

    def check_clean(self):
        """No exception box on the page and nothing logged as an error in the browser console."""
        exceptions = self.page.get_by_test_id("stException").all_inner_texts()
        assert exceptions == [], f"{self.name}: exception on the page:\n" + "\n".join(exceptions)
        logged, self.console_errors = self.console_errors, []  # each error fails one check, not every later one
        assert logged == [], f"{self.name}: " + "\n".join(logged)
