"""README.md: its Python examples run as written, and CI runs its test command verbatim."""
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_python_examples_run():
    blocks = code_blocks("python")
    assert len(blocks) >= 3
    namespace = {}
    np.random.seed(0)  # the examples use np.random's global state, as the handout does
    for block in blocks:  # later blocks continue the earlier ones, as a reader would run them
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["loss"] <= 0.1  # the handout's example reaches the course's target


def test_ci_runs_the_readme_test_command():
    commands = [block.strip() for block in code_blocks("") if "pytest" in block]
    assert len(commands) == 1, "README.md must give exactly one test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[0] in ci.splitlines()
