"""lab.links: a network in a URL, read back exactly, and every damaged link refused with a reason."""
import base64
import zlib
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from lab.links import BUG, LEVEL, MAX_TOKEN_CHARS, PARAM, STAGE, config_token, is_local, link, read_token, shareable
from lab.network import NetworkConfig
from lab.presets import PRESETS
from lab.uploads import PREFIX


def pack(text):
    return base64.urlsafe_b64encode(zlib.compress(text.encode())).decode().rstrip("=")


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_travels_exactly_in_a_short_url_safe_token(preset):
    config = replace(PRESETS[preset].config, learning_rate=0.0123456789, training=False)
    token = config_token(config)
    assert read_token(token) == config
    assert len(token) < 600 and set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_link_points_at_the_apps_root_from_any_page():
    config = PRESETS["circles"].config
    for page_url, root in (("http://127.0.0.1:8501/build", "http://127.0.0.1:8501/"),
                           ("http://127.0.0.1:8501/", "http://127.0.0.1:8501/"),
                           ("https://course.example/lab/build", "https://course.example/lab/"),
                           (None, "/")):
        url = link(page_url, config)
        assert url.startswith(root + "?")
        assert read_token(parse_qs(urlsplit(url).query)[PARAM][0]) == config


@pytest.mark.parametrize("token, message", [
    ("", "holds no network"),
    ("x" * (MAX_TOKEN_CHARS + 1), "over the 8192 limit"),
    ("not base64 at all!", "damaged"),
    (pack('{"format": "backprop-lens/1", "layers": []')[:-6], "damaged"),       # cut short
    (base64.urlsafe_b64encode(b"plain text, not zlib").decode(), "damaged"),
    (pack(" " * (2 * 2**20)), "too large"),                                        # a zip bomb
    (pack('{"format": "other/1"}'), "cannot be used: configuration file is not a backprop-lens/1"),
    (pack('{"format": "backprop-lens/1", "layers": [{"kind": "Nope"}]}'), "cannot be used"),
    (pack('{"format": "backprop-lens/1", "learning_rate": -1}'), "cannot be used"),
    (pack("[" * 500_000 + "]" * 500_000), "cannot be used: configuration file nests lists or objects more than 32"),
    (pack('{"format": "backprop-lens/1", "layers": ' + "[" * 40 + "]" * 40 + "}"), "more than 32 deep"),
    (pack('{"format": "backprop-lens/1", "' + "x" * 10_000 + '": 1}'), "unknown field[(]s[)] x{59}…$"),
])
def test_damaged_links_say_what_is_wrong(token, message):
    with pytest.raises(ValueError, match=message):
        read_token(token)


def test_an_uploaded_dataset_cannot_travel_in_a_link():
    assert shareable(NetworkConfig()) is None
    assert "uploaded CSV" in shareable(NetworkConfig(dataset=PREFIX + "mnist.csv"))


def test_the_link_uses_the_host_the_browser_asked_for_and_can_carry_a_stage():
    config = PRESETS["circles"].config
    url = link("http://127.0.0.1:8501/build", config, host="localhost:8501", stage="backward 0")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost:8501", "/")
    query = parse_qs(parts.query)
    assert query[STAGE] == ["backward 0"] and read_token(query[PARAM][0]) == config
    assert "stage=backward%200" in url
    assert urlsplit(link("https://course.example/lab/build", config, host="10.0.0.7:8501")).netloc == "10.0.0.7:8501"
    for odd in ("evil.example/path", "a b", "x@y", ""):  # not a plain host: the page's own address
        assert urlsplit(link("http://127.0.0.1:8501/build", config, host=odd)).netloc == "127.0.0.1:8501"


def test_a_bug_hunt_link_carries_the_chosen_mistake_and_level():
    config = PRESETS["circles"].config
    url = link("https://course.example/lab/build", config, hunt=("3fa2c1", "medium"))
    parts = urlsplit(url)
    assert parts.path == "/lab/"  # the app's root: &bug= opens the Bug hunt (app.py)
    query = parse_qs(parts.query)
    assert query[BUG] == ["3fa2c1"] and query[LEVEL] == ["medium"] and read_token(query[PARAM][0]) == config
    assert BUG not in parse_qs(urlsplit(link("https://course.example/lab/build", config)).query)


def test_a_link_to_this_machine_only_is_recognised():
    assert is_local("http://localhost:8501/?net=x") and is_local("http://127.0.0.1:8501/")
    assert not is_local("http://192.168.1.20:8501/") and not is_local("/?net=x")
