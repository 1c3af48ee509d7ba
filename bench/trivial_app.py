"""The trivial Streamlit click for bench/click_bench.py: one button and one 8×2 heatmap, redrawn on each click.

    streamlit run bench/trivial_app.py

Each click reruns the script; the heatmap's values move with the click count, so Plotly
redraws it every time (as the Step page's heatmaps do), but the figure stays tiny.
"""
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="trivial click", layout="wide")
clicks = st.session_state.get("clicks", 0)
if st.button("Click", key="trivial_click"):
    clicks += 1
st.session_state.clicks = clicks
z = [[(3 * row + 5 * column + clicks) % 7 for column in range(2)] for row in range(8)]
st.plotly_chart(go.Figure(go.Heatmap(z=z, colorscale="RdBu"), layout={"height": 300}),
                key="trivial_heatmap", width="stretch")
