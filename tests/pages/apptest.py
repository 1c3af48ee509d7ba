"""Open a page of the app in AppTest, the way a learner reaches it through the navigation."""
import base64
import json
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ui.focus import BY_HAND

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page, preset=None, timeout=120, lang=None, by_hand=False):
    """AppTest of app.py switched to pages/<page>.py (None: the default page), optionally with a
    preset applied to the learner's Lab, run, with no exception; lang: opened with ?lang=lang; by_hand: the Step
    page's by-hand expander open (its working is drawn only then, as a learner who opened it sees it)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if by_hand:
        at.session_state[BY_HAND] = True
    if lang is not None:
        at.query_params["lang"] = lang
    at.run()
    if lang == "ru":
        assert at.caption[0].value.startswith("Ваша сеть"), at.caption[0].value  # the app speaks Russian
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    if preset is not None:
        from lab.presets import PRESETS
        at.session_state.lab.apply(PRESETS[preset].config)
        at.run()
    assert not at.exception, at.exception
    return at


def plotly_array(value):
    """A Plotly JSON array (a list, or {"dtype", "bdata", "shape"} as Plotly 6+ writes NumPy arrays) as NumPy."""
    if isinstance(value, dict):
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return a.reshape([int(n) for n in str(value["shape"]).split(",")]) if value.get("shape") else a
    return np.asarray(value)


def figures(at):
    """The Plotly figure JSON of every chart on the page, in order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def grids(at, prefix=""):
    """{key: picture} of every tensor grid on the page (ui.tensor_grid: the data viz.picture made, with the
    component's "clickable" and "stamp"), whose key starts with `prefix`, in order."""
    shown = {element.proto.id.split("-", 2)[-1]: json.loads(element.proto.json)
             for element in at.get("bidi_component") if element.proto.component_name.endswith("tensor_grid")}
    return {key: picture for key, picture in shown.items() if key.startswith(prefix)}


def tile_names(at):
    """The titles of the tensors drawn in the stage's tensor grids."""
    return {tile["title"] for picture in grids(at, "step-grid-").values() for tile in picture["tiles"]}


def as_shown(markdown):
    """The text a markdown element shows for ui.actions.plain's escaped text: each \\x drawn as x, without
    the invisible word joiners that keep an address from becoming a link."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def errors(at):
    """The error messages on the page, as the learner reads them."""
    return [as_shown(element.value) for element in at.error]


def picker(at, name):
    """The Step page's by-hand picker widget `name` ("pick_tensor", "pick_row", "pick_col"): its key names the
    shown stage and iteration (ui.focus.picker_key), e.g. "pick_row_1_3"."""
    (widget,) = [w for w in at.get("selectbox" if name == "pick_tensor" else "number_input")
                 if re.fullmatch(rf"{name}_\d+_\d+", w.key or "")]
    return widget
