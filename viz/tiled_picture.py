"""tiled_picture: a viz.tiled.Tiled (a sample's channel maps, a Conv2d's kernels) as one SVG picture with hover data,
for the Step page's component (ui.tensor_grid), laid out as its Plotly figure is: the same size, margins, title,
block labels, ticks, colour bar and outlines. A CNN's Next then redraws its maps in place, a few KB of PNG, instead
of mounting Plotly charts of 0.6-1.1 MB.

The blocks' colours are one PNG (a pixel a cell, transparent between blocks). For the hover each block is a tile of
its own: its box, its name ("x[n=3, c=1]"), its entries' words and its exact values (float64: a block is small).
"""
import base64
import re
from html import escape

import numpy as np

from i18n import domain
from viz.picture import AXIS, LEVELS, levels, palette, png, text
from viz.grid import INK

_, ngettext = domain("viz")
BAR_GAP, BAR_WIDTH = 10, 12  # px: the shared colour bar's distance from the blocks and its thickness
CHAR_PX = 5.5                # px of a digit at 10 px (the colour bar's tick labels)


def title_lines(title):
    """[(line, size)]: the title's lines (joined by <br>), a <sup> line smaller, tags removed."""
    return [(re.sub(r"</?sup>", "", line), 10 if "<sup>" in line else 13) for line in title.split("<br>") if line]


def rgba(z):
    """The tiled matrix (-1..1, NaN between blocks) as RGBA cells: NaN transparent."""
    rgb = palette()[levels(z, 1.0) + LEVELS]
    alpha = np.where(np.isfinite(z), 255, 0).astype(np.uint8)[..., None]
    return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=-1))


def colour_bar(spec, x, top, height):
    """The shared scale's bar beside the blocks: its colours top (+limit) to bottom (-limit), five ticks in the
    values' units, its title turned up the right side."""
    limit = spec.limits[0, 0]
    column = palette()[::-1][:, None, :]  # (255, 1, 3): +LEVELS at the top
    image = base64.b64encode(png(np.concatenate([column, np.full((len(column), 1, 1), 255, np.uint8)], axis=-1)))
    out = [f'<image x="{x:.1f}" y="{top:.1f}" width="{BAR_WIDTH}" height="{height:.1f}" preserveAspectRatio="none"'
           f' href="data:image/png;base64,{image.decode()}"/>']
    labels = [f"{v * limit:.2g}" for v in (1, 0.5, 0, -0.5, -1)]
    for k, label in enumerate(labels):
        out.append(text(x + BAR_WIDTH + 4, top + k / 4 * height + 3.5, label, 10, fill=AXIS))
    title_x = x + BAR_WIDTH + 4 + CHAR_PX * max(map(len, labels)) + 10
    out.append(f'<text transform="translate({title_x:.1f},{top + height / 2:.1f}) rotate(90)" font-size="12"'
               f' text-anchor="middle" fill="{AXIS}">{escape(spec.shared)}</text>')
    return out


def axis_labels(spec, left, top, width, height):
    """The block ticks along both axes (kernels: output channel down, input channel across) and the axes' titles."""
    (y_title, y_names), (x_title, x_names) = spec.ticks
    h, w = np.shape(spec.values)[2:4]
    gy, gx = spec.gaps
    px = spec.cell
    out = [text(left - 4, top + (r * (h + gy) + h / 2) * px + 3.5, name, 10, "end", fill=AXIS)
           for r, name in enumerate(y_names)]
    out += [text(left + (c * (w + gx) + w / 2) * px, top + height + 13, name, 10, "middle", fill=AXIS)
            for c, name in enumerate(x_names)]
    out.append(text(left + width / 2, top + height + 31, x_title, 11, "middle", fill=AXIS))
    room = 4 + CHAR_PX * max(map(len, y_names), default=1) + 8
    out.append(f'<text transform="translate({left - room:.1f},{top + height / 2:.1f}) rotate(-90)" font-size="11"'
               f' text-anchor="middle" fill="{AXIS}">{escape(y_title)}</text>')
    return out


def block_tiles(spec, left, top):
    """Hover data of each block drawn (as viz.picture.hover_data gives a tensor's): its plot box, name, entries'
    words, exact values, label and outlines in its entries' coordinates."""
    values = np.asarray(spec.values, dtype=np.float64)
    R, C, h, w = values.shape
    gy, gx = spec.gaps
    px = spec.cell
    marks = {}
    for r, c, shape in spec.block_marks():
        y, x = r * (h + gy), c * (w + gx)
        marks.setdefault((r, c), []).append(dict(x0=shape["x0"] - x, x1=shape["x1"] - x, y0=shape["y0"] - y,
                                                 y1=shape["y1"] - y))
    out = []
    for r in range(R):
        for c in range(C):
            if not spec.names[r][c]:
                continue
            label = spec.labels[r][c] if spec.labels else ""
            out.append(dict(
                id=spec.names[r][c], title=spec.names[r][c], heading=label or spec.names[r][c],
                box=[round(left + c * (w + gx) * px, 2), round(top + r * (h + gy) * px, 2), round(w * px, 2),
                     round(h * px, 2)],
                marks=marks.get((r, c), []), rows=h, cols=w, ys=list(range(h)), xs=list(range(w)),
                y_label=spec.axes[0], x_label=spec.axes[1], value_word=_("value"), exact=True, after="",
                values=base64.b64encode(np.ascontiguousarray(values[r, c], dtype="<f8").tobytes()).decode(),
                dtype="f8"))
    return out


def picture(spec):
    """{"width", "height", "scale", "svg", "tiles", "title"} of a viz.tiled.Tiled, drawn at its scale: "svg" the
    drawing in a width × height box, "tiles" one hover entry a block (block_tiles)."""
    z = spec.z
    rows, cols = z.shape
    left, right, top, bottom, width, height = spec.margins()
    plot_w, plot_h = cols * spec.cell, rows * spec.cell
    image = base64.b64encode(png(rgba(z))).decode()
    svg = ['<g class="title">']
    baseline = 17
    for line, size in title_lines(spec.title):
        svg.append(text(left, baseline, line, size, fill=INK))
        baseline += 12
    svg.append("</g>")
    h, w = np.shape(spec.values)[2:4]
    gy, gx = spec.gaps
    if spec.labels:
        for r, labels in enumerate(spec.labels):
            for c, label in enumerate(labels):
                if label:
                    svg.append(text(left + c * (w + gx) * spec.cell, top + r * (h + gy) * spec.cell - 4, label, 11,
                                    fill=INK))
    svg.append(f'<image x="{left:.1f}" y="{top:.1f}" width="{plot_w:.1f}" height="{plot_h:.1f}"'
               f' preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,{image}"/>')
    if spec.ticks:
        svg += axis_labels(spec, left, top, plot_w, plot_h)
    if spec.shared is not None:
        svg += colour_bar(spec, left + plot_w + BAR_GAP, top, plot_h)
    for _r, _c, shape in spec.block_marks():
        x0, x1 = left + (shape["x0"] + 0.5) * spec.cell, left + (shape["x1"] + 0.5) * spec.cell
        y0, y1 = top + (shape["y0"] + 0.5) * spec.cell, top + (shape["y1"] + 0.5) * spec.cell
        line = shape["line"]
        svg.append(f'<rect class="mark" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}"'
                   f' fill="none" stroke="{line["color"]}" stroke-width="{line["width"]}"/>')
    return dict(width=width, height=height, scale=spec.scale, svg="".join(svg), tiles=block_tiles(spec, left, top),
                title=" ".join(line for line, _size in title_lines(spec.title)))
