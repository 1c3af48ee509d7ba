"""One layer's Jacobian for one sample: backprop, finite differences, closed form; VJP check; gradcheck table.

Convention (engine.jacobian's): rows = outputs j, columns = inputs i, both flattened
row-major, J[j, i] = d y.flat[j] / d x.flat[i].  Everything is computed in float64 on
``engine.jacobian.float64_copy(layer)`` (hooks removed, Dropout masks frozen), so the
learner's layer and its recorded mask are never changed.
"""
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from engine import BatchNormalization, Dropout, Sequential
from engine.gradcheck import compare
from engine.jacobian import (analytic_jacobian, backprop_jacobians, float64_copy, gradcheck,
                             lookup, parameter_names)
from engine.sequential import layers_of
from viz.heatmap import heatmap

ROW_LABEL, COLUMN_LABEL = "output j (row)", "input i (column)"


@dataclass
class SampleJacobians:
    """Sample s's block dy_s/dx_s (n_out, n_in) of the full-batch Jacobian, three ways; column = dy/dx_s (N*n_out, n_in)."""

    layer: str
    sample: int
    batch_size: int
    backprop: np.ndarray            # from the layer's own backward, one-hot grad_outputs
    numerical: np.ndarray           # central differences, eps
    closed: Optional[np.ndarray]    # closed form, None where there is none
    column: np.ndarray              # central differences: every output of the batch vs x_s
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


def backprop_rows(clone, x, samples):
    """Rows (s, j) for s in samples of the full-batch Jacobian, restricted to input samples `samples`."""
    y = clone.forward(x)
    n_out = y[0].size
    J = np.empty((len(samples) * n_out, len(samples) * x[0].size))
    for a, s in enumerate(samples):
        for j in range(n_out):
            e = np.zeros(y.shape)
            e[s].flat[j] = 1.0
            J[a * n_out + j] = np.ravel(clone.backward(x, e)[list(samples)])
    return J


def numerical_column(clone, x, s, eps):
    """dy/dx_s by central differences over the whole batch: (N * n_out, n_in), rows = every output."""
    columns = []
    for i in range(x[s].size):
        plus, minus = x.copy(), x.copy()
        plus[s].flat[i] += eps
        minus[s].flat[i] -= eps
        y_plus = np.array(clone.forward(plus), dtype=np.float64)  # a copy: a layer may reuse its output
        columns.append(np.ravel(y_plus - clone.forward(minus)) / (2 * eps))
    return np.stack(columns, axis=1)


def bn_training_block(x, eps, s, t):
    """dy_s/dx_t of training BatchNormalization = diag((delta_st - 1/N - xhat_s xhat_t / N) / sqrt(var_B + EPS))."""
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return np.diag(inv_std * (float(s == t) - 1.0 / len(x) - x_hat[s] * x_hat[t] / len(x)))


def closed_block(layer, clone, x, s, coupled):
    """(closed-form dy_s/dx_s or None, a note saying where it comes from)."""
    if coupled and isinstance(layer, BatchNormalization):
        return (bn_training_block(x, layer.EPS, s, s),
                "closed form: the diagonal block diag((1 - 1/N - x̂_s²/N) / sqrt(var_B + EPS))")
    if coupled:
        return None, "no closed form: BatchNormalization in training mode couples the samples"
    J = analytic_jacobian(clone, x[s:s + 1], sample=s)  # the clone holds the mask its forward used
    return J, "closed form: engine.jacobian.analytic_jacobian" if J is not None else "no closed form for this module"


def sample_jacobians(layer, x_batch, sample, eps=1e-6):
    """Sample s's Jacobian dy_s/dx_s (n_out, n_in) of `layer` on the batch x_batch (N, ...), three ways.

    Every Jacobian here is a block of the FULL-batch Jacobian: the whole batch is run and
    only sample s's rows (one-hot grad_output at sample s) or inputs (perturb x_s) are
    taken.  For row-wise layers this equals the Jacobian of x_s alone.  For Dropout in
    training mode it uses the layer's recorded mask (its last forward must have been on
    this batch, as after trace_iteration; otherwise the copy samples one mask and holds it,
    and the note says so).  For BatchNormalization in training mode x_s alone would be a
    different batch (of one sample: var_B = 0), so only the diagonal block of the full-batch
    Jacobian is right; it is not the whole story: grad_input_s = sum_t g_t J_ts, which is
    why `column` (dy/dx_s for every output sample) is kept for sample_vjp_check.
    Cost: n_out backward passes and 2 n_in forward passes of the batch.
    """
    x = np.array(x_batch, dtype=np.float64)
    s = check_sample(x, sample)
    clone = float64_copy(layer)
    fresh = [m for m in clone.walk() if isinstance(m, Dropout) and m.training
             and (m.mask is None or m.mask.shape != x.shape)]
    backprop = backprop_rows(clone, x, [s])  # its forward fixes the masks for what follows
    column = numerical_column(clone, x, s, eps)
    n_out = backprop.shape[0]
    coupled = couples_samples(clone)
    closed, note = closed_block(layer, clone, x, s, coupled)
    if fresh:
        note += "; ⚠ Dropout had no mask for this batch: a fresh mask was sampled"
    return SampleJacobians(layer=repr(layer).replace("\n", ", "), sample=s, batch_size=len(x),
                           backprop=backprop, numerical=column[s * n_out:(s + 1) * n_out].copy(),
                           closed=closed, column=column, coupled=coupled, note=note)


