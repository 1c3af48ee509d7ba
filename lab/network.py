"""NetworkConfig: what the Build page edits (data, layer stack, criterion, optimizer), and building it.

Every edit returns a new config; building checks everything first and raises ValueError
naming the layer, so a failed edit never touches the learner's working model.
"""
from dataclasses import asdict, dataclass, field, replace

import numpy as np

import engine

from .layers import KINDS, Arg, check_spec, check_value, default_spec, describe, exact
from .quoting import listed, quoted

CRITERIA = ("NLLCriterion", "NLLCriterionUnstable", "MSECriterion")
LEARNING_RATE = Arg("learning_rate", "learning rate", 1e-2, 1e-6, 100.0, step=0.001)
MOMENTUM = Arg("momentum", "momentum", 0.9, 0.0, 0.999, step=0.01)
BATCH_SIZE = Arg("batch_size", "batch size", 8, 1, 4096, integer=True, step=1)
TEST_SIZE = Arg("test_size", "test share", 0.25, 0.05, 0.9, step=0.05)
SEED = Arg("seed", "data seed", 0, 0, 2**31 - 1, integer=True, step=1)
WEIGHT_SEED = Arg("weight_seed", "weights seed", 0, 0, 2**31 - 1, integer=True, step=1)
EPOCHS = Arg("epochs", "epochs", 5, 1, 500, integer=True, step=1)
SETTINGS = {arg.name: arg for arg in (LEARNING_RATE, MOMENTUM, BATCH_SIZE, TEST_SIZE, SEED, WEIGHT_SEED)}
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
        raise ValueError(f"configuration must be a JSON object, got {type(data).__name__}")
    known = set(NetworkConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"configuration: unknown field(s) {listed(unknown)}")
    layers = data.get("layers", [])
    if not isinstance(layers, list):
        raise ValueError("configuration: layers must be a list")
    return check_config(NetworkConfig(**{**data, "layers": tuple(layers)}))


def check_config(config):
    """The config with every value checked; ValueError naming the field or the layer."""
    if not config.layers:
        raise ValueError("the network is empty: add at least one layer")
    if len(config.layers) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} layers, got {len(config.layers)}")
    if config.criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {quoted(config.criterion)}")
    if not isinstance(config.training, bool):
        raise ValueError(f"training must be true or false, got {quoted(config.training)}")
    if not isinstance(config.dataset, str) or not config.dataset:
        raise ValueError(f"dataset must be a name, got {quoted(config.dataset)}")
    layers = tuple(check_spec(spec, f"layer {i}") for i, spec in enumerate(config.layers))
    values = {name: check_value(arg, getattr(config, name)) for name, arg in SETTINGS.items()
              if not (name == "weight_seed" and config.weight_seed is None)}
    return replace(config, layers=layers, **values)


# --- edits: each returns a new config ---

def set_value(config, name, value):
    """config with setting `name` (learning_rate, batch_size, ...) = value, checked against its range."""
    if name not in SETTINGS:
        raise ValueError(f"unknown setting {quoted(name)}; known: {', '.join(SETTINGS)}")
    return replace(config, **{name: check_value(SETTINGS[name], value)})


def add_layer(config, kind, position=None, outputs=None):
    """A new layer of `kind` with default arguments inserted at position (default: the end).

    outputs: the data's class count (1 for regression); a Linear placed after every other
    Linear is the network's last one, so it starts with that many outputs.
    """
    layers = list(config.layers)
    position = len(layers) if position is None else position
    if not 0 <= position <= len(layers):
        raise ValueError(f"position must be in [0, {len(layers)}], got {position}")
    if len(layers) >= MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} layers")
    spec = default_spec(kind)
    if kind == "Linear" and outputs is not None \
            and all(other["kind"] != "Linear" for other in layers[position:]):
        spec["n_out"] = check_value(KINDS["Linear"].args[0], outputs, "the new last Linear")
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
    layers[index] = check_spec({**layers[index], name: value}, f"layer {index}")
    return replace(config, layers=tuple(layers))


def _check_index(layers, index):
    if not 0 <= index < len(layers):
        raise ValueError(f"no layer {index}: the stack has {len(layers)} layers")


def with_activation(config, kind):
    """The same stack with every activation layer replaced by `kind` (the comparison exercise)."""
    layers = tuple(default_spec(kind) if KINDS[spec["kind"]].activation else spec
                   for spec in config.layers)
    return replace(config, layers=layers)


# --- sizes, building, reading ---

def feature_sizes(config, n_features):
    """[n_in of layer 0, n_out of layer 0, ..., n_out of the last layer]."""
    sizes = [n_features]
    for spec in config.layers:
        sizes.append(KINDS[spec["kind"]].n_out(spec, sizes[-1]))
    return sizes


def build_model(config, n_features):
    """The engine Sequential of config, weights drawn from default_rng(config.effective_weight_seed)."""
    config = check_config(config)
    rng = np.random.default_rng(config.effective_weight_seed)
    model = engine.Sequential()
    for i, (spec, n_in) in enumerate(zip(config.layers, feature_sizes(config, n_features))):
        try:
            model.add(KINDS[spec["kind"]].make(spec, n_in, rng))
        except ValueError as error:
            raise ValueError(f"layer {i} ({describe(spec, n_in)}): {error}") from None
    model.train() if config.training else model.evaluate()
    return model


def build_criterion(config):
    return getattr(engine, config.criterion)()


def build_optimizer(config):
    return engine.SGD(learning_rate=config.learning_rate, momentum=config.momentum)


def summary_rows(config, n_features, batch_size=None):
    """One row per layer: index, layer, output shape, parameters (a table's rows)."""
    sizes = feature_sizes(config, n_features)
    batch = "N" if batch_size is None else batch_size
    rows = []
    for i, spec in enumerate(config.layers):
        n_in, n_out = sizes[i], sizes[i + 1]
        params = {"Linear": n_in * n_out + n_out, "Scaling": 2 * n_in}.get(spec["kind"], 0)
        rows.append({"index": i, "layer": describe(spec, n_in),
                     "output shape": f"({batch}, {n_out})", "parameters": params})
    return rows


def python_code(config, n_features):
    """The network in the handout's style, ready to copy."""
    sizes = feature_sizes(config, n_features)
    lines = ["from engine import *", "", "model = Sequential()"]
    lines += [f"model.add({describe(spec, n_in)})" for spec, n_in in zip(config.layers, sizes)]
    lines += [f"criterion = {config.criterion}()",
              f"optimizer = SGD(lr={exact(config.learning_rate)}, momentum={exact(config.momentum)})"]
    if not config.training:
        lines.append("model.evaluate()")
    return "\n".join(lines)
