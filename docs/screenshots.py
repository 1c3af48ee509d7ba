"""Take the README's screenshots from the real app in Debian's Chromium (Playwright, no downloads).

    python docs/screenshots.py          # writes docs/step.png, docs/by_hand.png and docs/train.png

Starts `streamlit run app.py` on a free local port, drives the pages as a learner would,
and stops the server by its process id.
"""
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_idle(page, seconds=1.0):
    """Wait for Streamlit's rerun to finish (no running indicator), then let Plotly draw."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(seconds)


# The pixel centre of cell (row, col) of the heatmap named `name` (a stage's tensors share one chart).
CELL = """([name, row, col]) => {
  for (const gd of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
    const t = gd.data.find(t => t.type === 'heatmap' && t.name === name);
    if (!t) continue;
    const box = gd.getBoundingClientRect(), layout = gd._fullLayout;
    const x = layout['xaxis' + (t.xaxis || 'x').slice(1)], y = layout['yaxis' + (t.yaxis || 'y').slice(1)];
    return [box.left + x._offset + x.d2p(col), box.top + y._offset + y.d2p(row)];
  }
}"""


def main():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/")
            wait_until_idle(page, 3)
            for _ in range(4):  # forward 0, forward 1, loss, backward 1 -> backward 0
                page.locator(".st-key-step_next button").click()
                wait_until_idle(page)
            x, y = page.evaluate(CELL, ["∂L/∂W", 1, 0])  # a learner clicks dL/dW[1, 0]
            page.mouse.move(x, y)
            time.sleep(0.3)
            page.mouse.click(x, y)
            wait_until_idle(page, 2)
            page.mouse.move(1395, 700)  # no tooltip over the picture
            time.sleep(1)
            page.screenshot(path=str(ROOT / "docs" / "step.png"))
            page.get_by_test_id("stExpander").filter(has_text="Work out one entry by hand").screenshot(
                path=str(ROOT / "docs" / "by_hand.png"))
            page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name="Build").click()
            wait_until_idle(page)
            page.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name="Circles with a hidden layer").click()
            wait_until_idle(page)
            page.get_by_test_id("stTopNavLinkContainer").get_by_role("link", name="Train").click()
            wait_until_idle(page)
            page.get_by_role("button", name="Train", exact=False).first.click()
            wait_until_idle(page, 3)
            page.mouse.wheel(0, 900)
            time.sleep(1)
            page.screenshot(path=str(ROOT / "docs" / "train.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