def row_copy(layer, x, s):
    """A float64 copy whose Dropout masks of this batch keep only row s (the sample's own mask)."""
    clone = float64_copy(layer)
    for m in clone.walk():
        if isinstance(m, Dropout) and m.mask is not None and m.mask.shape == x.shape:
            m.mask = m.mask[s:s + 1].copy()
    return clone


def layer_sample_jacobians(layer, x_batch, sample, eps=1e-6):
    """sample_jacobians on x_s alone (same block, N times cheaper) unless the layer couples the samples.

    For a row-wise layer y_s depends on x_s only, so its block is the Jacobian of the
    one-row batch x_s (Dropout keeps row s of its recorded mask); `column` is then just
    that block (n_out, n_in), the other samples' outputs being constant in x_s.
    """
    x = np.array(x_batch, dtype=np.float64)
    s = check_sample(x, sample)
    if couples_samples(layer):
        return sample_jacobians(layer, x, s, eps)
    return replace(sample_jacobians(row_copy(layer, x, s), x[s:s + 1], 0, eps), sample=s, batch_size=len(x))


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

def jacobian_figure(J, title, layer=None):
    """Heatmap of a Jacobian (rows = outputs j, columns = inputs i, flattened row-major)."""
    name = f"{layer!r}".replace("\n", ", ") + ": " if layer is not None else ""
    return heatmap(J, f"{name}{title}", y_label=ROW_LABEL, x_label=COLUMN_LABEL)


def vjp_check(grad_output_row, J, grad_input_row):
    """(DataFrame per input i of g·J, recorded grad_input and |difference|, max |difference|); g (m,), J (m, n)."""
    g = np.ravel(np.asarray(grad_output_row, dtype=np.float64))
    recorded = np.ravel(np.asarray(grad_input_row, dtype=np.float64))
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 2 or J.shape != (g.size, recorded.size):
        raise ValueError(f"vjp_check: J must have shape ({g.size}, {recorded.size}) for grad_output "
                         f"of {g.size} and grad_input of {recorded.size} entries, got {J.shape}")
    product = g @ J
    with np.errstate(invalid="ignore"):
        error = np.abs(product - recorded)
    table = pd.DataFrame({"input i": np.arange(recorded.size), "grad_output · J": product,
                          "recorded grad_input": recorded, "abs error": error})
    return table, float(np.max(error)) if error.size else 0.0


def sample_vjp_check(jacobians, grad_output, grad_input):
    """vjp_check for sample s: g_s · J_ss for row-wise layers; (all g) · column (= sum_t g_t J_ts) when coupled."""
    s = jacobians.sample
    if jacobians.coupled:
        return vjp_check(np.ravel(grad_output), jacobians.column, np.asarray(grad_input)[s])
    return vjp_check(np.asarray(grad_output)[s], jacobians.backprop, np.asarray(grad_input)[s])


# --- the coupling across a batch ---

def coupling_jacobian(layer, x_batch, n_samples=4):
    """Top-left (n*n_out, n*n_in) corner of the FULL-batch Jacobian from backward: blocks (s, t) = dy_s/dx_t, s, t < n."""
    x = np.array(x_batch, dtype=np.float64)
    n = max(1, min(int(n_samples), len(x)))
    return backprop_rows(float64_copy(layer), x, list(range(n))), n


def add_block_lines(fig, n, n_out, n_in):
    """Thin black lines between the sample blocks (in the heatmap's original indices)."""
    for t in range(1, n):
        fig.add_vline(x=t * n_in - 0.5, line=dict(color="black", width=1))
        fig.add_hline(y=t * n_out - 0.5, line=dict(color="black", width=1))
    return fig


def batch_coupling_figure(layer, x_batch, n_samples=4):
    """Heatmap of dy_s/dx_t for the first n samples of the batch, with lines between sample blocks."""
    J, n = coupling_jacobian(layer, x_batch, n_samples)
    n_out, n_in = J.shape[0] // n, J.shape[1] // n
    title = (f"{layer!r}: full-batch Jacobian, first {n} of {len(x_batch)} samples; "
             f"block (s, t) = ∂y_s/∂x_t")
    fig = heatmap(J, title, y_label=f"output (s, j) = s·{n_out} + j (row)",
                  x_label=f"input (t, i) = t·{n_in} + i (column)")
    return add_block_lines(fig, n, n_out, n_in)


