"""engine.grade: a correct framework passes; every catalogued mistake is caught in its own module and named."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.grade import grade
from engine.grade.catalogue import CATALOGUE
from engine.grade.grader import MODULES
from engine.grade.grader import NEWER as NEWER_MODULES
from viz.grade_table import grade_table

from tests.grade.homeworks import camel_case_source

HERE = Path(__file__).parent
HOMEWORK = HERE / "homework_ok.py"
NEWER = HERE / "homework_cnn.py"  # Conv2d, MaxPool2d and adam_optimizer, which older homework lacks


def namespace(older=False, **replaced):
    found = {}
    for path in (HOMEWORK,) if older else (HOMEWORK, NEWER):
        exec(compile(path.read_text(), str(path), "exec"), found)
    found.update(replaced)
    return found


def failing_modules(report):
    return sorted({r.module for r in report.failures})


def test_a_correct_framework_passes_every_check_of_every_module():
    report = grade(namespace())
    assert report.failures == [] and report.counts()["missing"] == 0
    assert {r.module for r in report.results} == set(MODULES) | {"training"}
    assert report.counts()["pass"] >= 90
    assert "the handout's methods" in report.convention and "(n_in, n_out)" in report.convention


@pytest.mark.parametrize("bug", CATALOGUE, ids=lambda m: f"{m.module}-{m.key}")
def test_every_catalogue_entry_is_caught_in_its_own_module_and_diagnosed_as_itself(bug):
    name = {"SGD": "sgd_momentum", "Adam": "adam_optimizer"}.get(bug.module, bug.module)
    report = grade(namespace(**{name: bug.variant}))
    flagged = [r for r in report.results if r.status in ("fail", "warn")]  # right numbers with a warning: warn
    assert sorted({r.module for r in flagged}) in ([bug.module], sorted([bug.module, "training"]))
    first = next(r for r in flagged if r.module == bug.module)
    assert first.misconception == bug.key, (first.check, first.detail, first.diagnosis)
    assert bug.title in first.diagnosis and bug.formula in first.diagnosis


def test_the_catalogue_has_at_least_two_entries_for_every_module_with_a_backward_criterion_and_sgd():
    counts = {module: sum(m.module == module for m in CATALOGUE) for module in MODULES}
    assert min(counts.values()) >= 2, counts
    assert len({(m.module, m.key) for m in CATALOGUE}) == len(CATALOGUE)


STUDENT_BUGS = [  # (module, the correct line, the student's line, a word the diagnosis must hold)
    ("Linear", "self.gradW[...] = input.T @ grad_output", "self.gradW += input.T @ grad_output", "gradW +="),
    ("Linear", "self.gradb[...] = grad_output.sum(axis=0)", "self.gradb[...] = grad_output.mean(axis=0)", "averaged"),
    ("LogSoftMax", "self.grad_input = grad_output - a * grad_output.sum(axis=1, keepdims=True)",
     "grad_output -= a * grad_output.sum(axis=1, keepdims=True)\n        self.grad_input = grad_output",
     "grad_output -="),
    ("ELU", "self.alpha * (np.exp(np.minimum(input, 0)) - 1)", "(np.exp(np.minimum(input, 0)) - 1)", "alpha"),
    ("ReLU", "self.output = np.maximum(input, 0)", "self.output = np.maximum(input, 0, out=input)", "wrote into its input"),
    ("SoftPlus", "self.output = np.logaddexp(0, input)", "self.output = np.log(1 + np.exp(input))", "exp"),
    ("BatchNormalization", "mean, var = input.mean(axis=0), input.var(axis=0)",
     "mean, var = input.mean(axis=0), input.var(axis=0, ddof=1)", "unbiased"),
    ("Dropout", "(np.random.random(input.shape) >= self.p)", "(np.random.random(input.shape) < self.p)", "keep"),
    ("SGD", "current_var -= old_grad", "current_var += old_grad", "ascent"),
    ("SGD", "np.add(config['momentum'] * old_grad, config['learning_rate'] * current_grad, out=old_grad)",
     "old_grad[...] = config['learning_rate'] * current_grad", "momentum"),
    ("NLLCriterionUnstable", "clipped = np.clip(input, self.EPS, 1 - self.EPS)\n        self.output",
     "clipped = input\n        self.output", "clip"),
    ("Sequential", "g = self.modules[i].backward(self.inputs[i], g)", "g = self.modules[i].backward(input, g)",
     "network's input"),
    ("Sequential", "for i in reversed(range(len(self.modules))):", "for i in range(len(self.modules)):", None),
    ("Conv2d", "flipped = self.W[:, :, ::-1, ::-1]", "flipped = self.W", "flipped"),
    ("Conv2d", "self.gradb[...] = grad_output.sum(axis=(0, 2, 3))",
     "self.gradb[...] = grad_output.mean(axis=0).sum(axis=(1, 2))", "gradb"),
    ("MaxPool2d", "winner = self._windows(input).argmax(axis=-1)",
     "winner = self._windows(input).shape[-1] - 1 - self._windows(input)[..., ::-1].argmax(axis=-1)", "last maximum"),
    ("MaxPool2d", "routed = (np.arange(k * k) == winner[..., None]) * grad_output[..., None]",
     "routed = (self._windows(input) == self.output[..., None]) * grad_output[..., None]", "every entry equal"),
    ("Adam", "lr_t = config['learning_rate'] * np.sqrt(1 - config['beta2'] ** state['t'])"
             " / (1 - config['beta1'] ** state['t'])", "lr_t = config['learning_rate']", "bias correction"),
]


@pytest.mark.parametrize("module, right, wrong, word", STUDENT_BUGS, ids=[f"{b[0]}-{i}" for i, b in enumerate(STUDENT_BUGS)])
def test_bugs_written_as_a_student_writes_them_are_located_in_their_module(tmp_path, module, right, wrong, word):
    source = HOMEWORK.read_text() + "\n\n" + NEWER.read_text()
    assert right in source
    path = tmp_path / "homework.py"
    path.write_text(source.replace(right, wrong, 1))
    report = grade(str(path))
    assert module in failing_modules(report) and set(failing_modules(report)) <= {module, "training"}
    first = next(r for r in report.failures if r.module == module)
    if word:
        assert word in f"{first.check} {first.diagnosis}", (first.check, first.diagnosis)


def test_a_half_done_homework_is_graded_with_the_missing_modules_as_missing():
    found = namespace()
    for name in ("BatchNormalization", "SoftPlus", "NLLCriterionUnstable"):
        del found[name]
    report = grade(found)
    assert report.failures == []
    assert sorted(r.module for r in report.results if r.status == "missing") == [
        "BatchNormalization", "NLLCriterionUnstable", "SoftPlus"]


def test_an_older_homework_without_the_image_layers_and_adam_has_them_missing_not_failing():
    report = grade(namespace(older=True))
    assert report.failures == []
    assert sorted(r.module for r in report.results if r.status == "missing") == sorted(NEWER_MODULES)
    assert all("older homework" in r.detail for r in report.results if r.status == "missing")


def test_the_camel_case_convention_with_w_transposed_is_detected_and_passes(tmp_path):
    path = tmp_path / "hw_camel.py"
    path.write_text(camel_case_source())
    report = grade(str(path))
    assert "camelCase" in report.convention and "(n_out, n_in)" in report.convention
    assert report.failures == [] and report.counts()["missing"] == 0


def test_a_bug_in_the_camel_case_convention_is_located_too(tmp_path):
    path = tmp_path / "hw_camel.py"
    path.write_text(camel_case_source().replace("self.gradb[...] = grad_output.sum(axis=0)",
                                                "self.gradb[...] = grad_output.mean(axis=0)"))
    first = grade(str(path)).failures[0]
    assert (first.module, first.check, first.misconception) == ("Linear", "grad b", "bias_mean")


def test_a_notebook_runs_its_code_cells_in_order_skipping_magics_and_reports_a_cell_that_raises(tmp_path):
    cells = ["%matplotlib inline\nimport numpy as np", "!pip install nothing", HOMEWORK.read_text(),
             "raise RuntimeError('a plotting cell that fails')", "%%time\nthis is not python", "x = 1"]
    notebook = {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": []} for source in cells]
                + [{"cell_type": "markdown", "source": "# notes"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "homework.ipynb"
    path.write_text(json.dumps(notebook))
    report = grade(str(path))
    assert [(r.module, r.check) for r in report.failures] == [("notebook", "cell 4 runs")]
    assert "a plotting cell that fails" in report.failures[0].detail


def test_the_command_line_prints_json_and_exits_1_on_a_failure(tmp_path):
    path = tmp_path / "homework.py"
    path.write_text(HOMEWORK.read_text().replace("current_var -= old_grad", "current_var += old_grad"))
    done = subprocess.run([sys.executable, "-m", "engine.grade", str(path), "--json"], capture_output=True, text=True,
                          cwd=HERE.parent.parent)
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    assert set(found) >= {"convention", "results"}
    sgd = [r for r in found["results"] if r["module"] == "SGD" and r["status"] == "fail"]
    assert sgd and "ascent" in sgd[0]["diagnosis"] and {"check", "status", "diagnosis"} <= set(sgd[0])
    assert {r["status"] for r in found["results"]} <= {"pass", "fail", "missing"}
    complete = tmp_path / "hw_complete.py"
    complete.write_text(HOMEWORK.read_text() + "\n\n" + NEWER.read_text())
    for path, missing in ((complete, 0), (HOMEWORK, len(NEWER_MODULES))):  # older homework: the newer ones missing
        ok = subprocess.run([sys.executable, "-m", "engine.grade", str(path)], capture_output=True, text=True,
                            cwd=HERE.parent.parent)
        assert ok.returncode == 0 and re.search(rf"0 failed, {missing} missing, \d+ passed", ok.stdout), ok.stdout


def test_a_report_is_the_same_on_every_run_and_its_table_lists_failures_first():
    buggy = namespace(ReLU=next(m.variant for m in CATALOGUE if m.key == "passes_all"))
    first, second = grade(buggy), grade(buggy)
    assert first.json() == second.json()
    table = grade_table(first)
    assert table["status"].iloc[0] == "fail" and table["module"].iloc[0] == "ReLU"
    assert "<table" in first._repr_html_() and "1 failed" in first._repr_html_()


def test_the_failure_names_the_first_differing_entry_and_the_errors():
    bug = next(m for m in CATALOGUE if m.key == "bias_mean")
    result = next(r for r in grade(namespace(Linear=bug.variant)).failures if r.check == "grad b")
    assert len(result.index) == 1 and result.mine is not None and result.expected is not None
    assert result.mine == pytest.approx(result.expected / 7)  # batch 7: averaged instead of summed
    assert result.max_abs_error > 0 and result.max_rel_error == pytest.approx(6 / 7, rel=1e-6)


def test_the_dropout_bound_fails_a_correct_layer_less_than_once_in_a_million_runs():
    import math

    from engine.grade import dropout_checks

    bounds = 4  # three p's and the p changed between calls
    assert bounds * math.erfc(dropout_checks.Z / math.sqrt(2)) < 1e-6
    n, p = 100_000, 0.2
    assert dropout_checks.zeros_bound(n, p) < 0.01 * n  # still tight: p taken as 1 - p is far outside it
