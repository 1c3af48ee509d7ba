"""Lab: one learner's state; every failed action leaves model, trace and data as they were."""
from dataclasses import replace

import numpy as np
import pytest

from engine.trace import Stage
from lab import network
from lab.network import NetworkConfig, add_layer
from lab.origin import Origin
from lab.transfer import config_json
from lab.presets import PRESETS
from lab import uploads
from lab.session import BatchCursor, Lab


def parameters(model):
    return [np.array(value) for _, value, _ in model.named_parameters()]


def snapshot(lab):
    return lab.config, lab.trace, lab.stage, parameters(lab.model), lab.data


def assert_unchanged(lab, before):
    config, trace, stage, params, data = before
    assert lab.config == config and lab.trace is trace and lab.stage == stage and lab.data is data
    assert all(np.array_equal(a, b) for a, b in zip(parameters(lab.model), params))


def test_first_open_is_the_handout_example_ready_to_step():
    lab = Lab()
    assert lab.config == NetworkConfig() and lab.data.name == "blobs"
    assert lab.trace.forward[0].input.shape == (8, 2)
    assert [str(s) for s in lab.stages] == ["forward 0", "forward 1", "loss", "backward 1",
                                            "backward 0", "update 0"]
    assert lab.current == Stage("forward", 0)


def test_stepping_is_clamped_and_jump_checked():
    lab = Lab()
    lab.step(-1)
    assert lab.stage == 0
    lab.step(100)
    assert lab.current == Stage("update", 0)
    lab.jump(2)
    assert lab.current == Stage("loss")
    with pytest.raises(ValueError, match=r"stage must be in \[0, 5\]"):
        lab.jump(6)


def test_new_iteration_takes_the_next_batch_from_the_updated_weights():
    lab = Lab()
    first = lab.trace
    after = first.updates[0].after
    lab.step(3)
    lab.new_iteration()
    assert lab.stage == 0
    assert np.array_equal(lab.trace.updates[0].before, after)  # the previous update was applied
    assert not np.array_equal(lab.trace.forward[0].input, first.forward[0].input)
    assert lab.cursor.iteration == 2


def test_the_cursor_covers_every_sample_once_per_epoch():
    cursor = BatchCursor(10, 4, seed=0)
    seen = np.concatenate([cursor.next() for _ in range(3)])
    assert sorted(seen) == list(range(10)) and cursor.epoch == 1
    cursor.next()
    assert cursor.epoch == 2


def test_a_setting_records_the_same_iteration_again_from_its_start():
    lab = Lab()
    lab.new_iteration()
    first = lab.trace
    lab.apply(replace(lab.config, learning_rate=0.1, momentum=0.5))
    assert np.array_equal(lab.trace.updates[0].before, first.updates[0].before)
    assert np.array_equal(lab.trace.forward[0].input, first.forward[0].input)  # the same batch
    assert np.array_equal(lab.trace.updates[0].grad, first.updates[0].grad)
    assert (lab.trace.learning_rate, lab.trace.momentum) == (0.1, 0.5)
    velocity_before = (first.updates[0].velocity - 0.01 * first.updates[0].grad) / 0.9
    assert np.allclose(lab.trace.updates[0].velocity, 0.5 * velocity_before + 0.1 * first.updates[0].grad)
    assert lab.cursor.iteration == 2
    lab.apply(replace(lab.config, learning_rate=0.01, momentum=0.9))
    assert np.array_equal(lab.trace.updates[0].after, first.updates[0].after)  # undone exactly


def test_structure_changes_rebuild():
    lab = Lab()
    lab.apply(add_layer(lab.config, "ReLU", 1))
    assert len(lab.trace.forward) == 3


@pytest.mark.parametrize("change, message", [
    (lambda c: replace(c, layers=()), "the network is empty"),
    (lambda c: replace(c, batch_size=800), "batch size 800 is larger than the 768 training samples"),
    (lambda c: replace(c, layers=({"kind": "Linear", "n_out": 0},)), "output size must be"),
    (lambda c: replace(c, dataset="nope"), "unknown dataset 'nope'"),
    (lambda c: replace(c, learning_rate=1e-7), r"learning rate must be a number in \[1e-06, 100\], got 1e-07"),
    (lambda c: replace(c, layers=({"kind": "Linear", "n_out": 1024},) * 4), "the limit per learner is 128 MB"),
])
def test_a_failed_apply_loses_nothing(change, message):
    lab = Lab()
    lab.step(2)
    before = snapshot(lab)
    with pytest.raises(ValueError, match=message):
        lab.apply(change(lab.config))
    assert_unchanged(lab, before)