def block_norms(J, n):
    """||dy_s/dx_t||_F for s, t < n: (n, n), rows = output samples, columns = input samples."""
    n_out, n_in = J.shape[0] // n, J.shape[1] // n
    return np.linalg.norm(J.reshape(n, n_out, n, n_in), axis=(1, 3))


def block_norms_figure(layer, x_batch, n_samples=4):
    """Heatmap of the Frobenius norms ||dy_s/dx_t|| of the sample blocks (first n samples); zero off the diagonal = no coupling."""
    J, n = coupling_jacobian(layer, x_batch, n_samples)
    title = f"{layer!r}: ‖∂y_s/∂x_t‖, first {n} of {len(x_batch)} samples"
    fig = heatmap(block_norms(J, n), title, y_label="output sample s (row)", x_label="input sample t (column)")
    fig.update_traces(texttemplate="%{z:.3g}", selector=dict(type="heatmap"))
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(dtick=1)
    return fig.update_layout(height=max(300, 120 + 40 * n))


# --- gradcheck of a whole network ---

def first_samples_copy(model, n):
    """A float64 copy whose training Dropout masks keep their first n rows (the recorded ones)."""
    clone = float64_copy(model)
    for m in clone.walk():
        if isinstance(m, Dropout) and m.mask is not None:
            m.mask = m.mask[:n].copy()
    return clone


def spread(size, k):
    """At most k column indices spread evenly over range(size), always including 0 and size-1."""
    return np.unique(np.linspace(0, size - 1, min(k, size)).round().astype(int))


def central_columns(clone, x, name, columns, eps):
    """Columns `columns` of dy/d(tensor) by central differences; tensor "input" or a parameter name."""
    value = x if name == "input" else lookup(clone, name)[0]
    J = []
    for i in columns:
        original = value.flat[i]
        value.flat[i] = original + eps
        plus = np.array(clone.forward(x), dtype=np.float64)
        value.flat[i] = original - eps
        minus = np.array(clone.forward(x), dtype=np.float64)
        value.flat[i] = original
        J.append(np.ravel(plus - minus) / (2 * eps))
    return np.stack(J, axis=1)


def sampled_gradcheck(model, x, max_entries, eps, atol, rtol):
    """[(GradcheckEntry, entries checked, entries)]: backprop vs central differences on spread columns."""
    names = parameter_names(model)
    J_input, J_params = backprop_jacobians(model, x, names)
    rows = []
    for name, J_bp in {"input": J_input, **J_params}.items():
        columns = spread(J_bp.shape[1], max_entries)
        entry = compare(name, J_bp[:, columns], central_columns(model, x, name, columns, eps), atol, rtol)
        entry = replace(entry, shape=J_bp.shape, worst=(entry.worst[0], int(columns[entry.worst[1]])))
        rows.append((entry, len(columns), J_bp.shape[1]))
    return rows


def tensor_layer(model, tensor):
    """("input" | "i.name" | "name") -> (layer index, layer repr, name within the layer)."""
    layers = layers_of(model)
    if tensor == "input":
        return 0, f"network input → {layers[0]!r}", "input"
    head, _, rest = tensor.partition(".")
    i, name = (int(head), rest) if rest else (0, head)
    return i, repr(layers[i]).replace("\n", ", "), name


def gradcheck_table(model, x, n_samples=4, max_entries=256, eps=1e-6, atol=1e-5, rtol=1e-3):
    """One row per tensor ("input", "0.W", ...): layer, module, tensor, errors, pass; on the first n samples of x.

    Cost: n_out*n backward passes plus 2 forwards per checked entry; with max_entries
    (default 256) only that many entries of each tensor, spread evenly, are perturbed;
    max_entries=None runs engine.gradcheck on every entry (seconds for 64-128-128-10).
    The first n samples form their own batch here (BatchNormalization's statistics are
    theirs); Dropout keeps the first n rows of its recorded mask.
    """
    x = np.array(x, dtype=np.float64)
    n = max(1, min(int(n_samples), len(x)))
    clone = first_samples_copy(model, n)
    if max_entries is None:
        result = gradcheck(clone, x[:n], eps=eps, atol=atol, rtol=rtol)
        rows = [(e, e.shape[1], e.shape[1]) for e in result.entries]
    else:
        rows = sampled_gradcheck(clone, x[:n], int(max_entries), eps, atol, rtol)
    records = []
    for entry, checked, total in rows:
        index, module, name = tensor_layer(model, entry.tensor)
        records.append({"layer": index, "module": module, "tensor": entry.tensor, "name": name,
                        "jacobian shape": f"{entry.shape[0]}×{entry.shape[1]}",
                        "entries checked": f"{checked} of {total}", "samples": n,
                        "max abs error": entry.max_abs_error, "max rel error": entry.max_rel_error,
                        "worst (row, col)": str(entry.worst), "pass": entry.passed})
    return pd.DataFrame.from_records(records)
