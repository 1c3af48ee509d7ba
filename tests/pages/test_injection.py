"""A learner's own text on the page (a link's dataset name, an imported layer kind or field, an uploaded file's
name) is drawn as text: escaped and shortened, never a link, an image or markup; deeply nested JSON is
refused with a message; an uncaught error shows no traceback (AppTest; the browser test draws them)."""
import json
import logging
import re
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab.links import config_token
from lab.network import NetworkConfig
from lab.session import Lab
from lab.transfer import config_json, weights_npz
from tests.pages.apptest import APP, as_shown, errors, open_page
from tests.pages.test_build import mnist_csv
from tests.pages.test_links import open_link
from ui.actions import MAX_MESSAGE, plain

LINK, IMAGE = "[Click here](http://x)", "![x](http://x/t.png)"
MARKUP = ("](", "![", "http://", "https://", "www.", "<b>")  # what markdown would turn into a link, image or HTML
ROOT = Path(__file__).resolve().parents[2]


def bodies(at):
    """The markdown of every element that draws it: titles, captions, alerts, markdown."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")
    return [element.value for kind in kinds for element in getattr(at, kind)]


def assert_plain(at):
    """No element's markdown holds a link, an image or HTML that a learner's text brought in."""
    for body in bodies(at):
        assert not any(markup in body for markup in MARKUP), body


def test_plain_escapes_every_markdown_sign_and_shortens():
    for text in (LINK, IMAGE, "<b>bold</b>", "*a*_b_`c`", "www.example.org", "a@b.org", "$x$ :red[y]", "\\[z](http://y)"):
        shown = plain(text)
        assert as_shown(shown) == text and not any(markup in shown for markup in MARKUP)
        assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\.", "", shown))  # each sign escaped
    long = plain("x" * 10_000)
    assert len(long) == MAX_MESSAGE and long.endswith("…")


@pytest.mark.parametrize("name", [LINK, IMAGE, "<b>bold</b> www.example.org"])
def test_a_links_dataset_name_is_shown_as_text(name):
    at = open_link(config_token(replace(NetworkConfig(), dataset=name)))
    assert errors(at) == [f"unknown dataset {name!r}; known: blobs, circles, moons, xor, spiral, regression, digits"]
    assert at.session_state.lab.config == NetworkConfig()
    assert_plain(at)


def test_a_long_name_made_of_stars_is_shortened_and_escaped():
    """"*a" 50,000 times froze the recipient's tab for 98 s: the message now holds 60 characters of it, escaped."""
    at = open_link(config_token(replace(NetworkConfig(), dataset="*a" * 50_000)))
    (body,) = [element.value for element in at.error]
    assert len(body) < 300 and "\\*a\\*a" in body and "…" in body
    (message,) = errors(at)
    assert "unknown dataset '" + ("*a" * 30)[:59] + "…'" in message


def import_config(at, data, name="network.json"):
    """Import `data` (a dict, or bytes as they are) with the current network's weights through the Build page."""
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    at.file_uploader(key="import_config").set_value((name, content, "application/json")).run()
    weights = weights_npz(at.session_state.lab.model)
    at.file_uploader(key="import_weights").set_value(("weights.npz", weights, "application/octet-stream")).run()
    at.button(key="import").click().run()
    assert not at.exception
    return errors(at)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["layers"].append({"kind": LINK}), f"layer 2: unknown layer {LINK!r}"),
    (lambda d: d.update({IMAGE: 1}), f"unknown field(s) {IMAGE}"),
    (lambda d: d["layers"][0].update({LINK: 1}), f"unknown argument(s) {LINK}"),
    (lambda d: d.update(learning_rate=IMAGE), f"learning rate must be a number in [1e-06, 100], got {IMAGE!r}"),
    (lambda d: d.update(criterion="*a" * 5000), "criterion must be one of NLLCriterion, NLLCriterionUnstable, "
                                                "MSECriterion, got '*a*a"),
])
def test_an_imported_config_with_a_strange_layer_kind_or_field_is_shown_as_text(change, message):
    at = open_page("build")
    data = json.loads(config_json(NetworkConfig()))
    change(data)
    (shown,) = import_config(at, data, name=f"{IMAGE}.json")
    assert message in shown and len(shown) < 300
    assert at.session_state.lab.config == NetworkConfig()
    assert_plain(at)


def test_an_imported_config_nested_half_a_million_deep_is_refused_with_a_message():
    at = open_page("build")
    (shown,) = import_config(at, b"[" * 500_000 + b"]" * 500_000)
    assert shown == "configuration file nests lists or objects more than 32 deep (an export nests 3 deep)"
    assert at.session_state.lab.config == NetworkConfig()


def uploaded(name):
    """The default page of a learner who uploaded a small MNIST-layout CSV called `name`, in its first run
    (AppTest keeps what app.py draws before the page, the summary line, only from a first run)."""
    lab = Lab()
    lab.upload(name, mnist_csv())
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lab"] = lab
    at.run()
    assert not at.exception and at.session_state.lab.config.dataset.startswith("upload: ")
    return at


def test_an_uploaded_files_name_is_shown_as_text_on_every_page():
    name = f"{LINK} {IMAGE}.csv"
    at = uploaded(name)
    assert at.session_state.lab.config.dataset == "upload: " + name
    assert f"· upload: {name}, batch 8" in as_shown(at.caption[0].value)  # the summary line
    assert_plain(at)
    at.switch_page("pages/build.py").run()
    assert any(f"when you uploaded {name}, fitted" in as_shown(info.value) for info in at.info)
    assert_plain(at)
    at.number_input(key="learning_rate").set_value(0.02).run()
    assert f"Your network has changed since you uploaded {name}." in [as_shown(c.value) for c in at.caption]
    assert_plain(at)
    for page in ("step", "train", "jacobians", "activations", "about"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert_plain(at)


def test_a_long_file_name_is_shortened_in_the_summary_line():
    at = uploaded("a" * 300 + ".csv")
    summary = as_shown(at.caption[0].value)
    assert "· upload: " + "a" * 51 + "…, batch 8" in summary and len(summary) < 200


def test_the_columns_of_a_refused_upload_are_shown_as_text():
    at = open_page("build")
    at.file_uploader(key="csv_upload").set_value(("columns.csv", f"{LINK},p0\n1,2\n".encode(), "text/csv")).run()
    assert not at.exception and any(f"no `label` column in the header (2 columns: {LINK}, p0)" in message
                                    for message in errors(at))
    assert_plain(at)


# --- an uncaught error: a generic line for the learner, the traceback in the server's log ---

def test_the_config_hides_error_details_from_learners():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def failing_app():
    raise RuntimeError("failed in /work/secret/path.py")


def test_an_uncaught_error_shows_no_traceback_and_is_logged(monkeypatch):
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record)
    monkeypatch.setattr("streamlit.config._config_options", None)  # read .streamlit/config.toml again
    monkeypatch.chdir(ROOT)
    logger = logging.getLogger("streamlit.error_util")
    logger.addHandler(handler)
    try:
        at = AppTest.from_function(failing_app).run()
    finally:
        logger.removeHandler(handler)
    (shown,) = at.exception
    assert "secret" not in shown.message and shown.stack_trace == [] and "redacted" in shown.message
    assert any(record.exc_info and "/work/secret/path.py" in str(record.exc_info[1]) for record in logged)