def test_evaluate_mode_needs_statistics_from_a_training_iteration_first():
    lab = Lab(PRESETS["dropout_batchnorm"].config)
    before = snapshot(lab)
    with pytest.raises(ValueError, match="moving statistics"):  # the iteration started from fresh weights
        lab.apply(replace(lab.config, training=False))
    assert_unchanged(lab, before)
    lab.new_iteration()  # a training iteration gives BatchNormalization its statistics
    training = lab.trace
    lab.apply(replace(lab.config, training=False))
    dropout = lab.trace.forward[3]
    assert np.array_equal(dropout.output, dropout.input)  # evaluate: Dropout is the identity
    assert np.array_equal(lab.trace.forward[0].input, training.forward[0].input)  # the same batch


def test_switching_dataset_fits_the_last_linear_and_says_so():
    lab = Lab()
    lab.switch_dataset("digits")
    assert lab.config.layers[0] == {"kind": "Linear", "n_out": 10}
    assert "now outputs 10 classes" in lab.notice
    lab.switch_dataset("regression")
    assert lab.config.criterion == "MSECriterion"
    assert [s["kind"] for s in lab.config.layers] == ["Linear"]
    assert lab.trace.target.shape == (8, 1)
    lab.apply(replace(lab.config, layers=lab.config.layers + ({"kind": "LogSoftMax"},)))  # MSE already chosen
    lab.switch_dataset("circles")
    lab.switch_dataset("regression")
    assert [s["kind"] for s in lab.config.layers] == ["Linear"] and "LogSoftMax was removed" in lab.notice


def test_training_continues_stepping_from_the_trained_weights():
    lab = Lab()
    calls = []
    history = lab.train(2, callback=calls.append)
    assert history.epochs_run == 2 and len(calls) == 2 * 96
    assert history.train_loss[-1] < history.train_loss[0]
    assert np.array_equal(lab.trace.updates[0].before[...], lab.trace.updates[0].before)
    trained = lab.trace.updates[0].before
    assert lab.trace.loss < 0.5 and lab.stage == 0 and trained.shape == (2, 2)


def test_a_diverging_training_keeps_the_last_working_model():
    lab = Lab(PRESETS["high_lr"].config)
    before = snapshot(lab)
    history = lab.train(3)
    assert history.stopped_reason == "non-finite loss"
    assert_unchanged(lab, before)
    assert lab.history is history and lab.trained_epochs == 0


def test_compare_trains_each_activation_from_the_same_start():
    lab = Lab(PRESETS["circles"].config)
    before = snapshot(lab)
    histories = lab.compare(1)
    assert list(histories) == ["ReLU", "LeakyReLU", "ELU", "SoftPlus"]
    assert all(h.epochs_run == 1 for h in histories.values())
    assert len({h.train_loss[0] for h in histories.values()}) == 4
    assert_unchanged(lab, before)
    with pytest.raises(ValueError, match="no activation layer"):
        Lab().compare(1)


def test_two_labs_share_nothing():
    a, b = Lab(), Lab()
    a.apply(add_layer(a.config, "ReLU", 1))
    a.train(1)
    assert len(b.trace.forward) == 2 and b.trained_epochs == 0
    assert b.model is not a.model and b.data.X_train is not a.data.X_train


def test_uploads_that_are_not_csv_or_too_big_are_refused():
    lab = Lab()
    before = snapshot(lab)
    with pytest.raises(ValueError, match=r"photo.png: expected a .csv file"):
        lab.upload("photo.png", b"\x89PNG")
    with pytest.raises(ValueError, match="over the 200 MB limit"):
        lab.upload("huge.csv", b"0" * (200 * 2**20 + 1))
    assert_unchanged(lab, before)
    assert lab.dataset_names == ["blobs", "circles", "moons", "xor", "spiral", "regression", "digits"]


def test_an_uploaded_csv_can_be_resplit_with_a_new_seed():
    lab = Lab()
    rows = "\n".join(f"{i % 3},{i},{2 * i}" for i in range(100))
    lab.upload("small.csv", f"label,a,b\n{rows}\n".encode())
    first = lab.data.X_train.copy()
    lab.apply(replace(lab.config, seed=4))
    assert lab.config.dataset == "upload: small.csv" and not np.array_equal(lab.data.X_train, first)
    assert lab.data.name == "small" and "from small" in lab.data.description
    assert lab.config.layers[0]["n_out"] == 3


