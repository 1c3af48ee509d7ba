"""NetworkConfig: what the Build page edits (data, layer stack, criterion, optimizer), and building it.

Every edit returns a new config; building checks everything first and raises ValueError
naming the layer, so a failed edit never touches the learner's working model.
"""
from dataclasses import asdict, dataclass, field, replace

import numpy as np

import engine
from i18n import N_, domain

from .layers import KINDS, Arg, check_spec, check_value, default_spec, describe, exact
from .quoting import listed, quoted
from .shapes import as_shape, layer_shapes

_, ngettext = domain("lab")

CRITERIA = ("NLLCriterion", "NLLCriterionUnstable", "MSECriterion")
OPTIMIZERS = ("SGD", "Adam")
LEARNING_RATE = Arg("learning_rate", N_("learning rate"), 1e-2, 1e-6, 100.0, step=0.001)
MOMENTUM = Arg("momentum", N_("momentum"), 0.9, 0.0, 0.999, step=0.01)
BETA1 = Arg("beta1", N_("beta1 (mean of g)"), 0.9, 0.0, 0.999, step=0.01)
BETA2 = Arg("beta2", N_("beta2 (mean of g²)"), 0.999, 0.0, 0.99999, step=0.001)
EPSILON = Arg("epsilon", N_("epsilon"), 1e-8, 1e-12, 1e-2, step=1e-8)
BATCH_SIZE = Arg("batch_size", N_("batch size"), 8, 1, 4096, integer=True, step=1)
TEST_SIZE = Arg("test_size", N_("test share"), 0.25, 0.05, 0.9, step=0.05)
SEED = Arg("seed", N_("data seed"), 0, 0, 2**31 - 1, integer=True, step=1)
WEIGHT_SEED = Arg("weight_seed", N_("weights seed"), 0, 0, 2**31 - 1, integer=True, step=1)
EPOCHS = Arg("epochs", N_("epochs"), 5, 1, 500, integer=True, step=1)
SETTINGS = {arg.name: arg for arg in (LEARNING_RATE, MOMENTUM, BETA1, BETA2, EPSILON, BATCH_SIZE, TEST_SIZE,
                                       SEED, WEIGHT_SEED)}
OPTIMIZER_SETTINGS = {"SGD": ("learning_rate", "momentum"),
                      "Adam": ("learning_rate", "beta1", "beta2", "epsilon")}
MAX_LAYERS = 16


def handout_layers():
    return ({"kind": "Linear", "n_out": 2}, {"kind": "LogSoftMax"})


@dataclass(frozen=True)
class NetworkConfig:
    """Everything that defines the learner's experiment; JSON-ready through as_dict()."""

    dataset: str = "blobs"
    seed: int = 0
    test_size: float = 0.25
    batch_size: int = 8
    layers: tuple = field(default_factory=handout_layers)
    criterion: str = "NLLCriterion"
    learning_rate: float = 1e-2
    momentum: float = 0.9
    training: bool = True  # the mode the step page records in (Dropout and BatchNorm differ)
    weight_seed: int | None = None  # the seed of the initial weights; None: the data seed
    optimizer: str = "SGD"  # or "Adam", with beta1, beta2 and epsilon (SGD uses momentum)
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    @property
    def effective_weight_seed(self):
        """The seed build_model draws the weights from: weight_seed, or the data seed when it is None."""
        return self.seed if self.weight_seed is None else self.weight_seed

    def as_dict(self):
        data = asdict(self)
        data["layers"] = [dict(spec) for spec in self.layers]
        return data


