"""The words a report shows for the grader's ids, in the reader's language: a check, a module, a status, a label.

A Result keeps English ids (its module, check and status are the keys of --json, the rubric's and the
gradebook's names); a report shows them through these functions. A check's name is marked with N_ where the
check is defined (layer_trials.py, loss_trials.py, ...); a notebook cell's label is "cell 5 (In [12])".
"""
import re

from i18n import N_, domain

_, ngettext = domain("grade")

STATUS_LABELS = {"fail": N_("FAIL"), "missing": N_("MISSING"), "warn": N_("WARN"), "pass": N_("PASS")}
STATUS_WORDS = {"fail": N_("fail"), "missing": N_("missing"), "warn": N_("warn"), "pass": N_("pass"),
                "error": N_("error")}  # error: a gradebook's module whose run did not finish (classgrade)
MODULES = {"training": N_("training"), "notebook": N_("notebook")}
CELL = re.compile(r"cell (\d+)((?: \(In \[\d+\]\))?)")
IMPORTING = "importing "  # the label of a .py file's import: "importing homework.py"
RUNS = " runs"  # a notebook cell's check: "cell 5 (In [12]) runs"
GRAD = re.compile(r"grad (\w+)")  # a parameter's gradient: "grad W", "grad gamma" (layer_trials.grads)


def said(text):
    """text in the reader's language (its msgid marked with N_ where it is defined); None and "" as they are."""
    return _(text) if text else text


def status_label(status):
    """"FAIL" (НЕ ПРОЙДЕНО) for "fail": the terminal report's column."""
    return said(STATUS_LABELS.get(status, status))


def status_word(status):
    """"fail" (не пройдено) for "fail": a table's cell."""
    return said(STATUS_WORDS.get(status, status))


def module_name(module):
    """A module as the report names it: the learner's class names as they are, "training" and "notebook" translated."""
    return said(MODULES[module]) if module in MODULES else module


def modules_named(modules):
    return ", ".join(module_name(module) for module in modules)


def label_text(label):
    """What is running, for a sentence: 'cell 5 (In [12])', 'importing hw.py', 'replaying the iteration'; a
    call of the learner's code ('ReLU forward') as it is."""
    if not label:
        return label
    cell = CELL.fullmatch(label)
    if cell:
        return _("cell {number}").format(number=cell[1]) + cell[2]
    if label.startswith(IMPORTING):
        return _("importing {file}").format(file=label[len(IMPORTING):])
    return _(label)


def check_name(check):
    """A check as the report names it: its marked name translated, a notebook cell's "cell 5 runs" too."""
    if check and check.endswith(RUNS) and CELL.fullmatch(check[:-len(RUNS)]):
        return _("{cell} runs").format(cell=label_text(check[:-len(RUNS)]))
    gradient = GRAD.fullmatch(check or "")
    if gradient:
        return _("grad {parameter}").format(parameter=gradient[1])
    return said(check)
