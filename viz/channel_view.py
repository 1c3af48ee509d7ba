"""channel_view: a stage's 4-D tensors (N, C, H, W) as grids of small maps, one per channel of one sample.

For Conv2d: the input's channels, the kernels (one k x k map per output and input channel, row by
row), the output maps; in backward, grad_output's maps, grad_input's maps and each kernel's gradient.
A chosen output position (channel o, row i, column j) outlines its receptive field: the k x k window
of every input channel it is computed from and the kernels W[o, :]. For MaxPool2d the winners of the
windows (1 where x is its window's maximum, the first in row-major order on a tie) are drawn beside,
which is where backward sends each gradient. Any other layer on 4-D tensors shows its maps too.
"""
from dataclasses import dataclass

import numpy as np

from viz.grid import Tile, grid
from viz.stage_view import Panel

MAP_PIXELS = 150  # a map is about this wide, whatever its H and W


@dataclass(frozen=True)
class Position:
    """An output position whose receptive field is outlined: channel, row, column."""
    channel: int
    row: int
    col: int


def max_cell(shape):
    """The cell size of a map of this (H, W): small maps stay small, 28 x 28 maps are not drawn huge."""
    return max(3.0, min(18.0, MAP_PIXELS / max(shape[-2:])))


def maps(prefix, name, array, sample, marks=None):
    """One Tile per channel of array[sample] (C, H, W): "x[n=0, c=1]"."""
    marks = marks or {}
    return [Tile(f"map:{prefix}:{c}", f"{name}[n={sample}, c={c}]", array[sample, c], ("row", "column"),
                 tuple(marks.get(c, ())), max_cell(array.shape), values=False) for c in range(array.shape[1])]


def kernels(prefix, name, weight, marked=None):
    """One Tile per (o, c) of a (C_out, C_in, k, k) kernel, output channel by output channel."""
    return [Tile(f"kernel:{prefix}:{o}:{c}", f"{name}[{o}, {c}]", weight[o, c], ("p", "q"),
                 (("box", (0, weight.shape[2] - 1), (0, weight.shape[3] - 1)),) if o == marked else (),
                 max_cell(weight.shape) * 1.4, values=False) for o in range(weight.shape[0]) for c in range(weight.shape[1])]


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


def panel(key, title, tiles, scale):
    return Panel(title=title, figure=grid([(tile, False) for tile in tiles], scale), row=key, key=key,
                 tensors=tuple(tile.id for tile in tiles))


def weight_before(trace, index, name="W"):
    """The parameter as the forward used it (the update record's `before`)."""
    return next(u.before for u in trace.update_records(index) if u.param == name)


def channel_panels(trace, stage, layer, sample=0, position=None, hide_results=False, scale=1.0):
    """Panels of the stage's 4-D tensors for one sample, [] when the stage has none (see the module).

    position (Conv2d): in forward an output entry y[sample, o, i, j], outlined with the window of every
    input channel and the kernels W[o, :] it is computed from; in backward an entry of grad_input
    dL/dx[sample, c, i, j], outlined with the window of every grad_output map it is computed from."""
    if stage.kind not in ("forward", "backward"):
        return []
    record = trace.forward[stage.index]
    x, y = record.input, record.output
    if np.ndim(x) != 4 and np.ndim(y) != 4:
        return []
    sample = int(np.clip(sample, 0, len(x) - 1))
    kind = type(layer).__name__
    field = window(position, layer.kernel_size) if kind == "Conv2d" and position is not None else None
    cell = {position.channel: [("cell", position.row, position.col)]} if field else {}
    out = []
    if stage.kind == "forward":
        if np.ndim(x) == 4:
            out.append(panel(f"{stage}-maps-x", "input maps", maps(
                "input", "x", x, sample, {c: [field] for c in range(x.shape[1])} if field else {}), scale))
        if kind == "Conv2d":
            out.append(panel(f"{stage}-maps-W", "kernels", kernels(
                "W", "W", weight_before(trace, stage.index), position.channel if field else None), scale))
        if kind == "MaxPool2d":
            out.append(panel(f"{stage}-maps-win", "winners", maps(
                "winners", "winner of x", winners(x, layer.kernel_size), sample), scale))
        if np.ndim(y) == 4 and not hide_results:
            out.append(panel(f"{stage}-maps-y", "output maps", maps("output", "y", y, sample, cell), scale))
        return out
    back = trace.backward_record(stage.index)
    g, dx = back.grad_output, back.grad_input
    if np.ndim(g) == 4:
        out.append(panel(f"{stage}-maps-g", "grad_output maps", maps(
            "grad_output", "∂L/∂y", g, sample, {o: [field] for o in range(g.shape[1])} if field else {}), scale))
    if kind == "MaxPool2d":
        out.append(panel(f"{stage}-maps-win", "winners", maps(
            "winners", "winner of x", winners(x, layer.kernel_size), sample), scale))
    if kind == "Conv2d":
        out.append(panel(f"{stage}-maps-W", "kernels", kernels("W", "W", weight_before(trace, stage.index)), scale))
    if hide_results:
        return out
    if np.ndim(dx) == 4:
        out.append(panel(f"{stage}-maps-dx", "grad_input maps", maps("grad_input", "∂L/∂x", dx, sample, cell), scale))
    if kind == "Conv2d":
        out.append(panel(f"{stage}-maps-dW", "kernel gradients", kernels("dW", "∂L/∂W", back.grad_params["W"]),
                         scale))
    return out
