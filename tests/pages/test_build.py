"""Build page: presets, data, the layer stack, criterion and optimizer, export and import (AppTest)."""
from dataclasses import replace
import io
import json
import zipfile

import numpy as np
import pytest

from lab.presets import PRESETS
from lab.transfer import config_json, weights_npz
from tests.pages.apptest import errors, open_page
from tests.uploaded import digits_csv


def open_build():
    return open_page("build")


def kinds(at):
    return [spec["kind"] for spec in at.session_state.lab.config.layers]


def test_default_shows_the_handout_network_its_table_and_code():
    at = open_build()
    assert at.selectbox(key="dataset").value == "blobs"
    assert at.selectbox(key="preset").value == "handout"
    table = at.dataframe[0].value
    assert list(table["layer"]) == ["Linear(2, 2)", "LogSoftMax()", "total"]
    assert list(table["parameters"]) == [6, 0, 6]
    assert any("model.add(Linear(2, 2))" in code.value for code in at.code)
    assert not errors(at) and not at.warning


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_loads_with_its_sentence(preset):
    at = open_build()
    if PRESETS[preset].upload:  # first refused with what to do, then loaded on the upload
        at.selectbox(key="preset").set_value(preset).run()
        assert "upload a Kaggle MNIST or Fashion-MNIST CSV first" in errors(at)[0]
        assert at.session_state.lab.config == PRESETS["handout"].config
        at.file_uploader(key="csv_upload").set_value(("digits28.csv", digits_csv(200), "text/csv")).run()
    at.selectbox(key="preset").set_value(preset).run()
    assert not at.exception and not errors(at)
    config = at.session_state.lab.config
    assert config == replace(PRESETS[preset].config, dataset=config.dataset)
    assert config.dataset == ("upload: digits28.csv" if PRESETS[preset].upload else PRESETS[preset].config.dataset)
    assert PRESETS[preset].teaches in [info.value for info in at.info]


def test_add_edit_move_remove_a_layer():
    at = open_build()
    at.selectbox(key="add_kind").set_value("ReLU").run()
    at.number_input(key="add_position").set_value(1).run()
    at.button(key="add_layer").click().run()
    assert kinds(at) == ["Linear", "ReLU", "LogSoftMax"]
    at.number_input(key="layer_0_n_out").set_value(5).run()
    assert at.session_state.lab.config.layers[0]["n_out"] == 5
    assert "Make the last Linear output 2 units." in at.warning[0].value
    at.button(key="layer_1_down").click().run()
    assert kinds(at) == ["Linear", "LogSoftMax", "ReLU"]
    at.button(key="layer_2_up").click().run()
    at.button(key="layer_1_remove").click().run()
    assert kinds(at) == ["Linear", "LogSoftMax"] and not at.exception


def test_layer_arguments_of_every_kind_are_editable():
    at = open_build()
    for kind in ("Dropout", "LeakyReLU", "ELU", "BatchNormalization"):
        at.selectbox(key="add_kind").set_value(kind).run()
        at.number_input(key="add_position").set_value(1).run()
        at.button(key="add_layer").click().run()
    assert kinds(at) == ["Linear", "BatchNormalization", "ELU", "LeakyReLU", "Dropout", "LogSoftMax"]
    at.number_input(key="layer_4_p").set_value(0.2).run()
    at.number_input(key="layer_3_slope").set_value(0.1).run()
    at.number_input(key="layer_2_alpha").set_value(2.0).run()
    at.number_input(key="layer_1_alpha").set_value(0.5).run()
    layers = at.session_state.lab.config.layers
    assert (layers[4]["p"], layers[3]["slope"], layers[2]["alpha"], layers[1]["alpha"]) == (0.2, 0.1, 2.0, 0.5)
    assert not errors(at)


def test_removing_the_last_layer_is_refused_with_a_message():
    at = open_build()
    at.button(key="layer_1_remove").click().run()
    at.button(key="layer_0_remove").click().run()
    assert kinds(at) == ["LogSoftMax"] or "the network is empty" in " ".join(errors(at))
    at.button(key="layer_0_remove").click().run()
    assert "the network is empty: add at least one layer" in errors(at)
    assert len(at.session_state.lab.config.layers) == 1


