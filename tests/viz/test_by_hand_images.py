"""Conv2d and MaxPool2d worked out by hand: every entry's written sum equals the engine's value (float64)."""
import re

import numpy as np
import pytest

from engine import Adam, Flatten, Linear, LogSoftMax, NLLCriterion, Sequential
from engine.sequential import layers_of
from engine.trace import trace_iteration
from tests.viz.cnn import cnn_trace
from viz.by_hand import by_hand
from viz.entries import update_tensors
from viz.stage_view import optimizer_text, stage_panels


def every_entry(trace, stage, layers, rng, picks=6):
    """The worked items of `picks` random entries of each result (the same random index for each call)."""
    for _ in range(picks):
        state = {}

        def at(tensor_id, array):
            state.setdefault(tensor_id, tuple(int(rng.integers(0, s)) for s in np.shape(array)))
            return state[tensor_id]
        yield from by_hand(trace, stage, layers, at)


@pytest.mark.parametrize("seed, channels, kernel", [(0, 1, 3), (1, 2, 3), (2, 3, 5), (3, 2, 1)])
def test_every_conv_and_pool_entry_worked_out_equals_the_engine(seed, channels, kernel):
    layers, trace = cnn_trace(seed, channels=channels, kernel=kernel)
    rng = np.random.default_rng(seed)
    seen = set()
    for stage in trace.stages:
        if stage.index not in (0, 2) or stage.kind == "update":
            continue
        for item in every_entry(trace, stage, layers, rng):
            assert np.isclose(item.computed, float(item.engine), rtol=1e-12, atol=1e-15), (stage, item.what)
            seen.add((str(stage), item.what))
    assert seen == {("forward 0", "y"), ("forward 2", "y"), ("backward 2", "∂L/∂x"), ("backward 0", "∂L/∂x"),
                    ("backward 0", "∂L/∂W"), ("backward 0", "∂L/∂b")}


def test_relu_on_channel_maps_is_worked_out_at_its_entry_of_the_flattened_rows():
    layers, trace = cnn_trace(4)
    forward, backward = trace.forward[1], trace.backward_record(1)  # ReLU on (N, 4, 8, 8)
    rng = np.random.default_rng(4)
    stages = {str(stage): stage for stage in trace.stages}
    for stage, array in ((stages["forward 1"], forward.output), (stages["backward 1"], backward.grad_input)):
        for item in every_entry(trace, stage, layers, rng):
            n, j = item.index  # the rows (N, C*H*W), as the heatmaps show a map's entries
            assert item.engine == np.reshape(array, (len(array), -1))[n, j]
            assert np.isclose(item.computed, item.engine, rtol=1e-12, atol=1e-15)


def test_the_conv_sum_is_written_over_c_p_q_and_the_pool_backward_says_whether_the_entry_won():
    layers, trace = cnn_trace()
    (forward,) = by_hand(trace, trace.stages[0], layers)
    assert r"\sum_{c,p,q}" in forward.latex and "W_{" in forward.latex
    backward2 = next(s for s in trace.stages if str(s) == "backward 2")
    (won,) = by_hand(trace, backward2, layers)  # the largest |grad_input| sits on a winner
    assert "is the first maximum" in won.latex and won.computed != 0
    (lost,) = by_hand(trace, backward2, layers, at=lambda tensor_id, array: tuple(
        int(i) for i in np.argwhere(array == 0)[0]))
    assert "is not the first maximum" in lost.latex or lost.computed == 0
    assert lost.computed == 0 and float(lost.engine) == 0


def test_an_adam_update_is_worked_out_and_drawn_with_m_and_v():
    rng = np.random.default_rng(4)
    model = Sequential()
    for layer in (Flatten(), Linear(12, 3, rng=rng), LogSoftMax()):
        model.add(layer)
    optimizer, x, y = Adam(learning_rate=0.01), rng.normal(size=(5, 3, 4)), rng.integers(0, 3, 5)
    for _ in range(2):  # the second step has previous moments and t = 2
        trace = trace_iteration(model, NLLCriterion(), optimizer, x, y)
    update = next(stage for stage in trace.stages if stage.kind == "update")
    items = by_hand(trace, update, layers_of(model))
    assert [item.what for item in items] == ["m of W", "v of W", "W after", "m of b", "v of b", "b after"]
    for item in items:
        assert np.isclose(item.computed, float(item.engine), rtol=1e-12, atol=1e-15), item.what
    titles = [t.title for t in update_tensors(trace, update)]
    assert "m of W (1st moment)" in titles and not any(title.startswith("velocity") for title in titles)
    formula = next(panel for panel in stage_panels(trace, update) if panel.title == "W: Adam")
    assert r"t = 2" in formula.latex and r"\beta_1" in formula.latex
    assert optimizer_text(trace) == "Adam lr 0.01, β1 0.9, β2 0.999, ε 1e-08, step t = 2"


def test_indices_are_written_simplified_and_long_sums_by_their_nonzero_terms():
    layers, trace = cnn_trace(0, channels=2, kernel=3)
    seen = []
    for stage in [s for s in trace.stages if s.index == 0 and s.kind != "update"]:
        for item in every_entry(trace, stage, layers, np.random.default_rng(5), picks=20):
            general = item.latex.split("&=")[1]
            assert not re.search(r"[+-]0\b|\+-|-\+|\d[+-]\d", general), general  # no "i+1-1", "p+0", "2-1"
            seen.append(general)
    assert any("x_{n,0,i,j}" in g or "x_{n,1,i,j}" in g for g in seen)  # W[o, c, 1, 1] reads x[n, c, i, j]
    # ∂L/∂x of the first Conv2d: g is zero where ReLU or MaxPool2d stopped it, so only nonzero terms are shown
    dx = by_hand(trace, [s for s in trace.stages if str(s) == "backward 0"][0], layers)[0]
    shown = dx.latex.split(r" \\ &= ")[1]
    assert r"\cdots" not in shown and (r"\text{(all" in shown or "nonzero terms of 36" in shown
                                       or shown.count("+") == 35), shown
