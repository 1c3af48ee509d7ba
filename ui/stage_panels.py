"""Draw a stage's panels (viz.stage_view): its formula and captions as text, its tensors as one chart per group."""
from functools import partial

import streamlit as st

from ui import focus
from viz.stage_view import panel_rows


def draw(panels, prefix, clickable=False):
    """Every panel; with clickable, a click on a cell chooses the entry worked out by hand (ui.focus)."""
    for row in panel_rows(panels):
        if row[0].figure is None:
            if row[0].latex:
                st.latex(row[0].latex)
            if row[0].caption:
                st.caption(row[0].caption)
            continue
        for panel in row:  # one chart per group of tensors: a browser draws it far faster than one per tensor
            key = f"{prefix}-{panel.key}"
            extra = dict(selection_mode="points", on_select=partial(  # a click on a stage no longer shown: nothing
                focus.on_cell, key, focus.cell_metas(panel.figure), focus.stamp())) if clickable else {}
            st.plotly_chart(panel.figure, key=key, width="content", **extra,
                            config={"displayModeBar": False})  # it covered the titles; drag zooms, double click resets