def test_dataset_settings_and_a_bad_batch_size():
    at = open_build()
    at.selectbox(key="dataset").set_value("digits").run()
    lab = at.session_state.lab
    assert lab.data.name == "digits" and lab.config.layers[0]["n_out"] == 10
    assert any("now outputs 10 classes" in info.value for info in at.info)
    at.number_input(key="batch_size").set_value(2000).run()
    assert "batch size 2000 is larger than the 1348 training samples; kept 8" in errors(at)
    assert at.session_state.lab.config.batch_size == 8
    assert at.number_input(key="batch_size").value == 8  # the widget shows the working value again
    at.number_input(key="seed").set_value(3).run()
    assert at.session_state.lab.config.seed == 3 and not errors(at)


def test_criterion_and_optimizer():
    at = open_build()
    at.selectbox(key="criterion").set_value("NLLCriterionUnstable").run()
    assert "End the stack with SoftMax." in at.warning[0].value
    at.number_input(key="learning_rate").set_value(0.5).run()
    at.number_input(key="momentum").set_value(0.0).run()
    lab = at.session_state.lab
    assert (lab.config.learning_rate, lab.config.momentum) == (0.5, 0.0)
    assert lab.trace.learning_rate == 0.5 and lab.trace.momentum == 0.0


def test_export_buttons_carry_the_current_network():
    at = open_build()
    lab = at.session_state.lab
    buttons = at.get("download_button")
    assert len(buttons) == 2
    assert json.loads(config_json(lab.config))["layers"] == [{"kind": "Linear", "n_out": 2},
                                                             {"kind": "LogSoftMax"}]
    assert lab.weights_npz()[:2] == b"PK"
    assert any("weights at the start of the shown iteration (epoch 1, iteration 1), before its update, with "
               "the momentum buffers and the batch order: importing both files records this very iteration "
               "again" in caption.value for caption in at.caption)


def mnist_csv(rows=40, pixels=16, classes=4):
    lines = ["label," + ",".join(f"pixel{j}" for j in range(pixels))]
    for i in range(rows):
        lines.append(f"{i % classes}," + ",".join(str((i * 7 + j * 13) % 256) for j in range(pixels)))
    return ("\n".join(lines) + "\n").encode()


def test_csv_upload_switches_the_data_and_fits_the_output():
    at = open_build()
    at.file_uploader(key="csv_upload").set_value(("tiny.csv", mnist_csv(), "text/csv")).run()
    assert not at.exception and not errors(at)
    lab = at.session_state.lab
    assert lab.config.dataset == "upload: tiny.csv" and lab.data.n_features == 16
    assert lab.config.layers[0]["n_out"] == 4 and lab.data.image_shape == (4, 4)
    assert at.selectbox(key="dataset").value == "upload: tiny.csv"


@pytest.mark.parametrize("content, message", [
    (b"label,p0,p1\n1,2,3\n4,5\n", "row 2 (line 3) has 2 fields, the header has 3"),                      # ragged
    (b"label,p0\n1,abc\n", "abc"),                                  # non-numeric
    (b"p0,p1\n1,2\n", "label"),                                     # no label column
    (b"label,p0\n", "zero data rows"),                                # zero rows
    (b"label,p0\n1,5\n1,6\n1,7\n1,8\n", "a single class"),   # a single class
])
def test_a_broken_csv_is_refused_beside_the_uploader_and_nothing_changes(content, message):
    at = open_build()
    before = at.session_state.lab.trace
    at.file_uploader(key="csv_upload").set_value(("bad.csv", content, "text/csv")).run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)
    assert at.session_state.lab.trace is before and at.session_state.lab.config.dataset == "blobs"


def test_import_restores_an_exported_network():
    source = open_build()
    source.selectbox(key="preset").set_value("circles").run()
    lab = source.session_state.lab
    config, weights = config_json(lab.config).encode(), weights_npz(lab.model)
    at = open_build()
    at.file_uploader(key="import_config").set_value(("network.json", config, "application/json")).run()
    at.file_uploader(key="import_weights").set_value(("weights.npz", weights, "application/octet-stream")).run()
    at.button(key="import").click().run()
    assert not errors(at) and at.session_state.lab.config == lab.config
    assert (at.session_state.lab.trace.updates[0].before == lab.model[0].W).all()


