"""A closed vote's answers as the projector shows them: binned around the right value, with the clusters of wrong
answers named after the mistake they match, or counted per option.

The mistakes are the ones the by-hand check already tells a learner (lab.predict.hint), in its order: the
probability where the log-probability is asked, the sign, the entry with its indices swapped, a factor N (the
batch size) or 1/N, a factor 2 or 1/2. Numbers that match none are binned in steps centred on the right value.
"""
import math

import numpy as np
import pandas as pd

from i18n import domain
from lab.predict import RTOL, shown

_, ngettext = domain("classroom")

MAX_BINS = 9  # the other wrong numbers fall in at most about this many bins
COLUMNS = ["round", "label", "order", "count", "right", "mistake"]


def mistakes(question, n=None):
    """[(name, value, tolerance)] of the wrong answers the by-hand check can name, in lab.predict.hint's order."""
    v, tol = float(question.answer), float(question.tol)
    found = []
    if question.log:
        found.append((_("probability, not log-probability"), math.exp(v), max(tol, RTOL * math.exp(v))))
    if v:
        found.append((_("wrong sign"), -v, tol))
    if question.swapped is not None:
        found.append((_("indices swapped"), float(question.swapped), tol))
    if n and n > 1 and v:
        found += [(_("× N (N = {n})").format(n=n), n * v, tol * n), (_("÷ N (N = {n})").format(n=n), v / n, tol / n)]
    if v and question.kind != "new_value":
        found += [("× 2", 2 * v, 2 * tol), ("÷ 2", v / 2, tol / 2)]
    return [(name, value, t) for name, value, t in found if abs(value - v) > tol]


def step(question, others):
    """The bin width for the unnamed wrong numbers: at least twice the tolerance, and wide enough that they fall
    in about MAX_BINS bins around the right value."""
    v, tol = float(question.answer), float(question.tol)
    spread = max((abs(a - v) for a in others), default=0.0)
    width = max(2 * tol, 2 * spread / (MAX_BINS - 1))
    return float(10 ** math.floor(math.log10(width)) * min(m for m in (1, 2, 5, 10)
                                                          if m * 10 ** math.floor(math.log10(width)) >= width))


def number_bins(question, n, rounds):
    """Rows (round, label, order, count, right, mistake) for a number question."""
    v, tol = float(question.answer), float(question.tol)
    named = mistakes(question, n)
    labelled, others = {}, []
    for number, given in rounds.items():
        for a in given:
            if abs(a - v) <= tol:
                labelled[(number, a)] = (_("{value} (right)").format(value=shown(v, tol)), v, True, "")
                continue
            match = next(((name, value) for name, value, t in named if abs(a - value) <= t), None)
            if match:
                labelled[(number, a)] = (f"{shown(match[1])}: {match[0]}", match[1], False, match[0])
            else:
                others.append(a)
    width = step(question, others) if others else 1.0
    rows = []
    for number, given in rounds.items():
        for a in given:
            if (number, a) in labelled:
                rows.append((number, *labelled[(number, a)]))
                continue
            centre = v + round((a - v) / width) * width
            low, high = centre - width / 2, centre + width / 2
            rows.append((number, _("{low} to {high}").format(low=shown(low), high=shown(high)), centre, False, ""))
    return rows


def choice_slots(question, rounds):
    """[(label, order, right)] of an option question (every option, chosen or not) or a choice of several (each
    distinct set chosen, and the right set)."""
    if question.widget == "radio":
        return [(str(option), k, option == question.answer) for k, option in enumerate(question.options)]
    right = _chosen(question, question.answer)
    sets = sorted({right} | {_chosen(question, a) for given in rounds.values() for a in given},
                  key=lambda s: (len(s), s))
    return [(_label(question, s), k, s == right) for k, s in enumerate(sets)]


def distribution(question, n, rounds):
    """The answers of each round ({round number: [answers]}) as a table with COLUMNS: one row per bin, option or
    set and round, count the answers in it, ordered along the axis by order; every round has every label."""
    if question.widget == "number":
        rows = number_bins(question, n, {r: [float(a) for a in given] for r, given in rounds.items()})
        table = pd.DataFrame(rows, columns=["round", "label", "order", "right", "mistake"])
        counts = table.groupby(["round", "label", "order", "right", "mistake"], as_index=False).size()
        counts = counts.rename(columns={"size": "count"})
        labels = counts.drop_duplicates("label")[["label", "order", "right", "mistake"]]
        grid = pd.MultiIndex.from_product([list(rounds), labels["label"]], names=["round", "label"]).to_frame(False)
        full = grid.merge(labels, on="label").merge(counts[["round", "label", "count"]], on=["round", "label"],
                                                    how="left").fillna({"count": 0})
    else:
        slots = [(r, label, order, right, "") for r in rounds for label, order, right in choice_slots(question, rounds)]
        full = pd.DataFrame(slots, columns=["round", "label", "order", "right", "mistake"])
        full["count"] = [sum(1 for a in rounds[r] if _label(question, a) == label)
                         for r, label in zip(full["round"], full["label"])]
    full["count"] = full["count"].astype(int)
    return full.sort_values(["order", "round"], kind="stable")[COLUMNS].reset_index(drop=True)


def _chosen(question, answer):
    """A choice of several in the options' order."""
    return tuple(sorted(answer, key=list(question.options).index))


def _label(question, answer):
    if question.widget == "multiselect":
        return ", ".join(map(str, _chosen(question, answer))) or _("none")
    return str(answer)


def share_right(table, number):
    """The share of round number's answers that are right (nan with no answers)."""
    rows = table[table["round"] == number]
    total = rows["count"].sum()
    return float(rows.loc[rows["right"], "count"].sum() / total) if total else float(np.nan)
