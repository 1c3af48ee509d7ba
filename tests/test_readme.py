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


RUSSIAN = (ROOT / "README.ru.md").read_text(encoding="utf-8")


def blocks_of(text):
    """Each code block's lines as commands and code: without comments, the words after a wide gap or a colon."""
    return [[re.split(r"\s{2,}|#|: ", line.strip())[0] for line in block.splitlines()]
            for block in re.findall(r"```\w*\n(.*?)```", text, flags=re.S)]


def test_the_russian_readme_is_linked_first_and_has_the_same_sections_images_and_commands():
    assert "README.ru.md" in README.split("\n## ")[0].splitlines()[2]  # right under the title
    assert "README.md" in RUSSIAN.split("\n## ")[0]
    headings = re.compile(r"^#+ ", re.M)
    assert [len(h) for h in headings.findall(README)] == [len(h) for h in headings.findall(RUSSIAN)]
    images = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")
    assert images.findall(README) == images.findall(RUSSIAN)
    assert re.search("[а-я]", RUSSIAN) and blocks_of(README) == blocks_of(RUSSIAN)
