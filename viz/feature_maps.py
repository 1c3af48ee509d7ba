"""feature_maps: a CNN on the Train page: the first Conv2d's output maps for the shown images, and the kernels.

The maps sit under their image: their columns have the x domains of image_samples_figure's columns (and
its margins), so in the same page column each image's maps are straight below it. Each row is one
output channel, with one colour scale for that channel over the shown images. The kernels of a Conv2d
are one C_out x C_in grid of k x k maps with one colour scale, beside the grid before the last run.
"""
import numpy as np
import plotly.graph_objects as go

from engine.conv import Conv2d
from engine.sequential import layers_of
from engine.training import predict
from i18n import domain
from viz.heatmap import COLORSCALE, symmetric_limit
from viz.tiled import block_index, tile

_, ngettext = domain("viz")

MAX_CHANNELS = 8        # rows of feature maps at most: the first 8 output channels (cnn_csv's first layer has 8)
MAP_ROW_PX = 100        # a row of maps is this tall; each map is square, as wide as its image's column allows
COLUMN_SPACING = 0.02   # between the columns, as image_samples_figure's make_subplots
MARGIN = dict(l=50, r=10, t=60, b=30)  # image_samples_figure's left and right margins: the columns line up
KERNEL_PX = (4, 24)     # one kernel entry is drawn this many pixels wide at least and at most
KERNEL_GRID = (260, 420)  # one grid of kernels is at most this wide and tall (two fit an 800-px window)
KERNEL_GAP = 30         # px between the grids before and now
MAX_KERNEL_CHANNELS = 16  # kernel rows and columns at most (a Conv2d may have 64 output channels)


# --- the layers and their numbers ---

def first_conv(model):
    """The model's first layer when it is a Conv2d, else None."""
    layers = layers_of(model)
    return layers[0] if layers and isinstance(layers[0], Conv2d) else None


def conv_layers(model):
    """[(index, Conv2d)] of the model's layers, in order."""
    return [(i, layer) for i, layer in enumerate(layers_of(model)) if isinstance(layer, Conv2d)]


def conv_kernels(model):
    """{layer index: a copy of W (C_out, C_in, k, k)} for every Conv2d: kept to compare with after training."""
    return {i: np.array(layer.W, copy=True) for i, layer in conv_layers(model)}


def feature_maps(layer, images):
    """y = layer.forward(images) in evaluate mode;  images (m, C_in, H, W) -> maps (m, C_out, H, W)."""
    return predict(layer, np.asarray(images))


def column_domains(m, spacing=COLUMN_SPACING):
    """x domains [(x0, x1)] of m equal columns `spacing` apart, as make_subplots lays them out."""
    width = (1.0 - spacing * (m - 1)) / m
    return [(j * (width + spacing), j * (width + spacing) + width) for j in range(m)]


# --- the first layer's maps under the images ---

def feature_maps_figure(maps, indices, layer_name):
    """Row c, column j: maps[j, c] (H, W) as float32, channel c of image indices[j]; the first MAX_CHANNELS rows."""
    maps = np.asarray(maps, dtype=np.float64)
    m, channels = maps.shape[:2]
    if len(indices) != m:
        raise ValueError(f"feature_maps_figure: {m} images of maps but {len(indices)} indices")
    rows = min(channels, MAX_CHANNELS)
    height = MARGIN["t"] + MARGIN["b"] + rows * MAP_ROW_PX
    plot = rows * MAP_ROW_PX
    data, layout = [], dict(height=height, margin=MARGIN, showlegend=False, plot_bgcolor="white")
    name, hover = _("#{image} channel {channel}"), _("image #{image}, channel {channel}<br>row %{{y}}, column %{{x}}")
    for c in range(rows):
        limit = symmetric_limit(maps[:, c])
        top, bottom = 1 - c * MAP_ROW_PX / plot, 1 - ((c + 1) * MAP_ROW_PX - 8) / plot
        for j, (x_domain, i) in enumerate(zip(column_domains(m), indices)):
            n = c * m + j + 1
            suffix = "" if n == 1 else str(n)
            data.append(go.Heatmap(
                z=maps[j, c].astype(np.float32), colorscale=COLORSCALE, zmin=-limit, zmid=0.0, zmax=limit,
                showscale=False, xaxis=f"x{suffix}", yaxis=f"y{suffix}", name=name.format(image=i, channel=c),
                hoverongaps=False,
                hovertemplate=hover.format(image=i, channel=c) + "<br>y %{z:.4g}<extra></extra>"))
            layout[f"xaxis{suffix}"] = dict(domain=list(x_domain), anchor=f"y{suffix}", showticklabels=False,
                                            ticks="", showgrid=False, zeroline=False, constrain="domain",
                                            title=dict(text=f"#{i}", standoff=2) if c == rows - 1 else None)
            layout[f"yaxis{suffix}"] = dict(domain=[bottom, top], anchor=f"x{suffix}", autorange="reversed",
                                            scaleanchor=f"x{suffix}", constrain="domain", showticklabels=False,
                                            ticks="", showgrid=False, zeroline=False,
                                            title=dict(text=_("ch {c} · ±{limit}").format(c=c, limit=f"{limit:.2g}"),
                                                       font=dict(size=11),
                                                       standoff=2) if j == 0 else None)
    shown = (ngettext("its {n} output channel", "its {n} output channels", channels).format(n=channels)
             if rows == channels else _("the first {rows} of its {n} channels").format(rows=rows, n=channels))
    layout["title"] = dict(text=_("{layer} on each image above: {shown}, one row each").format(layer=layer_name,
                                                                                             shown=shown),
                           font=dict(size=14))
    return go.Figure(data=data, layout=layout)


