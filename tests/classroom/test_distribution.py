"""A closed vote's distribution: bins around the right value, wrong clusters named, options counted."""
import math

import pytest

from classroom.distribution import distribution, mistakes, share_right
from lab.predict import Question, hint

NUMBER = Question("value", "forward 0", "x", "number", 0.5, tol=0.005, swapped=-0.25)
LOG = Question("value", "forward 2", "x", "number", math.log(0.2), tol=0.01, log=True)
RADIO = Question("sign", "backward 0", "x", "radio", "negative", ("positive", "negative", "zero"))
ZEROS = Question("zeros", "forward 1", "x", "multiselect", (0, 2), (0, 1, 2, 3))


def counts(table, number=1):
    rows = table[table["round"] == number]
    return dict(zip(rows["label"], rows["count"]))


@pytest.mark.parametrize("question, answer, named", [
    (NUMBER, -0.5, "wrong sign"), (NUMBER, -0.25, "indices swapped"), (NUMBER, 2.0, "× N (N = 4)"),
    (NUMBER, 0.125, "÷ N (N = 4)"), (NUMBER, 1.0, "× 2"), (NUMBER, 0.25, "÷ 2"),
    (LOG, 0.2, "probability, not log-probability")])
def test_wrong_clusters_are_named_after_the_mistake_the_hint_names(question, answer, named):
    table = distribution(question, 4, {1: [answer, answer * 1.001, float(question.answer)]})
    row = table[table["mistake"] == named]
    assert list(row["count"]) == [2] and not row["right"].any()
    assert hint(question, answer, n=4) is not None  # the by-hand check names the same answer a mistake


def test_other_numbers_are_binned_around_the_right_value_and_every_answer_counted_once():
    given = [0.5, 0.503, 3.3, 3.1, 7.0, -2.0, 100.0]
    table = distribution(NUMBER, 4, {1: given})
    assert table["count"].sum() == len(given)
    found = counts(table)
    assert found["0.5 (right)"] == 2 and table.loc[table["right"], "label"].tolist() == ["0.5 (right)"]
    assert list(table["order"]) == sorted(table["order"])  # the axis runs from low to high
    assert not any(":" in label for label in found if label != "0.5 (right)" and "to" in label)


def test_rounds_share_the_same_labels():
    table = distribution(NUMBER, 4, {1: [0.5, -0.5], 2: [0.5, 0.5, 0.5]})
    assert set(counts(table, 1)) == set(counts(table, 2))
    assert share_right(table, 1) == 0.5 and share_right(table, 2) == 1.0


def test_choices_are_counted_per_option_each_option_listed():
    table = distribution(RADIO, None, {1: ["negative", "negative", "zero"]})
    assert counts(table) == {"positive": 0, "negative": 2, "zero": 1}
    assert table.loc[table["right"], "label"].tolist() == ["negative"]
    sets = distribution(ZEROS, None, {1: [(0, 2), (2, 0), (1,), ()]})
    assert counts(sets) == {"none": 1, "1": 1, "0, 2": 2}


def test_the_right_value_is_never_named_a_mistake():
    zero = Question("value", "forward 0", "x", "number", 0.0, tol=1e-6)
    assert mistakes(zero, 4) == []
    assert all(abs(value - 0.5) > 0.005 for _, value, _ in mistakes(NUMBER, 1))
