"""NetworkConfig edits, checks, building, summary and the handout-style code."""
from dataclasses import replace

import numpy as np
import pytest

import engine
from lab import network
from lab.layers import KINDS, check_spec, default_spec, describe
from lab.network import NetworkConfig
from lab.presets import PRESETS


def test_default_is_the_handout_network():
    config = NetworkConfig()
    model = network.build_model(config, 2)
    assert repr(model).splitlines() == ["Linear(2 -> 2)", "LogSoftMax"]
    assert (config.criterion, config.learning_rate, config.momentum, config.batch_size) == \
        ("NLLCriterion", 1e-2, 0.9, 8)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_builds_with_its_defaults_and_shapes_follow(kind):
    """After a Linear on rows (4, 3) and after a Conv2d on images (4, 1, 8, 8), wherever the kind takes
    that input: the engine's output has the shape network.shapes predicts, and the parameter count too."""
    contexts = []
    if KINDS[kind].takes != "images":
        contexts.append(({"kind": "Linear", "n_out": 5}, (3,)))
    if KINDS[kind].takes != "rows":
        contexts.append(({"kind": "Conv2d", "out_channels": 2, "kernel_size": 3}, (1, 8, 8)))
    for first, shape in contexts:
        config = network.add_layer(NetworkConfig(layers=(first,)), kind)
        model = network.build_model(config, shape)
        assert isinstance(model[1], getattr(engine, kind))
        out = model.forward(np.ones((4,) + shape))
        assert out.shape == (4,) + network.shapes(config, shape)[-1]
        counted = sum(row["parameters"] for row in network.summary_rows(config, shape))
        assert counted == sum(value.size for _, value, _ in model.named_parameters())


def test_building_is_seeded():
    config = PRESETS["circles"].config
    a, b = network.build_model(config, 2), network.build_model(config, 2)
    values = [[value for _, value, _ in model.named_parameters()] for model in (a, b)]
    assert len(values[0]) == 4 and all(np.array_equal(x, y) for x, y in zip(*values))
    c = network.build_model(replace(config, seed=1), 2)
    assert not np.array_equal(a[0].W, c[0].W)


def test_edits_return_new_configs_and_leave_the_old_one():
    config = NetworkConfig()
    added = network.add_layer(config, "ReLU", 1)
    assert [s["kind"] for s in added.layers] == ["Linear", "ReLU", "LogSoftMax"]
    assert [s["kind"] for s in config.layers] == ["Linear", "LogSoftMax"]
    moved = network.move_layer(added, 1, 1)
    assert [s["kind"] for s in moved.layers] == ["Linear", "LogSoftMax", "ReLU"]
    assert network.move_layer(moved, 0, -1) == moved  # the top stays the top
    removed = network.remove_layer(moved, 2)
    assert removed.layers == config.layers
    edited = network.set_layer_arg(config, 0, "n_out", 7)
    assert edited.layers[0] == {"kind": "Linear", "n_out": 7}


@pytest.mark.parametrize("kind, name, value, message", [
    ("Linear", "n_out", 0, "output size must be an integer in [1, 1024], got 0"),
    ("Linear", "n_out", 2.5, "output size must be an integer"),
    ("Dropout", "p", 1.0, "p (zeroed) must be a number in [0, 0.99], got 1.0"),
    ("LeakyReLU", "slope", -0.1, "slope must be a number in [0, 1]"),
    ("ELU", "alpha", float("nan"), "alpha must be a number"),
    ("BatchNormalization", "alpha", "x", "alpha (moving average) must be a number"),
])
def test_impossible_arguments_name_the_layer_and_range(kind, name, value, message):
    config = NetworkConfig(layers=(default_spec("Linear"), default_spec(kind)))
    index = 1 if kind != "Linear" else 0
    with pytest.raises(ValueError, match=rf"layer {index} \({kind}\): ") as error:
        network.set_layer_arg(config, index, name, value)
    assert message in str(error.value)


def test_config_checks():
    with pytest.raises(ValueError, match="the network is empty"):
        network.check_config(NetworkConfig(layers=()))
    with pytest.raises(ValueError, match="criterion must be one of"):
        network.check_config(NetworkConfig(criterion="Hinge"))
    with pytest.raises(ValueError, match=r"learning rate must be a number in \[1e-06, 100\], got 0"):
        network.check_config(NetworkConfig(learning_rate=0))
    with pytest.raises(ValueError, match="layer 1: unknown layer 'Conv3d'"):
        network.check_config(NetworkConfig(layers=(default_spec("Linear"), {"kind": "Conv3d"})))
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\): unknown argument\(s\) n_in"):
        check_spec({"kind": "Linear", "n_out": 2, "n_in": 3}, "layer 0")
    with pytest.raises(ValueError, match="no layer 5"):
        network.remove_layer(NetworkConfig(), 5)


def test_summary_and_code_follow_the_sizes():
    config = PRESETS["digits"].config
    rows = network.summary_rows(config, 64, 32)
    assert [r["parameters"] for r in rows] == [64 * 128 + 128, 0, 128 * 128 + 128, 0, 1290, 0]
    assert rows[0]["output shape"] == "(32, 128)" and rows[-1]["output shape"] == "(32, 10)"
    code = network.python_code(config, 64)
    assert "model.add(Linear(64, 128))" in code and "model.add(Linear(128, 10))" in code
    assert "criterion = NLLCriterion()" in code and "SGD(lr=0.05, momentum=0.9)" in code
    namespace = {}
    exec(code, namespace)  # the code a learner copies runs and builds the same shapes
    assert namespace["model"].forward(np.zeros((3, 64))).shape == (3, 10)


