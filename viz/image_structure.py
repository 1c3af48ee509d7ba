"""Why the Jacobian of an image layer looks as it does, told with the numbers of the learner's own matrix."""
import numpy as np


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
        return (f"**Why it is banded.** J is {n_out} × {n_in}: rows are the {c_out} output maps' pixels, "
                f"columns the {c_in} input maps' pixels, each map one block of {n_in // c_in} rows or columns. "
                f"Only {share} of its entries are nonzero. **Locality**: output pixel (o, i, j) depends only on "
                f"the {k} × {k} window around (i, j) in each input channel, so a row holds at most "
                f"C_in · k² = {c_in * k * k} nonzeros (here {per_row.max()}, fewer at the border, where the "
                f"window meets the zero padding: {per_row.min()}); they lie on {k} short diagonals per block. "
                f"**Weight sharing**: every row of block (o, c) holds the same kernel W[o, c] shifted along, so "
                f"its {int(nonzero.sum())} nonzero entries take only {distinct} distinct values, the "
                f"{c_out * c_in * k * k} weights of W. Backward multiplies grad_output by this matrix without "
                f"building it: the full correlation with the flipped kernel.")
    if name == "MaxPool2d":
        k = layer.kernel_size
        ones = int(np.count_nonzero(J == 1))
        used = int(np.count_nonzero(nonzero.any(axis=0)))
        return (f"**A selection matrix.** J is {n_out} × {n_in}, {share} nonzero: each row (an output, the maximum "
                f"of one {k} × {k} window) holds a single 1 ({ones} ones in {n_out} rows), in the column of the "
                f"window's winner. Backward is J^T g: each gradient goes to its winner, and the {n_in - used} of "
                f"{n_in} inputs that won no window get exactly 0.")
    return None
