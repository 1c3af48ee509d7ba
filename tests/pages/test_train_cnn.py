"""pages/train.py through AppTest on convolutional networks: feature maps under the test images, the learned
kernels before and after a run, Compare and Adam on a CNN."""
from dataclasses import replace

import numpy as np

from lab.presets import PRESETS
from lab.session import Lab
from tests.pages.apptest import open_page as open_app_page
from tests.pages.test_train import charts, click, messages, open_page, values, weights, with_config
from tests.uploaded import digits_csv


def test_a_cnn_trains_and_shows_its_feature_maps_and_kernels():
    at = open_app_page("train", preset="cnn_digits")
    lab = at.session_state.lab
    found = charts(at)
    assert ["heatmap"] == [t["type"] for t in found["train_kernels_0"]["data"]]  # untrained: the current ones only
    assert "These are the initial kernels" in messages(at.caption)
    before = np.array(lab.model.modules[0].W, copy=True)
    click(at, "train_start", epochs=1)
    assert lab.history.epochs_run == 1 and lab.trained_epochs == 1 and not at.error
    assert "Trained 1 epoch" in messages(at.success) and "Last run: 1 epoch · batch size 32 · SGD lr 0.1" in \
        messages(at.caption)
    found = charts(at)
    assert {"train_iteration_loss", "train_loss_curves", "train_accuracy_curves", "train_confusion"} <= set(found)
    assert values(found["train_confusion"]["data"][0]["z"]).sum() == len(lab.data.X_test)
    images, maps = found["train_images"], found["train_feature_maps"]
    assert [t["type"] for t in images["data"]].count("heatmap") == 8
    assert len(maps["data"]) == 4 * 8 and all(t["type"] == "heatmap" for t in maps["data"])
    first = lab.model.modules[0]  # channel 2 of test image #0: the trained layer's forward on that image
    y = first.forward(lab.data.X_test[:1].reshape(1, 1, 8, 8))
    np.testing.assert_allclose(values(maps["data"][2 * 8]["z"]), y[0, 2], rtol=1e-6, atol=1e-6)
    assert "Below each image: the output y of layer 0, Conv2d(1 -> 4, 3x3)" in messages(at.caption)
    kernels = found["train_kernels_0"]["data"]
    assert [t["name"] for t in kernels] == ["before the last training run", "now"]
    old, new = (values(t["z"]) for t in kernels)
    np.testing.assert_array_equal(old[np.isfinite(old)], before[:, 0].ravel())
    np.testing.assert_array_equal(new[np.isfinite(new)], first.W[:, 0].ravel())
    assert not np.array_equal(old[np.isfinite(old)], new[np.isfinite(new)])  # training moved them
    assert "Left: the kernels before the last training run" in messages(at.caption)
    lab.reset_weights()  # a fresh start: the kernels kept from before the run no longer belong to this model
    at.run()
    assert [t["name"] for t in charts(at)["train_kernels_0"]["data"]] == ["now"]


def test_a_cnn_on_an_uploaded_csv_draws_its_eight_channels_and_both_kernel_grids():
    at = open_page()
    lab = at.session_state.lab
    lab.upload("digits28.csv", digits_csv(300))
    lab.load_preset("cnn_csv")
    at.run()
    assert not at.exception
    found = charts(at)
    assert len(found["train_feature_maps"]["data"]) == 8 * 8
    assert values(found["train_feature_maps"]["data"][0]["z"]).shape == (28, 28)
    assert sorted(key for key in found if key.startswith("train_kernels_")) == ["train_kernels_0", "train_kernels_3"]
    assert values(found["train_kernels_3"]["data"][0]["z"]).shape == (16 * 4 - 1, 8 * 4 - 1)
    assert found["train_kernels_3"]["layout"]["width"] <= 760
    # Adam: beta1 takes momentum's place
    assert not any(w.key == "train_momentum" for w in at.number_input)
    at.number_input(key="train_beta1").set_value(0.8).run()
    assert not at.exception and lab.config.beta1 == 0.8 and lab.optimizer.config["beta1"] == 0.8


def test_compare_on_a_cnn_swaps_its_relu_and_leaves_the_model():
    at = open_app_page("train", preset="cnn_digits")
    lab = at.session_state.lab
    before = weights(lab.model)
    click(at, "train_compare", epochs=1)
    assert list(lab.comparison) == ["ReLU", "LeakyReLU", "ELU", "SoftPlus"] and not at.error
    assert all(history.epochs_run == 1 for history in lab.comparison.values())
    assert len({history.val_loss[-1] for history in lab.comparison.values()}) == 4  # four different runs
    spec = charts(at)["train_compare_val_accuracy"]
    assert [t["name"] for t in spec["data"]] == list(lab.comparison)
    assert lab.trained_epochs == 0
    for ours, theirs in zip(weights(lab.model), before):
        np.testing.assert_array_equal(ours, theirs)


def test_a_cnn_trains_with_adam():
    at = open_app_page("train", preset="cnn_digits")
    lab = at.session_state.lab
    with_config(at, replace(lab.config, optimizer="Adam", learning_rate=0.01))
    labels = [w.label for w in at.number_input]
    assert "Beta1 (mean of g), 0 to 0.999" in labels and not any(label.startswith("Momentum") for label in labels)
    click(at, "train_start", epochs=1)
    history = lab.history
    assert history.epochs_run == 1 and history.stopped_reason is None and not at.error
    reference = Lab(replace(PRESETS["cnn_digits"].config, optimizer="Adam", learning_rate=0.01))
    reference.train(1)
    np.testing.assert_array_equal(history.train_loss, reference.history.train_loss)
    # Adam's step count went on: the iteration recorded before, one step a batch, the iteration recorded after
    assert lab.optimizer.state["t"] == 1 + len(history.iteration_loss) + 1
    assert "Adam lr 0.01, β1 0.9, β2 0.999, ε 1e-08" in messages(at.caption)
    assert history.val_accuracy[-1] > 0.5
