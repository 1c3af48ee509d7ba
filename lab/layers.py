"""The layers a learner can stack: their arguments, limits, and how each is built from a spec.

A spec is a plain dict, e.g. {"kind": "Linear", "n_out": 2}: JSON-ready and immutable by
convention (edits make new dicts). Sizes that follow from the previous layer (Linear's
n_in, Scaling's n_out, Conv2d's in_channels) are never stored; they come from the
per-sample shape flowing in ((D,) for feature rows, (C, H, W) for images; lab.shapes).
"""
from dataclasses import dataclass

import numpy as np

import engine

from i18n import N_, domain

from .quoting import listed, quoted

_, ngettext = domain("lab")


@dataclass(frozen=True)
class Arg:
    """One editable argument: name, its label's English text (marked with N_; label says it in the session's
    language), default, allowed [low, high], integer or real."""

    name: str
    text: str
    default: float
    low: float
    high: float
    integer: bool = False
    step: float = None

    @property
    def label(self):
        return _(self.text)

    @property
    def span(self):
        """The allowed range as it reads: "0 to 0.99", "1e-06 to 100", "0 to 2147483647"."""
        return _("{low} to {high}").format(low=number(self.low, self.integer), high=number(self.high, self.integer))

    def field(self, title=False):
        """The label of the field that edits it, with the range: "p (zeroed), 0 to 0.99"."""
        label = self.label[:1].upper() + self.label[1:] if title else self.label
        return f"{label}, {self.span}"