def config_from_dict(data):
    """A checked NetworkConfig from as_dict()'s output (e.g. read back from JSON)."""
    if not isinstance(data, dict):
        raise ValueError(_("configuration must be a JSON object, got {type}").format(type=type(data).__name__))
    known = set(NetworkConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(_("configuration: unknown field(s) {names}").format(names=listed(unknown)))
    layers = data.get("layers", [])
    if not isinstance(layers, list):
        raise ValueError(_("configuration: layers must be a list"))
    return check_config(NetworkConfig(**{**data, "layers": tuple(layers)}))


def check_config(config):
    """The config with every value checked; ValueError naming the field or the layer."""
    if not config.layers:
        raise ValueError(_("the network is empty: add at least one layer"))
    if len(config.layers) > MAX_LAYERS:
        raise ValueError(_("at most {limit} layers, got {n}").format(limit=MAX_LAYERS, n=len(config.layers)))
    if config.criterion not in CRITERIA:
        raise ValueError(_("criterion must be one of {known}, got {value}").format(
            known=", ".join(CRITERIA), value=quoted(config.criterion)))
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(_("optimizer must be one of {known}, got {value}").format(
            known=", ".join(OPTIMIZERS), value=quoted(config.optimizer)))
    if not isinstance(config.training, bool):
        raise ValueError(_("training must be true or false, got {value}").format(value=quoted(config.training)))
    if not isinstance(config.dataset, str) or not config.dataset:
        raise ValueError(_("dataset must be a name, got {value}").format(value=quoted(config.dataset)))
    layers = tuple(check_spec(spec, _("layer {index}").format(index=i)) for i, spec in enumerate(config.layers))
    values = {name: check_value(arg, getattr(config, name)) for name, arg in SETTINGS.items()
              if not (name == "weight_seed" and config.weight_seed is None)}
    return replace(config, layers=layers, **values)


# --- edits: each returns a new config ---

def set_value(config, name, value):
    """config with setting `name` (learning_rate, batch_size, ...) = value, checked against its range."""
    if name not in SETTINGS:
        raise ValueError(_("unknown setting {name}; known: {known}")
                         .format(name=quoted(name), known=", ".join(SETTINGS)))
    return replace(config, **{name: check_value(SETTINGS[name], value)})


def add_layer(config, kind, position=None, outputs=None):
    """A new layer of `kind` with default arguments inserted at position (default: the end).

    outputs: the data's class count (1 for regression); a Linear placed after every other
    Linear is the network's last one, so it starts with that many outputs.
    """
    layers = list(config.layers)
    position = len(layers) if position is None else position
    if not 0 <= position <= len(layers):
        raise ValueError(_("position must be in [0, {last}], got {position}")
                         .format(last=len(layers), position=position))
    if len(layers) >= MAX_LAYERS:
        raise ValueError(_("at most {limit} layers").format(limit=MAX_LAYERS))
    spec = default_spec(kind)
    if kind == "Linear" and outputs is not None \
            and all(other["kind"] != "Linear" for other in layers[position:]):
        spec["n_out"] = check_value(KINDS["Linear"].args[0], outputs, _("the new last Linear"))
    layers.insert(position, spec)
    return replace(config, layers=tuple(layers))


def remove_layer(config, index):
    layers = list(config.layers)
    _check_index(layers, index)
    del layers[index]
    return replace(config, layers=tuple(layers))


def move_layer(config, index, offset):
    """Swap layer index with index + offset (-1 up, +1 down); unchanged at the ends."""
    layers = list(config.layers)
    _check_index(layers, index)
    target = index + offset
    if 0 <= target < len(layers):
        layers[index], layers[target] = layers[target], layers[index]
    return replace(config, layers=tuple(layers))


def set_layer_arg(config, index, name, value):
    """Layer index with argument name = value, checked (ValueError names the layer and range)."""
    layers = list(config.layers)
    _check_index(layers, index)
    layers[index] = check_spec({**layers[index], name: value}, _("layer {index}").format(index=index))
    return replace(config, layers=tuple(layers))


def _check_index(layers, index):
    if not 0 <= index < len(layers):
        raise ValueError(ngettext("no layer {index}: the stack has {n} layer",
                                  "no layer {index}: the stack has {n} layers", len(layers))
                         .format(index=index, n=len(layers)))


def with_activation(config, kind):
    """The same stack with every activation layer replaced by `kind` (the comparison exercise)."""
    layers = tuple(default_spec(kind) if KINDS[spec["kind"]].activation else spec
                   for spec in config.layers)
    return replace(config, layers=layers)


# --- sizes, building, reading ---

def shapes(config, inputs):
    """[input shape, layer 0's output shape, ...] per sample; inputs: a feature count or a sample's shape."""
    return layer_shapes(config, as_shape(inputs))


def feature_sizes(config, inputs):
    """[numbers per sample into layer 0, out of layer 0, ..., out of the last layer] (C·H·W for images)."""
    return [int(np.prod(shape)) for shape in shapes(config, inputs)]


def build_model(config, inputs):
    """The engine Sequential of config for samples of `inputs` (a feature count or a shape such as (1, 8, 8)),
    weights drawn from default_rng(config.effective_weight_seed)."""
    config = check_config(config)
    rng = np.random.default_rng(config.effective_weight_seed)
    model = engine.Sequential()
    for i, (spec, shape) in enumerate(zip(config.layers, shapes(config, inputs))):
        try:
            model.add(KINDS[spec["kind"]].make(spec, shape, rng))
        except ValueError as error:
            raise ValueError(_("layer {index} ({layer}): {error}").format(index=i, layer=describe(spec, shape),
                                                                        error=error)) from None
    model.train() if config.training else model.evaluate()
    return model


def build_criterion(config):
    return getattr(engine, config.criterion)()


def optimizer_settings(config):
    """{learning_rate, momentum} for SGD, {learning_rate, beta1, beta2, epsilon} for Adam: its config dict."""
    return {name: getattr(config, name) for name in OPTIMIZER_SETTINGS[config.optimizer]}


def build_optimizer(config):
    """engine.SGD or engine.Adam with config's settings and no state yet."""
    return getattr(engine, config.optimizer)(**optimizer_settings(config))


def optimizer_code(config):
    """The optimizer as the handout writes it: SGD(lr=0.01, momentum=0.9), Adam(lr=0.001, beta1=0.9, ...)."""
    settings = [f"{'lr' if name == 'learning_rate' else name}={exact(value)}"
                for name, value in optimizer_settings(config).items()]
    return f"{config.optimizer}({', '.join(settings)})"


SETTING_SYMBOLS = {"learning_rate": "lr", "momentum": "momentum", "beta1": "β1", "beta2": "β2", "epsilon": "ε"}


def settings_summary(optimizer, settings):
    """How a caption names an optimizer from its config dict: "SGD lr 0.01, momentum 0.9",
    "Adam lr 0.001, β1 0.9, β2 0.999, ε 1e-08"."""
    return f"{optimizer} " + ", ".join(f"{SETTING_SYMBOLS[name]} {settings[name]:g}"
                                       for name in OPTIMIZER_SETTINGS[optimizer])


def optimizer_summary(config):
    """settings_summary of config's optimizer and settings."""
    return settings_summary(config.optimizer, optimizer_settings(config))


def summary_rows(config, inputs, batch_size=None):
    """One row per layer: index, layer, output shape (N, ...), parameters (a table's rows)."""
    flowing = shapes(config, inputs)
    batch = "N" if batch_size is None else batch_size
    rows = []
    for i, spec in enumerate(config.layers):
        shape = flowing[i]
        rows.append({"index": i, "layer": describe(spec, shape),
                     "output shape": f"({', '.join(map(str, (batch,) + flowing[i + 1]))})",
                     "parameters": KINDS[spec["kind"]].parameters(spec, shape)})
    return rows


def python_code(config, inputs):
    """The network in the handout's style, ready to copy."""
    lines = ["from engine import *", "", "model = Sequential()"]
    lines += [f"model.add({describe(spec, shape)})" for spec, shape in zip(config.layers, shapes(config, inputs))]
    lines += [f"criterion = {config.criterion}()", f"optimizer = {optimizer_code(config)}"]
    if not config.training:
        lines.append("model.evaluate()")
    return "\n".join(lines)
