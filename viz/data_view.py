"""data_view: the batch as the learner's data: input rows as small grey images, and each sample's
predicted class against its true class with the probabilities."""
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from i18n import N_, domain

_, ngettext = domain("viz")

MAX_WIDTH = 740        # px: the figure keeps its size in an 800-pixel window
MAX_COLUMNS = 8        # images per row of the grid
MAX_PITCH = 84         # px: an image and its gap, at most
LABEL_PX = 15          # px above each image for its label
SIDE, TOP, BOTTOM = 8, 30, 8
NOTE_PX = 16           # px of the title's note line
WRONG = ":red-background[✗]"   # a wrong prediction's mark in prediction_rows (Markdown: on red)
PREDICTION_COLUMNS = [N_("sample"), N_("true class"), N_("predicted class"), "p(predicted)", "p(true)", N_("right")]
OUTPUT_COLUMNS = (N_("output (predicted)"), N_("output (true)"))  # the p columns' names on raw MSE outputs
CRITERIA = ("NLLCriterion", "NLLCriterionUnstable", "MSECriterion")


# --- the batch's images ---

def as_images(x, image_shape):
    """x (N, H*W) or (N, H, W) -> float64 (N, H, W); ValueError naming both shapes when they do not fit."""
    shape = tuple(int(s) for s in image_shape)
    a = np.asarray(x, dtype=np.float64)
    if len(shape) != 2 or a.ndim < 2 or math.prod(a.shape[1:]) != math.prod(shape):
        raise ValueError(f"batch_images_figure: rows of shape {a.shape[1:]} are not images of shape {shape}")
    return a.reshape(len(a), *shape)


def label_texts(labels, n):
    """The label shown above each of the n images: a class from labels (N,) or one-hot rows (N, K); '' if None."""
    if labels is None:
        return [""] * n
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    y = y.reshape(len(y))[:n]
    return [f"{int(v)}" if float(v).is_integer() else f"{float(v):.3g}" for v in y]


