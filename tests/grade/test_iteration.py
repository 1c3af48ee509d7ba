"""engine.grade.iteration: the app's recorded iteration replayed with the learner's classes, module by module."""
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import Adam, Conv2d, Flatten, Linear, LogSoftMax, MaxPool2d, NLLCriterion, ReLU, Sequential
from engine.grade.catalogue import entries
from engine.grade.iteration import adam_epsilon_on_v, diagnose, parse_layer, replay
from engine.trace import trace_iteration
from lab.exercise import iteration_arrays, iteration_npz
from lab.presets import PRESETS
from lab.session import Lab
from tests.uploaded import preset_lab

HERE = Path(__file__).parent


def homework(replace=None):
    source = (HERE / "homework_ok.py").read_text() + "\n\n" + (HERE / "homework_cnn.py").read_text()
    namespace = {}
    exec(compile(source.replace(*replace) if replace else source, "homework.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name, expected", [
    ("Linear(2 -> 16)", ("Linear", (2, 16))), ("LogSoftMax", ("LogSoftMax", ())),
    ("LeakyReLU(slope=0.2)", ("LeakyReLU", (0.2,))), ("ELU(alpha=1.5)", ("ELU", (1.5,))),
    ("Dropout(p=0.25)", ("Dropout", (0.25,))), ("BatchNormalization(alpha=0.9)", ("BatchNormalization", (0.9,))),
    ("Scaling(8)", ("Scaling", (8,))), ("Conv2d(1 -> 4, 3x3)", ("Conv2d", (1, 4, 3))),
    ("Conv2d(8 -> 16, 5x5)", ("Conv2d", (8, 16, 5))), ("MaxPool2d(2)", ("MaxPool2d", (2,)))])
def test_every_layer_name_the_engine_writes_is_read_back(name, expected):
    assert parse_layer(name) == expected
    assert repr(Conv2d(8, 16, 5)) == "Conv2d(8 -> 16, 5x5)" and repr(MaxPool2d(2)) == "MaxPool2d(2)"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_correct_framework_replays_every_preset_exactly(preset):
    lab = preset_lab(preset)
    assert lab.trace is not None
    arrays = iteration_arrays(lab.trace, lab.model)
    errors = []
    mine = replay(homework(), arrays, errors)
    assert errors == []
    homework_adam = adam_epsilon_on_v(arrays)  # homework_cnn.py's Adam puts epsilon on sqrt(v), as homework01
    assert bool(homework_adam) == (lab.config.optimizer == "Adam")
    for key, value in mine.items():
        if key != "fingerprint":
            np.testing.assert_allclose(value, homework_adam.get(key, arrays[key]), rtol=1e-9, atol=1e-12, err_msg=key)
    assert str(mine["fingerprint"]) == str(arrays["fingerprint"])


def test_a_raising_module_is_reported_and_the_others_still_replay():
    lab = Lab()
    errors = []
    mine = replay(homework(("self.output = input @ self.W + self.b", "self.output = input @ self.V")),
                  iteration_arrays(lab.trace, lab.model), errors)
    assert len(errors) == 1 and errors[0].startswith("layer 0 (Linear(2 -> 2)): AttributeError")
    assert "forward.1.output" in mine and "loss" in mine and "update.0.W.after" in mine


def test_diagnose_names_the_catalogued_mistake_a_tensor_equals():
    lab = Lab()
    arrays = iteration_arrays(lab.trace, lab.model)
    mine = replay(homework(("self.gradb[...] = grad_output.sum(axis=0)", "self.gradb[...] = grad_output.mean(axis=0)")),
                  arrays)
    assert diagnose(arrays, "backward.0.grad.b", mine["backward.0.grad.b"]).key == "bias_mean"
    wrong_sign = -np.asarray(arrays["backward.0.grad.b"])
    assert diagnose(arrays, "backward.0.grad.b", wrong_sign) is None  # no catalogued mistake gives that


def test_the_command_line_saves_mine_npz_beside_the_report(tmp_path):
    lab = Lab()
    (tmp_path / "iteration.npz").write_bytes(iteration_npz(lab.trace, lab.model))
    done = subprocess.run([sys.executable, "-m", "engine.grade", str(HERE / "homework_ok.py"), "--iteration",
                           str(tmp_path / "iteration.npz"), "--save", str(tmp_path / "mine.npz")],
                          capture_output=True, text=True, cwd=HERE.parents[1])
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "0 failed" in done.stdout
    with np.load(tmp_path / "mine.npz", allow_pickle=False) as mine:
        assert {"forward.0.output", "backward.0.grad.W", "loss", "update.0.W.after"} <= set(mine.files)
        expected = dict(np.load(io.BytesIO(iteration_npz(lab.trace, lab.model))))
        np.testing.assert_allclose(mine["update.0.W.after"], expected["update.0.W.after"], rtol=1e-12)


def cnn_adam_iteration():
    """The second iteration of a small CNN trained with Adam (so that m and v are not zero)."""
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 2, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(8, 3, rng=rng), LogSoftMax())
    optimizer = Adam(0.01)
    for _ in range(2):
        x, y = rng.normal(size=(5, 1, 4, 4)), rng.integers(0, 3, 5)
        trace = trace_iteration(model, NLLCriterion(), optimizer, x, y)
    return iteration_arrays(trace, model)


def test_a_cnn_trained_with_adam_replays_with_the_learners_conv_pool_and_adam():
    arrays = cnn_adam_iteration()
    assert str(arrays["optimizer"]) == "Adam" and int(arrays["t"]) == 2
    errors = []
    mine = replay(homework(), arrays, errors)
    assert errors == []
    assert {"forward.0.output", "backward.0.grad_input", "backward.0.grad.W", "forward.2.output",
            "backward.2.grad_input", "update.0.W.after", "update.4.b.after"} <= set(mine)
    for key, value in mine.items():
        if key != "fingerprint":  # the homework's Adam (lr_t form) has eps / sqrt(1 - beta2^t) where the
            # engine (and torch) have eps: on an entry with a tiny gradient its step differs by ~1e-7
            tolerance = dict(rtol=1e-4, atol=1e-7) if key.startswith("update.") else dict(rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(value, arrays[key], **tolerance, err_msg=key)


def test_diagnose_names_an_adam_mistake_from_the_recorded_moments():
    arrays = cnn_adam_iteration()
    bug = next(m for m in entries("Adam") if m.key == "no_bias_correction")
    mine = replay(homework() | {"adam_optimizer": bug.variant}, arrays)
    assert diagnose(arrays, "update.0.W.after", mine["update.0.W.after"]).key == "no_bias_correction"
