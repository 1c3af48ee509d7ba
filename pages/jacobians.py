"""Jacobians: dy_s/dx_s three ways, the VJP check, LogSoftMax's derivation, BatchNorm's coupling, the image
layers' banded and selection structure, gradcheck."""
import numpy as np
import streamlit as st

from engine import BatchNormalization, LogSoftMax, SoftMax
from engine.jacobian import describe
from engine.sequential import layers_of
from i18n import domain
from lab.budget import LIMIT
from ui.actions import act, error_for, lab, sync
from ui.cache import iteration_store, per_iteration
from ui.unfinished import require_trace
from viz import derivation
from viz.coupling_view import batch_coupling_figure, block_norms_figure, coupling_jacobian
from viz.derivation_strip import derivation_strip
from viz.gradcheck_view import check_gradcheck, gradcheck_table
from viz.image_structure import structure_note
from viz.jacobian_view import (FIGURE_PX, as_recorded, check_sample_view, jacobian_figure, layer_sample_jacobians,
                               recorded_model, sample_vjp_check)

CACHE = "_jacobians_page"   # session key: {"trace": the trace it belongs to, "views": {...}, "gradcheck": table}
MAX_VIEWS = 4               # (layer, sample) views kept per session (their figures are up to ~1 MB each)
COUPLED_SAMPLES = 4         # samples shown in the BatchNormalization coupling figures
GRADCHECK_SAMPLES, GRADCHECK_ENTRIES = 4, 256

_, ngettext = domain("pages")
L = lab()
require_trace(_("Jacobians"))  # an unfinished network records no iteration: say why, point to Build
trace = L.trace
layers = layers_of(L.model)
batch = len(trace.forward_record(0).input)
mode = _("training") if L.config.training else _("evaluate")


# --- per-session cache, valid for one recorded iteration ---

def cache():
    return iteration_store(CACHE, gradcheck=None)


def cached(key, compute):
    def quietly():
        with np.errstate(all="ignore"):  # a diverged iteration holds inf/NaN: the figures flag them
            return compute()
    return per_iteration(CACHE, key, quietly, keep=MAX_VIEWS, gradcheck=None)


def label(i):
    return f"{i} · {describe(layers[i])}"


def jacobians_view(i, s):
    """Figures and numbers of layer i's Jacobian for sample s (what the page draws, without the big arrays)."""
    layer = as_recorded(L.model[i], trace, i)
    record = trace.backward_record(i)
    sj = layer_sample_jacobians(layer, trace.forward_record(i).input, s, grad_output=record.grad_output)
    table, vjp_error = sample_vjp_check(sj, record.grad_output, record.grad_input)
    name = label(i)
    figures = {"backprop": jacobian_figure(sj.backprop, _("layer {i}, sample {s}: backprop").format(i=i, s=s)),
               "numerical": jacobian_figure(sj.numerical, _("layer {i}, sample {s}: finite diff.").format(i=i, s=s)),
               "difference": jacobian_figure(sj.difference, _("{name}: backprop − finite differences").format(
                   name=name), width=460)}
    if sj.closed is not None:
        figures["closed"] = jacobian_figure(sj.closed, _("layer {i}, sample {s}: closed form").format(i=i, s=s))
    return {"figures": figures, "shape": sj.backprop.shape, "max_abs_error": sj.max_abs_error,
            "closed_error": sj.closed_error, "note": sj.note, "coupled": sj.coupled,
            "vjp": table, "vjp_error": vjp_error, "structure": structure_note(layer, sj.backprop)}


def checked_view(i, s):
    """jacobians_view(i, s), or the message saying what to shrink when it would exceed the learner's budget."""
    record = trace.forward_record(i)
    try:
        check_sample_view(L.model[i], record.input, record.output.shape, LIMIT,
                          _("layer {i} ({layer})").format(i=i, layer=describe(layers[i])))
    except ValueError as error:
        return None, str(error)
    return cached(("jacobians", i, s), lambda: jacobians_view(i, s)), None


def coupling_view(i):
    coupling = coupling_jacobian(as_recorded(L.model[i], trace, i), trace.forward_record(i).input, COUPLED_SAMPLES)
    return {"coupling": batch_coupling_figure(coupling) if L.config.training else None,
            "norms": block_norms_figure(coupling)}