def test_a_big_upload_keeps_only_its_first_rows_compressed(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 50)
    header = "label," + ",".join(f"pixel{j}" for j in range(64))
    rows = [f"{i % 10}," + ",".join(str((i * 31 + j * 7) % 256) for j in range(64)) for i in range(400)]
    content = "\n".join([header] + rows).encode()
    lab = Lab()
    lab.upload("big.csv", content)
    assert len(lab.data.X_train) + len(lab.data.X_test) == 50
    assert lab.data.X_train.dtype == np.float32 and lab.data.image_shape == (8, 8)
    assert "only the first 50 of its about 400 rows are used" in lab.notice
    upload = lab.uploads["upload: big.csv"]
    assert upload.nbytes < len(content) / 4  # 50 of 400 rows, compressed
    lab.upload("other.csv", content)  # a new upload replaces the last one
    assert list(lab.uploads) == ["upload: other.csv"]


# --- unfinished networks: built bottom-up, recorded once they fit the criterion ---

def digits_lab():
    lab = Lab()
    lab.switch_dataset("digits")  # Linear(64, 10), LogSoftMax
    return lab


def test_the_bottom_up_build_on_digits_records_once_the_last_linear_fits():
    lab = digits_lab()
    lab.apply(network.set_layer_arg(lab.config, 0, "n_out", 128))
    lab.apply(network.add_layer(lab.config, "Linear", 1, outputs=lab.outputs))  # before the LogSoftMax
    assert [spec.get("n_out") for spec in lab.config.layers] == [128, 10, None]
    assert lab.unfinished is None and [str(s) for s in lab.stages][:3] == ["forward 0", "forward 1", "forward 2"]


def test_a_stack_the_criterion_cannot_take_is_kept_unfinished_with_the_advice():
    lab = digits_lab()
    lab.new_iteration()
    lab.apply(network.add_layer(lab.config, "Linear", 1))  # a new middle-or-last Linear without `outputs`: 2
    assert lab.config.layers[1] == {"kind": "Linear", "n_out": 2}
    assert lab.trace is None and lab.stages == []
    assert lab.unfinished == ("Make the last Linear output 10 units. The network ends with 2 outputs but the "
                              "data has 10 classes.")
    assert repr(lab.model).splitlines() == ["Linear(64 -> 10)", "Linear(10 -> 2)", "LogSoftMax"]
    assert lab.cursor.iteration == 0 and lab.data.name == "digits"  # fresh weights, nothing recorded yet
    lab.apply(replace(lab.config, learning_rate=0.1))  # a setting on an unfinished network: still unfinished
    assert lab.trace is None and lab.config.learning_rate == 0.1
    lab.apply(network.set_layer_arg(lab.config, 1, "n_out", 10))  # the next edit finishes it
    assert lab.unfinished is None and lab.trace.forward[-1].output.shape == (8, 10)
    assert lab.cursor.iteration == 1


def digits_two_linears():
    """Linear(64, 3), Linear(3, 10), LogSoftMax on digits: finished."""
    return NetworkConfig(dataset="digits", layers=({"kind": "Linear", "n_out": 3}, {"kind": "Linear", "n_out": 10},
                                                   {"kind": "LogSoftMax"}))


UNFINISHING = {  # each path that changes the config, to a stack whose last Linear has fewer than 10 outputs
    "add": lambda lab, c: lab.apply(network.add_layer(c, "Linear", 2)),      # a new Linear(10, 2) in the middle
    "move": lambda lab, c: lab.apply(network.move_layer(c, 0, 1)),             # Linear(64, 10), Linear(10, 3)
    "remove": lambda lab, c: lab.apply(network.remove_layer(c, 1)),            # Linear(64, 3)
    "argument": lambda lab, c: lab.apply(network.set_layer_arg(c, 1, "n_out", 4)),
    "criterion": lambda lab, c: lab.apply(replace(network.set_layer_arg(c, 1, "n_out", 12),
                                                  criterion="MSECriterion")),  # NLL took 12; MSE needs 10
    "dataset": lambda lab, c: lab.apply(replace(network.set_layer_arg(c, 1, "n_out", 2), dataset="blobs"))
    or lab.apply(replace(lab.config, dataset="digits")),                      # 2 outputs, 10 classes
    "link": lambda lab, c: lab.open_link(network.set_layer_arg(c, 1, "n_out", 4)),
    "import": lambda lab, c: lab.import_files(config_json(network.set_layer_arg(c, 1, "n_out", 4)).encode(),
                                              Lab(network.set_layer_arg(c, 1, "n_out", 4)).weights_npz()),
}


