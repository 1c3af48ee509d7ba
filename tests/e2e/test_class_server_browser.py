"""A class on one server, in a real browser: a learner's own text reaches the page as text (no link, no image,
no freeze), and a reload (F5) keeps the network, through the same ?net= as a shared link.

Run alone with `python -m pytest -m e2e -k class_server`; screenshots land in artifacts/e2e/.
"""
from dataclasses import replace

import pytest

from lab.links import PARAM, config_token
from lab.network import NetworkConfig
from lab.presets import PRESETS
from lab.quoting import quoted
from tests.e2e.test_browser import CIRCLES_NETWORK, kaggle_csv

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail under CI=true) with how to install it
    expect = None

pytestmark = pytest.mark.e2e

LINK, IMAGE = "[Click here](http://127.0.0.1:9/x)", "![x](http://127.0.0.1:9/t.png)"
KNOWN = "; known: blobs, circles, moons, xor, spiral, regression, digits"


def opened(learner, config):
    """The learner opens the app's address with config in ?net=, as a link from someone else."""
    learner.url = f"{learner.url}?{PARAM}={config_token(config)}"
    learner.open()
    return learner


def no_link_or_image(page):
    """Nothing on the page points at the addresses the learner's text named."""
    assert page.locator('a[href*="127.0.0.1:9"]').count() == 0
    assert page.locator('img[src*="127.0.0.1:9"]').count() == 0


def shown(texts):
    return [text.replace("\u2060", "") for text in texts]  # the invisible joiners that keep an address unlinked


def test_a_link_whose_dataset_is_markdown_shows_it_as_text(learners):
    (learner,) = learners(1)
    opened(learner, replace(NetworkConfig(), dataset=f"{LINK} {IMAGE}"))
    assert shown(learner.alerts("Error")) == [f"unknown dataset {quoted(f'{LINK} {IMAGE}')}{KNOWN}"]
    no_link_or_image(learner.page)
    assert learner.network() == ["Linear(2 -> 2)", "LogSoftMax"]  # the default network, unchanged
    learner.screenshot("markdown-dataset")
    learner.check_clean()


def test_a_link_of_fifty_thousand_stars_does_not_freeze_the_page(learners):
    """It froze the recipient's tab for about 98 s: now the message holds 60 characters of it, escaped, and the
    page answers the next click."""
    (learner,) = learners(1)
    opened(learner, replace(NetworkConfig(), dataset="*a" * 50_000))
    assert shown(learner.alerts("Error")) == [f"unknown dataset {quoted('*a' * 50_000)}{KNOWN}"]
    learner.click("Next ▶")
    assert learner.heading().startswith("2/6 · ")
    learner.check_clean()


def test_an_uploaded_files_name_shows_as_text(learner):
    page = learner.page
    learner.go("Build", "Build a network")
    name = f"{LINK}.csv"
    learner.upload(name, kaggle_csv())
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value(f"upload: {name}")
    assert f"upload: {name}, batch 8" in shown([learner.summary()])[0]
    sentence = page.get_by_text("Your network as it was when you uploaded")
    assert shown([sentence.inner_text()]) == [f"Your network as it was when you uploaded {name}, fitted to its classes."]
    no_link_or_image(page)
    learner.screenshot("markdown-file-name")
    learner.check_clean()


def test_a_reload_keeps_the_network_its_data_seed_and_first_batch(learner):
    """Built by clicking, kept in the address on every page; F5 brings back the same network and the same
    numbers; an upload leaves the address, and the Build page says what a reload loses."""
    page = learner.page
    learner.go("Build", "Build a network")
    assert PARAM not in page.url  # the default network: the bare address opens it
    learner.choose("Preset", "Circles with a hidden layer")
    learner.set_number("Momentum", 0.5)
    config = replace(PRESETS["circles"].config, momentum=0.5)
    assert page.url.endswith(f"/build?{PARAM}={config_token(config)}")
    learner.go("Step through", "Step through one iteration")
    assert page.url.endswith(f"/?{PARAM}={config_token(config)}")  # every page keeps it
    titles = learner.chart_titles()

    before = learner.runs
    page.reload()
    assert learner.wait_runs(before + 1), "the reloaded page did not finish its first run"
    learner.idle()
    assert learner.network() == CIRCLES_NETWORK and "momentum 0.5 · circles, batch 32" in learner.summary()
    assert learner.heading() == "1/11 · Forward · layer 0 · Linear(2 → 100)"
    assert learner.chart_titles() == titles  # the same initial weights and the same first batch
    assert learner.alerts("Error") == []

    learner.go("Build", "Build a network")
    expect(page.get_by_text("A reload (F5) keeps a network on built-in data")).to_be_visible()
    learner.set_number("Batch size", 8)
    learner.upload("pixels.csv", kaggle_csv())
    assert PARAM not in page.url  # no link carries an upload: a reload opens the default network
    learner.screenshot("reload-upload")
    learner.check_clean()
