"""What a trained model predicts: decision regions, regression fit, confusion matrix, image samples."""
import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from engine.data import check_labels
from engine.sequential import layers_of
from engine.softmax import log_softmax
from engine.training import predict
from i18n import domain
from viz.feature_maps import feature_maps, feature_maps_figure, first_conv

_, ngettext = domain("viz")

CLASS_COLORS = qualitative.Plotly   # class k -> CLASS_COLORS[k % 10], in regions and points alike
MAX_IMAGES = 10
PAD = 0.05                          # the grid extends the data's range by 5% on each side


# --- probabilities and labels ---

def last_layer_name(model):
    """Class name of the model's last layer, e.g. "LogSoftMax" (a Sequential's last child)."""
    layers = layers_of(model)
    return type(layers[-1]).__name__ if layers else type(model).__name__


def class_probabilities(output, last_layer_name):
    """p (N, K) from output (N, K): e^output after LogSoftMax, output after SoftMax, else softmax(output)."""
    output = np.asarray(output, dtype=np.float64)
    if output.ndim != 2:
        raise ValueError(f"class_probabilities: expected output of shape (N, K), got shape {output.shape}")
    name = last_layer_name if isinstance(last_layer_name, str) else type(last_layer_name).__name__
    if name == "SoftMax":
        return output
    # NaN/inf outputs of a diverged model give NaN probabilities, shown as such, without warnings.
    with np.errstate(invalid="ignore", over="ignore"):
        if name == "LogSoftMax":
            return np.exp(output)
        return np.exp(log_softmax(output))  # shifted by the row max: e^x never overflows


def predict_probabilities(model, X):
    """class_probabilities(predict(model, X), last layer) in evaluate mode;  X (N, D) -> p (N, K)."""
    return class_probabilities(predict(model, X), last_layer_name(model))


def _class_color(k):
    return CLASS_COLORS[int(k) % len(CLASS_COLORS)]


# --- 2-D decision regions ---

def grid_points(X, resolution=150):
    """(xs (R,), ys (R,), points (R*R, 2)): a padded grid over X's range; point i*R + j = (xs[j], ys[i])."""
    X = np.asarray(X, dtype=np.float64)
    low, high = X.min(axis=0), X.max(axis=0)
    pad = PAD * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([xx.ravel(), yy.ravel()]).astype(X.dtype)


def _discrete_colorscale(n_classes):
    """Stepwise colorscale: z = k in [-0.5, K - 0.5] gets class k's colour."""
    scale = []
    for k in range(n_classes):
        scale += [[k / n_classes, _class_color(k)], [(k + 1) / n_classes, _class_color(k)]]
    return scale


def _region_trace(xs, ys, probabilities, predicted, n_classes):
    """Heatmap of P(class 1) for 2 classes, of the predicted class otherwise (float32 / int16: small JSON)."""
    if n_classes == 2:
        return go.Heatmap(x=xs, y=ys, z=probabilities[:, 1].reshape(predicted.shape).astype(np.float32),
                          colorscale="RdBu_r", zmin=0.0, zmid=0.5, zmax=1.0, opacity=0.6, name=_("model"),
                          colorbar=dict(title=dict(text=_("P(class 1)")), len=0.8),
                          hovertemplate="x₁ %{x:.3g}, x₂ %{y:.3g}<br>" + _("P(class 1)") + " %{z:.4f}<br>"
                                        + _("(class 1 where > 0.5)") + "<extra></extra>")
    return go.Heatmap(x=xs, y=ys, z=predicted.astype(np.int16), colorscale=_discrete_colorscale(n_classes),
                      zmin=-0.5, zmax=n_classes - 0.5, opacity=0.35, showscale=False, name=_("model"),
                      hovertemplate="x₁ %{x:.3g}, x₂ %{y:.3g}<br>" + _("predicted class") + " %{z}<extra></extra>")


