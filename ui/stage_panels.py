"""Draw a stage's panels (viz.stage_view): its formula and captions as text, its tensors as one picture per group
(ui.tensor_grid: a Next redraws each picture in place)."""
from functools import partial

import streamlit as st

from ui import focus, tensor_grid
from viz.stage_view import panel_rows


def draw(panels, prefix, clickable=False):
    """Every panel; with clickable, a click on a cell chooses the entry worked out by hand (ui.focus)."""
    count = 0
    for row in panel_rows(panels):
        if not row[0].drawn:
            if row[0].latex:
                st.latex(row[0].latex)
            if row[0].caption:
                st.caption(row[0].caption)
            continue
        for panel in row:  # one picture per group of tensors, keyed by its place: the same element at every stage
            key = f"{prefix}-grid-{count}"
            count += 1
            if panel.chart is not None:
                st.plotly_chart(panel.chart, key=f"{prefix}-{panel.key}", width="content",
                                config={"displayModeBar": False})
            else:
                tensor_grid.draw(panel.picture, key, focus.stamp() if clickable else None,
                                 partial(focus.on_cell, key) if clickable else None)
