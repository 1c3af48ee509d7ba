"""Predict first: one question per stage about the learner's own recorded numbers, asked before they are shown.

Every answer is the trace's own value (a shape, an entry, which units are zero, a sign, a row sum,
the direction and new value of a weight), so the question is about this iteration and never wrong.
Which kind a stage asks is chosen from the kinds it offers by the iteration's fingerprint, so a new
iteration may ask another.
"""
import hashlib
from dataclasses import dataclass

import numpy as np

from engine.grade.iteration import parse_layer
from i18n import domain

_, ngettext = domain("lab")

RTOL, ATOL = 0.01, 1e-6   # a typed value is right within 1% of it (or 1e-6 near 0)
SAFETY = 1.25             # and within 1.25 times how far the value worked out from the numbers as the cells
                          # print them can be (viz.latex_sums.sum_error)
STEP_RTOL = 0.05          # a weight's new value: within 5% of its step, or typing the old value would do
MAX_CHOICES = 16          # units offered in a "which are zero" question


@dataclass(frozen=True)
class Question:
    """kind, the stage it belongs to, the question (markdown), the widget ("number", "radio", "multiselect"),
    its options, the answer, and the entry it is about ((tensor id, row, column) of the Step page), if any."""
    kind: str
    stage: str
    text: str
    widget: str
    answer: object
    options: tuple = ()
    about: tuple = None
    tol: float = None  # a number's absolute tolerance, stated in the text
    swapped: float = None  # the value of the asked entry with its two indices swapped (for the hint)
    log: bool = False      # a log-probability is asked (LogSoftMax's output): e^answer is the probability


def tolerance(value, error=0.0, step=None):
    """A typed value's tolerance: 1% of it (a weight after its step: 5% of the step), or more where the printed
    numbers it is computed from allow more."""
    if step is not None:
        return max(1e-12, STEP_RTOL * abs(step), SAFETY * float(error or 0.0))
    return max(ATOL, RTOL * abs(value), SAFETY * float(error or 0.0))


def within(tol, printed=True):
    """"(to within ±tol ...)": with printed, that the numbers the cells show (printed in them, or on hover where
    a large matrix prints none) are enough."""
    tol = f"{tol:.2g}"
    if printed:
        return _("(to within ±{tol}, so the numbers the cells show, printed or on hover, are enough)").format(tol=tol)
    return _("(to within ±{tol})").format(tol=tol)


def shown(value, tol=0.0):
    """A number as people read it: 4 significant digits, and 0 for what is zero to the tolerance."""
    value = float(value)
    if abs(value) <= tol or value == 0:
        return "0"
    return f"{value:.4g}".replace("-", "−")


