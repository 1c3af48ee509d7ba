"""backprop-lens grade-class on a folder of correct, buggy and hostile submissions: the batch always finishes
with every student's row, each hostile one marked error with its reason, and its outputs in the courses' formats."""
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest
from junitparser import JUnitXml

from classgrade.batch import main
from tests.grade.homeworks import HOMEWORK, NEWER

ROOT = Path(__file__).resolve().parents[2]
GOOD = HOMEWORK.read_text()
FORWARD = "        self.output = input @ self.W + self.b\n"
MARKER = f"orphan-{uuid.uuid4().hex}"
HOSTILE = {
    "loops_in_import": "while True:\n    pass\n",
    "loops_in_forward": GOOD.replace(FORWARD, "        while True:\n            pass\n"),
    "prints_100_mb": "import sys\nsys.stdout.write('x' * 100_000_000)\n",
    "sys_exit": "import sys\nsys.exit(0)\n",
    "os_exit": "import os\nos._exit(0)\n",
    "allocates_30_gb": "x = bytearray(30 * 2 ** 30)\n",
    "segfaults": "import ctypes\nctypes.string_at(0)\n",
}


def notebook(source):
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": source}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def write_class(folder, extra=()):
    folder.mkdir()
    (folder / "correct.py").write_text(GOOD + "\n\n" + NEWER.read_text())
    (folder / "buggy.ipynb").write_text(notebook(GOOD.replace("current_var -= old_grad", "current_var += old_grad")))
    (folder / "in_a_folder").mkdir()
    (folder / "in_a_folder" / "homework.py").write_text(GOOD)
    for name, source in [*HOSTILE.items(), *extra]:
        (folder / f"{name}.py").write_text(source)


def grade_class(tmp, sandbox, extra=()):
    write_class(tmp / "subs", extra)
    code = main([str(tmp / "subs"), "--out", str(tmp / "out"), "--jobs", "2", "--timeout", "15",
                 "--sandbox", sandbox])
    assert code == 0
    return pd.read_csv(tmp / "out" / "gradebook.csv").set_index("id"), tmp / "out"


def network_and_writes(tmp):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    outside = tmp / "outside.txt"
    forks = ("import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # "
             f"{MARKER}'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    extra = [("opens_a_connection", f"import socket\nsocket.create_connection(('127.0.0.1', "
                                    f"{server.getsockname()[1]}), timeout=2)\n" + GOOD),
             ("writes_outside", f"open({str(outside)!r}, 'w').write('x')\n" + GOOD),
             ("forks", forks + GOOD)]
    return server, outside, extra


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """The class graded under bwrap (which .ci/run installs)."""
    if shutil.which("bwrap") is None and not os.environ.get("CI"):
        pytest.skip("bwrap is not installed")
    tmp = tmp_path_factory.mktemp("sealed")
    server, outside, extra = network_and_writes(tmp)
    book, out = grade_class(tmp, "bwrap", extra)
    try:
        server.accept()
        reached = True
    except TimeoutError:
        reached = False
    server.close()
    return book, out, reached, outside


def row(book, student):
    return book.loc[student]


def test_every_student_has_a_row_and_the_correct_ones_full_marks(sealed):
    book, out, _, _ = sealed
    assert set(book.index) == {"correct", "buggy", "in_a_folder", *HOSTILE, "opens_a_connection", "writes_outside",
                               "forks"}
    assert book.loc["correct", "score"] == book.loc["correct", "max_score"] == 16
    assert (book.loc["correct", ["Linear", "Conv2d", "Adam", "training"]] == "pass").all()
    assert book.loc["in_a_folder", "score"] == 16 and book.loc["in_a_folder", "Conv2d"] == "missing"
    assert pd.isna(book.loc["correct", "error"]) and book.loc["correct", "sandbox"] == "bwrap"


def test_a_buggy_notebook_fails_its_module_and_names_the_first_failure(sealed):
    book = sealed[0]
    assert book.loc["buggy", "SGD"] == "fail" and book.loc["buggy", "score"] == 15
    assert book.loc["buggy", "first_failure"].startswith("SGD:") and pd.isna(book.loc["buggy", "error"])


def test_a_submission_looping_forever_in_its_import_is_an_error(sealed):
    assert "import" in row(sealed[0], "loops_in_import")["error"]
    assert row(sealed[0], "loops_in_import")["Linear"] == "error"


def test_a_submission_looping_forever_in_a_forward_has_that_module_in_error(sealed):
    found = row(sealed[0], "loops_in_forward")
    assert found["Linear"] == "error" and "did not finish" in found["error"] and found["ReLU"] == "pass"


def test_a_submission_printing_100_mb_is_an_error(sealed):
    assert row(sealed[0], "prints_100_mb")["error"] == "printed more than 1 MB on its stderr"


@pytest.mark.parametrize("student,reason", [("sys_exit", "SystemExit"), ("os_exit", "exit code 0")])
def test_a_submission_exiting_at_import_is_an_error(sealed, student, reason):
    found = row(sealed[0], student)
    assert found["error"].startswith(f"cannot grade {student}.py") and reason in found["error"]
    assert found["score"] == 0 and found["Linear"] == "error"


def test_a_submission_allocating_30_gb_is_an_error(sealed):
    assert "MemoryError" in row(sealed[0], "allocates_30_gb")["error"]


def test_a_submission_killing_itself_with_sigsegv_is_an_error(sealed):
    assert "SIGSEGV" in row(sealed[0], "segfaults")["error"]


def test_a_connection_is_refused_and_never_reaches_the_server(sealed):
    book, _, reached, _ = sealed
    assert not reached and "ConnectionRefusedError" in row(book, "opens_a_connection")["error"]


def test_a_write_outside_its_folder_is_refused(sealed):
    book, _, _, outside = sealed
    assert not outside.exists() and "Read-only file system" in row(book, "writes_outside")["error"]


def test_children_forked_by_a_submission_do_not_outlive_the_batch(sealed):
    assert row(sealed[0], "forks")["score"] == 16  # its own PID namespace took them away with it
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _holds(p, MARKER)]


