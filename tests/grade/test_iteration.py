"""engine.grade.iteration: the app's recorded iteration replayed with the learner's classes, module by module."""
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.grade.iteration import diagnose, parse_layer, replay
from lab.exercise import iteration_arrays, iteration_npz
from lab.presets import PRESETS
from lab.session import Lab

HERE = Path(__file__).parent


def homework(replace=None):
    source = (HERE / "homework_ok.py").read_text()
    namespace = {}
    exec(compile(source.replace(*replace) if replace else source, "homework.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name, expected", [
    ("Linear(2 -> 16)", ("Linear", (2, 16))), ("LogSoftMax", ("LogSoftMax", ())),
    ("LeakyReLU(slope=0.2)", ("LeakyReLU", (0.2,))), ("ELU(alpha=1.5)", ("ELU", (1.5,))),
    ("Dropout(p=0.25)", ("Dropout", (0.25,))), ("BatchNormalization(alpha=0.9)", ("BatchNormalization", (0.9,))),
    ("Scaling(8)", ("Scaling", (8,)))])
def test_every_layer_name_the_engine_writes_is_read_back(name, expected):
    assert parse_layer(name) == expected


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_correct_framework_replays_every_preset_exactly(preset):
    lab = Lab(PRESETS[preset].config)
    assert lab.trace is not None
    arrays = iteration_arrays(lab.trace, lab.model)
    errors = []
    mine = replay(homework(), arrays, errors)
    assert errors == []
    for key, value in mine.items():
        if key != "fingerprint":
            np.testing.assert_allclose(value, arrays[key], rtol=1e-9, atol=1e-12, err_msg=key)
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
