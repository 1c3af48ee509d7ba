"""Shared links (AppTest): opening ?net=... gives the sender's network; a damaged link says so and
keeps the default; the Build page shows the link of the current network."""
from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from lab.links import PARAM, config_token, read_token
from lab.network import NetworkConfig
from lab.presets import PRESETS
from tests.pages.apptest import APP, errors, open_page


def open_link(token):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[PARAM] = token
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
