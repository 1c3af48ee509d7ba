"""Lab: one learner's state; every failed action leaves model, trace and data as they were."""
from dataclasses import replace

import numpy as np
import pytest

from engine.trace import Stage
from lab.network import NetworkConfig, add_layer
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
    (lambda c: replace(c, layers=({"kind": "Linear", "n_out": 1}, {"kind": "LogSoftMax"})),
     r"the criterion does not fit the network's output: NLLCriterion: .*Make the last Linear output 2 "
     r"units. The network ends with 1 output but the data has 2 classes"),
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
    rows = "\n".join(f"{i % 3},{i},{2 * i}" for i in range(30))
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
