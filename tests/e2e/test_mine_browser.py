"""A learner's own framework beside the engine, in a real browser: grade it and replay the shown iteration
on the learner's side (python -m engine.grade --iteration --save), upload mine.npz, find the planted bug.

Run alone with `python -m pytest -m e2e tests/e2e/test_mine_browser.py`; screenshots land in artifacts/e2e/.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.exercise import iteration_npz
from lab.session import Lab

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_a_planted_bug_is_found_on_the_page_after_uploading_mine_npz(learner, tmp_path):
    # the learner's side: the first iteration of the default network (what the page shows) and a bug
    (tmp_path / "iteration.npz").write_bytes(iteration_npz(Lab().trace, Lab().model))
    source = (ROOT / "tests" / "grade" / "homework_ok.py").read_text()
    (tmp_path / "homework.py").write_text(source.replace(
        "self.grad_input = grad_output - a * grad_output.sum(axis=1, keepdims=True)",
        "self.grad_input = grad_output - a * grad_output"))
    done = subprocess.run([sys.executable, "-m", "engine.grade", "homework.py", "--iteration", "iteration.npz",
                           "--save", "mine.npz"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "wrote mine.npz" in done.stdout, done.stderr
    page = learner.page
    learner.expand("Check your own framework against this iteration")
    learner.upload("mine.npz", (tmp_path / "mine.npz").read_bytes(), mime="application/octet-stream")
    strip = page.get_by_text("✗ backward 1")
    assert strip.count() >= 1
    assert page.get_by_text("they first differ at").count() == 1
    for _ in range(3):
        learner.click("Next ▶")
    assert learner.heading().startswith("4/6 · Backward · layer 1")
    alert = page.get_by_text("Likely: the sum over the row forgotten in backward")
    assert alert.count() == 1
    titles = " ".join(learner.chart_titles(at_least=2))
    assert "layer 1 ∂L/∂x: yours" in titles.replace("\xa0", " ")
    learner.screenshot("mine_backward_1")
    assert not learner.console_errors
