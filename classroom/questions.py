"""A Predict-first question (lab.predict.Question) as the class database keeps it, and answers checked against it.

The server keeps the teacher's question, so every student is asked the same one and every answer is checked
against it there: a number must be finite, an option must be one of the listed ones, a choice of several a list
of distinct listed options. What a page sends is never trusted beyond that.
"""
import dataclasses
import json
import math

from i18n import domain
from lab.predict import Question, is_right

_, ngettext = domain("classroom")

MAX_ANSWER_CHARS = 2000


class Rejected(ValueError):
    """An answer the class refuses (invalid, or its round is not open); str() says why."""


def question_json(question, n=None):
    """The question and the batch size n (for the 'factor N' mistake) as JSON text."""
    return json.dumps({**dataclasses.asdict(question), "n": n})


def _tuple(value):
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def read_question(text):
    """(Question, n) from question_json's text."""
    fields = json.loads(text)
    n = fields.pop("n", None)
    known = {f.name for f in dataclasses.fields(Question)}
    return Question(**{k: _tuple(v) for k, v in fields.items() if k in known}), n


def checked_answer(question, answer):
    """The answer in its stored form (a float, an option, a sorted tuple of options); Rejected when it does not fit
    the question."""
    if question.widget == "number":
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            raise Rejected(_("the answer must be a number"))
        try:
            value = float(answer)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise Rejected(_("the answer must be a finite number"))
        return value
    options = list(question.options)
    if question.widget == "radio":
        if answer not in options or isinstance(answer, bool):
            raise Rejected(_("the answer must be one of the listed options"))
        return answer
    if not isinstance(answer, (list, tuple)) or any(a not in options or isinstance(a, bool) for a in answer) \
            or len(set(answer)) != len(answer):
        raise Rejected(_("the answer must be distinct listed options"))
    return tuple(sorted(answer, key=options.index))


def answer_json(question, answer):
    """(JSON text of the checked answer, whether it is right)."""
    value = checked_answer(question, answer)
    text = json.dumps(list(value) if isinstance(value, tuple) else value)
    if len(text) > MAX_ANSWER_CHARS:
        raise Rejected(_("the answer is too long"))
    return text, bool(is_right(question, value))


def read_answer(text):
    return _tuple(json.loads(text))
