"""Shared links (AppTest): opening ?net=... gives the sender's network; a damaged link says so and
keeps the default; the Build page shows the link of the current network; the page's address keeps the
current network in the same ?net=, so a reload opens it again."""
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest

from lab.links import BUG, LEVEL, PARAM, STAGE, config_token, read_token
from lab.network import NetworkConfig
from lab.presets import PRESETS
from lab.session import Lab
from tests.pages.apptest import APP, errors, open_page
from tests.pages.test_build import mnist_csv


def open_link(token, stage=None):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[PARAM] = token
    if stage is not None:
        at.query_params[STAGE] = stage
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_opens_on_its_network_with_the_same_numbers_for_everyone():
    config = PRESETS["circles"].config
    first, second = open_link(config_token(config)), open_link(config_token(config))
    assert first.session_state.lab.config == config == second.session_state.lab.config
    assert first.subheader[0].value.startswith("1/11 · Forward · layer 0")  # the Step page, stage 1
    a, b = first.session_state.lab.trace, second.session_state.lab.trace
    assert (a.forward[0].input == b.forward[0].input).all()          # the same first batch
    assert (a.updates[0].before == b.updates[0].before).all()        # the same initial weights
    assert not errors(first)


def test_a_damaged_link_says_so_beside_the_network_and_keeps_the_default():
    at = open_link("damaged-link")
    assert at.session_state.lab.config == NetworkConfig()
    assert any("the link's network is damaged" in message for message in errors(at))
    at.button(key="step_next").click().run()  # the learner goes on; the message goes with the next action
    assert not errors(at) and at.session_state.lab.stage == 1


def test_the_build_page_shows_the_link_of_the_current_network():
    at = open_page("build")
    at.selectbox(key="preset").set_value("digits").run()
    shown = [code.value for code in at.code if f"?{PARAM}=" in code.value]
    assert len(shown) == 1
    token = parse_qs(urlsplit(shown[0]).query)[PARAM][0]
    assert read_token(token) == PRESETS["digits"].config


# --- a link's network is its own entry in the Build page's selector ---

def build_page_of(at):
    at.switch_page("pages/build.py").run()
    assert not at.exception
    return at


def test_a_link_opens_as_the_links_network_not_a_preset():
    config = replace(PRESETS["circles"].config, learning_rate=0.02)  # no preset has it
    at = build_page_of(open_link(config_token(config)))
    box = at.selectbox(key="preset")
    assert box.value == "kept" and box.options[0] == "The shared link's network"
    infos = [info.value for info in at.info]
    assert any(info.startswith("The network of the link you opened") for info in infos)
    texts = infos + [c.value for c in at.caption] + [b.label for b in at.button] + [box.options[0]]
    assert not any("handout's example" in text or "has changed" in text for text in texts)
    assert "preset_reload" not in [b.key for b in at.button]


def test_after_a_change_the_page_offers_the_links_network_back():
    config = PRESETS["circles"].config
    at = build_page_of(open_link(config_token(config)))
    at.number_input(key="layer_0_n_out").set_value(20).run()
    assert "Your network has changed since you opened the link." in [c.value for c in at.caption]
    (button,) = [b for b in at.button if b.key == "preset_reload"]
    assert button.label == "Back to the link's network"
    first = at.session_state.lab.trace
    button.click().run()
    lab = at.session_state.lab
    assert lab.config == config and lab.origin.kind == "link" and lab.trace is not first
    assert "preset_reload" not in [b.key for b in at.button]
    at.selectbox(key="preset").set_value("digits").run()  # a preset; the link stays in the list
    assert at.selectbox(key="preset").options[0] == "The shared link's network"
    at.selectbox(key="preset").set_value("kept").run()
    assert at.session_state.lab.config == config


def test_a_link_with_a_stage_opens_the_step_page_at_it():
    at = open_link(config_token(PRESETS["circles"].config), stage="backward 2")
    assert at.subheader[0].value.startswith("7/11 · Backward · layer 2")
    assert not errors(at)


def test_a_link_with_an_unknown_stage_says_so_and_opens_at_the_first():
    at = open_link(config_token(PRESETS["circles"].config), stage="backward 9")
    assert at.subheader[0].value.startswith("1/11 · Forward · layer 0")
    (message,) = errors(at)
    assert "the link's stage 'backward 9' is not a stage of this network" in message
    assert "showing the first stage" in message and at.session_state.lab.config == PRESETS["circles"].config


def test_a_link_to_an_unfinished_network_opens_it_and_explains():
    config = NetworkConfig(dataset="digits", layers=({"kind": "Linear", "n_out": 3}, {"kind": "LogSoftMax"}))
    at = open_link(config_token(config))
    assert at.session_state.lab.config == config and not errors(at)
    assert at.caption[0].value.startswith("Your network: `Linear(64 -> 3)` → `LogSoftMax`")  # the summary line
    assert at.info[0].value == ("Your network is not finished yet: Make the last Linear output 10 units. The "
                                "network ends with 3 outputs but the data has 10 classes.")


