"""lab.exercise: the iteration's .npz and the code that checks a learner's framework against it."""
import io
from dataclasses import replace

import numpy as np
import pytest

import engine
from lab.exercise import check_code, iteration_npz
from lab.presets import PRESETS

from tests.grade.homeworks import camel_case_namespace
from tests.uploaded import preset_lab


def exported(lab):
    return iteration_npz(lab.trace, lab.model), check_code(lab.config, lab.inputs)


def run_check(code, npz, tmp_path, classes=None):
    """Run the generated code in tmp_path with the engine (or `classes`) as the learner's framework."""
    (tmp_path / "iteration.npz").write_bytes(npz)
    namespace = {name: getattr(engine, name) for name in engine.__all__}
    namespace.update(classes or {})
    printed = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        exec(code, namespace)
    return printed


def lab_at(preset, new_iterations=1, training=True):
    lab = preset_lab(preset)
    for _ in range(new_iterations):  # later iterations have a previous velocity to start from
        lab.new_iteration()
    if not training:
        lab.apply(replace(lab.config, training=False))
    return lab


@pytest.mark.parametrize("preset", list(PRESETS))
def test_the_engine_passes_every_check_of_every_preset(preset, tmp_path):
    lab = lab_at(preset)
    npz, code = exported(lab)
    printed = run_check(code, npz, tmp_path)
    checked = [spec for spec in lab.config.layers if spec["kind"] != "Dropout"]  # its mask is random
    assert sum(line.startswith("ok  layer") and "forward" in line for line in printed) == len(checked)
    assert "ok  loss" in printed and "ok  dL/d output" in printed
    parameterised = sum(1 for spec in lab.config.layers if spec["kind"] in ("Linear", "Scaling", "Conv2d"))
    assert sum("after the step" in line for line in printed) == 2 * parameterised


def test_evaluate_mode_checks_dropout_and_batchnorm_with_the_moving_statistics(tmp_path):
    lab = lab_at("dropout_batchnorm", training=False)
    npz, code = exported(lab)
    assert "layer.moving_mean = " in code and "layer.evaluate()" in code
    printed = run_check(code, npz, tmp_path)
    assert "ok  layer 3 forward" in printed  # the Dropout, checked in evaluate mode
    train_code = check_code(replace(lab.config, training=True), lab.data.n_features)
    assert "random mask" in train_code and "layer = Dropout" not in train_code


def test_a_broken_layer_fails_with_its_name(tmp_path):
    class Linear(engine.Linear):  # a learner's Linear whose dL/dW is 1% off
        def update_grad_params(self, input, grad_output):
            super().update_grad_params(input, grad_output)
            self.gradW *= 1.01

    npz, code = exported(lab_at("handout"))
    with pytest.raises(AssertionError, match="layer 0 gradW"):
        run_check(code, npz, tmp_path, {"Linear": Linear})


def test_a_momentum_bug_fails_at_the_step(tmp_path):
    def sgd_momentum(variables, gradients, config, state):  # forgets the momentum term
        for layer_variables, layer_gradients in zip(variables, gradients):
            for variable, gradient in zip(layer_variables, layer_gradients):
                variable -= config["learning_rate"] * gradient

    npz, code = exported(lab_at("handout", new_iterations=2))
    with pytest.raises(AssertionError, match="after the step"):
        run_check(code, npz, tmp_path, {"sgd_momentum": sgd_momentum})


def test_the_npz_holds_every_tensor_and_loads_without_pickle():
    lab = lab_at("dropout_batchnorm")
    arrays = np.load(io.BytesIO(iteration_npz(lab.trace, lab.model)), allow_pickle=False)
    trace = lab.trace
    np.testing.assert_array_equal(arrays["x"], trace.forward[0].input)
    np.testing.assert_array_equal(arrays["forward.5.output"], trace.predictions)
    np.testing.assert_array_equal(arrays["backward.0.grad.W"], trace.backward_record(0).grad_params["W"])
    np.testing.assert_array_equal(arrays["update.4.W.after"], trace.update_records(4)[0].after)
    assert float(arrays["loss"]) == trace.loss and float(arrays["momentum"]) == trace.momentum
    assert list(arrays["layers"]) == [record.name for record in trace.forward]
    np.testing.assert_array_equal(arrays["forward.1.moving_mean"], lab.model[1].moving_mean)
    assert "update.0.W.previous_velocity" in arrays.files  # the lab took one new iteration


def test_the_criteria_get_one_hot_targets_as_the_handout_writes_them(tmp_path):
    class NLLCriterion(engine.NLLCriterion):  # the handout's: one-hot targets only
        def update_output(self, input, target):
            assert target.shape == input.shape, "one-hot targets expected"
            return super().update_output(input, target)

        def update_grad_input(self, input, target):
            assert target.shape == input.shape, "one-hot targets expected"
            return super().update_grad_input(input, target)

    npz, code = exported(lab_at("handout"))
    assert 'it["target_one_hot"]' in code
    assert "ok  loss" in run_check(code, npz, tmp_path, {"NLLCriterion": NLLCriterion})


@pytest.mark.parametrize("preset", ["handout", "digits", "dropout_batchnorm", "cnn_digits"])
def test_the_camel_case_homework_passes_its_check_code_with_w_loaded_the_right_way_round(preset, tmp_path):
    """W kept as (n_out, n_in), ClassNLLCriterion, ChannelwiseScaling, getParameters: the check code detects the
    convention as the grader does; the handout's Linear(2, 2) is square, where a transpose passes every shape."""
    lab = lab_at(preset, training=False) if preset == "dropout_batchnorm" else lab_at(preset)
    npz, code = exported(lab)
    (tmp_path / "iteration.npz").write_bytes(npz)
    namespace = camel_case_namespace()
    assert "NLLCriterion" not in namespace and "Scaling" not in namespace
    printed = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        exec(code, namespace)
    assert namespace["W_TRANSPOSED"] is True
    assert "ok  loss" in printed and sum("after the step" in line for line in printed) >= 2
    assert sum(line.startswith("ok  layer") and "gradW" in line for line in printed) == sum(
        spec["kind"] in ("Linear", "Conv2d") for spec in lab.config.layers)
