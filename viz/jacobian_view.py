"""One layer's Jacobian for one sample: backprop, finite differences, closed form; the VJP check.

Convention (engine.jacobian's): rows = outputs j, columns = inputs i, both flattened
row-major, J[j, i] = d y.flat[j] / d x.flat[i].  Everything is computed in float64 on
``engine.jacobian.float64_copy(layer)`` (hooks removed, Dropout masks frozen), so the
learner's layer and its recorded mask are never changed.  Only what is shown is built:
one sample's (n_out, n_in) block, never the (N*n_out, N*n_in) batch Jacobian, and
sample_view_bytes bounds it before anything is computed.  viz.coupling_view shows the
blocks between samples, viz.gradcheck_view the gradient check of a whole network.
"""
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from engine import BatchNormalization, Dropout, Sequential
from engine.jacobian import analytic_jacobian, float64_copy, lookup
from engine.sequential import layers_of
from i18n import N_, domain
from viz.geometry import label_width, wrap
from viz.grid import INK
from viz.heatmap import heatmap, printed, shape_text, shown

_, ngettext = domain("viz")

ROW_LABEL, COLUMN_LABEL = N_("output j (row)"), N_("input i (column)")  # viz.heatmap shows them translated
FLOAT = 8             # bytes of a float64
MATRIX_COPIES = 8     # (n_out, n_in) matrices of a sample view: three Jacobians, their differences, the figures'
PARAMETER_COPIES = 4  # the layer's parameters and gradients in its two float64 copies
FIGURE_PX = 330       # a Jacobian's figure: three fit in a row at 1400 px, two at 800 px
MARGIN = dict(l=56, r=76, b=50)  # the y ticks and title; the colour bar and its ticks; the x ticks and title
JACOBIAN_CELL = 48    # px: a cell is square, at most this large
MIN_FIGURE_PX = 200   # px: a 1 x 1 or 2 x 2 Jacobian's figure still has room for its title and colour bar
JACOBIAN_PLOT = (60, 420)  # px: the plot's height at least and at most
TITLE_CHAR_PX = 8.0   # width of a character of the 14-px title
PASS_COPIES = 16      # (rows, features) arrays one forward and backward pass of the layer holds, at most


@dataclass
class SampleJacobians:
    """Sample s's block dy_s/dx_s (n_out, n_in) of the full-batch Jacobian, three ways; through_batch (n_in,)."""

    layer: str
    sample: int
    batch_size: int
    backprop: np.ndarray            # from the layer's own backward, one-hot grad_outputs
    numerical: np.ndarray           # central differences, eps
    closed: Optional[np.ndarray]    # closed form, None where there is none
    through_batch: Optional[np.ndarray]  # sum_t g_t dy_t/dx_s by central differences (given grad_output g)
    coupled: bool                   # True when the layer couples the samples of a batch
    note: str

    @property
    def difference(self):
        """backprop - numerical, (n_out, n_in)."""
        return self.backprop - self.numerical

    @property
    def max_abs_error(self):
        """max |backprop - numerical|."""
        return float(np.max(np.abs(self.difference)))

    @property
    def closed_error(self):
        """max |closed - backprop|, or None without a closed form."""
        return None if self.closed is None else float(np.max(np.abs(self.closed - self.backprop)))


def couples_samples(layer):
    """True when a BatchNormalization in training mode sits in the layer (its samples interact)."""
    return any(isinstance(m, BatchNormalization) and m.training for m in layer.walk())


def check_sample(x, sample):
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < len(x):
        raise ValueError(f"sample must be an integer in [0, {len(x)}), got {sample!r}")
    return int(sample)


def backprop_rows(clone, x, samples, features=None):
    """Rows (s, j) for s in samples of the full-batch Jacobian, restricted to input samples `samples`.

    features: only outputs j and inputs i below it (each block (s, t) cut to its top-left corner);
    None: all. One backward pass of the batch per row.
    """
    y = clone.forward(x)
    n_out, n_in = (size if features is None else min(size, features) for size in (y[0].size, x[0].size))
    J = np.empty((len(samples) * n_out, len(samples) * n_in))
    for a, s in enumerate(samples):
        for j in range(n_out):
            e = np.zeros(y.shape)
            e[s].flat[j] = 1.0
            grad = clone.backward(x, e)[list(samples)]
            J[a * n_out + j] = np.ravel(grad.reshape(len(samples), -1)[:, :n_in])
    return J


