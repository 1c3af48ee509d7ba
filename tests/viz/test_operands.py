"""Every stage of every preset draws every tensor its formulas read (viz.operands), with its results hidden as
Predict first and the faded levels hide them: each question and each by-hand entry can be answered from the page."""
import re
from dataclasses import replace

import numpy as np
import pytest

from engine.sequential import layers_of
from lab.predict import questions
from lab.presets import PRESETS
from tests.uploaded import preset_lab
from tests.viz.test_stage_view import CASES
from viz.by_hand import by_hand
from viz.fade import LEVELS, faded
from viz.stage_view import is_revealing, stage_panels, stage_tensors

# a symbol of a by-hand formula -> the tensor it reads ("x_{" is x indexed, ...)
SYMBOLS = {"x": "input", "W": "param:W", "b": "param:b", "g": "grad_output", "y": "output", r"\gamma": "param:gamma",
           r"\beta": "param:beta", "M": "mask", r"\sigma^2": "variance"}


def labs():
    """(name, Lab) of every preset; Dropout and BatchNorm in evaluate mode too."""
    for name in PRESETS:
        lab = preset_lab(name)
        yield name, lab
        if name == "dropout_batchnorm":
            lab = preset_lab(name)
            lab.new_iteration()  # BatchNorm has moving statistics
            lab.apply(replace(lab.config, training=False))
            yield f"{name} (evaluate)", lab


def networks():
    """(name, trace, layers) of every preset, and of networks with the layers no preset has (Scaling,
    LeakyReLU, SoftPlus)."""
    for name, lab in labs():
        yield name, lab.trace, layers_of(lab.model)
    for name in ("deep", "deep evaluate", "mse"):
        yield (name, *CASES[name]())


@pytest.fixture(scope="module")
def walked():
    """[(network, stage, layers, tensors, drawn ids with the results hidden, trace)] of every stage."""
    out = []
    for name, trace, layers in networks():
        for stage in trace.stages:
            tensors = stage_tensors(trace, stage, layers)
            panels = stage_panels(trace, stage, layers, hide_results=True)
            drawn = {t for panel in panels for t in panel.tensors}
            out.append((name, stage, layers, tensors, drawn, trace))
    return out


def test_every_result_declares_what_it_reads_and_the_page_draws_it(walked):
    kinds = set()
    for name, stage, layers, tensors, drawn, trace in walked:
        for t in tensors:
            if t.result:
                assert t.reads, (name, stage, t.id)
                assert set(t.reads) <= drawn, (name, stage, t.id, set(t.reads) - drawn)
        assert not any(is_revealing(t) for t in tensors if t.id in drawn), (name, stage)
        if stage.index is not None:
            kinds.add((stage.kind, type(layers[stage.index]).__name__))
    assert {("backward", k) for k in ("Linear", "Conv2d", "MaxPool2d", "BatchNormalization", "Dropout", "ReLU",
                                      "ELU", "SoftMax", "LogSoftMax", "Flatten", "Scaling", "LeakyReLU",
                                      "SoftPlus")} <= kinds
    assert ("update", "Conv2d") in kinds  # Adam's, on the CSV CNN


def test_the_page_draws_what_each_question_is_about(walked):
    for name, stage, layers, tensors, drawn, trace in walked:
        by_id = {t.id: t for t in tensors}
        for q in questions(trace, stage):
            if q.about is not None and q.about[0] in by_id:
                asked = by_id[q.about[0]]
                reads = asked.reads if asked.result else (asked.id,)
                assert set(reads) <= drawn, (name, stage, q.text)


def symbols_read(latex):
    """The tensors a by-hand formula's general form reads (x_{...}, W_{...}, γ, ...), left-hand sides aside."""
    general = " ".join(part.split(r" \\ &= ")[0] for part in latex.split("&=")[1:]) or latex
    general = general.replace(r"\hat x", "y").replace(r"\partial y", "g")  # x̂ is BatchNorm's y; ∂L/∂y is g
    return {tensor for symbol, tensor in SYMBOLS.items()
            if re.search(r"(?<![A-Za-z])" + re.escape(symbol) + r"(?![A-Za-z])", general)}


def test_each_by_hand_formula_reads_only_declared_operands(walked):
    for name, stage, layers, tensors, drawn, trace in walked:
        if stage.kind not in ("forward", "backward"):
            continue
        by_id = {t.id: t for t in tensors}
        for item in by_hand(trace, stage, layers):
            reads = set(by_id[item.tensor].reads)
            on_your_own = faded(item.latex, LEVELS[2])
            assert symbols_read(on_your_own) <= reads, (name, stage, item.what, on_your_own)


def test_with_the_results_hidden_only_the_asked_entrys_operands_are_outlined():
    from viz.entries import focus_at, marks

    lab = preset_lab("handout")
    trace, layers, stage = lab.trace, layers_of(lab.model), lab.trace.stages[4]  # backward of the Linear
    tensors = stage_tensors(trace, stage, layers)
    focus = focus_at(tensors, "grad:W", 1, 1)
    panels = stage_panels(trace, stage, layers, focus, hide_results=True)
    drawn = [a for p in panels if p.figure for a in p.figure.layout.shapes]
    assert set(marks(tensors, focus)) == {"grad:W", "input", "grad_output"}  # x[:, 1] and g[:, 1], not W
    assert len(drawn) == 2  # the two column bands


def test_an_update_after_the_first_draws_what_the_last_step_kept():
    lab = preset_lab("handout")
    lab.new_iteration()
    stage = lab.trace.stages[-1]
    tensors = {t.id: t for t in stage_tensors(lab.trace, stage, layers_of(lab.model))}
    assert tensors["velocity:W"].reads == ("velocity_prev:W", "grad:W")
    np.testing.assert_array_equal(tensors["velocity_prev:W"].array, lab.trace.update_records(0)[0].previous_velocity)
    drawn = {t for p in stage_panels(lab.trace, stage, layers_of(lab.model), hide_results=True) for t in p.tensors}
    assert {"velocity_prev:W", "velocity_prev:b"} <= drawn