def gradcheck():
    check_gradcheck(L.model, trace, LIMIT, GRADCHECK_SAMPLES, GRADCHECK_ENTRIES)
    with np.errstate(all="ignore"):
        return gradcheck_table(recorded_model(L.model, trace), trace.forward_record(0).input,
                               n_samples=GRADCHECK_SAMPLES, max_entries=GRADCHECK_ENTRIES)


def run_gradcheck():
    cache()["gradcheck"] = act("gradcheck_run", gradcheck)


# --- pickers ---

st.title(_("Jacobians"))
st.markdown(_("A layer maps its input batch x to its output y. For one sample s, its **Jacobian** holds "
              "every partial derivative of an output of that sample with respect to an input of that sample; "
              "backward never builds it, it only multiplies grad_output by it."))

if st.session_state.get("jacobian_layer") not in range(len(layers)):
    sync("jacobian_layer", len(layers) - 1)  # the network changed: the last layer again
if st.session_state.get("jacobian_sample") not in range(batch):
    sync("jacobian_sample", 0)
left, right = st.columns([3, 1])
index = left.selectbox(_("Layer"), range(len(layers)), format_func=label, key="jacobian_layer")
sample = right.number_input(_("Sample (0 … {last})").format(last=batch - 1), min_value=0, max_value=batch - 1, step=1,
                            key="jacobian_sample")
st.caption(_("From the recorded iteration: the layer's input, grad_output and grad_input of the batch of "
             "{batch}, its parameters before the update, in {mode} mode (its Dropout mask and BatchNorm "
             "statistics are those of that iteration).").format(batch=batch, mode=mode))


# --- three Jacobians, their difference, the VJP check ---

def draw_three_ways(view):
    """The definition, the three Jacobians and their difference for the chosen layer and sample."""
    n_out, n_in = view["shape"]
    st.latex(derivation.jacobian_definition(n_out, n_in, sample, batch))
    st.subheader(_("Three ways to the same matrix"))
    with st.container(horizontal=True, gap="medium"):  # three in a row at 1400 px, two and one at 800 px
        with st.container(width=FIGURE_PX):
            st.plotly_chart(view["figures"]["backprop"], key="jacobian_backprop", width="content")
            st.caption(_("**From backward**: row j is `layer.backward(x, e)` with a one-hot grad_output e "
                         "(1 at sample s, output j): the layer's own code, one output at a time."))
        with st.container(width=FIGURE_PX):
            st.plotly_chart(view["figures"]["numerical"], key="jacobian_numerical", width="content")
            st.caption(_("**Finite differences**: column i is (f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε with "
                         "ε = 10⁻⁶, nudging input i of sample s: only the forward is used."))
        with st.container(width=FIGURE_PX):
            if "closed" in view["figures"]:
                st.plotly_chart(view["figures"]["closed"], key="jacobian_closed", width="content")
                st.caption(_("**Closed form**: {note}.").format(note=view["note"].removeprefix("closed form: ")))
            else:
                st.info(_("No closed form here: {note}.").format(note=view["note"]), icon="ℹ️")

    if view["structure"]:
        st.markdown(view["structure"])
    if view["coupled"]:
        st.caption(_("BatchNormalization in training couples the samples: these are the diagonal block ∂y_s/∂x_s "
                     "of the full-batch Jacobian; the blocks ∂y_s/∂x_t for t ≠ s are shown further down."))
    difference_col, metrics_col = st.columns([3, 1])
    difference_col.plotly_chart(view["figures"]["difference"], key="jacobian_difference", width="content")
    metrics_col.metric(_("max |backprop − finite diff.|"), f"{view['max_abs_error']:.2e}",
                       help=_("central differences are exact up to about ε² plus rounding: ~1e-8 or less"))
    if view["closed_error"] is not None:
        metrics_col.metric(_("max |closed form − backprop|"), f"{view['closed_error']:.2e}")


def draw_vjp(view):
    """What backward computes, g · J, against the recorded grad_input of the chosen sample."""
    st.subheader(_("What backward computes: grad_output · J"))
    st.latex(derivation.vjp_formula(view["coupled"]))
    table_col, vjp_col = st.columns([3, 1])
    table_col.dataframe(view["vjp"], hide_index=True, height=min(260, 36 * (len(view["vjp"]) + 1) + 2))
    vjp_col.metric("max |g · J − grad_input|", f"{view['vjp_error']:.2e}")
    if view["coupled"]:
        vjp_col.caption(_("BatchNormalization in training couples the batch: the check sums over every output "
                          "sample t, with ∂y_t/∂x_s from finite differences."))


