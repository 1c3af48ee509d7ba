"""Browser tests of a long training run: Stop ends it and keeps it, and its worker does not outlive the server."""
import os
import signal
import time
from pathlib import Path

import pytest

from . import server as app_server
from .conftest import ARTIFACTS, VIEWPORT, Learner

SHOTS = Path("/work/shots")  # where the screenshot for the issue goes, when that folder exists


def start_long_run(learner):
    """On Train: batch size 1 and 500 epochs (384,000 iterations: more than an hour on blobs), then Train
    without waiting for the run; returns once the run reports its iterations."""
    from playwright.sync_api import expect

    learner.go("Train", "Train")
    learner.set_number("Batch size", 1)
    learner.set_number("Epochs", 500)
    learner.page.get_by_role("button", name="Train 500 epochs", exact=True).click()
    expect(learner.page.get_by_test_id("stProgress")).to_contain_text("iteration")


MOVED = """() => { const bar = document.querySelector('[data-testid="stProgress"] [role="progressbar"]');
                   const value = bar && Number(bar.getAttribute('aria-valuenow'));
                   return value > 0 && value < 100; }"""


def test_stop_ends_a_long_run_and_keeps_what_it_trained(learner):
    from playwright.sync_api import expect

    page = learner.page
    start_long_run(learner)
    stop = page.locator(".st-key-train_stop").get_by_role("button", name="Stop")  # not the header's Stop
    expect(stop).to_be_visible()
    expect(page.get_by_text("A run gets at most 5 minutes")).to_be_visible()
    page.wait_for_function(MOVED)  # the bar moves during a run (a short one may end within one of its redraws)
    learner.screenshot("training")
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / "train_stop.png"))
    learner.rerun(stop.click)
    (stopped,) = learner.alerts("Info")
    assert stopped.startswith("Stopped in epoch "), stopped
    assert "keeping what it trained (the last epoch partly). Trained " in stopped and "in total on this page" in stopped
    expect(stop).to_have_count(0)
    learner.screenshot("stopped")
    learner.check_clean()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_training_worker_stops_with_the_server(browser, sig):
    """A server stopped in the middle of a long run, by SIGTERM or SIGKILL: no worker process 5 s later."""
    server = app_server.start(ARTIFACTS / f"server-killed-{sig.name}.log")
    learner = Learner(browser.new_context(viewport=VIEWPORT), server.url, f"killed-{sig.name}")
    try:
        learner.open()
        start_long_run(learner)
        workers = app_server.spawned(server.pid)
        assert len(workers) == 1
        os.kill(server.pid, sig)  # the server alone: its process group would take the worker with it
        server.process.wait(30)
        deadline = time.monotonic() + 5
        while not all(app_server.gone(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(app_server.gone(pid) for pid in workers), f"worker {workers} still runs 5 s after {sig.name}"
    finally:
        learner.context.close()
        app_server.stop(server)
        try:
            os.killpg(server.pid, signal.SIGKILL)  # what is left of the group this test started
        except ProcessLookupError:
            pass
