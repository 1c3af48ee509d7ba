"""lab.predict: Predict first's questions are about the learner's own numbers, and their answers are the trace's."""
import numpy as np
import pytest

from engine.sequential import layers_of
from lab.predict import hint, is_right, question, questions
from lab.presets import PRESETS
from lab.session import Lab
from tests.uploaded import preset_lab
from viz.by_hand import by_hand


def value_at(trace, stage, tensor_id, row, col):
    """The trace's value of the Step page's tensor `tensor_id` at (row, col) of its matrix view."""
    if stage.kind == "forward":
        array = trace.forward[stage.index].output
    elif stage.kind == "loss":
        array = trace.loss_grad
    elif stage.kind == "backward":
        record = trace.backward_record(stage.index)
        array = record.grad_input if tensor_id == "grad_input" else record.grad_params[tensor_id.split(":")[1]]
    else:
        array = next(u.after for u in trace.update_records(stage.index) if u.param == tensor_id.split(":")[1])
    matrix = np.asarray(array).reshape(1, -1) if np.ndim(array) == 1 else np.asarray(array).reshape(len(array), -1)
    return float(matrix[row, col])


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_question_of_every_stage_is_answered_by_the_recorded_numbers(preset):
    lab = preset_lab(preset)
    kinds = set()
    for stage in lab.trace.stages:
        found = questions(lab.trace, stage)
        assert found, stage
        for q in found:
            kinds.add(q.kind)
            assert is_right(q, q.answer)
            if q.kind in ("value", "new_value"):
                assert q.answer == value_at(lab.trace, stage, *q.about)
                assert not is_right(q, q.answer + 2 * q.tol + 1e-9) and f"±{q.tol:.2g}" in q.text
            if q.kind == "loss":
                assert q.answer == lab.trace.loss
            if q.kind == "sign":
                v = value_at(lab.trace, stage, *q.about)
                assert q.answer == ("positive" if v > 0 else "negative" if v < 0 else "zero")
            if q.kind == "shape":
                assert q.answer in q.options and len(q.options) >= 2
    assert {"shape", "value", "loss", "sign", "direction", "new_value"} <= kinds


def test_layer_specific_questions_relu_zeros_dropout_kept_and_row_sums():
    lab = Lab(PRESETS["dropout_batchnorm"].config)
    trace = lab.trace
    by_kind = {q.kind: (stage, q) for stage in trace.stages for q in questions(trace, stage)}
    stage, zeros = by_kind["zeros"]
    assert zeros.answer == tuple(np.flatnonzero(trace.forward[stage.index].output[0] == 0))
    assert is_right(zeros, list(reversed(zeros.answer))) and not is_right(zeros, list(zeros.answer[1:]))
    stage, kept = by_kind["kept"]
    assert kept.answer == np.count_nonzero(trace.forward[stage.index].output[0])
    stage, row_sum = by_kind["row_sum"]  # LogSoftMax's grad_input rows sum to 0
    assert abs(row_sum.answer) < 1e-12 and is_right(row_sum, 0.0)


def test_the_stage_asks_one_question_chosen_by_the_iteration_and_a_new_iteration_may_ask_another():
    lab = Lab()
    stage = lab.trace.stages[-1]  # update 0: four questions
    asked = {question(lab.trace, stage, seed).kind + question(lab.trace, stage, seed).text for seed in "abcdefgh"}
    assert len(asked) > 1 and question(lab.trace, stage, "a") == question(lab.trace, stage, "a")


def test_a_wrong_number_gets_a_hint_where_one_can_be_told():
    lab = Lab()
    q = next(q for q in questions(lab.trace, lab.trace.stages[2]) if q.kind == "loss")
    assert hint(q, -q.answer) == "the right magnitude with the wrong sign"
    assert hint(q, 2 * q.answer).startswith("twice") and hint(q, q.answer + 17.0) is None
    assert not is_right(q, None) and not is_right(q, float("nan"))


def test_a_conv2d_forward_asks_for_the_entry_worked_out_by_hand_on_its_maps():
    lab = preset_lab("cnn_digits")
    stage = lab.trace.stages[0]
    (value,) = [q for q in questions(lab.trace, stage) if q.kind == "value"]
    y = lab.trace.forward[0].output
    (worked,) = by_hand(lab.trace, stage, layers_of(lab.model))  # the default entry: the largest |y|
    n, o, i, j = worked.index
    assert value.answer == worked.engine == y[n, o, i, j]
    assert f"y[{n}, {o}, {i}, {j}]" in value.text and value.about == ("output", n, (o * 8 + i) * 8 + j)
