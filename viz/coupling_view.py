"""How BatchNormalization in training couples a batch: the corner of the full-batch Jacobian, block by block.

Rows = outputs (s, j), columns = inputs (t, i), both flattened row-major, from the layer's own
backward (one-hot grad_outputs). Only what is drawn is built: the first n samples and, in each
block dy_s/dx_t, its first COUPLED_FEATURES features: n*k backward passes of the batch and
(n*k)^2 numbers, whatever the batch and the layer's width.
"""
from dataclasses import dataclass

import numpy as np

from engine.jacobian import float64_copy
from i18n import domain
from viz.heatmap import heatmap
from viz.jacobian_view import backprop_rows

_, ngettext = domain("viz")
COUPLED_FEATURES = 16  # features per sample in each block: the first ones of a wider layer


@dataclass
class Coupling:
    """The top-left corner of a FULL-batch Jacobian from backward: blocks (s, t) = dy_s/dx_t for s, t < n,
    each cut to its first k_out x k_in features; J (n*k_out, n*k_in)."""

    layer: str
    J: np.ndarray
    n: int            # samples shown, of batch_size
    batch_size: int
    k_out: int        # output features shown per block, of n_out
    k_in: int
    n_out: int
    n_in: int

    @property
    def cut(self):
        """True when the blocks show only their first features."""
        return (self.k_out, self.k_in) != (self.n_out, self.n_in)


def coupling_jacobian(layer, x_batch, n_samples=4, features=COUPLED_FEATURES):
    """Coupling of the first n samples and features: n*k_out backward passes of the batch, (n*k)^2 numbers kept."""
    x = np.array(x_batch, dtype=np.float64)
    n = max(1, min(int(n_samples), len(x)))
    clone = float64_copy(layer)
    J = backprop_rows(clone, x, list(range(n)), features)
    n_out, n_in = clone.output[0].size, x[0].size
    return Coupling(layer=repr(layer).replace("\n", ", "), J=J, n=n, batch_size=len(x), k_out=J.shape[0] // n,
                    k_in=J.shape[1] // n, n_out=n_out, n_in=n_in)


def add_block_lines(fig, n, n_out, n_in):
    """Thin black lines between the sample blocks (in the heatmap's original indices)."""
    for t in range(1, n):
        fig.add_vline(x=t * n_in - 0.5, line=dict(color="black", width=1))
        fig.add_hline(y=t * n_out - 0.5, line=dict(color="black", width=1))
    return fig


def shown_part(coupling):
    """"first n of N samples" and, when the blocks are cut, "first k of F features"."""
    c = coupling
    features = ", " + _("first {k} of {n} features").format(k=c.k_out, n=c.n_out) if c.cut else ""
    return _("first {n} of {total} samples").format(n=c.n, total=c.batch_size) + features


def batch_coupling_figure(coupling):
    """Heatmap of dy_s/dx_t for the first n samples of the batch, with lines between sample blocks."""
    c = coupling
    title = _("{layer}: full-batch Jacobian, {shown}; block (s, t) = ∂y_s/∂x_t").format(layer=c.layer,
                                                                                       shown=shown_part(c))
    fig = heatmap(c.J, title, y_label=_("output (s, j) = s·{k} + j (row)").format(k=c.k_out),
                  x_label=_("input (t, i) = t·{k} + i (column)").format(k=c.k_in))
    return add_block_lines(fig, c.n, c.k_out, c.k_in)


def block_norms(J, n):
    """||dy_s/dx_t||_F for s, t < n: (n, n), rows = output samples, columns = input samples."""
    n_out, n_in = J.shape[0] // n, J.shape[1] // n
    return np.linalg.norm(J.reshape(n, n_out, n, n_in), axis=(1, 3))


def block_norms_figure(coupling):
    """Heatmap of the Frobenius norms ||dy_s/dx_t|| of the shown sample blocks; zero off the diagonal = no coupling."""
    c = coupling
    title = f"{c.layer}: ‖∂y_s/∂x_t‖, {shown_part(c)}"
    fig = heatmap(block_norms(c.J, c.n), title, y_label=_("output sample s (row)"),
                  x_label=_("input sample t (column)"))
    fig.update_traces(texttemplate="%{z:.3g}", selector=dict(type="heatmap"))
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(dtick=1)
    return fig.update_layout(height=max(300, 120 + 40 * c.n))