def _class_points(X, labels, n_classes, two_class):
    """One Scatter per class: the samples with that true label, in the class's colour."""
    traces = []
    for k in range(n_classes):
        name = _("class {k}").format(k=k)
        points = X[labels == k]
        color = ("#2166ac", "#b2182b")[k] if two_class else _class_color(k)
        traces.append(go.Scatter(
            x=points[:, 0], y=points[:, 1], mode="markers", name=name,
            marker=dict(color=color, size=5, line=dict(color="black", width=0.6)),
            hovertemplate=name + "<br>x₁ %{x:.4g}, x₂ %{y:.4g}<extra></extra>"))
    return traces


def decision_regions(model, X, y, n_classes, resolution=150):
    """Predicted class (or P(class 1) for K = 2) on a resolution² grid over X (N, 2), true points on top."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_regions: needs 2-D inputs X (N, 2), got shape {X.shape}")
    labels = check_labels(y, n_classes, "decision_regions")
    xs, ys, points = grid_points(X, resolution)
    output = predict(model, points)
    if output.ndim != 2 or output.shape[1] != n_classes:
        raise ValueError(f"decision_regions: the model's output has shape {output.shape}, "
                         f"expected (N, n_classes={n_classes})")
    probabilities = class_probabilities(output, last_layer_name(model))
    predicted = np.argmax(output, axis=1).reshape(resolution, resolution)
    accuracy = float(np.mean(np.argmax(predict(model, X), axis=1) == labels))
    fig = go.Figure([_region_trace(xs, ys, probabilities, predicted, n_classes),
                     *_class_points(X, labels, n_classes, n_classes == 2)])
    fig.update_layout(
        title=dict(text=ngettext("decision regions ({r}×{r} grid), accuracy on this {n} point {accuracy}",
                                 "decision regions ({r}×{r} grid), accuracy on these {n} points {accuracy}",
                                 len(X)).format(r=resolution, n=len(X), accuracy=f"{accuracy:.3f}")),
        xaxis=dict(title=dict(text="x₁"), range=[xs[0], xs[-1]], constrain="domain"),
        yaxis=dict(title=dict(text="x₂"), range=[ys[0], ys[-1]], scaleanchor="x", scaleratio=1),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        plot_bgcolor="white", height=460, margin=dict(l=60, r=20, t=80, b=50))
    return fig


# --- 1-D regression ---

def regression_fit(model, X, y, n_curve=300):
    """The model's curve y_hat(x) on n_curve points over X's range, and the samples (X (N, 1), y (N, 1))."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"regression_fit: needs 1-D inputs X (N, 1), got shape {X.shape}")
    xs = np.linspace(X.min(), X.max(), n_curve).reshape(-1, 1).astype(X.dtype)
    curve = predict(model, xs).reshape(n_curve, -1)[:, 0]
    fitted = predict(model, X).reshape(len(X), -1)[:, 0]
    mse = float(np.mean((fitted - y.reshape(len(y), -1)[:, 0]) ** 2))
    fig = go.Figure([
        go.Scatter(x=X[:, 0], y=y.reshape(len(y), -1)[:, 0], mode="markers", name=_("data"),
                   marker=dict(size=4, color="#7f7f7f", opacity=0.6),
                   hovertemplate="x %{x:.4g}<br>y %{y:.4g}<extra>" + _("data") + "</extra>"),
        go.Scatter(x=xs[:, 0], y=curve, mode="lines", name=_("model"), line=dict(color="#d62728", width=2.5),
                   hovertemplate="x %{x:.4g}<br>ŷ %{y:.4g}<extra>" + _("model") + "</extra>")])
    fig.update_layout(title=dict(text=ngettext("model vs data: mean (ŷ − y)² = {mse} on {n} point",
                                               "model vs data: mean (ŷ − y)² = {mse} on {n} points",
                                               len(X)).format(mse=f"{mse:.4g}", n=len(X))),
                      xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="y")),
                      height=380, margin=dict(l=60, r=20, t=60, b=50))
    return fig


# --- confusion matrix ---

