"""Step page, Predict first: a question per stage before its tensors, checked, revealed, scored (AppTest)."""
import math
import re

import pytest

from tests.pages.apptest import grids, open_page, picker, tile_names
from viz.asked import stage_question
from viz.stage_view import is_revealing, stage_tensors
from engine.sequential import layers_of


def heading(at):
    return at.subheader[0].value


def asked(at):
    lab = at.session_state.lab
    return stage_question(lab.trace, lab.current, layers_of(lab.model))


def answer(at, value):
    """Put value into the one answer widget, whichever it is, and press Check."""
    q = asked(at)
    if q.widget == "number":
        at.text_input(key="predict_answer").input(repr(float(value)))
    elif q.widget == "radio":
        at.radio(key="predict_answer").set_value(value)
    else:
        at.multiselect(key="predict_answer").set_value(list(value))
    at.button(key="predict_submit").click().run()
    assert not at.exception


def skip_to(at, wanted):
    """Skip each question and step on until the one asked is `wanted(question)`: that question (None: none was)."""
    for _ in range(len(at.session_state.lab.trace.stages)):
        q = asked(at)
        if wanted(q):
            return q
        at.button(key="predict_skip").click().run()
        at.button(key="step_next").click().run()
    return None


def wrong_answer(q):
    if q.widget == "number":
        return q.answer + 10 * q.tol + 1.0
    if q.widget == "radio":
        return next(o for o in q.options if o != q.answer)
    return tuple(o for o in q.options if o not in q.answer)[:1]


def split_tensors(at):
    """(titles of the shown stage's inputs, titles of its results), as viz.stage_view draws them."""
    lab = at.session_state.lab
    tensors = stage_tensors(lab.trace, lab.current, layers_of(lab.model))
    return ({t.title for t in tensors if not is_revealing(t)}, {t.title for t in tensors if is_revealing(t)})


def test_a_stage_hides_its_results_until_the_question_is_answered_and_then_reveals_them():
    at = open_page(None)
    everything = tile_names(at)
    at.toggle(key="step_predict").set_value(True).run()
    q = asked(at)
    inputs, results = split_tensors(at)
    assert any(q.text in m.value for m in at.markdown)
    assert tile_names(at) == inputs and results and not results & tile_names(at)  # the inputs stay drawn
    assert any(c.value.startswith("Hidden until you answer") for c in at.caption)
    answer(at, q.answer)
    assert any(s.value.startswith("Right") for s in at.success) and tile_names(at) == everything
    if q.about is not None:  # the by-hand working of the asked entry is open
        assert picker(at, "pick_tensor").value == q.about[0]
        assert (picker(at, "pick_row").value, picker(at, "pick_col").value) == q.about[1:]


def test_a_wrong_answer_is_marked_and_an_answered_stage_stays_revealed_after_prev_and_next():
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    answer(at, wrong_answer(asked(at)))
    assert at.error and at.error[0].value.startswith("Not quite")
    at.button(key="step_next").click().run()
    assert at.button(key="predict_submit") and tile_names(at) == split_tensors(at)[0]  # a new question
    at.button(key="predict_skip").click().run()
    assert any(i.value.startswith("Skipped") for i in at.info)
    at.button(key="step_prev").click().run()
    assert at.error and at.error[0].value.startswith("Not quite") and len(grids(at)) >= 1


def test_the_last_stage_sums_up_the_score_with_a_link_to_each_stage_answered_wrong():
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    first = str(at.session_state.lab.current)
    answer(at, wrong_answer(asked(at)))
    while heading(at).split("/")[0] != heading(at).split("/")[1].split(" ")[0]:
        at.button(key="step_next").click().run()
        answer(at, asked(at).answer)
    summary = next(m.value for m in at.markdown if "score" in m.value)
    n = len(at.session_state.lab.trace.stages)
    assert f"score: {n - 1} of {n}" in summary
    review = at.button(key="predict_review_0")
    assert review.label.endswith(f"at {first}")
    review.click().run()
    assert heading(at).startswith("1/")