def test_the_build_page_can_add_the_shown_stage_to_the_link():
    at = open_page(None)
    for _ in range(4):
        at.button(key="step_next").click().run()
    at.switch_page("pages/build.py").run()
    (box,) = [c for c in at.checkbox if c.key == "share_stage"]
    assert box.label == "Open at the shown stage (backward 0)"
    box.check().run()
    (shown,) = [code.value for code in at.code if f"?{PARAM}=" in code.value]
    assert parse_qs(urlsplit(shown).query)[STAGE] == ["backward 0"]


# --- the address keeps the network: a reload (F5) opens it again, through the same ?net= ---
# AppTest runs app.py itself only in a test's first run (later runs go straight to the page), so these open
# each session on a Lab prepared beforehand, and address_app runs ui.address alone, rerun after rerun.

def address_changes(monkeypatch):
    """A list that gets the query parameters each time the app changes the page's address."""
    changes, send = [], QueryParams._send_query_param_msg

    def recorded(self):
        changes.append(dict(self._query_params))
        send(self)

    monkeypatch.setattr(QueryParams, "_send_query_param_msg", recorded)
    return changes


def session(lab=None, **query):
    """app.py's first run for a learner whose Lab is `lab` (None: a new learner), at an address with `query`."""
    at = AppTest.from_file(APP, default_timeout=120)
    if lab is not None:
        at.session_state["lab"] = lab
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_address_holds_the_network_and_a_reload_opens_it_with_the_same_numbers():
    assert PARAM not in session().query_params  # a new learner on the default network: the bare address
    built = Lab(replace(PRESETS["circles"].config, learning_rate=0.05))
    at = session(built)
    assert at.query_params == {PARAM: config_token(built.config)}
    again = session(**at.query_params)  # F5: a new session on the same address
    lab = again.session_state.lab
    assert lab.config == built.config and not errors(again) and again.query_params == at.query_params
    assert (lab.trace.forward[0].input == built.trace.forward[0].input).all()  # the same first batch
    assert (lab.trace.updates[0].before == built.trace.updates[0].before).all()  # the same initial weights


def address_app():
    """ui.address on its own: the network is the preset named in session state, changed between runs."""
    import streamlit as st

    from lab.presets import PRESETS
    from ui.address import keep_in_address

    keep_in_address(PRESETS[st.session_state.get("preset", "handout")].config)


def test_the_address_changes_once_per_change_and_never_when_nothing_changed(monkeypatch):
    changes = address_changes(monkeypatch)
    at = AppTest.from_function(address_app).run()
    at.run()
    assert changes == [] and at.query_params == {}
    at.session_state["preset"] = "circles"
    at.run().run().run()
    assert changes == [{PARAM: config_token(PRESETS["circles"].config)}]
    at.session_state["preset"] = "digits"
    at.run().run()
    assert changes[1:] == [{PARAM: config_token(PRESETS["digits"].config)}]
    at.session_state["preset"] = "handout"
    at.run().run()
    assert changes[2:] == [{}] and at.query_params == {}  # back to what the bare address opens


def test_a_change_drops_the_links_stage_and_bug_and_keeps_other_parameters():
    at = AppTest.from_function(address_app)
    at.query_params.update({PARAM: config_token(PRESETS["circles"].config), STAGE: "backward 2", "embed": "true",
                            BUG: "3fa2c1", LEVEL: "hard"})
    at.session_state["preset"] = "circles"
    at.run()
    assert at.query_params[STAGE] == "backward 2" and at.query_params[BUG] == "3fa2c1"  # the link's own network
    at.session_state["preset"] = "digits"
    at.run()
    assert at.query_params == {PARAM: config_token(PRESETS["digits"].config), "embed": "true"}


def test_the_same_link_opened_again_is_not_rewritten_and_a_damaged_one_is_removed(monkeypatch):
    changes = address_changes(monkeypatch)
    at = open_link(config_token(PRESETS["circles"].config), stage="backward 2")
    assert changes == [] and at.query_params[STAGE] == "backward 2"
    at = open_link("damaged-link")
    assert changes == [{}] and PARAM not in at.query_params  # a reload does not repeat the message


def test_a_network_on_an_upload_leaves_the_address_and_the_build_page_says_what_a_reload_loses():
    lab = Lab(replace(PRESETS["circles"].config, batch_size=8))
    lab.upload("tiny.csv", mnist_csv())
    at = session(lab, **{PARAM: config_token(PRESETS["circles"].config)})
    assert at.query_params == {}  # no link carries an upload: a reload opens the default, not an older network
    at.switch_page("pages/build.py").run()
    assert ("A reload (F5) keeps a network on built-in data, held in the page's address, but loses an upload "
            "and any trained or imported weights.") in [caption.value for caption in at.caption]


def test_an_address_with_two_networks_opens_the_first_and_keeps_only_it(monkeypatch):
    """?net=A&net=B: the network opened and the one the address shows first are the same, A (issue 23,
    item 5); the address then holds A alone, so a reload opens A again."""
    changes = address_changes(monkeypatch)
    first, second = PRESETS["circles"].config, PRESETS["digits"].config
    at = session(**{PARAM: [config_token(first), config_token(second)]})
    assert at.session_state.lab.config == first and not errors(at)
    assert changes == [{PARAM: config_token(first)}] and at.query_params == {PARAM: config_token(first)}
