"""A Predict-first question (lab.predict.Question) as the class database keeps it, and answers checked against it.

The server keeps the teacher's question, so every student is asked the same one and every answer is checked
against it there. It is kept apart from any language: its numbers once, an option as its id (its place in the
list), and its text and option labels in each language, as the teacher's session made them at ask time; so each
student and the projector read it in their own session's language, and answers from an English and a Russian
student count together. A number must be finite, an option the id of a listed one, a choice of several a list of
distinct ids. What a page sends is never trusted beyond that.
"""
import dataclasses
import json
import math

import i18n
from i18n import domain
from i18n.language import DEFAULT
from lab.predict import Question, is_right

_, ngettext = domain("classroom")

MAX_ANSWER_CHARS = 2000
SAME = ("kind", "stage", "widget", "about", "tol", "swapped", "log")  # what every language's question shares


class Rejected(ValueError):
    """An answer the class refuses (invalid, or its round is not open); str() says why."""


def _tuple(value):
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def option_ids(question, value):
    """A Question's answer in a language (an option, a tuple of options, a number) as ids (an int, a sorted
    tuple of ints, a number)."""
    if question.widget == "radio":
        return list(question.options).index(value)
    if question.widget == "multiselect":
        return tuple(sorted(list(question.options).index(v) for v in value))
    return value


def option_values(question, ids):
    """ids (option_ids) as the options of question in its language."""
    if question.widget == "radio":
        return question.options[ids]
    if question.widget == "multiselect":
        return tuple(question.options[k] for k in ids)
    return ids


def question_json(asked, n=None):
    """The question in each language ({language: Question}, or one Question in this session's language) and the
    batch size n (for the 'factor N' mistake) as JSON text: its numbers and option ids once, its text and option
    labels per language. ValueError when the languages' questions are not the same question."""
    variants = dict(asked) if isinstance(asked, dict) else {i18n.current(): asked}
    first = next(iter(variants.values()))
    for language, q in variants.items():
        if [getattr(q, f) for f in SAME] != [getattr(first, f) for f in SAME] or len(q.options) != len(first.options) \
                or option_ids(q, q.answer) != option_ids(first, first.answer):
            raise ValueError(f"the {language} question differs from the {next(iter(variants))} one: {q} vs {first}")
    fields = {f: getattr(first, f) for f in SAME}
    return json.dumps({**fields, "answer": option_ids(first, first.answer), "options": len(first.options),
                       "text": {language: q.text for language, q in variants.items()},
                       "labels": {language: list(q.options) for language, q in variants.items()}, "n": n})


def read_question(text, language=None):
    """(Question, n) from question_json's text: in language (its text and option labels; another one where it
    was not made in that), or with language None the one answers are checked against (options 0 to k-1, the
    answer as ids)."""
    fields = json.loads(text)
    texts, labels = fields["text"], fields["labels"]
    if not texts or set(texts) != set(labels) \
            or any(len(options) != fields["options"] for options in labels.values()):
        raise ValueError("a class question needs a text and its options in each of its languages")
    said = language if language in texts else DEFAULT if DEFAULT in texts else next(iter(texts))
    neutral = Question(text=texts[said], answer=_tuple(fields["answer"]), options=tuple(range(fields["options"])),
                       **{f: _tuple(fields[f]) for f in SAME})
    if language is None:
        return neutral, fields["n"]
    options = tuple(labels[said])
    return dataclasses.replace(neutral, options=options,
                               answer=option_values(dataclasses.replace(neutral, options=options), neutral.answer)), \
        fields["n"]


def checked_answer(question, answer):
    """The answer in its stored form (a float, an option's id, a sorted tuple of ids) to the question of
    read_question(text) (language None); Rejected when it does not fit the question."""
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
    ids = range(len(question.options))

    def listed(a):
        return isinstance(a, int) and not isinstance(a, bool) and a in ids
    if question.widget == "radio":
        if not listed(answer):
            raise Rejected(_("the answer must be one of the listed options"))
        return answer
    if not isinstance(answer, (list, tuple)) or not all(map(listed, answer)) or len(set(answer)) != len(answer):
        raise Rejected(_("the answer must be distinct listed options"))
    return tuple(sorted(answer))


def answer_json(question, answer):
    """(JSON text of the checked answer, whether it is right) for read_question(text)'s question (language None)."""
    value = checked_answer(question, answer)
    text = json.dumps(list(value) if isinstance(value, tuple) else value)
    if len(text) > MAX_ANSWER_CHARS:
        raise Rejected(_("the answer is too long"))
    return text, bool(is_right(question, value))


def read_answer(text):
    return _tuple(json.loads(text))