@pytest.mark.parametrize("path", list(UNFINISHING))
def test_every_path_that_changes_the_config_accepts_an_unfinished_stack(path):
    lab = Lab(digits_two_linears())
    assert lab.trace is not None
    UNFINISHING[path](lab, lab.config)
    assert lab.trace is None and lab.unfinished.startswith("Make the last Linear output 10 units."), path
    assert lab.config.dataset == "digits" and len(lab.model) == len(lab.config.layers)
    for action in (lab.new_iteration, lambda: lab.train(1), lambda: lab.compare(1), lambda: lab.step(1)):
        with pytest.raises(ValueError, match="needs a finished network: Make the last Linear output 10 units"):
            action()
    last = max(i for i, spec in enumerate(lab.config.layers) if spec["kind"] == "Linear")
    lab.apply(network.set_layer_arg(lab.config, last, "n_out", 10))  # the start stayed valid: the next edit works
    assert lab.unfinished is None and lab.trace.forward[last].output.shape[1] == 10



# --- weights: new ones from the next seed, or the initial ones again ---

def test_new_weights_come_from_the_next_seed_with_the_same_data_and_first_batch():
    lab = Lab(PRESETS["circles"].config)
    first = lab.trace
    lab.new_weights()
    assert lab.config.weight_seed == 1 and lab.config.effective_weight_seed == 1
    assert not np.array_equal(lab.trace.updates[0].before, first.updates[0].before)
    assert lab.data.X_train is not None and np.array_equal(lab.trace.forward[0].input, first.forward[0].input)
    assert np.array_equal(lab.trace.target, first.target)
    lab.new_weights()
    assert lab.config.weight_seed == 2
    assert np.array_equal(lab.trace.updates[0].before, network.build_model(replace(lab.config, weight_seed=2), 2)[0].W)


def test_the_data_seed_still_draws_the_weights_until_new_weights_is_clicked():
    lab = Lab()
    assert lab.config.weight_seed is None
    lab.apply(replace(lab.config, seed=3))
    assert np.array_equal(lab.trace.updates[0].before,
                          network.build_model(replace(lab.config, weight_seed=3), 2)[0].W)
    lab.new_weights()
    assert lab.config.weight_seed == 4


def test_reset_weights_gives_the_initial_weights_back_without_training_or_momentum():
    lab = Lab(PRESETS["circles"].config)
    initial = lab.trace
    lab.train(1)
    lab.new_iteration()
    assert not np.array_equal(lab.trace.updates[0].before, initial.updates[0].before)
    lab.reset_weights()
    assert lab.trained_epochs == 0 and lab.history is None and lab.cursor.iteration == 1
    for name, array in initial.arrays().items():
        assert np.array_equal(lab.trace.arrays()[name], array), name  # the very first iteration again


# --- where the network came from ---

def test_the_lab_remembers_where_its_network_came_from():
    lab = Lab()
    assert (lab.origin.kind, lab.origin.name, lab.kept) == ("preset", "handout", None)
    circles = PRESETS["circles"].config
    lab.open_link(circles)
    assert lab.origin.kind == "link" and lab.origin.config == circles and lab.kept is lab.origin
    lab.load(Origin("preset", "digits", PRESETS["digits"].config))
    assert lab.origin.name == "digits" and lab.kept.kind == "link"  # the link stays to go back to
    lab.back()
    assert lab.config == circles and lab.origin.kind == "link"


def test_back_to_the_link_gives_its_initial_weights_after_training():
    lab = Lab()
    lab.open_link(PRESETS["circles"].config)
    first = lab.trace
    lab.train(1)
    lab.apply(replace(lab.config, learning_rate=0.2))
    lab.back()
    assert lab.config == PRESETS["circles"].config and lab.trained_epochs == 0
    assert np.array_equal(lab.trace.updates[0].before, first.updates[0].before)


def test_an_import_and_an_upload_are_origins_too():
    source = Lab(PRESETS["circles"].config)
    source.train(1)
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), source.weights_npz(), "class.json")
    assert (lab.origin.kind, lab.origin.name, lab.origin.title) == ("import", "class.json", "Imported: class.json")
    imported = lab.trace
    lab.new_weights()
    lab.back()  # the imported weights again, not the seed's
    assert np.array_equal(lab.trace.updates[0].before, imported.updates[0].before)
    rows = "\n".join(f"{i % 3},{i},{2 * i}" for i in range(100))
    lab.upload("small.csv", f"label,a,b\n{rows}\n".encode())
    assert lab.origin.kind == "upload" and lab.origin.title == "Uploaded: small.csv" and lab.kept is lab.origin


def test_a_link_opens_at_a_named_stage_and_an_unknown_one_is_refused():
    lab = Lab()
    lab.jump_to("backward 0")
    assert lab.current == Stage("backward", 0)
    with pytest.raises(ValueError, match=r"stage 'backward 7' is not a stage of this network \(forward 0, "):
        lab.jump_to("backward 7")
    assert lab.current == Stage("backward", 0)
