"""channel_view: a stage's 4-D tensors (N, C, H, W) for one sample, each tensor ONE picture (viz.tiled).

For Conv2d: the input's channels, the kernels (a C_out x C_in grid of k x k blocks on one colour scale),
the output maps; in backward, grad_output's maps, grad_input's maps and the kernels' gradient beside the
kernels. A chosen output position (channel o, row i, column j) outlines its receptive field: the k x k
window of every input channel it is computed from and the kernels W[o, :]. For MaxPool2d the winners of
the windows (1 where x is its window's maximum, the first in row-major order on a tie) are drawn beside,
which is where backward sends each gradient. Any other layer on 4-D tensors shows its maps too. At most
MAX_CHANNELS channels of a tensor are drawn, a page of them from the first channel chosen, so that a stage
of a wide layer still fits the page.
"""
from dataclasses import dataclass

import numpy as np

from i18n import domain
from viz.geometry import MAX_WIDTH
from viz.stage_view import Panel
from viz.tiled import LABEL_PX, Tiled, balanced, block_index

_, ngettext = domain("viz")

MAX_CHANNELS = 16          # maps, and kernel rows and columns, drawn at most: one page of channels
MAP_PX = 80                # a map is about this wide, whatever its H and W
MAP_CELL = (3.0, 18.0)     # px of a map's entry, at least and at most
MAP_GAP_PX = 10            # between maps side by side
KERNEL_GRID = (240, 280)   # px: one grid of kernels at most this wide and tall (kernels and gradients side by side)
KERNEL_CELL = (3.5, 24.0)  # px of a kernel's entry, at least and at most


@dataclass(frozen=True)
class Position:
    """An output position whose receptive field is outlined: channel, row, column."""
    channel: int
    row: int
    col: int


def shown_channels(count, first=0):
    """range of the channels drawn: MAX_CHANNELS of `count` from `first` (moved back so that the page is full)."""
    first = int(np.clip(first, 0, max(count - MAX_CHANNELS, 0)))
    return range(first, min(count, first + MAX_CHANNELS))


def pages(count):
    """The first channel of each page of MAX_CHANNELS channels: [0] when all fit."""
    return list(range(0, count, MAX_CHANNELS))


def map_cell(shape):
    """A map's entry in px: small maps stay small, 28 x 28 maps are not drawn huge."""
    return float(np.clip(MAP_PX / max(shape[-2:]), *MAP_CELL))


def some(channels, count):
    """", channels 16 to 31 of 64" when not all are drawn."""
    return "" if len(channels) == count else ", " + _("channels {first} to {last} of {count}").format(
        first=channels[0], last=channels[-1], count=count)