def test_import_of_mismatched_weights_is_refused():
    at = open_build()
    other = open_build()
    other.selectbox(key="preset").set_value("circles").run()
    config = config_json(other.session_state.lab.config).encode()
    at.file_uploader(key="import_config").set_value(("network.json", config, "application/json")).run()
    at.button(key="import").click().run()
    assert "choose both files: the .json and the .npz" in errors(at)
    weights = weights_npz(at.session_state.lab.model)
    at.file_uploader(key="import_weights").set_value(("weights.npz", weights, "application/octet-stream")).run()
    at.button(key="import").click().run()
    assert any("weights do not match the configuration" in e for e in errors(at))
    assert at.session_state.lab.config.dataset == "blobs" and len(at.session_state.lab.config.layers) == 2


def test_a_changed_preset_can_be_loaded_again():
    at = open_build()
    assert "preset_reload" not in [b.key for b in at.button]
    at.number_input(key="layer_0_n_out").set_value(5).run()
    assert any("has changed since this preset was loaded" in c.value for c in at.caption)
    at.button(key="preset_reload").click().run()
    assert at.session_state.lab.config == PRESETS["handout"].config
    assert "preset_reload" not in [b.key for b in at.button]


def test_the_preset_and_the_insert_position_survive_a_visit_to_another_page():
    at = open_build()
    at.selectbox(key="preset").set_value("circles").run()
    at.switch_page("pages/step.py").run()
    at.switch_page("pages/build.py").run()
    assert at.selectbox(key="preset").value == "circles"
    assert "preset_reload" not in [b.key for b in at.button]
    assert at.number_input(key="add_position").value == 4  # new layers still go at the end



def three_linears(at):
    """Linear(2, 5), Linear(5, 6), Linear(6, 2), LogSoftMax on blobs."""
    from dataclasses import replace
    config = at.session_state.lab.config
    layers = ({"kind": "Linear", "n_out": 5}, {"kind": "Linear", "n_out": 6}) + config.layers
    at.session_state.lab.apply(replace(config, layers=layers))
    at.run()
    assert kinds(at) == ["Linear", "Linear", "Linear", "LogSoftMax"]


def test_an_edit_that_arrives_with_a_remove_never_reaches_the_layer_moved_into_its_row():
    at = open_build()
    three_linears(at)
    at.button(key="layer_0_remove").click()
    at.number_input(key="layer_1_n_out").set_value(7)  # meant for Linear(5, 6), drawn in row 1
    at.run()  # both callbacks run in this rerun: row 0's remove first, then row 1's edit
    layers = at.session_state.lab.config.layers
    assert [spec.get("n_out") for spec in layers] == [6, 2, None]  # Linear(6, 2) was not set to 7
    assert "changed before this click arrived" in errors(at)[0]
    at.number_input(key="layer_1_n_out").set_value(7).run()  # the redrawn row edits its own layer
    assert [spec.get("n_out") for spec in at.session_state.lab.config.layers] == [6, 7, None]
    assert not errors(at)


def test_two_edits_in_one_rerun_both_apply():
    at = open_build()
    three_linears(at)
    at.number_input(key="layer_0_n_out").set_value(8)
    at.number_input(key="layer_1_n_out").set_value(9)
    at.run()
    assert [spec.get("n_out") for spec in at.session_state.lab.config.layers] == [8, 9, 2, None]
    assert not errors(at)


# --- out-of-range numbers reach the lab, which says the range, what was typed and what was kept ---

@pytest.mark.parametrize("key, typed, message", [
    ("layer_1_p", 1.5, "layer 1 (Dropout): p (zeroed) must be a number in [0, 0.99], got 1.5; kept 0.5"),
    ("learning_rate", 1e-7, "learning rate must be a number in [1e-06, 100], got 1e-07; kept 0.01"),
    ("momentum", 1.2, "momentum must be a number in [0, 0.999], got 1.2; kept 0.9"),
    ("seed", -1, "data seed must be an integer in [0, 2147483647], got -1; kept 0"),
    ("layer_0_n_out", 2000, "layer 0 (Linear): output size must be an integer in [1, 1024], got 2000; kept 2"),
])
def test_an_out_of_range_number_says_the_range_and_what_was_kept(key, typed, message):
    at = open_build()
    at.selectbox(key="add_kind").set_value("Dropout").run()
    at.number_input(key="add_position").set_value(1).run()
    at.button(key="add_layer").click().run()
    config, kept = at.session_state.lab.config, at.number_input(key=key).value
    assert at.number_input(key=key).min is None and at.number_input(key=key).max is None  # no widget limits
    at.number_input(key=key).set_value(typed).run()
    assert errors(at) == [message]
    assert at.session_state.lab.config == config
    assert at.number_input(key=key).value == kept  # the field shows the kept value again