@dataclass(frozen=True)
class LayerKind:
    """A layer of the handout: its class, editable arguments and one sentence on what it does (sentence, in
    English, marked with N_; about says it in the session's language)."""

    name: str
    args: tuple
    sentence: str
    activation: bool = False  # an elementwise nonlinearity (the comparison swaps these)
    takes: str = "any"        # the per-sample input it needs: "rows" (D,), "images" (C, H, W) or "any"

    @property
    def about(self):
        return _(self.sentence)

    def make(self, spec, shape, rng):
        """The engine layer for spec, fed samples of `shape` ((D,) or (C, H, W), checked by lab.shapes)."""
        cls = getattr(engine, self.name)
        values = {arg.name: spec[arg.name] for arg in self.args}
        if self.name == "Linear":
            return cls(shape[0], values["n_out"], rng=rng)
        if self.name == "Scaling":
            return cls(shape[0], rng=rng)
        if self.name == "Dropout":
            return cls(values["p"], rng=rng)
        if self.name == "Conv2d":
            return cls(shape[0], values["out_channels"], values["kernel_size"], rng=rng)
        return cls(**values)

    def output_shape(self, spec, shape):
        """The per-sample shape out of this layer for `shape` in (its input already fits `takes`)."""
        if self.name == "Linear":
            return (spec["n_out"],)
        if self.name == "Conv2d":
            return (spec["out_channels"],) + shape[1:]
        if self.name == "MaxPool2d":
            return (shape[0],) + tuple(side // spec["kernel_size"] for side in shape[1:])
        if self.name == "Flatten":
            return (int(np.prod(shape)),)
        return shape

    def parameters(self, spec, shape):
        """How many numbers it learns for `shape` in: W and b, gamma and beta, or 0."""
        if self.name == "Linear":
            return shape[0] * spec["n_out"] + spec["n_out"]
        if self.name == "Scaling":
            return 2 * shape[0]
        if self.name == "Conv2d":
            return spec["out_channels"] * (shape[0] * spec["kernel_size"] ** 2 + 1)
        return 0


KINDS = {kind.name: kind for kind in (
    LayerKind("Linear", (Arg("n_out", N_("output size"), 2, 1, 1024, integer=True, step=1),),
              N_("y = x W + b: every output unit is a weighted sum of the inputs."), takes="rows"),
    LayerKind("Conv2d", (Arg("out_channels", N_("output channels"), 4, 1, 64, integer=True, step=1),
                         Arg("kernel_size", N_("kernel size (odd)"), 3, 1, 7, integer=True, step=2)),
              N_("y[o] = b[o] + Σ_c W[o, c] ⋆ x[c]: each output map slides a k × k kernel over every input "
                 "channel (zero 'same' padding keeps H and W)."), takes="images"),
    LayerKind("MaxPool2d", (Arg("kernel_size", N_("kernel size"), 2, 1, 8, integer=True, step=1),),
              N_("the maximum of each k × k window (stride k): H and W shrink k times; the gradient goes to "
                 "each window's maximum."), takes="images"),
    LayerKind("ReLU", (), N_("max(0, x): zero gradient for negative inputs."), activation=True),
    LayerKind("LeakyReLU", (Arg("slope", N_("slope"), 0.03, 0.0, 1.0, step=0.01),),
              N_("x for x > 0, slope·x otherwise: a small gradient survives."), activation=True),
    LayerKind("ELU", (Arg("alpha", N_("alpha"), 1.0, 0.0, 10.0, step=0.1),),
              N_("x for x > 0, alpha(e^x - 1) otherwise: smooth, saturates at -alpha."), activation=True),
    LayerKind("SoftPlus", (), N_("log(1 + e^x): a smooth ReLU."), activation=True),
    LayerKind("SoftMax", (), N_("exp(x) / sum exp(x) per row: probabilities."), takes="rows"),
    LayerKind("LogSoftMax", (), N_("x - log sum exp(x) per row: log-probabilities, for NLLCriterion."),
              takes="rows"),
    LayerKind("Dropout", (Arg("p", N_("p (zeroed)"), 0.5, 0.0, 0.99, step=0.05),),
              N_("training: zero each unit with probability p and scale the rest by 1/(1-p).")),
    LayerKind("BatchNormalization", (Arg("alpha", N_("alpha (moving average)"), 0.0, 0.0, 1.0, step=0.05),),
              N_("training: standardise each feature over the batch; evaluate: use the moving statistics."),
              takes="rows"),
    LayerKind("Scaling", (), N_("y = x ⊙ gamma + beta: a learnable scale and shift per feature."), takes="rows"),
    LayerKind("Flatten", (), N_("(N, C, H, W) -> (N, C·H·W): images to feature rows; a no-op on rows.")),
)}

ACTIVATIONS = tuple(name for name, kind in KINDS.items() if kind.activation)


def default_spec(kind):
    """{"kind": kind, arg: default...}; ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(_("unknown layer {kind}; known: {known}").format(kind=quoted(kind), known=", ".join(KINDS)))
    spec = {"kind": kind}
    for arg in KINDS[kind].args:
        spec[arg.name] = int(arg.default) if arg.integer else float(arg.default)
    return spec


def check_spec(spec, where="layer"):
    """The spec with its arguments checked and normalised; ValueError naming the layer otherwise."""
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
        kind = spec.get("kind") if isinstance(spec, dict) else spec
        raise ValueError(_("{where}: unknown layer {kind}; known: {known}").format(
            where=where, kind=quoted(kind), known=", ".join(KINDS)))
    kind = KINDS[spec["kind"]]
    unknown = set(spec) - {"kind"} - {arg.name for arg in kind.args}
    if unknown:
        raise ValueError(_("{where} ({layer}): unknown argument(s) {names}").format(
            where=where, layer=kind.name, names=listed(unknown)))
    clean = {"kind": kind.name}
    for arg in kind.args:
        clean[arg.name] = check_value(arg, spec.get(arg.name, arg.default), f"{where} ({kind.name})")
    if kind.name == "Conv2d" and clean["kernel_size"] % 2 == 0:
        raise ValueError(_("{where} (Conv2d): kernel size must be odd (1, 3, 5 or 7), got {size}: the zero padding "
                           "of kernel_size // 2 on each side keeps H and W only for odd sizes").format(
                               where=where, size=clean["kernel_size"]))
    return clean


def check_value(arg, value, where=None):
    """value as int/float within [arg.low, arg.high]; ValueError saying the allowed range."""
    bad = (_("{label} must be an integer in [{low}, {high}], got {value}") if arg.integer else
           _("{label} must be a number in [{low}, {high}], got {value}")).format(
               label=arg.label, low=number(arg.low, arg.integer), high=number(arg.high, arg.integer),
               value=quoted(value))
    bad = f"{where}: {bad}" if where else bad
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(bad)
    if not arg.low <= value <= arg.high:  # NaN and ±inf too; np.isfinite would refuse an int of over 64 bits
        raise ValueError(bad)
    if arg.integer:
        if value != int(value):
            raise ValueError(bad)
        return int(value)
    return float(value)


def number(value, integer=False):
    """A range's end as it reads: 1e-06, 0.99, and integers in full (2147483647, not 2.14748e+09)."""
    return str(int(value)) if integer else f"{value:g}"


def exact(value):
    """A number as short as it reads and exactly as it is: 0.03, 1, 0.3203125 (not 0.320312)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def describe(spec, shape=None):
    """How a spec reads in the handout: Linear(2, 2), LeakyReLU(slope=0.03), Scaling(5), Conv2d(1, 4, 3).

    shape: the per-sample input ((D,), (C, H, W)) or a feature count; None writes "?" for what it fixes.
    """
    kind = KINDS[spec["kind"]]
    first = "?" if shape is None else (shape if isinstance(shape, (int, np.integer)) else shape[0])
    if kind.name == "Linear":
        return f"Linear({first}, {spec['n_out']})"
    if kind.name == "Scaling":
        return f"Scaling({first})"
    if kind.name == "Conv2d":
        return f"Conv2d({first}, {spec['out_channels']}, {spec['kernel_size']})"
    if kind.name == "MaxPool2d":
        return f"MaxPool2d({spec['kernel_size']})"
    args = ", ".join(f"{arg.name}={exact(spec[arg.name])}" for arg in kind.args)
    return f"{kind.name}({args})"