def maps_tiled(name, array, sample, channels, marks=None, scale=1.0):
    """Maps array[sample, c] (H, W) of `channels` as one viz.tiled.Tiled, in even rows, each on its own colour
    scale (its ± in its label "c=3 · ±0.41"); marks {c: [mark]} (viz.tiled.shifted)."""
    marks = marks or {}
    h, w = array.shape[-2:]
    n = len(channels)
    cell = map_cell(array.shape)
    gy, gx = int(np.ceil(LABEL_PX / cell)), int(np.ceil(MAP_GAP_PX / cell))
    lengths = balanced(n, int((MAX_WIDTH - 16 + gx * cell) // ((w + gx) * cell)))
    rows, cols = len(lengths), max(lengths)
    slots = [r * cols + c for r, length in enumerate(lengths) for c in range(length)]  # map i's place
    values = np.full((rows * cols, h, w), np.nan)
    values[slots] = array[sample, channels.start:channels.stop]
    index = np.full((rows * cols, h, w, 3), np.nan)
    index[slots] = block_index((n, h, w))
    index[slots, ..., 0] += channels.start
    custom = np.concatenate([index, values[..., None]], axis=-1).reshape(rows, cols, h, w, 4)
    labels, names = [""] * (rows * cols), [""] * (rows * cols)
    for slot, c in zip(slots, channels):
        m = np.abs(array[sample, c]).max()
        labels[slot] = f"c={c} · " + ("±" + format(m, ".2g") if m else _("all 0"))
        names[slot] = f"{name}[n={sample}, c={c}]"
    where = [(slot // cols, slot % cols, mark) for slot, c in zip(slots, channels) for mark in marks.get(c, ())]
    return Tiled(
        values.reshape(rows, cols, h, w), [names[r * cols:(r + 1) * cols] for r in range(rows)],
        (_("row"), _("column")), custom,
        f"{name}[n={sample}, c=%{{customdata[0]}}]<br>"
        + _("row %{customdata[1]}, column %{customdata[2]}<br>value %{customdata[3]:.4g}"),
        f"{name}[n={sample}] {tuple(array.shape[1:])}{some(channels, array.shape[1])}",
        cell, (gy, gx), labels=[labels[r * cols:(r + 1) * cols] for r in range(rows)], marks=tuple(where),
        scale=scale)


def kernel_cell(o, c, k):
    """A kernel entry in px: the grid of o x c kernels within KERNEL_GRID, each entry within KERNEL_CELL."""
    return float(np.clip(min(KERNEL_GRID[0] / (c * (k + 1)), KERNEL_GRID[1] / (o * (k + 1))), *KERNEL_CELL))


def kernels_tiled(name, weight, outs, ins, marked=None, scale=1.0):
    """Kernels weight[o, c] (k, k) of outputs `outs` and inputs `ins` as one viz.tiled.Tiled grid, row o and
    column c, on ONE colour scale (a colour bar); marked: the output channel whose row of kernels is outlined."""
    weight = np.asarray(weight, dtype=np.float64)
    k = weight.shape[2]
    values = weight[outs.start:outs.stop, ins.start:ins.stop]
    index = block_index(values.shape)
    index[..., 0] += outs.start
    index[..., 1] += ins.start
    custom = np.concatenate([index, values[..., None]], axis=-1)
    o, c = values.shape[:2]
    marks = [(marked - outs.start, j, ("box", (0, k - 1), (0, k - 1))) for j in range(c)] if marked in outs else []
    drawn = "" if values.shape == weight.shape else "<br><sup>" + _(
        "output channels {o0} to {o1} of {outs}, input channels {c0} to {c1} of {ins}").format(
        o0=outs[0], o1=outs[-1], outs=weight.shape[0], c0=ins[0], c1=ins[-1], ins=weight.shape[1]) + "</sup>"
    return Tiled(
        values, [[f"{name}[{i}, {j}]" for j in ins] for i in outs], (_("row"), _("column")), custom,
        f"{name}[%{{customdata[0]}}, %{{customdata[1]}}, %{{customdata[2]}}, %{{customdata[3]}}]"
        " = %{customdata[4]:.4g}", f"{name} {tuple(weight.shape)} · ±{np.abs(values).max(initial=0):.3g}{drawn}",
        kernel_cell(o, c, k), (1, 1), shared=name,
        ticks=((_("output channel o"), [str(i) for i in outs]), (_("input channel c"), [str(i) for i in ins])),
        marks=tuple(marks), scale=scale)


def winners(x, k):
    """1.0 where x (N, C, H, W) is its k x k window's maximum (the first in row-major order), else 0."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)
    first = windows.argmax(axis=-1)
    mask = np.zeros_like(windows)
    np.put_along_axis(mask, first[..., None], 1.0, axis=-1)
    return mask.reshape(n, c, h // k, w // k, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def window(position, k):
    """The receptive field's marks: the k x k window centred on (row, col) (same padding)."""
    r = k // 2
    return ("box", (position.row - r, position.row + r), (position.col - r, position.col + r))


def panel(key, title, tiled, row=None):
    return Panel(title=title, tiled=tiled, row=row or key, key=key)


def weight_before(trace, index, name="W"):
    """The parameter as the forward used it (the update record's `before`)."""
    return next(u.before for u in trace.update_records(index) if u.param == name)


def channel_panels(trace, stage, layer, sample=0, position=None, hide_results=False, scale=1.0, first=(0, 0)):
    """Panels of the stage's 4-D tensors for one sample, [] when the stage has none (see the module).

    position (Conv2d): in forward an output entry y[sample, o, i, j], outlined with the window of every
    input channel and the kernels W[o, :] it is computed from; in backward an entry of grad_input
    dL/dx[sample, c, i, j], outlined with the window of every grad_output map it is computed from.
    first: (the first output channel, the first input channel) drawn, when there are more than MAX_CHANNELS."""
    if stage.kind not in ("forward", "backward"):
        return []
    record = trace.forward[stage.index]
    x, y = record.input, record.output
    if np.ndim(x) != 4 and np.ndim(y) != 4:
        return []
    sample = int(np.clip(sample, 0, len(x) - 1))
    kind = type(layer).__name__
    conv = kind == "Conv2d"
    field = window(position, layer.kernel_size) if conv and position is not None else None
    cell = {position.channel: [("cell", position.row, position.col)]} if field else {}
    ins = shown_channels(x.shape[1], first[1]) if np.ndim(x) == 4 else None
    outs = shown_channels(y.shape[1], first[0] if conv else first[1]) if np.ndim(y) == 4 else None

    def maps(key, title, name, array, channels, marks=None):
        return panel(f"{stage}-maps-{key}", title, maps_tiled(name, array, sample, channels, marks, scale))

    def kernels(key, title, name, weight, marked=None):
        return panel(f"{stage}-maps-{key}", title, kernels_tiled(name, weight, outs, ins, marked, scale),
                     row=f"{stage}-kernels")

    out = []
    if stage.kind == "forward":
        if ins is not None:
            out.append(maps("x", _("input maps"), "x", x, ins, {c: [field] for c in ins} if field else {}))
        if conv:
            out.append(kernels("W", _("kernels"), "W", weight_before(trace, stage.index),
                               position.channel if field else None))
        if kind == "MaxPool2d":
            out.append(maps("win", _("winners"), _("winner of x"), winners(x, layer.kernel_size), ins))
        if outs is not None and not hide_results:
            out.append(maps("y", _("output maps"), "y", y, outs, cell))
        return out
    back = trace.backward_record(stage.index)
    g, dx = back.grad_output, back.grad_input
    if np.ndim(g) == 4:
        out.append(maps("g", _("grad_output maps"), "∂L/∂y", g, outs, {o: [field] for o in outs} if field else {}))
    if kind == "MaxPool2d":
        out.append(maps("win", _("winners"), _("winner of x"), winners(x, layer.kernel_size), ins))
    if conv:
        out.append(kernels("W", _("kernels"), "W", weight_before(trace, stage.index)))
    if hide_results:
        return out
    if conv:  # beside the kernels
        out.append(kernels("dW", _("kernel gradients"), "∂L/∂W", back.grad_params["W"]))
    if np.ndim(dx) == 4:
        out.append(maps("dx", _("grad_input maps"), "∂L/∂x", dx, ins, cell))
    return out
