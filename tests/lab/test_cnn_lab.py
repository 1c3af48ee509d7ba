"""A CNN and Adam in the Lab: images reach the network as (N, 1, H, W), shape slips are refused with what to
change (and advised), optimizers switch on the same weights, and Adam's state travels in an export exactly."""
import copy
from dataclasses import replace

import numpy as np
import pytest

from lab import network
from lab.advice import advice
from lab.exercise import check_code, iteration_npz
from lab.network import NetworkConfig
from lab.presets import PRESETS, stack
from lab.session import Lab
from lab.shapes import input_shape
from lab.transfer import config_json, read_arrays, read_start
from tests.lab.test_exercise import run_check
from tests.uploaded import digits_csv, preset_lab


@pytest.fixture(scope="module")
def cnn():
    return preset_lab("cnn_digits")


def test_digits_reach_a_cnn_as_images_and_an_mlp_as_rows(cnn):
    assert cnn.inputs == (1, 8, 8) and cnn.trace.forward[0].input.shape == (32, 1, 8, 8)
    idx = cnn.start[2].order[:32]  # the first batch: the same rows of the data, as images
    np.testing.assert_array_equal(cnn.trace.forward[0].input.reshape(32, 64), cnn.data.X_train[idx])
    assert [str(stage) for stage in cnn.stages][-2:] == ["update 0", "update 4"]
    mlp = preset_lab("digits")
    assert mlp.inputs == (64,) and mlp.trace.forward[0].input.shape == (32, 64)
    rows = [(row["layer"], row["output shape"], row["parameters"])
            for row in network.summary_rows(cnn.config, cnn.inputs, 32)]
    assert rows == [("Conv2d(1, 4, 3)", "(32, 4, 8, 8)", 40), ("ReLU()", "(32, 4, 8, 8)", 0),
                    ("MaxPool2d(2)", "(32, 4, 4, 4)", 0), ("Flatten()", "(32, 64)", 0),
                    ("Linear(64, 10)", "(32, 10)", 650), ("LogSoftMax()", "(32, 10)", 0)]
    assert "model.add(Conv2d(1, 4, 3))" in network.python_code(cnn.config, cnn.inputs)


def test_an_uploaded_csv_reaches_the_csv_preset_as_28_by_28_images_trained_with_adam():
    lab = Lab()
    with pytest.raises(ValueError, match="upload a Kaggle MNIST or Fashion-MNIST CSV first"):
        lab.load_preset("cnn_csv")
    assert lab.config == NetworkConfig()
    lab = preset_lab("cnn_csv", digits_csv(300))
    assert lab.inputs == (1, 28, 28) and lab.config.dataset == "upload: digits28.csv"
    assert network.shapes(lab.config, lab.inputs)[-3:] == [(784,), (10,), (10,)]
    assert lab.trace.optimizer == "Adam" and "optimizer = Adam(lr=0.001, beta1=0.9" in \
        network.python_code(lab.config, lab.inputs)
    assert lab.train(1).epochs_run == 1 and lab.trace.config["t"] > 1


@pytest.mark.parametrize("layers, inputs, message", [
    (stack(("Conv2d", 4, 3), "Flatten", ("Linear", 2), "LogSoftMax"), (2,),
     r"layer 0 \(Conv2d\(2, 4, 3\)\): Move Conv2d \(layer 0\) before the first Flatten and Linear, on image "
     r"data. Conv2d takes images \(C, H, W\), but layer 0 receives rows of 2 features"),
    (stack(("Conv2d", 4, 3), ("Linear", 10), "LogSoftMax"), (1, 8, 8),
     r"layer 1 \(Linear\(4, 10\)\): Put a Flatten before Linear \(layer 1\). Linear takes feature rows, but "
     r"layer 1 receives images \(4, 8, 8\): Flatten makes them rows of 4 · 8 · 8 = 256 features"),
    (stack(("Conv2d", 4, 3), ("MaxPool2d", 3), "Flatten", ("Linear", 10)), (1, 8, 8),
     r"layer 1 \(MaxPool2d\(3\)\): Use a MaxPool2d kernel size that divides H = 8 and W = 8 \(2, 4, 8\)"),
    (stack(("MaxPool2d", 2), ("MaxPool2d", 2), ("MaxPool2d", 2), ("MaxPool2d", 2), "Flatten"), (1, 8, 8),
     r"layer 3 \(MaxPool2d\(2\)\): Remove MaxPool2d \(layer 3\): no kernel size above 1 divides H = 1"),
    (stack(("Conv2d", 4, 3), "ReLU", "SoftMax"), (1, 8, 8), r"layer 2 \(SoftMax\(\)\): Put a Flatten before"),
])
def test_shape_slips_are_refused_naming_the_layer_and_what_to_change(layers, inputs, message):
    config = NetworkConfig(dataset="digits", layers=layers)
    with pytest.raises(ValueError, match=message) as refused:
        network.build_model(config, inputs)
    tips = [tip for tip in advice(config, inputs, 10) if tip.blocking]  # the Build page's advice says the same
    assert tips and str(refused.value).endswith(str(tips[0]))