def feature_maps_caption(layer):
    """What the feature maps of the first layer (a Conv2d) show and what was left out, for the Train page."""
    rows = min(layer.out_channels, MAX_CHANNELS)
    left_out = (" " + _("Only the first {most} of its {n} channels are drawn.").format(most=MAX_CHANNELS,
                                                                                     n=layer.out_channels)
                if layer.out_channels > MAX_CHANNELS else "")
    return ngettext("Below each image: the output y of layer 0, {layer}, for that image alone (evaluate mode, "
                    "before the next layer), a column of {rows} map, one per output channel. "
                    "A map is its kernel slid over the image: red where the image looks like the kernel, blue where "
                    "it looks like its negative; each row has one colour scale, symmetric about 0, its ± range on "
                    "the left.",
                    "Below each image: the output y of layer 0, {layer}, for that image alone (evaluate mode, "
                    "before the next layer), a column of {rows} maps, one per output channel. "
                    "A map is its kernel slid over the image: red where the image looks like the kernel, blue where "
                    "it looks like its negative; each row has one colour scale, symmetric about 0, its ± range on "
                    "the left.", rows).format(layer=repr(layer), rows=rows) + left_out


# --- every Conv2d's kernels ---

def tiled(values, k):
    """(O, C, k, k) -> one (O(k+1)-1, C(k+1)-1) matrix: entry [o, c, p, q] at row o(k+1)+p, column c(k+1)+q,
    NaN between the kernels."""
    return tile(values, 1, 1)


def kernel_px(shape):
    """Pixels per kernel entry: one grid within KERNEL_GRID, each entry within KERNEL_PX."""
    o, c, k, _ = shape
    fit = min(KERNEL_GRID[0] / (c * (k + 1)), KERNEL_GRID[1] / (o * (k + 1)))
    return float(np.clip(fit, *KERNEL_PX))


