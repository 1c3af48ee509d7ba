"""shapes: the per-sample shape flowing through a stack, (D,) for feature rows or (C, H, W) for images.

The data reach the network as images (N, 1, H, W) when the stack starts with an image layer
(Conv2d or MaxPool2d, after any elementwise layers) and the data are images; otherwise as rows
(N, D). Each problem a shape can meet comes with what to change, as lab.advice words it.
"""
import math
from typing import NamedTuple

import numpy as np

from i18n import domain

from .layers import KINDS, describe

_, ngettext = domain("lab")


class ShapeProblem(NamedTuple):
    """Layer `index` cannot take the shape flowing in: what to change and why."""

    index: int
    suggestion: str
    reason: str

    def __str__(self):
        return f"{self.suggestion} {self.reason}"


def as_shape(inputs):
    """One sample's shape from a feature count (64 -> (64,)) or a shape ((1, 8, 8) as it is)."""
    return (int(inputs),) if np.ndim(inputs) == 0 else tuple(int(n) for n in inputs)


def takes_images(config):
    """Whether the stack's first layer that cares about shape is Conv2d or MaxPool2d."""
    for spec in config.layers:
        takes = KINDS[spec["kind"]].takes
        if takes != "any" or spec["kind"] == "Flatten":
            return takes == "images"
    return False


def input_shape(config, data):
    """The shape of one of data's samples as the stack receives it: (1, H, W) for images, else (D,)."""
    if data.image_shape is not None and takes_images(config):
        return (1,) + tuple(int(side) for side in data.image_shape)
    return (int(data.n_features),)


def as_input(config, data, X):
    """Rows X (N, D) of data as the stack receives them: (N, 1, H, W) for images (a view), else X itself."""
    shape = input_shape(config, data)
    return X if len(shape) == 1 else X.reshape((len(X),) + shape)


def problem(config, shape):
    """The first ShapeProblem of the stack fed samples of `shape`, or None; also the shapes up to there."""
    shapes = [tuple(shape)]
    for i, spec in enumerate(config.layers):
        shape = shapes[-1]
        found = _problem(i, spec, shape)
        if found is not None:
            return found, shapes
        shapes.append(KINDS[spec["kind"]].output_shape(spec, shape))
    return None, shapes


def layer_shapes(config, shape):
    """[input shape, layer 0's output shape, ...]; ValueError naming the first layer that cannot take its input."""
    found, shapes = problem(config, shape)
    if found is not None:
        spec = config.layers[found.index]
        raise ValueError(_("layer {index} ({layer}): {problem}").format(
            index=found.index, layer=describe(spec, shapes[-1]), problem=found))
    return shapes


def _problem(i, spec, shape):
    kind = KINDS[spec["kind"]]
    if kind.takes == "images" and len(shape) != 3:
        return ShapeProblem(i, _("Move {layer} (layer {index}) before the first Flatten and Linear, on image data.")
                            .format(layer=kind.name, index=i),
                            ngettext("{layer} takes images (C, H, W), but layer {index} receives rows of {n} "
                                     "feature: only digits and an uploaded CSV are images, and they reach the "
                                     "network as (N, 1, H, W) when it starts with Conv2d or MaxPool2d.",
                                     "{layer} takes images (C, H, W), but layer {index} receives rows of {n} "
                                     "features: only digits and an uploaded CSV are images, and they reach the "
                                     "network as (N, 1, H, W) when it starts with Conv2d or MaxPool2d.", shape[0])
                            .format(layer=kind.name, index=i, n=shape[0]))
    if kind.takes == "rows" and len(shape) != 1:
        return ShapeProblem(i, _("Put a Flatten before {layer} (layer {index}).").format(layer=kind.name, index=i),
                            _("{layer} takes feature rows, but layer {index} receives images {shape}: Flatten "
                              "makes them rows of {product} = {n} features.").format(
                                layer=kind.name, index=i, shape=shape, product=" · ".join(map(str, shape)),
                                n=math.prod(shape)))
    if kind.name == "MaxPool2d":
        k, (h, w) = spec["kernel_size"], shape[1:]
        if h % k or w % k:
            fits = [d for d in range(2, max(h, w) + 1) if h % d == 0 and w % d == 0]
            return ShapeProblem(i, _("Use a MaxPool2d kernel size that divides H = {h} and W = {w} ({sizes}).")
                                   .format(
                                    h=h, w=w, sizes=", ".join(map(str, fits))) if fits else
                                _("Remove MaxPool2d (layer {index}): no kernel size above 1 divides H = {h} and "
                                  "W = {w}.").format(index=i, h=h, w=w),
                                _("MaxPool2d({k}) takes windows of {k} × {k} with stride {k}, so H and W of its "
                                  "input {shape} must be divisible by {k}.").format(k=k, shape=shape))
    return None
