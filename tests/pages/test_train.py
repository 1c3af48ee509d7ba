"""pages/train.py through AppTest: settings, training with the live curve, results, predictions, comparison."""
import json
from dataclasses import replace

import numpy as np
import pytest

from engine.sequential import variables_of
from lab.presets import PRESETS, stack
from lab.session import Lab
from tests.pages.apptest import as_shown, errors, open_page as open_app_page, plotly_array as values

TYPES = {"number_input": ("train_epochs", "train_batch_size", "train_learning_rate", "train_momentum"),
         "button": ("train_start", "train_compare")}


def open_page(page="train"):
    return open_app_page(page)


def with_config(at, config):
    """The learner's lab switched to config (as the Build page would), then the page rerun."""
    at.session_state.lab.apply(config)
    at.run()
    assert not at.exception
    return at


def click(at, key, epochs=None):
    if epochs is not None:
        at.number_input(key="train_epochs").set_value(epochs).run()
    at.button(key=key).click().run()
    assert not at.exception
    return at


def charts(at):
    """Widget key -> the figure's JSON spec of every plotly_chart on the page."""
    return {chart.proto.id.split("-", 2)[-1]: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}



def axis_title(spec, axis="xaxis"):
    return spec["layout"][axis]["title"]["text"]


def weights(model):
    return [np.array(p, copy=True) for layer in variables_of(model)[0] for p in layer]


def messages(elements):
    return " ".join(as_shown(element.value) for element in elements)


# --- first load ---

def test_default_load_shows_the_controls_and_the_untrained_model():
    at = open_page()
    for kind, keys in TYPES.items():
        for key in keys:
            assert at.get(kind) and any(w.key == key for w in at.get(kind)), (kind, key)
    lab = at.session_state.lab
    assert at.number_input(key="train_batch_size").value == lab.config.batch_size
    assert at.number_input(key="train_learning_rate").value == lab.config.learning_rate
    assert at.number_input(key="train_momentum").value == lab.config.momentum
    assert "Not trained yet" in messages(at.info)
    regions = charts(at)["train_decision_regions"]  # informative before any training
    assert [t["type"] for t in regions["data"]] == ["heatmap", "scatter", "scatter"]
    assert (axis_title(regions), axis_title(regions, "yaxis")) == ("x₁", "x₂")
    n_points = sum(len(values(t["x"])) for t in regions["data"][1:])
    assert n_points == len(lab.data.X_test)
    assert "train_loss_curves" not in charts(at) and not at.error


# --- training ---

def test_train_two_epochs_draws_the_curves_and_stepping_continues_from_them():
    at = open_page()
    lab = at.session_state.lab
    old_trace = lab.trace
    click(at, "train_start", epochs=2)
    history = lab.history
    assert history.epochs_run == 2 and lab.trained_epochs == 2 and history.stopped_reason is None
    reference = Lab()  # the same config, seed and batches without the page
    reference.train(2)
    np.testing.assert_array_equal(history.train_loss, reference.history.train_loss)
    # the trace was re-recorded, starting from the trained weights
    assert lab.trace is not old_trace and lab.stage == 0
    for ours, theirs in zip(lab.trace.updates, reference.trace.updates):
        np.testing.assert_array_equal(ours.before, theirs.before)
    for ours, theirs in zip(weights(lab.model), weights(reference.model)):
        np.testing.assert_array_equal(ours, theirs)

    success = messages(at.success)
    assert "Trained 2 epochs" in success and "the step page continues from these weights" in success.lower()
    assert f"test accuracy {history.val_accuracy[-1]:.3f}" in success
    found = charts(at)
    live = found["train_iteration_loss"]
    assert live["data"][0]["type"] == "scatter" and axis_title(live) == "iteration"
    assert len(values(live["data"][0]["y"])) == len(history.iteration_loss) == 2 * 96
    loss, accuracy = found["train_loss_curves"], found["train_accuracy_curves"]
    assert [t["name"] for t in loss["data"]] == ["train", "test"]
    assert (axis_title(loss), axis_title(loss, "yaxis")) == ("epoch", "loss")
    np.testing.assert_allclose(values(loss["data"][0]["y"]), history.train_loss, rtol=1e-12)
    np.testing.assert_allclose(values(loss["data"][1]["y"]), history.val_loss, rtol=1e-12)
    assert axis_title(accuracy, "yaxis") == "accuracy"
    np.testing.assert_allclose(values(accuracy["data"][1]["y"]), history.val_accuracy, rtol=1e-12)
    table = at.dataframe[0].value
    assert list(table["epoch"]) == [1, 2]
    np.testing.assert_allclose(table["train loss"], history.train_loss)