def test_describe_reads_like_the_handout():
    assert describe({"kind": "Linear", "n_out": 2}, 2) == "Linear(2, 2)"
    assert describe({"kind": "LeakyReLU", "slope": 0.03}) == "LeakyReLU(slope=0.03)"
    assert describe({"kind": "ELU", "alpha": 1.0}) == "ELU(alpha=1)"
    # exact, so that code built from it rebuilds the same layer (6 significant digits would not)
    assert describe({"kind": "LeakyReLU", "slope": 0.3203125}) == "LeakyReLU(slope=0.3203125)"
    assert describe({"kind": "Dropout", "p": 0.1234567}) == "Dropout(p=0.1234567)"
    assert describe({"kind": "Scaling"}, 5) == "Scaling(5)"


def test_with_activation_swaps_only_activations():
    config = network.with_activation(PRESETS["dying_relu"].config, "ELU")
    assert [s["kind"] for s in config.layers] == ["Linear", "ELU", "Linear", "ELU", "Linear", "LogSoftMax"]


def test_config_round_trips_through_a_dict():
    config = PRESETS["dropout_batchnorm"].config
    assert network.config_from_dict(config.as_dict()) == config
    with pytest.raises(ValueError, match="unknown field"):
        network.config_from_dict({**config.as_dict(), "nesterov": True})
    old = {name: value for name, value in config.as_dict().items()  # a file from before Adam came in
           if name not in ("optimizer", "beta1", "beta2", "epsilon")}
    assert network.config_from_dict(old) == config and config.optimizer == "SGD"
    adam = replace(config, optimizer="Adam", beta1=0.8)
    assert network.config_from_dict(adam.as_dict()) == adam
    with pytest.raises(ValueError, match="optimizer must be one of SGD, Adam, got 'RMSprop'"):
        network.config_from_dict({**config.as_dict(), "optimizer": "RMSprop"})
    with pytest.raises(ValueError, match=r"beta2 \(mean of g²\) must be a number in \[0, 0.99999\], got 1"):
        network.config_from_dict({**adam.as_dict(), "beta2": 1.0})


def test_presets_are_stored_checked():
    assert all(network.check_config(preset.config) == preset.config for preset in PRESETS.values())


def test_a_new_linear_after_every_other_linear_starts_with_the_data_outputs():
    config = NetworkConfig(layers=({"kind": "Linear", "n_out": 128}, {"kind": "LogSoftMax"}))
    assert network.add_layer(config, "Linear", 1, outputs=10).layers[1] == {"kind": "Linear", "n_out": 10}
    assert network.add_layer(config, "Linear", 2, outputs=10).layers[2] == {"kind": "Linear", "n_out": 10}
    assert network.add_layer(config, "Linear", 0, outputs=10).layers[0] == {"kind": "Linear", "n_out": 2}
    assert network.add_layer(config, "Linear", 1).layers[1] == {"kind": "Linear", "n_out": 2}  # no data given
    assert network.add_layer(config, "ReLU", 1, outputs=10).layers[1] == {"kind": "ReLU"}


def test_set_value_checks_the_range_of_a_setting():
    config = NetworkConfig()
    assert network.set_value(config, "momentum", 0.5).momentum == 0.5
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 0.999\], got 1.2"):
        network.set_value(config, "momentum", 1.2)
    with pytest.raises(ValueError, match=r"data seed must be an integer in \[0, 2147483647\], got -1"):
        network.set_value(config, "seed", -1)
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        network.set_value(config, "colour", 1)


def test_every_field_label_states_its_range():
    assert network.LEARNING_RATE.field(title=True) == "Learning rate, 1e-06 to 100"
    assert network.SEED.field(title=True) == "Data seed, 0 to 2147483647"
    assert KINDS["Dropout"].args[0].field() == "p (zeroed), 0 to 0.99"
    assert KINDS["Linear"].args[0].field() == "output size, 1 to 1024"


def test_the_weights_seed_is_its_own_and_defaults_to_the_data_seed():
    config = PRESETS["circles"].config
    assert config.weight_seed is None and config.effective_weight_seed == config.seed
    a = network.build_model(replace(config, weight_seed=0), 2)
    b = network.build_model(replace(config, weight_seed=5), 2)
    c = network.build_model(replace(config, seed=5), 2)
    assert np.array_equal(a[0].W, network.build_model(config, 2)[0].W)
    assert np.array_equal(b[0].W, c[0].W) and not np.array_equal(a[0].W, b[0].W)
    with pytest.raises(ValueError, match=r"weights seed must be an integer in \[0, 2147483647\]"):
        network.check_config(replace(config, weight_seed=-2))


def test_an_export_without_a_weights_seed_still_reads_and_one_with_it_round_trips():
    old = {key: value for key, value in NetworkConfig().as_dict().items() if key != "weight_seed"}
    assert network.config_from_dict(old) == NetworkConfig()
    config = replace(NetworkConfig(), weight_seed=7)
    assert network.config_from_dict(config.as_dict()) == config
