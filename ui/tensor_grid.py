"""The Step page's tensors drawn by a browser component (ui/components/tensor_grid.js), not a Plotly chart.

Streamlit 1.67 gives a Plotly chart an element id that hashes its figure, so each stage mounted a new chart and
Plotly built it from scratch; a keyed custom component keeps its element while its data changes, and its script
replaces the stage's SVG (viz.picture) in place. A click on a cell sends {tensor, row, col, stamp} back: the
stamp of the stage it was drawn at, so a click on a stage no longer shown does nothing (ui.focus.on_grid_cell).
"""
from pathlib import Path

import streamlit as st

JS = (Path(__file__).parent / "components" / "tensor_grid.js").read_text(encoding="utf-8")
component = st.components.v2.component("backprop_lens.tensor_grid", js=JS, isolate_styles=False)


def draw(picture, key, stamp=None, on_cell=None):
    """Draw a viz.picture dict under `key` (the same key from stage to stage keeps the element); with on_cell,
    a click on a cell calls it (the payload is st.session_state[key]["cell"]) and the stamp goes with the click."""
    data = dict(picture, clickable=on_cell is not None, stamp=stamp)
    extra = {"on_cell_change": on_cell} if on_cell is not None else {}
    component(key=key, data=data, width="content", **extra)
