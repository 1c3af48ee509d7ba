"""The grader against hostile and careless homework: it never reports a pass it did not check, never hangs,
prints one JSON object with --json, refuses what it cannot load in one line, and blames only what failed."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.grade import grade
from engine.grade.load import CannotGrade
from engine.grade.runner import Limits
from tests.e2e.server import gone, process_tree
from tests.grade.homeworks import HOMEWORK, NEWER, camel_case_source

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = HOMEWORK.read_text() + "\n\n" + NEWER.read_text()
RELU = "        self.output = np.maximum(input, 0)\n"
SOFTMAX = "        e = np.exp(input - input.max(axis=1, keepdims=True))\n"
QUICK = Limits(check=2, cell=2, grace=2)  # a hanging call is stopped after 2 s, killed 2 s later


def homework(tmp_path, *replaced, before="", after="", source=FRAMEWORK, name="homework.py"):
    """The correct framework with (old, new) lines replaced, written to tmp_path/name."""
    for old, new in replaced:
        assert old in source
        source = source.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(before + source + after)
    return path


def notebook(tmp_path, cells, name="homework.ipynb"):
    """cells: (source, execution count or None) of code cells, or a plain string for a Markdown cell."""
    found = [{"cell_type": "markdown", "metadata": {}, "source": cell} if isinstance(cell, str) else
             {"cell_type": "code", "metadata": {}, "outputs": [], "source": cell[0], "execution_count": cell[1]}
             for cell in cells]
    path = tmp_path / name
    path.write_text(json.dumps({"cells": found, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def cli(*args, cwd=ROOT, module="engine.grade"):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def strict(text):
    """json.loads as a strict parser: NaN and Infinity are refused."""
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def statuses(report, module):
    return {r.check: r.status for r in report.results if r.module == module}


# 23.6: it never exits 0 without grading

@pytest.mark.parametrize("line", ["import sys; sys.exit(0)", "import os; os._exit(0)", "raise KeyboardInterrupt"])
def test_a_file_that_ends_the_program_at_import_cannot_be_graded_exit_2(tmp_path, line):
    done = cli(homework(tmp_path, before=line + "\n"))
    assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
    assert done.stderr.startswith(f"cannot grade {tmp_path / 'homework.py'}: ") and "Traceback" not in done.stderr


@pytest.mark.parametrize("line, said", [("import sys; sys.exit(0)", "raised SystemExit: 0 (homework.py, line"),
                                        ("import os; os._exit(0)", "ended with exit code 0 during SoftMax forward"),
                                        ("raise KeyboardInterrupt", "raised KeyboardInterrupt")])
def test_a_method_that_ends_the_program_fails_its_module_and_the_rest_is_graded(tmp_path, line, said):
    done = cli(homework(tmp_path, (SOFTMAX, f"        {line}\n" + SOFTMAX)), "--json")
    assert done.returncode == 1, done.stderr
    found = strict(done.stdout)
    failed = {r["module"] for r in found["results"] if r["status"] == "fail"}
    assert failed == {"SoftMax"} and found["complete"] is True
    assert any(said in (r["detail"] or "") for r in found["results"] if r["module"] == "SoftMax"), found["results"]
    assert {"ReLU", "SoftPlus", "training"} <= {r["module"] for r in found["results"] if r["status"] == "pass"}


def test_a_notebook_cell_that_calls_sys_exit_is_a_failing_cell_not_a_pass(tmp_path):
    path = notebook(tmp_path, [(FRAMEWORK, 1), ("import sys\nsys.exit(0)", 2), ("import os\nos._exit(0)", 3)])
    report = grade(path)
    cells = {r.check: r for r in report.results if r.module == "notebook"}
    assert cells["cell 2 (In [2]) runs"].status == "fail" and "SystemExit" in cells["cell 2 (In [2]) runs"].detail
    assert cells["cell 3 (In [3]) runs"].status == "fail" and "exit code 0" in cells["cell 3 (In [3]) runs"].detail
    assert not report.passed and report.complete and set(statuses(report, "ReLU").values()) == {"pass"}


# 23.7: a time limit per check; Ctrl-C gives a partial report

def test_a_forward_that_never_returns_is_stopped_failed_and_the_rest_graded(tmp_path):
    report = grade(homework(tmp_path, (RELU, "        while True:\n            pass\n")), limits=QUICK)
    relu = [r for r in report.results if r.module == "ReLU"]
    assert [(r.status, r.detail) for r in relu] == [("fail", "ReLU forward did not finish in 2 s")]
    assert report.complete and {r.module for r in report.failures} == {"ReLU"}
    assert "pass" in statuses(report, "LeakyReLU").values() and "pass" in statuses(report, "SGD").values()


STUBBORN = "10 ** 10 ** 9\n"  # C code that holds the interpreter for minutes: nothing stops it but a kill


def test_code_that_cannot_be_stopped_is_killed_and_a_new_child_carries_on(tmp_path):
    report = grade(homework(tmp_path, (RELU, "        " + STUBBORN)), modules=["ReLU", "ELU"], limits=QUICK)
    assert [(r.module, r.status, r.detail) for r in report.results if r.module == "ReLU"] == [
        ("ReLU", "fail", "ReLU forward did not finish in 2 s")]
    assert set(statuses(report, "ELU").values()) == {"pass"} and report.complete


def looping_grader(tmp_path):
    """`python -m engine.grade` on a homework whose ReLU forward loops, once that loop runs in the grader's child.

    SIGINT is set back to its default for the grader, as a terminal's foreground program has it: a test run started
    in the background by a shell without job control (`pytest &` in a script) inherits it ignored."""
    path = homework(tmp_path, (RELU, "        print('looping', file=__import__('sys').stderr, flush=True)\n"
                                     "        while True:\n            pass\n"))
    process = subprocess.Popen([sys.executable, "-m", "engine.grade", str(path), "--check-time", "300"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while "looping" not in process.stderr.readline():
        assert process.poll() is None
    return process


def test_ctrl_c_prints_the_partial_report_without_a_traceback(tmp_path):
    process = looping_grader(tmp_path)
    child = process_tree(process.pid)[1:]  # the grader's child (its session is its own)
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say what the grader had written, and leave no looping child behind
        for pid in [process.pid, *child]:  # the child has a session of its own, out of the grader's group
            os.kill(pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the grader did not end 60 s after Ctrl-C; its stdout: {out[-1500:]!r}; stderr: {err[-1500:]!r}")
    assert process.returncode == 1 and "Traceback" not in out + err, err
    assert "NOT COMPLETE: stopped by Ctrl-C during ReLU forward; not graded: ReLU, LeakyReLU" in out
    assert "Linear" in out.split("modules with every check passed:")[1]  # what was graded before is reported
    assert child and all(gone(pid) for pid in child)


def test_a_grader_killed_outright_leaves_no_child_running_the_learners_code(tmp_path):
    """A grader killed at once (kill -9, its terminal closed) cannot stop its child: the child, which runs the
    learner's endless loop with a limit of 300 s, notices that no one reads it any more and ends within a
    second or two, instead of taking a core for minutes."""
    process = looping_grader(tmp_path)
    (child,) = process_tree(process.pid)[1:]
    process.kill()
    process.wait()
    deadline = time.monotonic() + 20
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not gone(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the grader's child ran on 20 s after the grader was killed")
    process.communicate(timeout=20)  # nothing holds the grader's pipes any more


def test_the_whole_run_has_a_time_limit_and_the_report_says_what_was_not_graded(tmp_path):
    slow = "        __import__('time').sleep(1.5)\n"  # every call returns within the check's limit, but they add up
    report = grade(homework(tmp_path, (RELU, slow + RELU)), modules=["Linear", "ReLU", "ELU"],
                   limits=Limits(check=3, cell=3, run=4, grace=2))
    assert not report.passed and report.stopped.startswith("the grading run's time limit of 4 s was reached during ReLU")
    assert report.not_graded == ["ReLU", "ELU"] and set(statuses(report, "Linear").values()) == {"pass"}
    assert "NOT COMPLETE: the grading run's time limit" in report.text()


def hanging_relu(body):
    """A namespace whose ReLU forward runs body (the rest of the framework correct)."""
    found = {}
    exec(compile(FRAMEWORK.replace(RELU, body, 1), "homework.py", "exec"), found)
    return found


def test_grade_globals_in_a_notebook_stops_a_hanging_forward_too():
    report = grade(hanging_relu("        while True:\n            pass\n"), modules=["ReLU", "ELU"], limits=QUICK)
    assert [(r.module, r.detail) for r in report.failures] == [("ReLU", "ReLU forward did not finish in 2 s")]
    assert set(statuses(report, "ELU").values()) == {"pass"}


def test_ctrl_c_in_a_notebook_returns_the_partial_report():
    pressed = "        import signal\n        signal.raise_signal(signal.SIGINT)\n"  # as the learner pressing Ctrl-C
    report = grade(hanging_relu(pressed + RELU), modules=["Linear", "ReLU", "ELU"])
    assert report.stopped == "stopped by Ctrl-C during ReLU" and report.not_graded == ["ReLU", "ELU"]
    assert set(statuses(report, "Linear").values()) == {"pass"} and not report.passed


# 23.8: --json is one JSON object

def test_json_is_one_object_whatever_the_homework_prints_and_non_finite_numbers_are_strings(tmp_path):
    path = homework(tmp_path, (RELU, "        print('forward!', input.shape)\n        self.output = input * np.nan\n"),
                    before="print('x' * 3_000_000)\n")
    done = cli(path, "--json")
    found = strict(done.stdout)
    assert done.returncode == 1 and "forward!" in done.stderr and len(done.stderr) > 3_000_000
    relu = next(r for r in found["results"] if r["module"] == "ReLU" and r["check"] == "forward")
    assert relu["mine"] == "NaN" and relu["status"] == "fail"


def test_an_input_prompt_in_a_notebook_goes_to_stderr_and_is_a_warning(tmp_path):
    path = notebook(tmp_path, [(FRAMEWORK, None), ("name = input('your name? ')", None)])
    done = cli(path, "--json")
    found = strict(done.stdout)
    cell = next(r for r in found["results"] if r["module"] == "notebook")
    assert cell["status"] == "warn" and "input()" in cell["detail"] and "your name?" in done.stderr
    assert done.returncode == 0 and found["complete"] is True


# 23.9: what cannot be loaded is refused in one line, exit 2

@pytest.mark.parametrize("content, reason", [
    (b'{"cells": [{"cell_type": "code", "source": "x = 1"', "not a complete notebook"),
    (b'{"cells": [], "metadata": {"author": "\xff\xfe"}}', "not UTF-8"),
    (b'{"cells": {"a": 1}}', "not a Jupyter notebook"),
    (b'[1, 2, 3]', "not a Jupyter notebook")], ids=["truncated", "not-utf8", "cells-not-a-list", "a-list"])
def test_a_notebook_that_cannot_be_read_is_refused_in_one_line(tmp_path, content, reason):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(content)
    done = cli(path)
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"cannot grade {path}: ") and reason in done.stderr


@pytest.mark.parametrize("before, reason", [
    ("class Meta(type):\n    def __getattr__(cls, name):\n        raise RuntimeError('no attributes here')\n\n\n"
     "class ReLU(metaclass=Meta):\n    pass\n\n\n", "looking at your classes raised RuntimeError: no attributes here"),
    ("raise MemoryError('at import')\n", "importing it raised MemoryError: at import (homework.py, line 1")])
def test_a_file_whose_classes_cannot_be_looked_at_or_imported_is_refused_in_one_line(tmp_path, before, reason):
    path = homework(tmp_path, before=before) if "Meta" not in before else homework(
        tmp_path, ("class ReLU(Module):", "class ReLU_(Module):"), after="\n\n" + before)
    done = cli(path, "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"cannot grade {path}: {reason}" + done.stderr.split(reason, 1)[1]
    assert done.stderr.count("\n") == 1 and strict(done.stdout) == {"cannot_grade": done.stderr.strip()}


# 23.10: the learner's exception, where it came from, and no contract diagnosis

def test_a_raising_method_shows_its_exception_and_line_and_no_other_diagnosis(tmp_path):
    report = grade(homework(tmp_path, (RELU, "        raise MemoryError('no room')\n")), modules=["ReLU"])
    line = FRAMEWORK.splitlines().index(RELU.rstrip("\n")) + 1
    relu = [r for r in report.results if r.module == "ReLU"]
    assert relu and all(r.status == "fail" for r in relu)
    assert {r.detail for r in relu} == {f"raised MemoryError: no room (homework.py, line {line}, in update_output)"}
    assert all(r.diagnosis is None for r in relu)


def test_a_scaling_without_parameters_gets_no_contract_diagnosis(tmp_path):
    path = homework(tmp_path, ("        return [self.gamma, self.beta]\n", "        return []\n"))
    scaling = [r for r in grade(path, modules=["Scaling"]).results if r.status == "fail"]
    assert scaling and all("get_parameters() returned 0 arrays" in r.detail for r in scaling)
    assert all(r.diagnosis is None for r in scaling), [r.diagnosis for r in scaling]


# 23.11 and 19.14: warnings belong to the method that raised them; right numbers with a warning are a warning

SOFTPLUS_FORWARD = "        self.output = np.logaddexp(0, input)\n"
SOFTPLUS_BACKWARD = "        self.grad_input = grad_output / (1 + np.exp(-np.clip(input, -500, 500)))\n"


def test_an_exact_forward_that_warns_warns_its_own_check_only(tmp_path):
    exact = "        self.output = np.where(input > 30, input, np.log1p(np.exp(input)))\n"
    report = grade(homework(tmp_path, (SOFTPLUS_FORWARD, exact)), modules=["SoftPlus"])
    assert statuses(report, "SoftPlus")["stable forward"] == "warn"
    assert statuses(report, "SoftPlus")["stable grad_input"] == "pass"
    assert report.passed and "overflow" in next(r.detail for r in report.results if r.status == "warn")


def test_a_correct_softplus_whose_backward_overflows_is_a_warning_with_exit_0(tmp_path):
    path = homework(tmp_path, (SOFTPLUS_BACKWARD, "        self.grad_input = grad_output / (1 + np.exp(-input))\n"))
    done = cli(path, "--json")
    assert done.returncode == 0, done.stdout
    softplus = [r for r in strict(done.stdout)["results"] if r["module"] == "SoftPlus" and r["status"] != "pass"]
    assert [(r["check"], r["status"]) for r in softplus] == [("stable grad_input", "warn")]
    assert "log(1 + exp(x))" not in json.dumps(softplus) and "numbers are right" in softplus[0]["diagnosis"]



def test_a_backward_that_fails_is_never_diagnosed_with_a_mistake_of_the_forward(tmp_path):
    """A SoftPlus whose forward is right and whose backward is 1.5 times too large: only backward checks fail, and
    no diagnosis names a forward mistake (such as log(1 + exp(x)) computed directly)."""
    path = homework(tmp_path, (SOFTPLUS_BACKWARD, "        self.grad_input = grad_output / (1 + np.exp(-input)) * 1.5\n"))
    failed = grade(path, modules=["SoftPlus"]).failures
    assert failed and all("forward" not in r.check for r in failed), [r.check for r in failed]
    assert all("log(1 + exp(x))" not in (r.diagnosis or "") for r in failed), [r.diagnosis for r in failed]



def test_a_failing_training_blames_only_the_failing_modules_it_is_made_of(tmp_path):
    """Linear's gradW and SoftPlus both wrong: the training (Linear, LogSoftMax, NLL, SGD) fails and says so of
    Linear alone; SoftPlus, which it does not use, fails on its own without being blamed for it."""
    path = homework(tmp_path, ("self.gradW[...] = input.T @ grad_output", "self.gradW[...] = 2 * input.T @ grad_output"),
                    (SOFTPLUS_BACKWARD, "        self.grad_input = grad_output / (1 + np.exp(-input)) * 1.5\n"))
    report = grade(path)
    failed = {r.module for r in report.failures}
    assert {"Linear", "SoftPlus", "training"} <= failed, failed
    (training,) = [r for r in report.failures if r.module == "training"]
    assert "Linear" in training.diagnosis and "SoftPlus" not in training.diagnosis, training.diagnosis


# 19.13: notebooks

def blocked_library(tmp_path, monkeypatch, name):
    """A `name` that cannot be imported (as when it is not installed), whatever this machine has."""
    folder = tmp_path / "blocked"
    (folder / name).mkdir(parents=True)
    message = f"No module named {name!r}"
    (folder / name / "__init__.py").write_text(f"raise ModuleNotFoundError({message!r}, name={name!r})\n")
    monkeypatch.setenv("PYTHONPATH", str(folder))


def test_a_cell_that_fails_only_on_a_missing_plotting_library_is_a_warning(tmp_path, monkeypatch):
    blocked_library(tmp_path, monkeypatch, "matplotlib")
    plots = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()\nPLOTTED = True"
    path = notebook(tmp_path, ["# Homework", (plots, 4), (FRAMEWORK, 5)])
    report = grade(path)
    cell = next(r for r in report.results if r.module == "notebook")
    assert (cell.check, cell.status) == ("cell 2 (In [4]) runs", "warn") and "matplotlib" in cell.detail, cell.detail
    training = next(r for r in report.results if r.module == "training")
    assert report.passed and training.status == "pass" and not training.diagnosis


@pytest.mark.parametrize("library, cell", [
    ("matplotlib", "import matplotlib.pyplot as plt\n%matplotlib inline"),  # the cell: an import alone
    ("IPython", "from IPython.display import display, Markdown\ndisplay(Markdown('**Results**'))\nSHOWN = True"),
    ("tqdm", "from tqdm import tqdm\nfor epoch in tqdm(range(3)):\n    pass"),
])
def test_a_cell_that_fails_only_on_a_missing_display_library_is_a_warning_not_a_failure(tmp_path, monkeypatch,
                                                                                           library, cell):
    """Issue 19, 13: a plotting or display library the grading machine lacks warns about its cell; nothing fails,
    and nothing blames the cells before the checks."""
    blocked_library(tmp_path, monkeypatch, library)
    path = notebook(tmp_path, [(cell, 1), (FRAMEWORK, 2)])
    report = grade(path)
    cells = [r for r in report.results if r.module == "notebook"]
    assert [(r.check, r.status) for r in cells] == [("cell 1 (In [1]) runs", "warn")], cells
    assert library in cells[0].detail, cells[0].detail
    assert report.passed and "fail" not in {r.status for r in report.results}
    assert not any("fix those first" in (r.diagnosis or "") + (r.detail or "") for r in report.results)


def test_cells_are_numbered_as_the_notebook_lists_them_and_a_training_loop_is_stopped(tmp_path):
    framework, training = FRAMEWORK.split("class Flatten(Module):")
    loop = "class Flatten(Module):" + training + "\n\nsteps = 0\nwhile True:\n    steps += 1\n"
    path = notebook(tmp_path, ["# Title", "Some text", (framework, 3), "More", (loop, None), ("undefined_name", 9)])
    report = grade(path, limits=QUICK)
    cells = {r.check: (r.status, r.detail) for r in report.results if r.module == "notebook"}
    assert cells["cell 5 runs"][0] == "warn" and "cell 5 was stopped after 2 s" in cells["cell 5 runs"][1]
    assert cells["cell 6 (In [9]) runs"][0] == "fail" and "NameError" in cells["cell 6 (In [9]) runs"][1]
    assert statuses(report, "Flatten") and "fail" not in statuses(report, "Flatten").values()  # defined before the loop


def test_a_cell_that_cannot_be_stopped_is_killed_and_the_cells_after_it_run(tmp_path):
    path = notebook(tmp_path, [(FRAMEWORK, 1), (STUBBORN, 2), ("AFTER = 1\nclass ReLU:\n    pass", 3)])
    report = grade(path, modules=["ReLU"], limits=QUICK)
    cells = {r.check: (r.status, r.detail) for r in report.results if r.module == "notebook"}
    assert cells["cell 2 (In [2]) runs"] == ("warn", "cell 2 (In [2]) did not finish in 2 s; the cells after it "
                                                     "ran without it")
    assert set(statuses(report, "ReLU").values()) == {"fail"}  # cell 3's ReLU, which has no update_output


def test_results_name_the_learners_own_classes(tmp_path):
    report = grade(homework(tmp_path, source=camel_case_source()), modules=["Scaling", "NLLCriterion", "ReLU"])
    assert {r.module for r in report.results} == {"ChannelwiseScaling", "ClassNLLCriterion", "ReLU"}
    assert report.passed


# 19.15: a learner's own engine.py

def test_a_learners_engine_py_does_not_stop_backprop_lens_grading(tmp_path):
    (tmp_path / "engine.py").write_text(FRAMEWORK)
    path = notebook(tmp_path, [("from engine import *", 1), ("from engine.grade import grade\ngrade(globals())", 2),
                               ("import backprop_lens\nbackprop_lens.grade(globals())", 3)])
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # as when installed; the folder's engine.py comes first
    done = subprocess.run([sys.executable, "-m", "backprop_lens", "grade", path.name], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0 and "0 failed, 0 missing" in done.stdout, done.stdout + done.stderr
    assert "'engine' is not a package" in done.stdout and "backprop_lens.grade(globals())" in done.stdout
    inside = subprocess.run([sys.executable, "-c", "import engine, backprop_lens\n"
                             "print(backprop_lens.grade(vars(engine)).summary(), engine.__file__)"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert inside.stdout.startswith("0 failed, 0 missing"), inside.stderr
    assert str(tmp_path / "engine.py") in inside.stdout  # the learner's engine stayed theirs


def test_backprop_lens_is_a_package_of_the_distribution():
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "backprop_lens*" in include


def test_a_homework_that_raises_at_import_cannot_be_graded_from_the_api_either(tmp_path):
    with pytest.raises(CannotGrade, match="importing it raised ZeroDivisionError"):
        grade(homework(tmp_path, before="1 / 0\n"))
