"""Tolerances follow what is printed: a value worked out from the numbers as the cells print them (3 significant
digits) is right, for every kind of by-hand entry of the presets, and for a Predict-first value question."""
import copy

import numpy as np
import pytest

from engine import Dropout, Flatten
from engine.sequential import layers_of
from engine.trace import Stage
from lab.predict import Question, is_right, question, questions, tolerance, within
from tests.uploaded import preset_lab
from viz.by_hand import by_hand, errors


def printed(a):
    """The numbers as a heatmap cell prints them ("%{z:.3g}")."""
    return np.vectorize(lambda v: float(f"{v:.3g}"), otypes=[float])(np.asarray(a, dtype=np.float64))


def from_cells(trace, stage, layer):
    """{tensor id: array}: the stage's results recomputed by the layer from its operands as printed."""
    layer = copy.deepcopy(layer)
    for u in trace.update_records(stage.index):
        setattr(layer, u.param, printed(u.before))
    x = printed(trace.forward[stage.index].input)
    y = layer.forward(x)
    if stage.kind == "forward":
        return {"output": y}
    layer.zero_grad_params()
    dx = layer.backward(x, printed(trace.backward_record(stage.index).grad_output))
    return {"grad_input": dx, **{f"grad:{name}": grad for name, _, grad in layer.named_parameters()}}


def picks(rng, count=5):
    """at() choosers: each result's entry at random (the same for every result of one pick)."""
    for _ in range(count):
        state = {}

        def at(tensor_id, array):
            return state.setdefault(tensor_id, tuple(int(rng.integers(0, s)) for s in np.shape(array)))
        yield at


@pytest.mark.parametrize("preset", ["handout", "circles", "digits", "dropout_batchnorm", "saturated_softmax",
                                    "high_lr", "cnn_digits"])
def test_a_value_worked_out_from_the_printed_cells_is_right(preset):
    lab = preset_lab(preset)
    trace, layers, rng = lab.trace, layers_of(lab.model), np.random.default_rng(0)
    checked = 0
    for stage in trace.stages:
        if stage.kind not in ("forward", "backward") or isinstance(layers[stage.index], (Dropout, Flatten)):
            continue
        for at in picks(rng):
            with np.errstate(all="ignore"):
                recomputed = from_cells(trace, stage, layers[stage.index])
                items = by_hand(trace, stage, layers, at)
            for item in items:
                result = recomputed[item.tensor]
                if result.ndim > len(item.index):  # elementwise on maps: worked out on the rows (N, C*H*W)
                    result = result.reshape(len(result), -1)
                answer = float(result[item.index])
                q = Question("by_hand", str(stage), item.what, "number", item.engine,
                             tol=tolerance(item.engine, item.error))
                assert is_right(q, answer), (preset, stage, item.what, item.index, answer, item.engine, q.tol)
                checked += 1
    assert checked


def test_the_issues_example_passes_and_the_question_says_why():
    lab = preset_lab("handout")
    trace, layers, stage = lab.trace, layers_of(lab.model), Stage("backward", 0)
    at = lambda tensor_id, array: (4, 1) if tensor_id == "grad_input" else (0,) * np.ndim(array)  # noqa: E731
    item = next(w for w in by_hand(trace, stage, layers, at) if w.tensor == "grad_input")
    answer = float(from_cells(trace, stage, layers[0])["grad_input"][4, 1])
    tol = tolerance(item.engine, item.error)
    assert abs(answer - item.engine) > tolerance(item.engine)  # 1% of the value alone turned it down
    assert abs(answer - item.engine) <= tol
    q = question(trace, Stage("backward", 0), "", errors(trace, stage, layers))
    assert "the numbers the cells show, printed or on hover, are enough" in within(q.tol or 1.0)
    if q.kind == "value":
        assert "printed or on hover" in q.text


@pytest.mark.parametrize("preset", ["handout", "circles"])
def test_an_update_worked_out_from_the_printed_cells_is_right(preset):
    lab = preset_lab(preset)
    lab.new_iteration()  # a velocity from the last step
    trace, layers = lab.trace, layers_of(lab.model)
    for stage in [s for s in trace.stages if s.kind == "update"]:
        for item in by_hand(trace, stage, layers):
            u = next(u for u in trace.update_records(stage.index) if item.tensor.endswith(f":{u.param}"))
            velocity = trace.momentum * printed(u.previous_velocity) + trace.learning_rate * printed(u.grad)
            answer = (velocity if item.tensor.startswith("velocity") else u.before - printed(u.velocity))[item.index]
            q = Question("by_hand", str(stage), item.what, "number", item.engine,
                         tol=tolerance(item.engine, item.error, item.step))
            assert is_right(q, float(answer)), (stage, item.what, answer, item.engine, q.tol)
            assert item.tensor.startswith("velocity") or not is_right(q, float(u.before[item.index]))


def test_every_question_of_a_cnn_gets_its_tolerance():
    lab = preset_lab("cnn_digits")
    trace, layers = lab.trace, layers_of(lab.model)
    for stage in trace.stages:
        for q in questions(trace, stage, errors(trace, stage, layers)):
            assert q.widget != "number" or q.tol > 0, (stage, q.text)