def test_results_persist_and_a_second_run_continues():
    at = click(open_page(), "train_start", epochs=1)
    at.switch_page("pages/about.py").run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert {"train_iteration_loss", "train_loss_curves", "train_decision_regions"} <= set(charts(at))
    assert at.number_input(key="train_epochs").value == 1  # remembered across pages
    click(at, "train_start")
    assert at.session_state.lab.trained_epochs == 2
    assert "(2 in total on this page)" in messages(at.success)


# --- the cap per run and Stop ---

def test_the_cap_per_run_is_told_before_a_run_and_no_stop_button_waits_idle():
    at = open_page()
    caption = " ".join(element.value for element in at.caption)
    assert "A run gets at most 5 minutes of the training process's time" in caption
    assert "keeps what it trained" in caption and "*Stop* ends a run at its next iteration" in caption
    assert not any(button.key == "train_stop" for button in at.button)  # only while a run runs


def test_a_run_at_its_cap_stops_keeps_what_it_trained_and_says_so(monkeypatch):
    from lab import trainer as trainer_module

    capped = trainer_module.Trainer(idle_s=60, cap_s=0.5)
    monkeypatch.setattr(trainer_module, "_TRAINER", capped)
    try:
        at = open_page()
        lab = at.session_state.lab
        before = weights(lab.model)
        at.number_input(key="train_batch_size").set_value(1).run()
        click(at, "train_start", epochs=500)  # 384,000 iterations: minutes without the cap
    finally:
        capped.close()
    history = lab.history
    assert history.stopped_reason == "time cap" and history.stopped_iteration < 500 * 768
    assert lab.trained_epochs == history.epochs_run >= 1 and not np.array_equal(weights(lab.model)[0], before[0])
    (warning,) = [as_shown(element.value) for element in at.warning]
    assert warning.startswith(f"This run reached the cap of 0.5 s of training per run and stopped in epoch "
                              f"{history.stopped_epoch}, at iteration {history.stopped_iteration:,}, keeping what "
                              "it trained")
    assert f"Trained {history.epochs_run} epoch" in warning and "Train again to go on" in warning
    assert not at.success and "A run gets at most 0.5 s" in " ".join(element.value for element in at.caption)
    assert not any(button.key == "train_stop" for button in at.button)  # gone once the run ended


# --- settings ---

