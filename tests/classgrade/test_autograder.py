"""docs/autograder/run_autograder, Gradescope's one line, run in a clean venv where the project is installed."""
import json
import os
import subprocess
from pathlib import Path

from tests.grade.homeworks import HOMEWORK
from tests.test_install import installed

ROOT = Path(__file__).resolve().parents[2]


def test_run_autograder_writes_gradescope_results_in_a_clean_venv(tmp_path):
    env_dir = installed(tmp_path, "backprop-lens")
    autograder = tmp_path / "autograder"
    (autograder / "submission").mkdir(parents=True)
    (autograder / "results").mkdir()
    (autograder / "submission" / "hw.py").write_text(
        HOMEWORK.read_text().replace("current_var -= old_grad", "current_var += old_grad"))
    lines = [line for line in (ROOT / "docs" / "autograder" / "run_autograder").read_text().splitlines()
             if line and not line.startswith("#")]
    assert len(lines) == 1  # the course's run_autograder is one line
    env = {"PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}", "AUTOGRADER": str(autograder), "HOME": str(tmp_path)}
    subprocess.run(["bash", ROOT / "docs" / "autograder" / "run_autograder"], env=env, cwd=tmp_path, timeout=300)
    results = json.loads((autograder / "results" / "results.json").read_text())
    assert results["score"] == 15 and len(results["tests"]) >= 16
    assert {t["name"]: t["status"] for t in results["tests"]}["SGD"] == "failed"
    assert "sandbox: none" in results["output"]
