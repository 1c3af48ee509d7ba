"""python -m engine: the terminal demo trains, walks one iteration's stages and checks gradients."""
import subprocess
import sys
from pathlib import Path

from engine.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_walks_every_stage_and_passes_its_gradient_check(capsys):
    trace = main(epochs=2)
    out = capsys.readouterr().out
    assert [str(stage) for stage in trace.stages] == [
        "forward 0", "forward 1", "loss", "backward 1", "backward 0", "update 0"]
    for number, stage in enumerate(trace.stages, start=1):
        assert f"{number:2d}. {stage}" in out
    assert "dW 2x2, db 2" in out and "W -= v (max |v|" in out
    assert "closed form I - 1 a^T agrees to 0.0e+00" in out
    assert "GradcheckResult(passed=True" in out


def test_python_dash_m_engine_runs():
    result = subprocess.run([sys.executable, "-m", "engine"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "after 30 epochs: train loss" in result.stdout and result.stderr == ""
