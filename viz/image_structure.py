"""Why the Jacobian of an image layer looks as it does, told with the numbers of the learner's own matrix."""
import numpy as np

from i18n import domain

_, ngettext = domain("viz")


def structure_note(layer, J):
    """Markdown on the shape of one sample's Jacobian J (n_out, n_in) of Conv2d (banded: locality and weight
    sharing) or MaxPool2d (a selection matrix), counted from J itself; None for other layers."""
    name = type(layer).__name__
    J = np.asarray(J, dtype=np.float64)
    n_out, n_in = J.shape
    nonzero = J != 0
    share = f"{nonzero.mean():.1%}"
    if name == "Conv2d":
        c_in, c_out, k = layer.in_channels, layer.out_channels, layer.kernel_size
        per_row = nonzero.sum(axis=1)
        distinct = len(np.unique(J[nonzero]))
        return _("**Why it is banded.** J is {n_out} × {n_in}: rows are the {c_out} output maps' pixels, "
                 "columns the {c_in} input maps' pixels, each map one block of {block} rows or columns. "
                 "Only {share} of its entries are nonzero. **Locality**: output pixel (o, i, j) depends only on "
                 "the {k} × {k} window around (i, j) in each input channel, so a row holds at most "
                 "C_in · k² = {most} nonzeros (here {widest}, fewer at the border, where the "
                 "window meets the zero padding: {narrowest}); they lie on {k} short diagonals per block. "
                 "**Weight sharing**: every row of block (o, c) holds the same kernel W[o, c] shifted along, so "
                 "its {nonzero} nonzero entries take only {distinct} distinct values, the "
                 "{weights} weights of W. Backward multiplies grad_output by this matrix without "
                 "building it: the full correlation with the flipped kernel.").format(
            n_out=n_out, n_in=n_in, c_out=c_out, c_in=c_in, block=n_in // c_in, share=share, k=k,
            most=c_in * k * k, widest=per_row.max(), narrowest=per_row.min(), nonzero=int(nonzero.sum()),
            distinct=distinct, weights=c_out * c_in * k * k)
    if name == "MaxPool2d":
        k = layer.kernel_size
        ones = int(np.count_nonzero(J == 1))
        used = int(np.count_nonzero(nonzero.any(axis=0)))
        return _("**A selection matrix.** J is {n_out} × {n_in}, {share} nonzero: each row (an output, the maximum "
                 "of one {k} × {k} window) holds a single 1 ({ones} ones in {n_out} rows), in the column of the "
                 "window's winner. Backward is J^T g: each gradient goes to its winner, and the {unused} of "
                 "{n_in} inputs that won no window get exactly 0.").format(
            n_out=n_out, n_in=n_in, share=share, k=k, ones=ones, unused=n_in - used)
    return None
