"""Fuzz the Build page's functions: random stacks, arguments and settings never raise past the page.

The page runs every edit through ui.actions.act, which turns a ValueError into a message
beside the widget; anything else would reach the learner as a traceback. So: whatever a
learner builds, each step (edit, apply, step, new iteration, one training epoch) either
works or raises ValueError, and a ValueError leaves the Lab exactly as it was.
"""
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import engine
from engine.sequential import layers_of
from lab import network
from lab.exercise import check_code, iteration_npz
from lab.layers import KINDS
from lab.network import NetworkConfig
from lab.predict import is_right, questions
from lab.session import Lab
from lab.shapes import input_shape
from lab.transfer import config_json
from tests.lab.test_predict import value_at
from viz.by_hand import by_hand

SMALL_DATA = ["blobs", "circles", "xor", "spiral", "regression"]


def value(arg):
    """Any value a number input could send: inside and outside the range, NaN, the wrong type."""
    inside = st.integers(int(arg.low), min(int(arg.high), 12)) if arg.integer else \
        st.floats(arg.low, arg.high, allow_nan=False)
    outside = st.one_of(st.integers(-5, -1), st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from([None, "3", True]))
    return rarely(inside, outside)


@st.composite
def layer(draw):
    kind = KINDS[draw(st.sampled_from(list(KINDS)))]
    return {"kind": kind.name, **{arg.name: draw(value(arg)) for arg in kind.args}}


def optimizer(draw, odd=True):
    """SGD or Adam with Adam's hyperparameters: any a number input could send, or (odd=False) in their range."""
    chosen = st.sampled_from(network.OPTIMIZERS)
    arg = value if odd else (lambda a: st.floats(a.low, a.high, allow_nan=False))
    return {"optimizer": draw(rarely(chosen, st.just("Adagrad")) if odd else chosen),
            **{name: draw(arg(network.SETTINGS[name])) for name in ("beta1", "beta2", "epsilon")}}


@st.composite
def config(draw):
    return NetworkConfig(
        dataset=draw(rarely(st.sampled_from(SMALL_DATA), st.just("nope"))),
        seed=draw(st.integers(0, 3)),
        batch_size=draw(rarely(st.integers(1, 64), st.sampled_from([5000, 0]))),
        layers=tuple(draw(rarely(st.lists(layer(), min_size=1, max_size=5), st.just([])))),
        criterion=draw(st.sampled_from(network.CRITERIA)),
        learning_rate=draw(rarely(st.floats(1e-4, 100.0), st.just(-1.0))),
        momentum=draw(rarely(st.floats(0.0, 0.99), st.just(1.0))),
        training=draw(st.booleans()), **optimizer(draw))


ACTIVATIONS = [{"kind": "ReLU"}, {"kind": "LeakyReLU", "slope": 0.1}, {"kind": "ELU", "alpha": 1.0},
               {"kind": "SoftPlus"}]


@st.composite
def cnn_block(draw):
    """Conv2d with 1-4 channels and an odd kernel, maybe an activation, maybe a MaxPool2d (1, 2 or 4)."""
    block = [{"kind": "Conv2d", "out_channels": draw(st.integers(1, 4)),
              "kernel_size": draw(st.sampled_from([1, 3, 5]))}]
    block += draw(st.lists(st.sampled_from(ACTIVATIONS), max_size=1))
    block += [{"kind": "MaxPool2d", "kernel_size": k} for k in draw(st.lists(st.sampled_from([1, 2, 4]), max_size=1))]
    return block


@st.composite
def cnn_config(draw):
    """A CNN on digits' 8 x 8 images: one or two Conv2d blocks, Flatten, a Linear head, maybe LogSoftMax;
    a pool that does not divide or a head of the wrong size is refused or left unfinished, as on Build."""
    layers = sum(draw(st.lists(cnn_block(), min_size=1, max_size=2)), [])
    layers.append({"kind": "Flatten"})
    if draw(st.booleans()):
        layers += [{"kind": "Linear", "n_out": draw(st.integers(4, 16))}, draw(st.sampled_from(ACTIVATIONS))]
    layers.append({"kind": "Linear", "n_out": draw(rarely(st.just(10), st.integers(1, 12)))})
    layers += draw(st.lists(st.sampled_from([{"kind": "LogSoftMax"}, {"kind": "SoftMax"}]), max_size=1))
    return NetworkConfig(
        dataset="digits", seed=draw(st.integers(0, 3)), batch_size=draw(st.sampled_from([16, 32, 64, 128])),
        layers=tuple(layers), criterion=draw(rarely(st.just("NLLCriterion"), st.sampled_from(network.CRITERIA))),
        learning_rate=draw(st.floats(1e-4, 1.0)), momentum=draw(st.floats(0.0, 0.99)),
        training=draw(st.booleans()), **optimizer(draw, odd=False))


def rarely(usual, odd):
    """usual nine times in ten, odd otherwise."""
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda common: usual if common else odd)


def state(lab):
    return (lab.config, lab.trace, lab.stage, [np.array(v) for _, v, _ in lab.model.named_parameters()])


def assert_same(lab, before):
    config, trace, stage, params = before
    assert lab.config == config and lab.trace is trace and lab.stage == stage
    assert all(np.array_equal(a, b, equal_nan=True)
               for a, b in zip((v for _, v, _ in lab.model.named_parameters()), params))