def test_every_number_field_states_its_range():
    at = open_build()
    labels = {field.key: field.label for field in at.number_input}
    assert labels["learning_rate"] == "Learning rate, 1e-06 to 100"
    assert labels["momentum"] == "Momentum, 0 to 0.999"
    assert labels["batch_size"] == "Batch size, 1 to 4096" and labels["test_size"] == "Test share, 0.05 to 0.9"
    assert labels["seed"] == "Data seed, 0 to 2147483647" and labels["layer_0_n_out"] == "output size, 1 to 1024"


# --- the bottom-up build: a new last Linear fits the data; an unfinished stack is explained ---

def test_the_bottom_up_build_on_digits():
    at = open_build()
    at.selectbox(key="dataset").set_value("digits").run()
    at.number_input(key="layer_0_n_out").set_value(128).run()
    at.number_input(key="add_position").set_value(1).run()
    at.button(key="add_layer").click().run()  # Linear after every other Linear: the class count
    assert [spec.get("n_out") for spec in at.session_state.lab.config.layers] == [128, 10, None]
    assert not errors(at) and at.session_state.lab.trace is not None
    assert any("A Linear added after the last one starts with 10 outputs" in c.value for c in at.caption)
    at.switch_page("pages/step.py").run()
    assert not at.exception and at.subheader[0].value.startswith("1/")


def unfinished(at):
    """The learner's digits network made unfinished: its last Linear outputs 3 of the 10 classes."""
    at.selectbox(key="dataset").set_value("digits").run()
    at.number_input(key="layer_0_n_out").set_value(3).run()
    assert not errors(at) and at.session_state.lab.trace is None
    return at


REASON = "Make the last Linear output 10 units. The network ends with 3 outputs but the data has 10 classes."


def test_an_unfinished_stack_is_kept_and_shown_at_the_layers():
    at = unfinished(open_build())
    lab = at.session_state.lab
    assert lab.config.layers[0]["n_out"] == 3 and lab.unfinished == REASON
    (warning,) = [w.value for w in at.warning if "Not finished yet" in w.value]
    assert REASON in warning and "The Step page records an iteration again once this is fixed" in warning
    assert not any(w.value.startswith("**Make the last Linear") for w in at.warning)  # not twice
    assert "Open at the shown stage" not in [c.label for c in at.checkbox]
    at.selectbox(key="criterion").set_value("NLLCriterionUnstable").run()  # the next edit works
    assert at.session_state.lab.trace is None and at.session_state.lab.config.criterion == "NLLCriterionUnstable"
    at.number_input(key="layer_0_n_out").set_value(10).run()
    assert at.session_state.lab.trace is not None and not any("Not finished" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["step", "jacobians", "train"])
def test_pages_that_need_an_iteration_explain_an_unfinished_network(page):
    at = unfinished(open_build())
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert [i.value for i in at.info][-1] == f"Your network is not finished yet: {REASON}"
    assert at.title[0].value == {"step": "Step through one iteration", "jacobians": "Jacobians",
                                 "train": "Train"}[page]  # the learner still sees which page this is
    assert "build" in at.page_link[0].proto.page and at.page_link[0].proto.label == "Finish it on the Build page"