def confusion_matrix(labels, predicted, n_classes):
    """C[i, j] = #{samples with true class i predicted as j};  labels, predicted (N,) -> C (K, K) int64."""
    labels = check_labels(labels, n_classes, "confusion_matrix labels")
    predicted = check_labels(predicted, n_classes, "confusion_matrix predicted")
    if labels.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: labels {labels.shape} and predicted {predicted.shape} differ")
    counts = np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def confusion_figure(matrix):
    """Heatmap of C (K, K): rows true class, columns predicted class, counts in the cells."""
    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    total = int(matrix.sum())
    accuracy = ", " + _("accuracy {value}").format(value=f"{np.trace(matrix) / total:.3f}") if total else ""
    classes = np.arange(k)
    fig = go.Figure(go.Heatmap(
        z=matrix, x=classes, y=classes, colorscale="Blues", zmin=0, text=matrix.astype(str).tolist(),
        texttemplate="%{text}", colorbar=dict(title=dict(text=_("count"))),
        hovertemplate=_("true %{y}, predicted %{x}<br>%{z} samples") + "<extra></extra>"))
    fig.update_layout(
        title=dict(text=ngettext("confusion matrix ({n} sample{accuracy})", "confusion matrix ({n} samples{accuracy})",
                                 total).format(n=total, accuracy=accuracy)),
        xaxis=dict(title=dict(text=_("predicted class")), tickmode="array", tickvals=classes, side="bottom",
                   constrain="domain"),
        yaxis=dict(title=dict(text=_("true class")), tickmode="array", tickvals=classes,
                   autorange="reversed", scaleanchor="x"),
        height=min(600, 160 + 36 * k), margin=dict(l=60, r=20, t=60, b=50))
    return fig


# --- image samples ---

def _image_trace(image, zmin, zmax):
    return go.Heatmap(z=image, colorscale="Greys", zmin=zmin, zmax=zmax, showscale=False,
                      hovertemplate=_("row %{y}, column %{x}<br>pixel %{z:.3f}") + "<extra></extra>")


def _bar_trace(p, label):
    """Bars of P(class k); the true class green, a wrong predicted class red, the rest grey."""
    guess = int(np.argmax(p))
    colors = ["#2ca02c" if c == label else "#d62728" if c == guess else "#b0b0b0" for c in range(len(p))]
    return go.Bar(x=np.arange(len(p)), y=p, marker=dict(color=colors),
                  hovertemplate=_("class %{x}<br>P %{y:.4f}") + "<extra></extra>")


def image_samples_figure(X, y, probabilities, image_shape, n=8, indices=None):
    """Row 1: n images X[i] reshaped to image_shape; row 2: their P(class) bars, titled with the true label."""
    X, probabilities = np.asarray(X), np.asarray(probabilities)
    labels = check_labels(y, probabilities.shape[1], "image_samples_figure")
    indices = np.arange(min(n, len(X))) if indices is None else np.asarray(indices, dtype=np.int64)
    if len(indices) > MAX_IMAGES:
        raise ValueError(f"image_samples_figure: at most {MAX_IMAGES} images, got {len(indices)}")
    if len(indices) == 0:
        raise ValueError("image_samples_figure: no images to show")
    images = X[indices].reshape(len(indices), *image_shape)
    m = len(indices)
    said = _("true {label} · pred {predicted}")
    titles = [f"#{i}" for i in indices] + [
        said.format(label=labels[i], predicted=int(np.argmax(probabilities[i]))) for i in indices]
    fig = make_subplots(rows=2, cols=m, row_heights=[0.55, 0.45], vertical_spacing=0.14,
                        horizontal_spacing=0.02, subplot_titles=titles)
    zmin, zmax = float(np.min(images)), float(np.max(images))
    for col, (i, image) in enumerate(zip(indices, images), start=1):
        fig.add_trace(_image_trace(image, zmin, zmax), row=1, col=col)
        fig.add_trace(_bar_trace(probabilities[i], labels[i]), row=2, col=col)
        fig.update_xaxes(showticklabels=False, showgrid=False, row=1, col=col)
        fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, scaleanchor="x" if col == 1 else f"x{col}", row=1, col=col)
        fig.update_yaxes(range=[0, 1.05], showticklabels=col == 1, row=2, col=col)
        fig.update_xaxes(title=dict(text=_("class")), dtick=1 if probabilities.shape[1] <= 10 else None,
                         tickfont=dict(size=8), row=2, col=col)
    fig.update_yaxes(title=dict(text=_("P(class)")), row=2, col=1)
    fig.update_annotations(font=dict(size=11))
    fig.update_layout(title=dict(text=ngettext("{m} test image {shape} and the model's class probabilities",
                                               "{m} test images {shape} and the model's class probabilities",
                                               m).format(m=m, shape=tuple(image_shape))), showlegend=False, bargap=0.15,
                      height=360, margin=dict(l=50, r=10, t=80, b=40))
    return fig