def _holds(proc, marker):
    try:
        return marker.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_the_reports_name_the_sandbox_and_the_gradescope_results_follow_the_schema(sealed):
    out = sealed[1]
    assert "sandbox: bwrap" in (out / "correct" / "report.md").read_text()
    assert "0 failed" in (out / "correct" / "report.md").read_text()
    for student in ("correct", "buggy", "os_exit"):
        results = json.loads((out / student / "results.json").read_text())
        assert set(results) == {"score", "output", "tests"}
        assert isinstance(results["score"], (int, float)) and isinstance(results["output"], str)
        for number, test in enumerate(results["tests"], 1):
            assert set(test) == {"name", "number", "score", "max_score", "status", "output", "output_format",
                                 "visibility"}
            assert isinstance(test["name"], str) and test["number"] == str(number)
            assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
            assert test["status"] in ("passed", "failed") and test["output_format"] == "text"
            assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    buggy = json.loads((out / "buggy" / "results.json").read_text())
    assert buggy["score"] == 15 and [t["name"] for t in buggy["tests"] if t["status"] == "failed"][0] == "SGD"


def test_the_junit_file_parses_with_a_junit_reader(sealed):
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(sealed[1] / "junit.xml"))}
    assert len(suites) == 13
    assert suites["correct"].tests == 118 and suites["correct"].failures == 0
    assert suites["buggy"].failures >= 1 and suites["segfaults"].errors == 1
    cases = [case for case in suites["buggy"] if case.classname == "buggy.SGD" and not case.is_passed]
    assert cases and cases[0].result[0].message


def test_without_bwrap_the_batch_finishes_and_names_the_missing_protections(tmp_path):
    server, outside, extra = network_and_writes(tmp_path)
    (tmp_path / "subs").mkdir()
    for name, source in extra:
        (tmp_path / "subs" / f"{name}.py").write_text(source)
    log = subprocess.run([sys.executable, "-m", "ui.cli", "grade-class", str(tmp_path / "subs"), "--out",
                          str(tmp_path / "out"), "--sandbox", "none", "--timeout", "15"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    server.close()
    assert log.returncode == 0, log.stderr
    book = pd.read_csv(tmp_path / "out" / "gradebook.csv").set_index("id")
    assert (book["sandbox"] == "none").all() and len(book) == 3
    assert "left 1 process running" in book.loc["forks", "error"]
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _holds(p, MARKER)]
    assert "without bubblewrap, these protections were missing: a read-only file system" in log.stderr
    assert "sandbox: none (without: a read-only file system" in (tmp_path / "out" / "writes_outside" /
                                                                 "report.md").read_text()