def kernels_drawn(shape):
    """(rows, columns) of kernels drawn: at most MAX_KERNEL_CHANNELS each, and no more than fit KERNEL_GRID
    at KERNEL_PX[0] pixels an entry."""
    o, c, k, _ = shape
    most = [int((side / KERNEL_PX[0] + 1) // (k + 1)) for side in (KERNEL_GRID[1], KERNEL_GRID[0])]
    return min(o, MAX_KERNEL_CHANNELS, most[0]), min(c, MAX_KERNEL_CHANNELS, most[1])


def kernels_figure(index, layer, before=None):
    """Grid of W (C_out, C_in, k, k): row o, column c is kernel W[o, c] (the first kernels_drawn of them);
    `before` (same shape) drawn on its left; one colour scale ±max|W| over both."""
    grids = [(_("now"), np.asarray(layer.W, dtype=np.float64))]
    if before is not None:
        grids.insert(0, (_("before the last training run"), np.asarray(before, dtype=np.float64)))
    full = grids[-1][1].shape
    if any(w.shape != full for _, w in grids):
        raise ValueError(f"kernels_figure: the kernels before have shape {grids[0][1].shape}, now {full}")
    o, c = kernels_drawn(full)
    grids = [(title, w[:o, :c]) for title, w in grids]
    k = full[2]
    shape = (o, c, k, k)
    px = kernel_px(shape)
    grid_w, grid_h = (c * (k + 1) - 1) * px, (o * (k + 1) - 1) * px
    slots = [max(grid_w, 5.5 * len(title)) for title, _ in grids]  # room for the grid's title above it
    starts = 70 + np.cumsum([0.0] + [slot + KERNEL_GAP for slot in slots])  # 70 px: the rows' ticks and title
    top, bottom = 90, 50
    width, height = int(starts[-1] - KERNEL_GAP + 80), int(top + grid_h + bottom)  # 80 px: the colour bar
    limit = symmetric_limit(np.concatenate([w.ravel() for _, w in grids]))
    where = tiled(block_index(shape), k)
    data, layout = [], dict(width=width, height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
                            plot_bgcolor="white", annotations=[])
    for g, (title, values) in enumerate(grids):
        suffix = "" if g == 0 else str(g + 1)
        x0 = starts[g]
        data.append(go.Heatmap(
            z=tiled(values, k), customdata=where, colorscale=COLORSCALE, zmin=-limit, zmid=0.0, zmax=limit,
            xaxis=f"x{suffix}", yaxis=f"y{suffix}", hoverongaps=False, name=title, showscale=g == len(grids) - 1,
            colorbar=dict(title=dict(text="W"), thickness=12, x=(x0 + slots[g] + 12) / width, xanchor="left",
                          y=bottom / height, yanchor="bottom", len=grid_h / height),
            hovertemplate=f"{title}<br>W[%{{customdata[0]}}, %{{customdata[1]}}, %{{customdata[2]}}, "
                          "%{customdata[3]}] = %{z:.4g}<extra></extra>"))
        centres = np.arange(max(o, c)) * (k + 1) + (k - 1) / 2
        layout[f"xaxis{suffix}"] = dict(
            domain=[x0 / width, (x0 + grid_w) / width], anchor=f"y{suffix}", range=[-0.5, c * (k + 1) - 1.5],
            tickmode="array", tickvals=centres[:c], ticktext=[str(i) for i in range(c)], showgrid=False,
            zeroline=False, tickfont=dict(size=10), title=dict(text=_("input channel c"), font=dict(size=11)))
        layout[f"yaxis{suffix}"] = dict(
            domain=[bottom / height, (bottom + grid_h) / height], anchor=f"x{suffix}",
            range=[o * (k + 1) - 1.5, -0.5], tickmode="array", tickvals=centres[:o],
            ticktext=[str(i) for i in range(o)], showgrid=False, zeroline=False, tickfont=dict(size=10),
            showticklabels=g == 0, ticks="outside" if g == 0 else "",
            title=dict(text=_("output channel o") if g == 0 else None, font=dict(size=11)))
        layout["annotations"].append(dict(text=title, x=x0 / width, y=(bottom + grid_h + 6) / height,
                                          xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                                          showarrow=False, font=dict(size=12)))
    left_out = "" if shape == full else "<br><sup>" + _(
        "drawn: output channels 0 to {o} of {outs}, input channels 0 to {c} of {ins}").format(
        o=o - 1, outs=full[0], c=c - 1, ins=full[1]) + "</sup>"
    heading = _("layer {index}, {layer}: W {shape} · ±{limit}").format(index=index, layer=repr(layer), shape=full,
                                                                        limit=f"{limit:.3g}")
    layout["title"] = dict(text=heading + left_out, x=0.01,
                           xanchor="left", y=1 - 12 / height, yanchor="top", font=dict(size=14))
    return go.Figure(data=data, layout=layout)


def kernel_figures(model, before=None):
    """[(layer index, kernels_figure)] of every Conv2d of the model; before: conv_kernels() of an earlier model."""
    before = before or {}
    return [(i, kernels_figure(i, layer, before.get(i) if np.shape(before.get(i)) == layer.W.shape else None))
            for i, layer in conv_layers(model)]


def kernels_caption(trained_epochs, before):
    """What a learner can look for in the kernels; before: whether the ones from before the last run are drawn."""
    if not trained_epochs:
        shown = _("These are the initial kernels, random (uniform ±1/√(C_in·k·k)): train, and each grid is drawn "
                  "again beside the kernels from before the run.")
    elif before:
        shown = ngettext("Left: the kernels before the last training run; right: now, after {epochs} epoch in "
                         "total, on one scale (if the left ones look faint, training made the kernels larger). "
                         "Which kernels changed most, and which barely moved?",
                         "Left: the kernels before the last training run; right: now, after {epochs} epochs in "
                         "total, on one scale (if the left ones look faint, training made the kernels larger). "
                         "Which kernels changed most, and which barely moved?", trained_epochs).format(
            epochs=trained_epochs)
    else:
        shown = _("Only the current kernels: the ones from before training were not kept on this page.")
    return _("Each small map is one kernel W[o, c], row o for output channel o and column c for input channel "
             "c, all on one colour scale (blue negative, white 0, red positive). A kernel is what its channel "
             "looks for: a red row above a blue one finds horizontal edges (a column beside a column: vertical "
             "ones), a red centre in blue a dot or a stroke's width; kernels still noisy after training have "
             "learned little.") + " " + shown
