"""The rubric's points and visibility, copies found by copydetect, and `backprop-lens grade --format`."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from junitparser import JUnitXml

from classgrade.copies import similarity
from classgrade.formats import gradescope
from classgrade.rubric import HANDOUT, Rubric
from classgrade.submission import Graded
from engine.grade.report import Report
from engine.grade.verdict import Result
from tests.grade.homeworks import HOMEWORK

ROOT = Path(__file__).resolve().parents[2]


def graded(*results):
    return Graded("ann", Report("snake", [Result(*r) for r in results]), sandbox="bwrap")


def test_by_default_each_handout_module_is_one_point_and_the_newer_ones_extra():
    found = gradescope(graded(("Linear", "forward", "pass"), ("Linear", "grad W", "warn"),
                              ("ClassNLLCriterion", "forward", "fail"), ("Conv2d", "forward", "pass")), Rubric())
    tests = {test["name"]: test for test in found["tests"]}
    assert tests["Linear"]["score"] == 1 and tests["Linear"]["status"] == "passed"
    assert tests["NLLCriterion"]["score"] == 0 and "FAIL ClassNLLCriterion: forward" in tests["NLLCriterion"]["output"]
    assert tests["Conv2d (extra)"]["max_score"] == 0 and found["score"] == 1
    assert sum(test["max_score"] for test in found["tests"]) == len(HANDOUT) == 16
    assert found["output"].endswith("sandbox: bwrap")


def test_a_rubric_sets_points_per_module_and_check_which_count_and_visibility(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text('visibility = "after_published"\n[modules]\nLinear = 2\nConv2d = 3\n'
                    '[modules.Sequential]\nchecks = { "forward" = 1, "backward" = 2 }\nvisibility = "hidden"\n')
    rubric = Rubric.load(path)
    assert rubric.max_score == 8
    found = gradescope(graded(("Linear", "forward", "pass"), ("Conv2d", "forward", "fail"),
                              ("Sequential", "forward", "pass"), ("Sequential", "backward", "fail"),
                              ("ReLU", "forward", "pass")), rubric)
    tests = {test["name"]: test for test in found["tests"]}
    assert (tests["Linear"]["score"], tests["Conv2d"]["score"], tests["Sequential"]["score"]) == (2, 0, 1)
    assert tests["Sequential"]["max_score"] == 3 and tests["Sequential"]["visibility"] == "hidden"
    assert tests["Linear"]["visibility"] == "after_published" and tests["ReLU (extra)"]["max_score"] == 0
    assert found["score"] == 3
    path.write_text('[modules]\nLinear = { visibility = "sometimes" }\n')
    with pytest.raises(ValueError, match="visibility"):
        Rubric.load(path)


def reordered_copy(source):
    """The same code with its classes in the reverse order and its names changed."""
    head, *classes = source.split("\nclass ")
    copy = head + "".join("\nclass " + c for c in reversed(classes))
    for old, new in (("input", "x_in"), ("grad_output", "g_out"), ("self.output", "self.result"), ("W", "weights")):
        copy = copy.replace(old, new)
    return copy


def test_a_renamed_reordered_copy_is_flagged_and_independent_code_is_not(tmp_path):
    files = {"orig": HOMEWORK, "copy": tmp_path / "copy.py", "one": ROOT / "engine" / "grade" / "report.py",
             "two": ROOT / "engine" / "grade" / "watch.py"}
    files["copy"].write_text(reordered_copy(HOMEWORK.read_text()))
    (tmp_path / "out").mkdir()
    table = similarity(files, tmp_path / "out")
    assert [sorted(pair) for pair in zip(table["student"], table["other"])] == [["copy", "orig"]]
    assert table["score"].iloc[0] > 0.8 and table["student_lines"].iloc[0]
    assert pd.read_csv(tmp_path / "out" / "similarity.csv").shape[0] == 1
    assert "copy" in (tmp_path / "out" / "similarity.html").read_text()
    (tmp_path / "out2").mkdir()  # the handout's own code is not counted as copied
    assert similarity(files, tmp_path / "out2", handout=HOMEWORK).empty


def test_grade_format_prints_one_students_result_for_gradescope_and_junit(tmp_path):
    homework = tmp_path / "homework.py"
    homework.write_text(HOMEWORK.read_text().replace("current_var -= old_grad", "current_var += old_grad"))
    command = [sys.executable, "-m", "ui.cli", "grade", str(homework)]
    found = subprocess.run(command + ["--format", "gradescope"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert found.returncode == 1, found.stderr
    results = json.loads(found.stdout)
    assert results["score"] == 15 and {t["name"]: t["status"] for t in results["tests"]}["SGD"] == "failed"
    found = subprocess.run(command + ["--format=junit"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    (tmp_path / "junit.xml").write_text(found.stdout)
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "junit.xml"))))
    assert suite.name == "homework" and suite.failures >= 1
