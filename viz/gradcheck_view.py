"""The gradient check of a whole network as a table: backprop against central differences, tensor by tensor.

Jacobians follow engine.jacobian's convention: rows = the network's outputs, columns = the
entries of a tensor (the input or a parameter), both flattened row-major. Only the checked
columns are ever built: a (n*K, P) Jacobian of a million-entry weight would not fit a learner's
share of the server, while its 256 spread columns do (see gradcheck_bytes).
"""
from dataclasses import replace

import numpy as np
import pandas as pd

from engine import Dropout
from engine.gradcheck import compare
from engine.jacobian import float64_copy, gradcheck, lookup
from engine.sequential import layers_of
from i18n import N_, domain
from viz.jacobian_view import check_bytes

_, ngettext = domain("viz")

FLOAT = 8             # bytes of a float64
PARAMETER_COPIES = 5  # parameters and gradients in two float64 copies of the model, and a new gradient
PASS_COPIES = 16      # (n, features) arrays one forward and backward of the copy holds per layer, at most
HEADERS = {  # gradcheck_table's columns (the page reads them by these names) -> their header for a reader
    "layer": N_("layer"), "module": N_("module"), "tensor": N_("tensor"), "name": N_("name"),
    "jacobian shape": N_("jacobian shape"), "entries checked": N_("entries checked"), "samples": N_("samples"),
    "max abs error": N_("max abs error"), "max rel error": N_("max rel error"),
    "worst (row, col)": N_("worst (row, col)"), "pass": N_("pass"),
}


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


def backprop_columns(clone, x, columns):
    """{tensor: J[:, columns[tensor]]} from backward with one-hot grad_outputs; tensor "input" or a parameter.

    One forward, then one backward per output j (rows = outputs); only the listed columns are kept.
    """
    out = clone.forward(x)
    J = {name: np.empty((out.size, len(index))) for name, index in columns.items()}
    for j in range(out.size):
        e_j = np.zeros(out.shape)
        e_j.flat[j] = 1.0
        grad_input = clone.backward(x, e_j)
        for name, index in columns.items():
            grad = grad_input if name == "input" else lookup(clone, name)[1]
            J[name][j] = np.ravel(grad)[index]
    return J


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


def tensor_sizes(model, x):
    """{"input": x.size, "i.name": parameter size, ...} in the order the check reports them."""
    return {"input": x.size, **{name: value.size for name, value, _ in model.named_parameters()}}


def sampled_gradcheck(model, x, max_entries, eps, atol, rtol):
    """[(GradcheckEntry, entries checked, entries)]: backprop vs central differences on spread columns."""
    sizes = tensor_sizes(model, x)
    columns = {name: spread(size, max_entries) for name, size in sizes.items()}
    J_bp = backprop_columns(model, x, columns)
    rows = []
    for name, index in columns.items():
        entry = compare(name, J_bp.pop(name), central_columns(model, x, name, index, eps), atol, rtol)
        entry = replace(entry, shape=(entry.shape[0], sizes[name]), worst=(entry.worst[0], int(index[entry.worst[1]])))
        rows.append((entry, len(index), sizes[name]))
    return rows


def gradcheck_bytes(model, trace, n_samples=4, max_entries=256):
    """Upper bound of the bytes gradcheck_table builds on the first n samples of trace's batch, before any is built.

    PARAMETER_COPIES of the parameters (two float64 copies of the model with their gradients),
    PASS_COPIES (n, features) arrays per layer for a pass (the features from the trace's records),
    and the checked columns: (outputs x entries) from backward for every tensor, and from finite
    differences for one tensor at a time.
    """
    x = trace.forward_record(0).input
    n = max(1, min(int(n_samples), len(x)))
    widths = [x[0].size] + [record.output[0].size for record in trace.forward]
    sizes = [x[:n].size] + [value.size for _, value, _ in model.named_parameters()]
    checked = [min(size, int(max_entries)) for size in sizes]
    kept = n * widths[-1] * (sum(checked) + 3 * max(checked))
    return FLOAT * (PARAMETER_COPIES * sum(sizes[1:]) + PASS_COPIES * n * sum(widths) + kept)


def check_gradcheck(model, trace, limit, n_samples=4, max_entries=256):
    """ValueError naming what to shrink when gradcheck_bytes exceeds limit; else the bytes."""
    outputs = trace.forward[-1].output[0].size
    return check_bytes(gradcheck_bytes(model, trace, n_samples, max_entries), limit,
                       _("the gradient check ({outputs} outputs per sample, {entries} entries per tensor)").format(
                           outputs=outputs, entries=max_entries),
                       _("use fewer units or fewer layers"))


def tensor_layer(model, tensor):
    """("input" | "i.name" | "name") -> (layer index, layer repr, name within the layer)."""
    layers = layers_of(model)
    if tensor == "input":
        return 0, _("network input → {layer}").format(layer=repr(layers[0])), "input"
    head, _dot, rest = tensor.partition(".")
    i, name = (int(head), rest) if rest else (0, head)
    return i, repr(layers[i]).replace("\n", ", "), name


def gradcheck_table(model, x, n_samples=4, max_entries=256, eps=1e-6, atol=1e-5, rtol=1e-3):
    """One row per tensor ("input", "0.W", ...): layer, module, tensor, errors, pass; on the first n samples of x.

    Cost: n_out*n backward passes plus 2 forwards per checked entry; with max_entries
    (default 256) only that many entries of each tensor, spread evenly, are perturbed, and only
    those columns are built; max_entries=None runs engine.gradcheck on every entry (seconds for
    64-128-128-10). The first n samples form their own batch here (BatchNormalization's
    statistics are theirs); Dropout keeps the first n rows of its recorded mask.
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
                        "entries checked": _("{checked} of {total}").format(checked=checked, total=total), "samples": n,
                        "max abs error": entry.max_abs_error, "max rel error": entry.max_rel_error,
                        "worst (row, col)": str(entry.worst), "pass": entry.passed})
    return pd.DataFrame.from_records(records)


def column_labels(table):
    """{column: its header in the current language} of a gradcheck_table, for st.dataframe's column_config
    (a string there relabels the column; the table keeps its English column names, which the page reads)."""
    return {column: _(HEADERS[column]) for column in table.columns if column in HEADERS}