def numerical_block(clone, x, s, eps, grad_output=None):
    """(dy_s/dx_s (n_out, n_in), sum_t g_t dy_t/dx_s (n_in,) or None) by central differences over the batch.

    Column i perturbs input i of sample s; every output of the batch moves (BatchNormalization
    couples them), but only sample s's rows and their product with grad_output g are kept.
    """
    g = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    n_in = x[s].size
    block, through = None, None if g is None else np.empty(n_in)
    for i in range(n_in):
        plus, minus = x.copy(), x.copy()
        plus[s].flat[i] += eps
        minus[s].flat[i] -= eps
        y_plus = np.array(clone.forward(plus), dtype=np.float64)  # a copy: a layer may reuse its output
        dy = (y_plus - clone.forward(minus)) / (2 * eps)
        if block is None:
            block = np.empty((dy[s].size, n_in))
        block[:, i] = np.ravel(dy[s])
        if g is not None:
            through[i] = float(np.sum(g * dy))
    return block, through


def bn_training_block(x, eps, s, t):
    """dy_s/dx_t of training BatchNormalization = diag((delta_st - 1/N - xhat_s xhat_t / N) / sqrt(var_B + EPS))."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return np.diag(inv_std * (float(s == t) - 1.0 / len(x) - x_hat[s] * x_hat[t] / len(x)))


def tied_windows(layer, x):
    """How many k x k windows of one sample's (C, H, W) input have their maximum twice (MaxPool2d only)."""
    if type(layer).__name__ != "MaxPool2d" or np.ndim(x) != 3:
        return 0
    k = layer.kernel_size
    c, h, w = x.shape
    windows = x.reshape(c, h // k, k, w // k, k).transpose(0, 1, 3, 2, 4).reshape(-1, k * k)
    return int(np.count_nonzero((windows == windows.max(axis=1, keepdims=True)).sum(axis=1) > 1))


def closed_block(layer, clone, x, s, coupled):
    """(closed-form dy_s/dx_s or None, a note saying where it comes from)."""
    if coupled and isinstance(layer, BatchNormalization):
        return (bn_training_block(x, layer.EPS, s, s),
                _("closed form: the diagonal block diag((1 - 1/N - x̂_s²/N) / sqrt(var_B + EPS))"))
    if coupled:
        return None, _("no closed form: BatchNormalization in training mode couples the samples")
    J = analytic_jacobian(clone, x[s:s + 1], sample=s)  # the clone holds the mask its forward used
    return J, (_("closed form: engine.jacobian.analytic_jacobian") if J is not None
               else _("no closed form for this module"))


def sample_jacobians(layer, x_batch, sample, eps=1e-6, grad_output=None):
    """Sample s's Jacobian dy_s/dx_s (n_out, n_in) of `layer` on the batch x_batch (N, ...), three ways.

    Every Jacobian here is a block of the FULL-batch Jacobian: the whole batch is run and
    only sample s's rows (one-hot grad_output at sample s) or inputs (perturb x_s) are
    taken.  For row-wise layers this equals the Jacobian of x_s alone.  For Dropout in
    training mode it uses the layer's recorded mask (its last forward must have been on
    this batch, as after trace_iteration; otherwise the copy samples one mask and holds it,
    and the note says so).  For BatchNormalization in training mode x_s alone would be a
    different batch (of one sample: var_B = 0), so only the diagonal block of the full-batch
    Jacobian is right; it is not the whole story: grad_input_s = sum_t g_t J_ts, which is
    why, given grad_output g (N, ...), `through_batch` keeps that sum for sample_vjp_check.
    Cost: n_out backward passes and 2 n_in forward passes of the batch; memory: a few
    (n_out, n_in) matrices and one pass's arrays (sample_view_bytes).
    """
    x = np.array(x_batch, dtype=np.float64)
    s = check_sample(x, sample)
    clone = float64_copy(layer)
    fresh = [m for m in clone.walk() if isinstance(m, Dropout) and m.training
             and (m.mask is None or m.mask.shape != x.shape)]
    backprop = backprop_rows(clone, x, [s])  # its forward fixes the masks for what follows
    numerical, through_batch = numerical_block(clone, x, s, eps, grad_output)
    coupled = couples_samples(clone)
    closed, note = closed_block(layer, clone, x, s, coupled)
    if fresh:
        note += "; " + _("⚠ Dropout had no mask for this batch: a fresh mask was sampled")
    ties = tied_windows(layer, x[s])
    if ties:
        note += "; " + ngettext(
            "⚠ {ties} of this sample's pooling windows has a tied maximum (ReLU's zeros, say): max is "
            "not differentiable there, so finite differences give 0.5 (half of each side) where backprop "
            "sends the whole gradient to the first maximum",
            "⚠ {ties} of this sample's pooling windows have a tied maximum (ReLU's zeros, say): max is "
            "not differentiable there, so finite differences give 0.5 (half of each side) where backprop "
            "sends the whole gradient to the first maximum", ties).format(ties=ties)
    return SampleJacobians(layer=repr(layer).replace("\n", ", "), sample=s, batch_size=len(x),
                           backprop=backprop, numerical=numerical, closed=closed,
                           through_batch=through_batch, coupled=coupled, note=note)


def row_copy(layer, x, s):
    """A float64 copy whose Dropout masks of this batch keep only row s (the sample's own mask)."""
    clone = float64_copy(layer)
    for m in clone.walk():
        if isinstance(m, Dropout) and m.mask is not None and m.mask.shape == x.shape:
            m.mask = m.mask[s:s + 1].copy()
    return clone


def layer_sample_jacobians(layer, x_batch, sample, eps=1e-6, grad_output=None):
    """sample_jacobians on x_s alone (same block, N times cheaper) unless the layer couples the samples.

    For a row-wise layer y_s depends on x_s only, so its block is the Jacobian of the
    one-row batch x_s (Dropout keeps row s of its recorded mask), and through_batch is
    g_s times that block, the other samples' outputs being constant in x_s.
    """
    x = np.array(x_batch, dtype=np.float64)
    s = check_sample(x, sample)
    if couples_samples(layer):
        return sample_jacobians(layer, x, s, eps, grad_output)
    g = None if grad_output is None else np.asarray(grad_output)[s:s + 1]
    return replace(sample_jacobians(row_copy(layer, x, s), x[s:s + 1], 0, eps, g), sample=s, batch_size=len(x))


def sample_view_bytes(layer, x_batch, output_shape):
    """Upper bound of the bytes layer_sample_jacobians and its figures build, before any is built.

    MATRIX_COPIES (n_out, n_in) float64 matrices, PARAMETER_COPIES of the layer's parameters, and
    PASS_COPIES arrays of the batch (a coupling layer runs the whole batch) or of one sample (a
    row-wise layer) for the passes; output_shape: the layer's output shape on x_batch (N, ...).
    """
    x = np.asarray(x_batch)
    n_in, n_out = x[0].size, int(np.prod(output_shape[1:]))
    rows = len(x) if couples_samples(layer) else 1
    parameters = sum(value.size for _, value, _ in layer.named_parameters())
    return FLOAT * (MATRIX_COPIES * n_out * n_in + PARAMETER_COPIES * parameters
                    + PASS_COPIES * rows * max(n_in, n_out))


def megabytes(n_bytes):
    """1.5 MB, 128 MB, 3,072 MB."""
    mb = n_bytes / 2**20
    return _("{n} MB").format(n=f"{mb:,.0f}" if mb >= 10 else f"{mb:.1f}")


def check_bytes(needed, limit, what, shrink):
    """ValueError when `what` would build more than `limit` bytes; the message says what to shrink."""
    if needed > limit:
        raise ValueError(_("{what} would take about {needed}; the limit per learner is {limit}: {shrink}").format(
            what=what, needed=megabytes(needed), limit=megabytes(limit), shrink=shrink))
    return needed


def check_sample_view(layer, x_batch, output_shape, limit, name="the layer"):
    """ValueError naming what to shrink when sample_view_bytes exceeds limit; else the bytes."""
    x = np.asarray(x_batch)
    n_in, n_out = x[0].size, int(np.prod(output_shape[1:]))
    if x.ndim == 4:  # channel maps: (C·H·W)² grows with the fourth power of the image's side
        shrink = ngettext("its input is {maps} map of {h} × {w} ({n_in} numbers); on the small CNN on digits "
                          "(8 × 8 images, a preset) every layer's Jacobian is drawn whole, or use fewer channels or "
                          "a MaxPool2d before it",
                          "its input is {maps} maps of {h} × {w} ({n_in} numbers); on the small CNN on digits "
                          "(8 × 8 images, a preset) every layer's Jacobian is drawn whole, or use fewer channels or "
                          "a MaxPool2d before it", x.shape[1]).format(maps=x.shape[1], h=x.shape[2], w=x.shape[3],
                                                                       n_in=n_in)
    elif couples_samples(layer):
        shrink = _("choose a layer with fewer features, or use fewer units before it (it takes {n_in} features "
                   "and gives {n_out}) or a smaller batch (it runs the whole batch for each entry)").format(
            n_in=n_in, n_out=n_out)
    else:
        shrink = _("choose a layer with fewer features, or use fewer units before it (it takes {n_in} features "
                   "and gives {n_out})").format(n_in=n_in, n_out=n_out)
    what = _("{name}: the Jacobian of one sample ({n_out} × {n_in}, three ways)").format(
        name=name if name != "the layer" else _("the layer"), n_out=n_out, n_in=n_in)
    return check_bytes(sample_view_bytes(layer, x, output_shape), limit, what, shrink)


def as_recorded(layer, trace, index):
    """A float64 copy of layer `index` with the parameters it had during the trace's forward/backward.

    trace_iteration ends with the optimizer step, which changes the live parameters in
    place: a Jacobian of the live layer no longer matches the recorded grad_input.
    """
    clone = float64_copy(layer)
    for update in trace.update_records(index):
        lookup(clone, update.param)[0][...] = update.before
    return clone


def recorded_model(model, trace):
    """The whole model as a float64 Sequential of as_recorded layers: the parameters of the trace's iteration."""
    return Sequential(*(as_recorded(layer, trace, i) for i, layer in enumerate(layers_of(model))))


# --- figures and the VJP check ---

def jacobian_figure(J, title, layer=None, width=FIGURE_PX):
    """Heatmap of a Jacobian (rows = outputs j, columns = inputs i, flattened row-major), at most `width` px
    wide and as tall as square cells make it (a 2 x 2 and a 10 x 10 are squares, not strips), within JACOBIAN_PLOT;
    the title (the first annotation) wrapped to the width above the plot, the colour bar with few ticks."""
    name = f"{layer!r}".replace("\n", ", ") + ": " if layer is not None else ""
    s = shown(J)
    rows, cols = s.values.shape
    width = int(max(MIN_FIGURE_PX, min(width, MARGIN["l"] + MARGIN["r"] + cols * JACOBIAN_CELL)))
    plot_width = width - MARGIN["l"] - MARGIN["r"]
    cell = min(JACOBIAN_CELL, plot_width / cols)
    plot_height = float(np.clip(rows * cell, JACOBIAN_PLOT[0], JACOBIAN_PLOT[1]))
    figure = heatmap(J, f"{name}{title}", y_label=ROW_LABEL, x_label=COLUMN_LABEL, height=999, compact=True)
    lines = list(wrap(f"{name}{title} {shape_text(s.original_shape)}", width - 10, TITLE_CHAR_PX))
    notes = [line for line in figure.layout.title.text.split("<br>") if line.startswith("<sup>")]
    top = 14 + 19 * len(lines) + 16 * len(notes)
    labelled = printed(s) is not None and plot_height / rows >= 13 and plot_width / cols >= label_width(printed(s))
    figure.data[0].texttemplate = "%{z:.3g}" if labelled else None
    top_value = float(figure.data[0].zmax)  # ticks at ±max and 0 (and ±max/2 on a tall bar): never a blob
    ticks = [-1, 0, 1] if plot_height < 150 else [-1, -0.5, 0, 0.5, 1]
    figure.data[0].colorbar = dict(thickness=12, tickvals=[t * top_value for t in ticks], tickfont=dict(size=10),
                                   ticktext=[f"{t * top_value:.2g}" for t in ticks], len=1.0, lenmode="fraction")
    figure.update_layout(width=width, height=int(top + plot_height + MARGIN["b"]),
                         title=None, annotations=[dict(  # a multi-line title that grows upwards, into the margin
                             text="<br>".join(lines + notes), font=dict(size=14, color=INK), align="left", showarrow=False,
                             x=0, xref="paper", xanchor="left", y=1, yref="paper", yanchor="bottom", yshift=6)],
                         margin=dict(MARGIN, t=top, autoexpand=False),
                         xaxis=dict(constrain="domain"), yaxis=dict(constrain="domain"))
    return figure


def vjp_check(grad_output_row, J, grad_input_row):
    """(DataFrame per input i of g·J, recorded grad_input and |difference|, max |difference|); g (m,), J (m, n)."""
    g = np.ravel(np.asarray(grad_output_row, dtype=np.float64))
    recorded = np.ravel(np.asarray(grad_input_row, dtype=np.float64))
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 2 or J.shape != (g.size, recorded.size):
        raise ValueError(f"vjp_check: J must have shape ({g.size}, {recorded.size}) for grad_output "
                         f"of {g.size} and grad_input of {recorded.size} entries, got {J.shape}")
    return vjp_table(g @ J, recorded)


def vjp_table(product, recorded):
    """(DataFrame per input i of g·J, recorded grad_input and |difference|, max |difference|); both (n,)."""
    with np.errstate(invalid="ignore"):
        error = np.abs(product - recorded)
    table = pd.DataFrame({_("input i"): np.arange(recorded.size), "grad_output · J": product,
                          _("recorded grad_input"): recorded, _("abs error"): error})
    return table, float(np.max(error)) if error.size else 0.0


def sample_vjp_check(jacobians, grad_output, grad_input):
    """vjp_check for sample s: g_s · J_ss for row-wise layers; through_batch (= sum_t g_t J_ts) when coupled."""
    s = jacobians.sample
    if not jacobians.coupled:
        return vjp_check(np.asarray(grad_output)[s], jacobians.backprop, np.asarray(grad_input)[s])
    if jacobians.through_batch is None:
        raise ValueError(f"sample_vjp_check: {jacobians.layer} couples the samples; give sample_jacobians "
                         f"the grad_output of the batch so that it sums g_t J_ts over every sample t")
    return vjp_table(jacobians.through_batch, np.ravel(np.asarray(grad_input, dtype=np.float64)[s]))
