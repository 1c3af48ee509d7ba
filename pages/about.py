"""About: what each page shows and the training loop every page is built on."""
import streamlit as st

from i18n import domain

_, ngettext = domain("pages")

st.title(_("Backpropagation, by looking at it"))
st.markdown(_(
    "This app runs the NumPy mini-framework of the course (Lua Torch style: `forward` = "
    "`update_output`, `backward` = `update_grad_input` + `update_grad_params`) and lets you see "
    "every number one training iteration computes."))
st.code(_(  # the comments name the Step page's stages
    """model.zero_grad_params()
predictions = model.forward(x_batch)                       # Step: forward 0 .. n-1
loss = criterion.forward(predictions, y_batch)             # Step: loss
last_grad_input = criterion.backward(predictions, y_batch)
model.backward(x_batch, last_grad_input)                   # Step: backward n-1 .. 0
optimizer.step(model.get_parameters(), model.get_grad_params())  # Step: update"""),
    language="python")
st.markdown(_(
    "**Step through** — one iteration of your network on one batch, stage by stage: each layer's "
    "input, parameters and output; the loss and its gradient; each layer's `grad_output`, "
    "`grad_input` and parameter gradients; each parameter's SGD-momentum update. Every tensor is a "
    "heatmap (blue negative, white zero, red positive; hover for the exact value) beside its formula "
    "with your shapes. *Work out one entry by hand* writes one entry of each result as the sum the "
    "layer computes, with your numbers in it, to check your own implementation number by number; "
    "*Check your own framework* downloads the whole iteration as an .npz with the code that tests "
    "your classes against it. *New iteration* takes the next batch from the updated weights."))
st.markdown(_(
    "**Build** — choose the data (or upload a Kaggle MNIST-style CSV), stack the handout's layers, "
    "pick the criterion, learning rate and momentum, or start from a preset that teaches one idea. "
    "The page warns about pairings that do not fit (NLLCriterion without LogSoftMax, ...), shows the "
    "network as handout-style code, exports and imports configuration and weights, and gives a link "
    "that opens the same network, with the same initial weights and first batch, for everyone."))
st.markdown(_(
    "**Jacobians** — the Jacobian of any layer for one sample, from its own backward, in closed form "
    "and by finite differences; the LogSoftMax derivation with your numbers; how BatchNormalization "
    "couples the samples of a batch; a gradient check of the whole network."))
st.markdown(_(
    "**Activations** — ReLU, LeakyReLU, ELU and SoftPlus and their derivatives, from the engine's own "
    "forward and backward, with the regions where the gradient vanishes."))
st.markdown(_(
    "**Train** — train with live curves, decision regions or a confusion matrix, and compare the four "
    "activations on the same data and seed. Stepping continues from the trained weights."))
st.markdown(_(
    "Everything you do lives in your own browser session: other learners on the same server never "
    "see or change your network."))