def test_a_new_iteration_asks_afresh():
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    answer(at, asked(at).answer)
    at.button(key="step_new_iteration").click().run()
    assert not at.exception and at.button(key="predict_submit") and tile_names(at) == split_tensors(at)[0]


@pytest.mark.parametrize("preset", [None, "digits"])
def test_every_stage_hides_only_its_results_on_the_default_and_a_deeper_network(preset):
    """Forward, loss, backward and update on the handout network and on the digits MLP (64-128-128-10)."""
    at = open_page(None, preset=preset)
    at.toggle(key="step_predict").set_value(True).run()
    kinds = set()
    for n, _ in enumerate(at.session_state.lab.trace.stages):
        if n:
            at.button(key="step_next").click().run()
        inputs, results = split_tensors(at)
        assert tile_names(at) == inputs and results, at.session_state.lab.current
        kinds.add(at.session_state.lab.current.kind)
        answer(at, asked(at).answer)
        assert tile_names(at) == inputs | results
    assert kinds == {"forward", "loss", "backward", "update"}


def test_predict_first_gives_the_batch_size_hint_and_reads_its_numbers_as_people_do():
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    while asked(at).widget != "number" or asked(at).kind == "new_value":
        at.button(key="predict_skip").click().run()
        at.button(key="step_next").click().run()
    q = asked(at)
    n = len(at.session_state.lab.trace.forward[0].input)
    answer(at, n * q.answer)
    text = at.error[0].value
    assert f"N = {n} times the right value" in text, text
    assert f"**{q.answer:.4g}**".replace("-", "−") in text and repr(q.answer) not in text  # 4 digits, not 17


def test_predict_first_tells_a_probability_given_where_its_log_is_asked():
    """Issue 19, 5: e^y given for a LogSoftMax output y gets the by-hand check's hint, not a bare "Not quite"."""
    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    q = skip_to(at, lambda q: q.widget == "number" and q.log) or pytest.fail("no stage asks a log-probability")
    answer(at, math.exp(q.answer))
    text = at.error[0].value
    assert text.startswith("Not quite") and "the log-probability y = log p is asked" in text, text


@pytest.mark.parametrize("preset", [None, "digits"])
def test_predict_first_tells_a_value_of_the_entry_with_its_indices_swapped(preset):
    """The value of [j, i] given where [i, j] is asked gets the by-hand check's hint, not a bare "Not quite"."""
    at = open_page(None, preset)
    at.toggle(key="step_predict").set_value(True).run()
    def telling(q):  # a number whose entry, indices swapped, holds another value
        return q.widget == "number" and q.swapped is not None and abs(q.swapped - q.answer) > 2 * q.tol

    q = skip_to(at, telling) or pytest.fail("no stage asks an entry whose indices swapped name another value")
    answer(at, q.swapped)
    text = at.error[0].value
    assert text.startswith("Not quite") and "indices swapped" in text, text


def test_while_a_question_waits_the_heatmaps_outline_what_the_asked_entry_is_computed_from():
    from viz.entries import focus_at
    from viz.stage_view import stage_panels

    at = open_page(None)
    at.toggle(key="step_predict").set_value(True).run()
    lab = at.session_state.lab
    while not (asked(at).about and asked(at).about[0].startswith("grad:")):
        at.button(key="step_next").click().run()
    q, layers = asked(at), layers_of(lab.model)
    tensors = stage_tensors(lab.trace, lab.current, layers)
    expected = stage_panels(lab.trace, lab.current, layers, focus_at(tensors, *q.about), hide_results=True)
    marks = [re.findall(r'<rect class="mark"[^>]*>', p["svg"]) for p in grids(at, "step-grid-").values()]
    assert marks == [re.findall(r'<rect class="mark"[^>]*>', p.picture["svg"]) for p in expected if p.tiles]
    assert any(marks)