def assert_exports_check_out(lab):
    """The by-hand entries and the exported exercise of any stack that runs: they never raise, and on a
    finite iteration the written arithmetic equals the engine and the engine passes its own checks."""
    finite = lab.trace.first_nonfinite is None
    arrays = [np.abs(a).ravel() for a in lab.trace.arrays().values() if np.asarray(a).dtype.kind == "f"]
    # Sums of large terms that cancel differ in their last bits with the order of summation (BLAS,
    # pairwise, by row): the tolerance scales with the largest magnitude and length in the iteration.
    atol = 1e-12 * max(float(np.max(a)) for a in arrays if a.size) * max(np.shape(a)[0] for a in arrays)
    for stage in lab.stages:
        for worked in by_hand(lab.trace, stage, layers_of(lab.model)):
            if finite:
                np.testing.assert_allclose(worked.computed, worked.engine, rtol=1e-7, atol=max(atol, 1e-10),
                                           err_msg=f"{stage}: {worked.what}")
        asked = questions(lab.trace, stage)  # Predict first: every stage asks, and the trace itself answers
        assert asked, stage
        for question in asked:
            assert is_right(question, question.answer) or not finite, (stage, question)
            assert question.widget != "radio" or question.answer in question.options
            if question.kind in ("value", "new_value"):
                assert question.answer == value_at(lab.trace, stage, *question.about) or not finite, (stage, question)
    npz, code = iteration_npz(lab.trace, lab.model), check_code(lab.config, input_shape(lab.config, lab.data))
    if finite:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "iteration.npz").write_bytes(npz)
            namespace = {name: getattr(engine, name) for name in engine.__all__}
            namespace["print"] = lambda *args: None
            cwd = os.getcwd()
            os.chdir(folder)
            try:
                exec(code, namespace)
            finally:
                os.chdir(cwd)


def attempt(lab, action, *args):
    """Run a Lab action as the page does: it works, or a ValueError leaves everything as it was."""
    before = state(lab)
    try:
        action(*args)
    except ValueError as error:
        assert str(error)  # the learner gets a message, never an empty box
        assert_same(lab, before)
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config(), st.data())
def test_any_stack_steps_and_trains_or_says_why(candidate, data):
    steps_and_trains_or_says_why(candidate, data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cnn_config(), st.data())
def test_any_cnn_on_digits_steps_and_trains_or_says_why(candidate, data):
    steps_and_trains_or_says_why(candidate, data)


def steps_and_trains_or_says_why(candidate, data):
    """Apply the config, check what it records, step, edit it as the Build page can, train an epoch, export."""
    lab = Lab()
    with np.errstate(all="ignore"):  # a diverging learning rate is a legitimate experiment
        if not attempt(lab, lab.apply, candidate):
            event("the stack was refused")
            return
        if lab.trace is None:  # it builds, but the criterion cannot take its output yet
            event("the stack is unfinished")
            assert lab.unfinished and not attempt(lab, lab.new_iteration) and not attempt(lab, lab.train, 1)
        else:
            event(f"the stack runs ({lab.config.optimizer})")
            assert_exports_check_out(lab)
            for _ in range(data.draw(st.integers(0, 3))):
                lab.step(data.draw(st.integers(-2, 5)))
        attempt(lab, lab.new_iteration)
        index = data.draw(st.integers(0, len(lab.config.layers) - 1))
        kind = KINDS[lab.config.layers[index]["kind"]]
        if kind.args:
            arg = data.draw(st.sampled_from(kind.args))
            attempt(lab, lambda: lab.apply(network.set_layer_arg(lab.config, index, arg.name,
                                                                 data.draw(value(arg)))))
        attempt(lab, lambda: lab.apply(network.add_layer(lab.config, data.draw(st.sampled_from(list(KINDS))),
                                                         data.draw(st.integers(0, len(lab.config.layers))))))
        attempt(lab, lambda: lab.apply(network.remove_layer(lab.config, 0)))
        attempt(lab, lambda: lab.apply(replace(lab.config, training=not lab.config.training)))
        attempt(lab, lambda: lab.apply(replace(lab.config, optimizer=data.draw(st.sampled_from(network.OPTIMIZERS)))))
        if lab.trace is not None and lab.trace.first_nonfinite is None:
            assert_exports_check_out(lab)  # after the edits: maybe the other optimizer, a later step of Adam
        history = lab.history
        if attempt(lab, lab.train, 1):
            event(f"trained ({lab.history.stopped_reason or 'finite'})")
            assert lab.history is not history and lab.history.epochs_run <= 1
        assert lab.trace is None or 0 <= lab.stage < len(lab.stages)
        assert_round_trip(lab)


def assert_round_trip(lab):
    """The exported configuration and weights, imported into a fresh Lab, record the very same iteration."""
    copy = Lab()
    copy.import_files(config_json(lab.config).encode(), lab.weights_npz())
    assert (copy.unfinished, copy.cursor.iteration) == (lab.unfinished, lab.cursor.iteration)
    if lab.trace is not None:
        ours, theirs = lab.trace.arrays(), copy.trace.arrays()
        assert set(ours) == set(theirs)
        assert all(np.array_equal(ours[name], theirs[name], equal_nan=ours[name].dtype.kind == "f")
                   for name in ours)
