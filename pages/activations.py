"""Activations: ReLU, LeakyReLU, ELU, SoftPlus and their derivatives from the engine; the pre-activations."""
import streamlit as st

from engine.jacobian import describe
from i18n import domain
from engine.sequential import layers_of
from lab.presets import PRESETS
from ui.actions import act, error_for, lab, sync
from ui.unfinished import unfinished_note
from viz.activations import (VANISH_RATIO, activation_curves, activation_formulas, activation_indices,
                             preactivation_figure, vanishing_count, x_bounds, x_grid)
from viz.colors import activation_color

_, ngettext = domain("pages")
L = lab()
layers = layers_of(L.model)

st.title(_("Activations"))
st.markdown(_("Each curve below is computed by the engine itself: f(x) by the layer's `forward` on a grid "
              "of x, f′(x) by its `backward` with grad_output = 1. Where f′ is (nearly) zero, backward "
              "passes (almost) nothing back to the layers below: the gradient **vanishes**."))

slope_col, alpha_col, range_col = st.columns(3)
slope = slope_col.slider(_("LeakyReLU slope"), min_value=0.0, max_value=1.0, value=0.03, step=0.01,
                         key="leaky_slope")
alpha = alpha_col.slider(_("ELU α"), min_value=0.0, max_value=3.0, value=1.0, step=0.1, key="elu_alpha")
x_range = range_col.slider(_("x range"), min_value=-20.0, max_value=20.0, value=(-5.0, 5.0), step=0.5,
                           key="activation_range")
bounds = x_bounds(x_range)
if bounds != tuple(x_range):
    st.caption(_("An empty range: showing [{low}, {high}].").format(low=f"{bounds[0]:g}", high=f"{bounds[1]:g}"))

st.plotly_chart(activation_curves(x_grid(bounds), slope=slope, alpha=alpha), key="activation_curves")
st.caption(_("Bottom panel, one lane per function: a bar in its colour over the x where its f′(x) < "
             "{ratio} · max f′ on this range, so backward passes back almost nothing there; "
             "no bar means its gradient never vanishes on this range.").format(ratio=f"{VANISH_RATIO:g}"))

formulas = list(activation_formulas(slope=slope, alpha=alpha).items())
for pair in (formulas[:2], formulas[2:]):  # a row of two: the names of a row start level
    for column, (name, (value, derivative)) in zip(st.columns(2), pair):
        with column:
            st.markdown(f'<span style="color:{activation_color(name)}">■</span> **{name}**',
                        unsafe_allow_html=True)
            st.latex(value)
            st.latex(derivative)


# --- the current model's pre-activations ---

st.subheader(_("Your network's pre-activations"))
indices = activation_indices(L.model)
if L.trace is None:  # no recorded iteration yet, so no pre-activations to show
    unfinished_note()
elif not indices:
    st.info(_("Your network has no activation layer (ReLU, LeakyReLU, ELU or SoftPlus), so nothing here "
              "bends. The **circles** preset puts a ReLU between two Linear layers."), icon="💡")
    st.button(_("Load the circles preset"), key="load_circles",
              on_click=act, args=("load_circles", L.apply, PRESETS["circles"].config))
    error_for("load_circles")
else:
    if st.session_state.get("preactivation_layer") not in indices:
        sync("preactivation_layer", indices[0])
    index = st.selectbox(_("Activation layer"), indices, format_func=lambda i: f"{i} · {describe(layers[i])}",
                         key="preactivation_layer")
    layer, values = layers[index], L.trace.forward_record(index).input
    name = f"{index} · {describe(layer)}"
    st.plotly_chart(preactivation_figure(layer, values, name, bounds), key="preactivation_histogram")
    vanishing, finite, total = vanishing_count(layer, values)
    share = _(" ({share} of the finite ones)").format(share=f"{vanishing / finite:.0%}") if finite else ""
    st.caption(_("The inputs layer {name} received in the recorded iteration ({samples} × {units}), on the same "
                 "x axis. **{vanishing} of {total}**{share} fall where its gradient vanishes (f′ < {ratio} · sup "
                 "f′, shaded): for them backward sends (almost) nothing back. The shading uses the layer's own "
                 "parameters, not the sliders.").format(
        name=name, samples=ngettext("{n} sample", "{n} samples", len(values)).format(n=len(values)),
        units=ngettext("{n} unit", "{n} units", values[0].size).format(n=values[0].size), vanishing=vanishing,
        total=total, share=share, ratio=f"{VANISH_RATIO:g}"))