def mosaic(images, columns, gap_x, gap_y):
    """(z, customdata): the images tiled row-major into one matrix, NaN in the gaps; customdata holds
    (sample, pixel row, pixel column) of every cell (-1 in the gaps)."""
    n, h, w = images.shape
    rows = -(-n // columns)
    z = np.full((rows * (h + gap_y), columns * (w + gap_x)), np.nan)
    where = np.full(z.shape + (3,), -1, dtype=np.int16)
    r, c = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for i, image in enumerate(images):
        top, left = (i // columns) * (h + gap_y) + gap_y, (i % columns) * (w + gap_x)
        z[top:top + h, left:left + w] = image
        where[top:top + h, left:left + w] = np.stack([np.full_like(r, i), r, c], axis=-1)
    return z, where


def batch_images_figure(x, image_shape, labels=None, max_images=32, title=None, scale=1.0):
    """One go.Figure of the first max_images input rows x (N, H*W) as small grey images (ink dark), in batch
    order, left to right then down, the label above each; width <= MAX_WIDTH px, height set from the grid;
    scale: the whole figure, its text included, that much larger (presenter mode); title: by default "the
    batch's inputs as images" in the current language."""
    title = _("the batch's inputs as images") if title is None else title
    images = as_images(x, image_shape)
    total = len(images)
    if total == 0:
        raise ValueError("batch_images_figure: the batch is empty")
    images = images[:max(1, int(max_images))]
    n, h, w = images.shape
    columns = min(n, MAX_COLUMNS)
    gap_x = max(1, w // 4)
    pixel = min(MAX_PITCH, (MAX_WIDTH - 2 * SIDE) / columns) / (w + gap_x)
    gap_y = gap_x + math.ceil(LABEL_PX / pixel)
    z, where = mosaic(images, columns, gap_x, gap_y)
    finite = images[np.isfinite(images)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    fig = go.Figure(go.Heatmap(
        z=z, customdata=where, colorscale="Greys", zmin=low, zmax=high if high > low else low + 1,
        showscale=False, hoverongaps=False, xgap=0, ygap=0,
        hovertemplate=_("sample %{customdata[0]}, pixel (%{customdata[1]}, %{customdata[2]})<br>"
                        "value %{z:.4g}") + "<extra></extra>"))
    texts = label_texts(labels, n) if labels is not None else []
    fig.layout.annotations = [  # in one assignment: add_annotation per image took ~1.5 ms each
        dict(x=(i % columns) * (w + gap_x) + (w - 1) / 2, y=(i // columns) * (h + gap_y) + gap_y - 0.5,
             text=text, showarrow=False, yanchor="bottom", font=dict(size=11)) for i, text in enumerate(texts)]
    note = ("<br><sup>" + _("the first {n} of the batch's {total} samples").format(n=n, total=total) + "</sup>"
            if n < total else "")
    top = TOP + (NOTE_PX if note else 0)
    fig.update_layout(
        title=dict(text=f"{title} {images.shape[1]}×{images.shape[2]}{note}", font=dict(size=13), x=0,
                   xanchor="left"),
        xaxis=dict(visible=False, range=[-0.5, z.shape[1] - gap_x - 0.5], fixedrange=True),
        yaxis=dict(visible=False, range=[z.shape[0] - 0.5, -0.5], fixedrange=True),
        width=int(round(2 * SIDE + (z.shape[1] - gap_x) * pixel)), height=int(round(top + BOTTOM + z.shape[0] * pixel)),
        margin=dict(l=SIDE, r=SIDE, t=top, b=BOTTOM, autoexpand=False), plot_bgcolor="white")
    return enlarged(fig, scale) if scale != 1.0 else fig


def enlarged(fig, scale):
    """fig `scale` times larger, its margins and text too (the axes' ranges keep every image in its place)."""
    layout = fig.layout
    fig.update_layout(width=int(round(layout.width * scale)), height=int(round(layout.height * scale)),
                      margin={side: getattr(layout.margin, side) * scale for side in "lrtb"},
                      title_font_size=layout.title.font.size * scale)
    for annotation in layout.annotations:
        annotation.font.size = annotation.font.size * scale
    return fig


# --- each sample's prediction ---

def class_labels(target, n_classes):
    """Class labels (N,) from integer labels (N,) / (N, 1) or one-hot rows (N, K); None for real targets."""
    y = np.asarray(target)
    if y.ndim == 2 and y.shape[1] == n_classes > 1:
        one_hot = np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)
        return np.argmax(y, axis=1) if one_hot else None
    flat = y.reshape(-1) if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1) else None
    if flat is None or flat.dtype.kind not in "iuf":
        return None
    with np.errstate(invalid="ignore"):
        whole = np.all(np.mod(flat, 1) == 0) and np.all((flat >= 0) & (flat < n_classes))
    return flat.astype(np.int64) if whole else None


def probabilities(predictions, criterion):
    """(N, K) probabilities of the network's output: exp of log-probabilities (NLLCriterion), the output
    itself (NLLCriterionUnstable, or MSECriterion when each row is a distribution); None otherwise."""
    p = np.asarray(predictions, dtype=np.float64)
    if criterion == "NLLCriterion":
        with np.errstate(over="ignore"):
            return np.exp(p)
    if criterion == "NLLCriterionUnstable":
        return p
    rows = np.all((p >= 0) & (p <= 1), axis=1) & np.isclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    return p if np.all(rows) else None


def prediction_table(predictions, target, criterion):
    """One row per sample: sample, true class, predicted class (argmax), p(predicted), p(true), right (✓/✗);
    predictions (N, K) as the criterion reads them. With MSECriterion on raw outputs the two p columns are
    "output (predicted)" and "output (true)". None when the targets are not classes (regression)."""
    name = getattr(criterion, "__name__", None) or (criterion if isinstance(criterion, str)
                                                    else type(criterion).__name__)
    if name not in CRITERIA:
        raise ValueError(f"prediction_table: criterion must be one of {', '.join(CRITERIA)}, got {name!r}")
    out = np.asarray(predictions, dtype=np.float64)
    if out.ndim != 2 or out.shape[1] < 2:
        return None
    labels = class_labels(target, out.shape[1])
    if labels is None or len(labels) != len(out):
        return None
    p = probabilities(out, name)
    shown, kind = (p, "p") if p is not None else (out, "output")
    guess = np.argmax(out, axis=1)
    rows = np.arange(len(out))
    table = pd.DataFrame({"sample": rows, "true class": labels, "predicted class": guess,
                          "p(predicted)": shown[rows, guess], "p(true)": shown[rows, labels],
                          "right": np.where(guess == labels, "✓", "✗")})
    if kind == "output":
        table = table.rename(columns={"p(predicted)": "output (predicted)", "p(true)": "output (true)"})
    return table


def prediction_rows(table, digits=4):
    """The table as st.table draws it quickly (a pandas Styler cost ~40 ms of each Loss click to marshal): the
    p columns as text to `digits` significant digits (st.table prints a float to 4 decimals, 1.2e-05 as 0.0000),
    a wrong row's ✗ on a red background (st.table reads Markdown), the columns headed in the page's language, the
    rows renumbered 0, 1, ... (st.table hides only such an index, and shows any other, sorted rows' say, as an
    unnamed first column beside "sample")."""
    numbers = [c for c in table.columns if c.startswith(("p(", "output ("))]
    out = table.reset_index(drop=True)
    out = out.assign(**{c: [f"{v:.{digits}g}" for v in out[c]] for c in numbers},
                     right=[WRONG if mark == "✗" else mark for mark in out["right"]])
    return out.rename(columns={c: _(c) for c in table.columns})