# --- what the Train page shows for a dataset ---

def predicted_classes(model, X):
    """argmax_k of the model's output (N, K) in evaluate mode -> (N,) int64 (NaN/inf outputs allowed)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        output = predict(model, X)
    return np.argmax(output, axis=1).astype(np.int64)


def model_confusion(model, X, y, n_classes):
    """confusion_figure of the model's predicted classes on X against the labels y (N,)."""
    return confusion_figure(confusion_matrix(y, predicted_classes(model, X), n_classes))


def shown_indices(probabilities, y, n=8, wrong_first=False):
    """The first min(n, MAX_IMAGES) sample indices (N,) -> (n,); wrong_first: misclassified ones first."""
    indices = np.arange(len(probabilities))
    if wrong_first:
        wrong = np.argmax(probabilities, axis=1) != np.asarray(y)
        indices = np.concatenate([indices[wrong], indices[~wrong]])  # stable: each group in data order
    return indices[:min(n, MAX_IMAGES)]


def image_views(model, X, y, image_shape, n=8, wrong_first=False):
    """[("images", image_samples_figure)] of n images of X with the model's P(class) (wrong_first: misclassified
    first), then ("feature_maps", feature_maps_figure) of those images when X is (N, C, H, W) and the first layer
    a Conv2d."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        probabilities = predict_probabilities(model, X)
        indices = shown_indices(probabilities, y, n, wrong_first)
        views = [("images", image_samples_figure(X, y, probabilities, image_shape, indices=indices))]
        first = first_conv(model)
        if first is not None and np.ndim(X) == 4:
            views.append(("feature_maps", feature_maps_figure(feature_maps(first, X[indices]), indices,
                                                              _("layer 0, {layer}").format(layer=repr(first)))))
    return views


def predicted_images(model, X, y, image_shape, n=8, wrong_first=False):
    """image_samples_figure of n images of X with the model's P(class); wrong_first: misclassified first."""
    return image_views(model, X, y, image_shape, n, wrong_first)[0][1]


def prediction_views(model, data, split="test", n_images=8, wrong_first=False, inputs=None):
    """[(name, figure)] that suit data, drawn on its `split` ("test" or "train") samples; inputs: one sample's
    shape as the model takes it ((1, 8, 8) for a CNN; None: data's rows).

    2-D classes: decision_regions; 1-D regression: regression_fit; images: confusion, image samples and, when
    the first layer is a Conv2d on images, its feature_maps; other classification: confusion. Overflowing
    outputs are drawn as NaN without NumPy warnings.
    """
    if split not in ("test", "train"):
        raise ValueError(f"prediction_views: split must be 'test' or 'train', got {split!r}")
    X, y = (data.X_test, data.y_test) if split == "test" else (data.X_train, data.y_train)
    views = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if data.task == "regression":
            if data.n_features == 1:
                views.append(("regression_fit", regression_fit(model, X, y)))
            return views
        if data.n_features == 2 and data.image_shape is None:
            views.append(("decision_regions", decision_regions(model, X, y, data.n_classes)))
            return views
        if inputs is not None:
            X = X.reshape((len(X),) + tuple(inputs))
        views.append(("confusion", model_confusion(model, X, y, data.n_classes)))
        if data.image_shape is not None:
            views += image_views(model, X, y, data.image_shape, n_images, wrong_first)
    return views