def test_the_activations_page_draws_the_curves_and_explains_the_missing_pre_activations():
    at = unfinished(open_build())
    at.switch_page("pages/activations.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 1  # the curves, not the histogram
    assert f"Your network is not finished yet: {REASON}" in [i.value for i in at.info]


# --- weights ---

def test_new_weights_and_reset_weights():
    at = open_build()
    lab = at.session_state.lab
    first = lab.trace
    assert [b.label for b in at.button if b.key == "new_weights"] == ["New weights (seed 1)"]
    assert any(c.value.startswith("The weights come from seed 0 (the data seed).") for c in at.caption)
    at.button(key="new_weights").click().run()
    assert not np.array_equal(lab.trace.updates[0].before, first.updates[0].before)
    assert np.array_equal(lab.trace.forward[0].input, first.forward[0].input)
    assert [b.label for b in at.button if b.key == "new_weights"] == ["New weights (seed 2)"]
    assert any(c.value.startswith("The weights come from seed 1.") for c in at.caption)
    second = lab.trace
    at.switch_page("pages/step.py").run()
    at.button(key="step_new_iteration").click().run()
    at.switch_page("pages/build.py").run()
    at.button(key="reset_weights").click().run()
    assert np.array_equal(lab.trace.updates[0].before, second.updates[0].before) and lab.cursor.iteration == 1


# --- small things: the summary's layer column, no tooltips over the messages ---

def test_the_summary_table_gives_the_layer_name_room():
    at = open_build()
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["layer"]["width"] >= 7 * len("BatchNormalization(alpha=0.9)")


def test_the_layer_and_weight_buttons_have_no_tooltips():
    at = open_build()
    for button in at.button:
        if button.key.startswith("layer_") or button.key in ("new_weights", "reset_weights"):
            assert not button.help, button.key


# --- export and import through the page: the very same iteration ---

def test_importing_the_exported_files_records_the_same_iteration():
    source = open_build()
    source.selectbox(key="preset").set_value("dropout_batchnorm").run()
    source.switch_page("pages/step.py").run()
    source.button(key="step_new_iteration").click().run()
    lab = source.session_state.lab
    at = open_build()
    at.file_uploader(key="import_config").set_value(("class.json", config_json(lab.config).encode(),
                                                     "application/json")).run()
    at.file_uploader(key="import_weights").set_value(("weights.npz", lab.weights_npz(),
                                                      "application/octet-stream")).run()
    at.button(key="import").click().run()
    assert not errors(at)
    ours, theirs = lab.trace.arrays(), at.session_state.lab.trace.arrays()
    assert set(ours) == set(theirs) and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert at.selectbox(key="preset").value == "kept"
    assert "Imported: class.json" in at.selectbox(key="preset").options


# --- issue 10: hostile uploads and imports give a message beside the widget, never a traceback ---

def test_a_weights_file_claiming_terabytes_is_refused_beside_the_import():
    at = open_build()
    lab = at.session_state.lab
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    weights = io.BytesIO()
    with zipfile.ZipFile(weights, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0.W.npy", header.getvalue() + bytes(64))
        archive.writestr("0.b.npy", header.getvalue() + bytes(64))
    before = lab.config, lab.trace
    at.file_uploader(key="import_config").set_value(("network.json", config_json(lab.config).encode(),
                                                     "application/json")).run()
    at.file_uploader(key="import_weights").set_value(("weights.npz", weights.getvalue(),
                                                      "application/octet-stream")).run()
    at.button(key="import").click().run()
    assert not at.exception
    assert any("0.W has shape (1099511627776,) and dtype float64" in e for e in errors(at)), errors(at)
    assert (at.session_state.lab.config, at.session_state.lab.trace) == before


def test_a_csv_whose_label_would_need_a_billion_classes_is_refused_beside_the_uploader():
    at = open_build()
    at.button(key="layer_0_remove").click().run()  # only LogSoftMax is left
    at.selectbox(key="criterion").set_value("MSECriterion").run()
    lab = at.session_state.lab
    assert kinds(at) == ["LogSoftMax"] and lab.config.criterion == "MSECriterion"
    before = lab.config, lab.trace
    content = b"label,p0,p1\n" + b"".join(b"%d,%d,%d\n" % (i % 2, i, i) for i in range(30)) + b"1000000000,1,2\n"
    at.file_uploader(key="csv_upload").set_value(("labels.csv", content, "text/csv")).run()
    assert not at.exception
    assert any("row 31 (line 32), column 1 ('label'): label 1000000000 is over the limit of 1024 classes" in e
               for e in errors(at)), errors(at)
    assert (lab.config, lab.trace) == before


def test_a_csv_with_a_4000_character_name_is_uploaded_under_a_shortened_name():
    at = open_build()
    at.file_uploader(key="csv_upload").set_value(("a" * 4000 + ".csv", mnist_csv(), "text/csv")).run()
    assert not at.exception and not errors(at)
    name = "upload: " + "a" * 75 + "….csv"
    assert at.session_state.lab.config.dataset == name and at.selectbox(key="dataset").value == name
    assert any("characters was shortened to 80" in info.value for info in at.info)