def test_settings_edit_the_config_and_keep_the_weights():
    at = open_page()
    lab = at.session_state.lab
    start = [np.array(update.before) for update in lab.trace.updates]
    for key, value in (("train_batch_size", 16), ("train_learning_rate", 0.05), ("train_momentum", 0.5)):
        at.number_input(key=key).set_value(value).run()
        assert not at.exception and not at.error
        assert getattr(lab.config, key.removeprefix("train_")) == value
        assert at.number_input(key=key).value == value
        for update, theirs in zip(lab.trace.updates, start):  # the iteration is recorded again from its start
            np.testing.assert_array_equal(update.before, theirs)
    assert (lab.config.batch_size, lab.config.learning_rate, lab.config.momentum) == (16, 0.05, 0.5)
    assert lab.optimizer.config["learning_rate"] == 0.05 and lab.optimizer.config["momentum"] == 0.5
    assert len(lab.trace.target) == 16
    click(at, "train_start", epochs=1)
    assert len(lab.history.iteration_loss) == -(-len(lab.data.X_train) // 16)


def test_a_batch_larger_than_the_data_is_refused_beside_the_widget():
    at = open_page()
    lab = at.session_state.lab
    config = lab.config
    at.number_input(key="train_batch_size").set_value(4000).run()
    assert not at.exception
    assert "larger than the 768 training samples" in messages(at.error)
    assert lab.config == config
    assert at.number_input(key="train_batch_size").value == config.batch_size  # shows the config again


# --- divergence ---

def test_a_diverging_run_says_where_and_keeps_the_model():
    at = with_config(open_page(), PRESETS["high_lr"].config)
    lab = at.session_state.lab
    before, trace = weights(lab.model), lab.trace
    click(at, "train_start", epochs=2)
    history = lab.history
    assert history.stopped_reason == "non-finite loss" and history.nonfinite_layer is None
    error = messages(at.error)
    assert "stopped at the first non-finite loss" in error
    assert f"epoch {history.stopped_epoch}, iteration {history.stopped_iteration}" in error
    assert "the loss itself overflowed" in error and "last working model was kept" in error
    assert not at.success
    assert lab.trained_epochs == 0 and lab.trace is trace
    for ours, theirs in zip(weights(lab.model), before):
        np.testing.assert_array_equal(ours, theirs)
    live = charts(at)["train_iteration_loss"]
    assert [t["name"] for t in live["data"]] == ["batch loss", "NaN / inf loss"]
    assert list(values(live["data"][1]["x"])) == [history.stopped_iteration]
    loss = charts(at)["train_loss_curves"]
    assert any("non-finite loss" in a["text"] for a in loss["layout"]["annotations"])
    assert "train_accuracy_curves" not in charts(at)
    fit = charts(at)["train_regression_fit"]  # the kept model still draws
    assert [t["name"] for t in fit["data"]] == ["data", "model"]


def test_a_layer_that_breaks_first_is_named():
    config = replace(PRESETS["high_lr"].config, learning_rate=5.0,
                     layers=stack(("Linear", 32), "ReLU", ("Linear", 32), "ReLU", ("Linear", 1)))
    at = click(with_config(open_page(), config), "train_start", epochs=1)
    layer = at.session_state.lab.history.nonfinite_layer
    assert layer and layer.startswith("layer 0")
    assert f"the first NaN/inf output came from {layer}" in messages(at.error)


# --- predictions for each kind of data ---

def test_regression_shows_the_fit_and_no_accuracy():
    config = replace(PRESETS["high_lr"].config, learning_rate=0.01)
    at = click(with_config(open_page(), config), "train_start", epochs=1)
    lab = at.session_state.lab
    assert lab.trained_epochs == 1 and "accuracy" not in messages(at.success)
    found = charts(at)
    fit = found["train_regression_fit"]
    assert [t["type"] for t in fit["data"]] == ["scatter", "scatter"]
    assert (axis_title(fit), axis_title(fit, "yaxis")) == ("x", "y")
    assert len(values(fit["data"][0]["x"])) == len(lab.data.X_test)
    assert "train_accuracy_curves" not in found and "train_confusion" not in found
    at.radio(key="train_split").set_value("train").run()
    assert len(values(charts(at)["train_regression_fit"]["data"][0]["x"])) == len(lab.data.X_train)


def test_digits_show_a_confusion_matrix_and_image_samples():
    at = with_config(open_page(), PRESETS["digits"].config)
    lab = at.session_state.lab
    found = charts(at)
    assert "train_decision_regions" not in found
    confusion = found["train_confusion"]
    assert confusion["data"][0]["type"] == "heatmap"
    z = values(confusion["data"][0]["z"])
    assert z.shape == (10, 10) and z.sum() == len(lab.data.X_test)
    assert (axis_title(confusion), axis_title(confusion, "yaxis")) == ("predicted class", "true class")
    images = found["train_images"]
    kinds = [t["type"] for t in images["data"]]
    assert kinds.count("heatmap") == 8 and kinds.count("bar") == 8
    assert values(images["data"][0]["z"]).shape == (8, 8)
    np.testing.assert_allclose(np.sum(values(images["data"][1]["y"])), 1.0, rtol=1e-9)

    at.toggle(key="train_wrong_first").set_value(True).run()
    at.radio(key="train_split").set_value("train").run()
    assert not at.exception
    found = charts(at)
    assert values(found["train_confusion"]["data"][0]["z"]).sum() == len(lab.data.X_train)
    titles = [a["text"] for a in found["train_images"]["layout"]["annotations"] if "pred" in a["text"]]
    true, predicted = titles[0].replace("true ", "").split(" · pred ")
    assert true != predicted  # misclassified first (the untrained model gets most wrong)


# --- comparison of activations ---

def test_compare_without_an_activation_is_refused_beside_the_button():
    at = click(open_page(), "train_compare", epochs=1)
    assert "no activation layer to swap" in messages(at.error)
    assert at.session_state.lab.comparison == {}
    assert not any(key.startswith("train_compare_") for key in charts(at))


def test_compare_overlays_four_activations_and_leaves_the_model():
    at = with_config(open_page(), PRESETS["circles"].config)
    lab = at.session_state.lab
    before = weights(lab.model)
    click(at, "train_compare", epochs=1)
    assert list(lab.comparison) == ["ReLU", "LeakyReLU", "ELU", "SoftPlus"]
    found = charts(at)
    for metric, y_label in (("train_loss", "loss"), ("val_loss", "loss"), ("train_accuracy", "accuracy"),
                            ("val_accuracy", "accuracy")):
        spec = found[f"train_compare_{metric}"]
        assert [t["name"] for t in spec["data"]] == list(lab.comparison)
        assert all(t["type"] == "scatter" for t in spec["data"])
        assert (axis_title(spec), axis_title(spec, "yaxis")) == ("epoch", y_label)
        for trace, history in zip(spec["data"], lab.comparison.values()):
            np.testing.assert_allclose(values(trace["y"]), getattr(history, metric), rtol=1e-12)
    table = at.dataframe[-1].value
    assert list(table["activation"]) == list(lab.comparison)
    assert lab.trained_epochs == 0 and lab.history is None
    for ours, theirs in zip(weights(lab.model), before):
        np.testing.assert_array_equal(ours, theirs)

    at.toggle(key="train_compare_log").set_value(True).run()
    assert charts(at)["train_compare_train_loss"]["layout"]["yaxis"]["type"] == "log"
    assert "train_compare_train_loss" in charts(at.run())  # drawn again on every rerun


def test_predictions_are_computed_once_per_recorded_iteration():
    at = open_page()
    first = at.session_state["_train_predictions"]["views"][("en", ("test", False))]
    at.run()
    assert at.session_state["_train_predictions"]["views"][("en", ("test", False))] is first  # a rerun reuses them
    at.session_state.lab.new_iteration()  # the model moved: the figures are made again
    at.run()
    assert at.session_state["_train_predictions"]["views"][("en", ("test", False))] is not first


# --- out-of-range numbers and an unfinished network ---

def test_every_setting_states_its_range_and_has_no_widget_limits():
    at = open_page()
    labels = {field.key: field.label for field in at.number_input}
    assert labels == {"train_epochs": "Epochs, 1 to 500", "train_batch_size": "Batch size, 1 to 4096",
                      "train_learning_rate": "Learning rate, 1e-06 to 100", "train_momentum": "Momentum, 0 to 0.999"}
    assert all(field.min is None and field.max is None for field in at.number_input)


@pytest.mark.parametrize("key, typed, message", [
    ("train_learning_rate", 1e-7, "learning rate must be a number in [1e-06, 100], got 1e-07; kept 0.01"),
    ("train_momentum", 1.2, "momentum must be a number in [0, 0.999], got 1.2; kept 0.9"),
    ("train_epochs", 0, "epochs must be an integer in [1, 500], got 0; kept 5"),
    ("train_epochs", 501, "epochs must be an integer in [1, 500], got 501; kept 5"),
])
def test_an_out_of_range_setting_says_the_range_and_what_was_kept(key, typed, message):
    at = open_page()
    config, kept = at.session_state.lab.config, at.number_input(key=key).value
    at.number_input(key=key).set_value(typed).run()
    assert not at.exception and errors(at) == [message]
    assert at.session_state.lab.config == config and at.number_input(key=key).value == kept
    assert at.button(key="train_start").label == "Train 5 epochs"


def test_a_number_of_epochs_in_range_is_kept_across_pages():
    at = open_page()
    at.number_input(key="train_epochs").set_value(7).run()
    at.switch_page("pages/about.py").run()
    at.switch_page("pages/train.py").run()
    assert at.number_input(key="train_epochs").value == 7 and not at.error


def test_an_unfinished_network_cannot_be_trained_and_says_why():
    at = open_page()
    lab = at.session_state.lab
    lab.apply(replace(lab.config, layers=({"kind": "Linear", "n_out": 1}, {"kind": "LogSoftMax"})))
    at.run()
    assert not at.exception and not at.get("button")
    assert [i.value for i in at.info] == ["Your network is not finished yet: Make the last Linear output 2 units. "
                                          "The network ends with 1 output but the data has 2 classes."]


# --- a CNN: the same loop, the first layer's maps under the images, the kernels ---