def largest(array):
    """The index of the entry of largest magnitude (the by-hand entry's default)."""
    a = np.abs(np.nan_to_num(np.asarray(array, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0))
    return tuple(int(i) for i in np.unravel_index(np.argmax(a), a.shape)) if a.size else ()


def cell(array, index):
    """(row, column) of index in the Step page's matrix view of array ((n,) is one row)."""
    return (0, index[0]) if np.ndim(array) == 1 else (index[0], int(np.ravel_multi_index(index[1:], np.shape(array)[1:])))


def shape_text(shape):
    return " × ".join(map(str, shape)) if shape else _("a scalar")


def shape_question(stage, what, shape, wrong, about):
    options = sorted({shape_text(shape), *[shape_text(s) for s in wrong if tuple(s) != tuple(shape)]})
    return Question("shape", stage, _("What is the shape of **{what}**?")
                                    .format(what=what), "radio", shape_text(shape), tuple(options),
                    about)


def swapped_entry(array, index):
    """The value of the entry with its two indices swapped, when that is another entry of the array."""
    array = np.asarray(array)
    if array.ndim != 2 or len(index) != 2 or index[0] == index[1]:
        return None
    row, col = index[1], index[0]
    return float(array[row, col]) if row < array.shape[0] and col < array.shape[1] else None


def value_question(stage, what, array, tensor_id, error=None, log=False):
    """What is what[index]? of the largest entry; error(tensor id, index): how far a value worked out from the
    printed numbers can be from it (None: 1% of it)."""
    index = largest(array)
    value = float(np.asarray(array)[index])
    where = f"[{', '.join(map(str, index))}]"
    tol = tolerance(value, error(tensor_id, index) if error else 0.0)
    text = _("What is **{what}{where}**? {within}").format(what=what, where=where, within=within(tol))
    return Question("value", stage, text, "number", value,
                    about=(tensor_id, *cell(array, index)), tol=tol, swapped=swapped_entry(array, index), log=log)


def sign_question(stage, what, array, tensor_id):
    index = largest(array)
    value = float(np.asarray(array)[index])
    signs = (_("positive"), _("negative"), _("zero"))  # the options as the learner reads them; the answer is one
    sign = signs[0] if value > 0 else signs[1] if value < 0 else signs[2]
    text = _("Is **{what}[{index}]** positive, negative or zero?").format(what=what, index=", ".join(map(str, index)))
    return Question("sign", stage, text, "radio", sign, signs, (tensor_id, *cell(array, index)))


def forward_questions(trace, stage, error=None):
    record = trace.forward[stage.index]
    kind, args = parse_layer(record.name)
    x, y, s = record.input, record.output, str(stage)
    found = [shape_question(s, _("layer {index}'s output y ({name})")
                               .format(index=stage.index, name=record.name), y.shape,
                            [x.shape, y.shape[::-1], (y.shape[-1],), (1,) + y.shape[1:]], ("output", 0, 0))]
    if y.size:  # on maps too: a Conv2d's y[n, o, i, j] is the by-hand sum over (c, p, q)
        found.append(value_question(s, "y", y, "output", error, log=kind == "LogSoftMax"))
    if kind == "ReLU" and y.ndim == 2 and 0 < y.shape[1] <= MAX_CHOICES:
        zero = tuple(int(j) for j in np.flatnonzero(y[0] == 0))
        found.append(Question("zeros", s, _("Which units of sample 0 does ReLU set to **zero**? (choose all)"),
                              "multiselect", zero, tuple(range(y.shape[1])), ("output", 0, 0)))
    if kind == "Dropout" and y.ndim == 2 and not np.array_equal(x, y):
        kept = int(np.count_nonzero(y[0] != 0))
        text = ngettext("How many of the {n} unit of row 0 does Dropout keep (leave nonzero)?",
                        "How many of the {n} units of row 0 does Dropout keep (leave nonzero)?", y.shape[1])
        found.append(Question("kept", s, text.format(n=y.shape[1]), "number", float(kept), about=("output", 0, 0),
                              tol=0.5))
    if kind == "SoftMax" and y.ndim == 2:
        found.append(Question("row_sum", s, _("What does each row of SoftMax's output sum to? {within}").format(
                                  within=within(1e-6, False)),
                              "number", float(np.sum(y[0])), about=("output", 0, 0), tol=1e-6))
    return found


def backward_questions(trace, stage, error=None):
    record = trace.backward_record(stage.index)
    kind = parse_layer(record.name)[0]
    s, gi = str(stage), record.grad_input
    found = [sign_question(s, "∂L/∂x", gi, "grad_input")] if np.size(gi) else []
    for name, grad in record.grad_params.items():
        found.append(shape_question(s, _("∂L/∂{name} of layer {index}")
                                       .format(name=name, index=stage.index), grad.shape,
                                    [np.shape(grad)[::-1], (len(trace.forward[0].input),) + np.shape(grad),
                                     (1,) + np.shape(grad)],
                                    (f"grad:{name}", 0, 0)))
        found.append(value_question(s, f"∂L/∂{name}", grad, f"grad:{name}", error))
    if kind == "LogSoftMax" and np.ndim(gi) == 2:
        found.append(Question("row_sum", s, _("What does each row of LogSoftMax's grad_input sum to? {within}")
                              .format(within=within(1e-6, False)),
                              "number", float(np.sum(gi[0])), about=("grad_input", 0, 0), tol=1e-6))
    return found


def update_questions(trace, stage, error=None):
    found = []
    for update in trace.update_records(stage.index):
        index = largest(update.step) if np.size(update.step) else ()
        if not index:
            continue
        before, after = float(update.before[index]), float(update.after[index])
        where = f"{update.param}[{', '.join(map(str, index))}]"
        directions = (_("up"), _("down"), _("stays"))
        direction = directions[0] if after > before else directions[1] if after < before else directions[2]
        about = (f"after:{update.param}", *cell(update.after, index))
        found.append(Question("direction", str(stage), _("Does **{where}** (now {now}) move up, down, or stay?")
                                                       .format(
            where=where, now=shown(before)), "radio", direction, directions, about))
        tol = tolerance(after, step=after - before)
        text = _("What is **{where}** after the step (now {now})? (to within ±{tol})").format(
            where=where, now=f"{before:.10g}", tol=f"{tol:.2g}")
        found.append(Question("new_value", str(stage), text, "number", after, about=about, tol=tol))
    return found


def loss_questions(trace, stage, error=None):
    loss = float(trace.loss)
    tol = tolerance(loss, error("loss", ()) if error else 0.0)
    found = [Question("loss", str(stage), _("What is the loss L ({criterion})? {within}").format(
                          criterion=trace.criterion, within=within(tol)),
                      "number", loss, tol=tol)]
    if np.size(trace.loss_grad):
        found.append(sign_question(str(stage), "∂L/∂ŷ", trace.loss_grad, "loss_grad"))
    return found


def questions(trace, stage, error=None):
    """Every question the stage can ask, about the trace's own numbers; error(tensor id, index): how far a
    value worked out from the printed numbers can be from an entry (the tolerance follows), None: 1% of it."""
    with np.errstate(all="ignore"):
        return {"forward": forward_questions, "backward": backward_questions, "update": update_questions,
                "loss": loss_questions}[stage.kind](trace, stage, error)


def question(trace, stage, seed="", error=None, readable=None):
    """The stage's one question: chosen among its kinds by seed (the iteration's fingerprint) and the stage.
    error: as in questions; readable: None, or a predicate on a Question; a value question (an entry's value,
    a weight's new value) it refuses is not asked (presenter mode: a class cannot read an entry off a heatmap
    without its numbers; else: no sum of 128 hovered cells)."""
    found = [q for q in questions(trace, stage, error)
             if readable is None or q.kind not in ("value", "new_value") or readable(q)]
    if not found:
        return None
    pick = int(hashlib.sha256(f"{seed}|{stage}".encode()).hexdigest(), 16) % len(found)
    return found[pick]


def is_right(question, answer):
    """Whether answer is the trace's value (numbers within the stated tolerance)."""
    if answer is None:
        return False
    if question.widget == "number":
        return bool(np.isfinite(answer)) and abs(float(answer) - float(question.answer)) <= question.tol
    if question.widget == "multiselect":
        return tuple(sorted(answer)) == tuple(sorted(question.answer))
    return answer == question.answer


def hint(question, answer, swapped=None, n=None):
    """One line on what went wrong, where it can be told, else None: the sign; the entry with its indices
    swapped (swapped: that entry's value, else the question's); off by the batch size n; a factor 2; the
    probability where its log is asked."""
    if question.widget != "number" or answer is None or not np.isfinite(answer):
        return None
    expected = float(question.answer)
    swapped = question.swapped if swapped is None else swapped
    if question.log and abs(answer - np.exp(expected)) <= max(question.tol, RTOL * np.exp(expected)) \
            and abs(answer - expected) > question.tol:
        return _("the probability e^y = {p}: the log-probability y = log p is asked").format(
            p=shown(np.exp(expected)))
    if expected and abs(answer + expected) <= question.tol:
        return _("the right magnitude with the wrong sign")
    if swapped is not None and abs(swapped - expected) > question.tol and abs(answer - swapped) <= question.tol:
        return _("the value of the entry with its two indices swapped: check which index is the row")
    for factor, text in (((n, _("N = {n} times the right value: the batch size went astray")),
                          (1 / n, _("1/N = 1/{n} of the right value: the batch size went astray")))
                         if n and n > 1 else ()):
        if expected and abs(answer - factor * expected) <= question.tol * factor:
            return text.format(n=n)
    if question.kind == "new_value" and question.about is not None:
        return None
    for factor, text in ((2.0, _("twice the right value: a factor 2 went astray")),
                         (0.5, _("half the right value: a factor 2 went astray"))):
        if expected and abs(answer - factor * expected) <= question.tol * abs(factor):
            return text
    return None