def test_a_refused_edit_keeps_the_working_cnn(cnn):
    lab = copy.deepcopy(cnn)
    before = lab.config, lab.trace, lab.model
    with pytest.raises(ValueError, match="Use a MaxPool2d kernel size that divides H = 8"):
        lab.apply(network.set_layer_arg(lab.config, 2, "kernel_size", 3))
    with pytest.raises(ValueError, match="kernel size must be odd"):
        lab.apply(network.set_layer_arg(lab.config, 0, "kernel_size", 4))
    with pytest.raises(ValueError, match="Conv2d takes images"):
        lab.switch_dataset("circles")  # two features per sample are no image
    assert (lab.config, lab.trace, lab.model) == before


def test_a_digits_mlp_becomes_a_cnn_bottom_up():
    lab = preset_lab("digits")
    lab.apply(network.add_layer(lab.config, "Flatten", 0))  # a no-op on rows: the MLP still records
    assert lab.inputs == (64,) and lab.trace is not None
    lab.apply(network.add_layer(lab.config, "Conv2d", 0))  # now the stack takes images, Flatten makes rows
    assert lab.inputs == (1, 8, 8) and lab.model[2].W.shape == (4 * 64, 128)
    assert lab.trace.forward[0].output.shape == (32, 4, 8, 8)


def test_switching_the_optimizer_records_the_same_iteration_from_the_same_weights(cnn):
    lab = copy.deepcopy(cnn)
    lab.new_iteration()
    sgd = lab.trace
    lab.apply(replace(lab.config, optimizer="Adam", learning_rate=1e-3))
    adam = lab.trace
    assert adam.optimizer == "Adam" and adam.config["t"] == 1  # Adam's first step, no momentum carried over
    for a, b in zip(sgd.updates, adam.updates):
        np.testing.assert_array_equal(a.before, b.before)
        np.testing.assert_array_equal(a.grad, b.grad)
    g = adam.updates[0].grad  # t = 1: m_hat = g, v_hat = g², so each weight steps by lr · g / (|g| + ε)
    np.testing.assert_allclose(adam.updates[0].before - adam.updates[0].after, 1e-3 * g / (np.abs(g) + 1e-8),
                               rtol=1e-12, atol=1e-15)
    lab.apply(replace(lab.config, beta1=0.5))  # a setting of the same optimizer: the same step again
    assert lab.trace.optimizer == "Adam" and lab.trace.config["beta1"] == 0.5


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_adams_state_travels_in_the_export_and_records_the_same_iteration(cnn, steps):
    source = copy.deepcopy(cnn)
    source.apply(replace(source.config, optimizer="Adam", learning_rate=1e-3))
    for _ in range(steps):
        source.new_iteration()
    arrays = read_arrays(source.weights_npz())
    adam = sorted(name for name in arrays if name.startswith("adam."))
    assert adam == ([] if steps == 0 else ["adam.m.0.W", "adam.m.0.b", "adam.m.4.W", "adam.m.4.b", "adam.t",
                                           "adam.v.0.W", "adam.v.0.b", "adam.v.4.W", "adam.v.4.b"])
    assert not any(name.startswith("velocity.") for name in arrays)
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), source.weights_npz())
    assert lab.trace.config["t"] == steps + 1
    for a, b in zip(source.trace.updates, lab.trace.updates):
        for name in ("before", "grad", "m", "v", "after"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_an_adam_export_refuses_the_wrong_optimizers_members(cnn):
    source = copy.deepcopy(cnn)
    source.new_iteration()  # SGD with velocities
    config = replace(source.config, optimizer="Adam")
    lab = Lab()
    before = lab.config, lab.trace
    with pytest.raises(ValueError, match=r"velocity.* belong to the other optimizer; the configuration uses Adam"):
        # the reading step, past the members' headers
        read_start(config, source.data, read_arrays(source.weights_npz()))
    adam = copy.deepcopy(cnn)
    adam.apply(replace(adam.config, optimizer="Adam"))
    adam.new_iteration()
    arrays = read_arrays(adam.weights_npz())
    del arrays["adam.t"]
    with pytest.raises(ValueError, match=r"adam.m.\*, adam.v.\* and adam.t come together"):
        read_start(adam.config, adam.data, arrays)
    assert (lab.config, lab.trace) == before
    assert input_shape(adam.config, adam.data) == (1, 8, 8)


def test_the_check_code_of_adams_first_step_runs_from_no_state(cnn, tmp_path):
    """At t = 1 the iteration holds no previous m and v: the code starts Adam from an empty state."""
    lab = copy.deepcopy(cnn)
    lab.apply(replace(lab.config, optimizer="Adam", learning_rate=1e-3))
    assert lab.trace.config["t"] == 1
    printed = run_check(check_code(lab.config, lab.inputs), iteration_npz(lab.trace, lab.model), tmp_path)
    assert sum("after the step" in line for line in printed) == 4 and all(line.startswith("ok") for line in printed)


def test_an_adam_network_without_parameters_exports_its_step_count_alone():
    source = Lab(NetworkConfig(layers=({"kind": "ReLU"},), optimizer="Adam"))
    source.new_iteration()
    assert source.start[1].state == {"m": [], "v": [], "t": 1}  # the shown iteration starts after one step
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), source.weights_npz())
    assert lab.trace.config["t"] == 2 and lab.config == source.config