view, refused = checked_view(index, sample)
if view is None:
    st.warning(_("Not computed: {reason}.").format(reason=refused), icon="⚠️")
else:
    draw_three_ways(view)
    draw_vjp(view)


# --- layer-specific: LogSoftMax / SoftMax derivation, BatchNorm coupling ---

layer = layers[index]
if isinstance(layer, (LogSoftMax, SoftMax)):
    kind = "LogSoftMax" if isinstance(layer, LogSoftMax) else "SoftMax"
    st.subheader(_("The {layer} backward, step by step (sample {sample})").format(layer=kind, sample=sample))
    st.caption(_("As in the handout, with this sample's numbers (indices from 0, as everywhere in this app; the "
                 "handout counts from 1). A vector of more than {most} entries shows its first {head}, ⋯ and the "
                 "last; the strips hold every entry (hover for the exact value).").format(
        most=derivation.MAX_SHOWN, head=derivation.HEAD))
    x_row, g_row = trace.forward_record(index).input[sample], trace.backward_record(index).grad_output[sample]
    st.plotly_chart(derivation_strip(kind, x_row, g_row, sample), key="derivation_strip")
    steps = (derivation.log_softmax_derivation if kind == "LogSoftMax" else derivation.softmax_derivation)(
        x_row, g_row)
    for step in steps:
        st.latex(step)

if isinstance(layer, BatchNormalization):
    st.subheader(_("BatchNormalization: coupling across the batch"))
    figures = cached(("coupling", index), lambda: coupling_view(index))
    if figures["coupling"] is not None:
        st.markdown(_("In training mode every output y_s depends on **every** input x_t of the batch through "
                      "the batch mean and variance, so the full-batch Jacobian has off-diagonal blocks:"))
        st.latex(derivation.batchnorm_coupling_formula(batch, layer.EPS))
        coupling_col, norms_col = st.columns([3, 2])
        coupling_col.plotly_chart(figures["coupling"], key="jacobian_coupling")
        norms_col.plotly_chart(figures["norms"], key="jacobian_block_norms")
    else:
        st.info(_("In evaluate mode BatchNormalization uses its moving statistics: each sample is normalised "
                  "on its own, there is no coupling, and every block off the diagonal is zero."), icon="ℹ️")
        st.plotly_chart(figures["norms"], key="jacobian_block_norms")


# --- a gradient check of the whole network ---

st.subheader(_("Gradient check of the whole network"))
st.caption(_("For each tensor (the network's input and every parameter): backprop's Jacobian of the network's "
             "output against central differences, on the first {samples} of the recorded batch (as a batch of "
             "their own), at most {entries} per tensor, spread evenly. It passes when |error| ≤ 1e-5 + 1e-3 · "
             "|finite difference|.").format(
    samples=ngettext("{n} sample", "{n} samples", min(GRADCHECK_SAMPLES, batch)).format(
        n=min(GRADCHECK_SAMPLES, batch)),
    entries=ngettext("{n} entry", "{n} entries", GRADCHECK_ENTRIES).format(n=GRADCHECK_ENTRIES)))
st.button(_("Run the gradient check"), key="gradcheck_run", on_click=run_gradcheck)
error_for("gradcheck_run")
table = cache()["gradcheck"]
if table is None:
    st.caption(_("Not run yet for this iteration."))
else:
    passed = int(table["pass"].sum())
    if passed == len(table):
        st.success(ngettext("The {n} tensor passes.", "All {n} tensors pass.", len(table)).format(n=len(table)),
                   icon="✅")
    else:
        st.error(ngettext("{failed} of {n} tensor fails.", "{failed} of {n} tensors fail.", len(table)).format(
            failed=len(table) - passed, n=len(table)), icon="❌")
    st.dataframe(table, hide_index=True,
                 column_config={"pass": st.column_config.CheckboxColumn(_("pass")),
                                "max abs error": st.column_config.NumberColumn(_("max abs error"), format="%.2e"),
                                "max rel error": st.column_config.NumberColumn(_("max rel error"), format="%.2e")})
