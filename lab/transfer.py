"""Export and import: the configuration as JSON; the start of the shown iteration (weights, BatchNorm
statistics, Dropout generators, SGD's momentum buffers or Adam's m, v and t, the batch cursor) as .npz of
plain arrays."""
import io
import json

import numpy as np

from engine import BatchNormalization, Dropout

from .budget import LIMIT
from .cursor import BatchCursor, generator_state, json_member, read_generator, read_json_member
from .jsontext import loads
from .network import build_model, build_optimizer, config_from_dict, feature_sizes
from .shapes import input_shape
from .npz import Member, check_plain, read_npz
from .quoting import listed

FORMAT = "backprop-lens/1"
MAX_JSON_BYTES = 1 * 2**20
MAX_NPZ_BYTES = 200 * 2**20
STATISTICS = ("moving_mean", "moving_variance")
GENERATOR = "generator"     # "3.generator": Dropout layer 3's random generator, as JSON
VELOCITY = "velocity."      # "velocity.0.W": 0.W's momentum buffer before the iteration
ADAM_M, ADAM_V = "adam.m.", "adam.v."  # "adam.m.0.W": Adam's running mean of 0.W's gradient, and of its square
ADAM_T = "adam.t"           # Adam's step count t
STATE_PREFIXES = (VELOCITY, ADAM_M, ADAM_V)
CURSOR, ORDER, TRAINED = "cursor", "cursor.order", "trained_epochs"
MAX_TRAINED = 2**31 - 1     # epochs an import may say were trained before (a run trains at most 500)


def config_json(config):
    """The configuration as indented JSON text."""
    return json.dumps({"format": FORMAT, **config.as_dict()}, indent=2)


def model_arrays(model):
    """{"0.W": array, ..., "1.moving_mean": array}: parameters and BatchNorm statistics by layer."""
    arrays = {name: np.array(value) for name, value, _ in model.named_parameters()}
    for i, layer in enumerate(model):
        for name in STATISTICS:
            if getattr(layer, name, None) is not None:
                arrays[f"{i}.{name}"] = np.array(getattr(layer, name))
    return arrays


def npz_bytes(arrays):
    """{name: array} as the bytes of an .npz file."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def weights_npz(model):
    """The .npz bytes of model_arrays(model)."""
    return npz_bytes(model_arrays(model))


def read_config(content):
    """A checked NetworkConfig from JSON bytes; ValueError saying what is wrong."""
    if len(content) > MAX_JSON_BYTES:
        raise ValueError(f"configuration file is {len(content)} bytes, over the {MAX_JSON_BYTES} limit")
    try:
        text = bytes(content).decode("utf-8-sig")  # a byte-order mark (Windows' Notepad writes one) is skipped
    except UnicodeDecodeError as error:
        raise ValueError(f"configuration file is not valid JSON: {error}") from None
    data = loads(text, "configuration file")
    if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
        raise ValueError(f"configuration file is not a {FORMAT} export (its \"format\" field differs)")
    try:
        return config_from_dict(data)
    except TypeError as error:
        raise ValueError(f"configuration file: {error}") from None


def read_arrays(content, expected=None):
    """{name: array} from .npz bytes, refusing pickles. Each member's header is checked before its data is
    read: against `expected` (expected_members) when given, else all arrays together within the
    per-learner limit. ValueError naming the member, for a truncated or a foreign file."""
    if len(content) > MAX_NPZ_BYTES:
        raise ValueError(f"weights file is {len(content) / 2**20:.1f} MB, over the "
                         f"{MAX_NPZ_BYTES // 2**20} MB limit")
    if not bytes(content[:4]) == b"PK\x03\x04":
        raise ValueError("weights file is not an .npz archive (it does not start like a zip file)")
    return read_npz(content, expected, max_bytes=LIMIT)


def needs(needed_by, shape, kinds="fiu"):
    """The end of a refusal: "layer 0 (Linear(2 -> 2)) needs finite numbers of shape (2, 2)"."""
    return f"{needed_by} needs finite {'floats' if kinds == 'f' else 'numbers'} of shape {shape}"


def layer_members(model, sizes):
    """{"0.W": Member, ...}: every layer member an import may give (parameters, BatchNorm statistics,
    Dropout generators) with its shape and dtype kinds."""
    members = {}
    for name, value, _ in model.named_parameters():
        i = int(name.split(".", 1)[0])
        members[name] = Member(value.shape, "fiu", needs(f"layer {i} ({model[i]!r})", value.shape))
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization):
            for field in STATISTICS:
                members[f"{i}.{field}"] = Member((sizes[i],), "fiu", needs(f"layer {i} ({layer!r})", (sizes[i],)))
        if isinstance(layer, Dropout):
            members[f"{i}.{GENERATOR}"] = Member((), "U", f"{i}.{GENERATOR} must be a JSON text (a 0-d "
                                                          "unicode array)")
    return members


def expected_members(config, data):
    """{name: Member} of every member start_arrays writes for config on data: what an import reads."""
    inputs = input_shape(config, data)
    model = build_model(config, inputs)
    members = layer_members(model, feature_sizes(config, inputs))
    for name, value, _ in model.named_parameters():
        for prefix in ((VELOCITY,) if config.optimizer == "SGD" else (ADAM_M, ADAM_V)):
            members[prefix + name] = Member(value.shape, "f", needs(f"parameter {name}", value.shape, "f"))
    if config.optimizer == "Adam":
        members[ADAM_T] = Member((), "iu", f"{ADAM_T} must be one integer >= 0")
    n = len(data.X_train)
    members[CURSOR] = Member((), "U", f"{CURSOR} must be a JSON text (a 0-d unicode array)")
    members[ORDER] = Member((n,), "iu", f"{ORDER} must be a permutation of the {n} training samples")
    members[TRAINED] = Member((), "iu", f"{TRAINED} must be one integer in [0, {MAX_TRAINED}]")
    return members


def model_with_weights(config, inputs, arrays):
    """build_model(config) with every layer member of `arrays` in place (parameters, BatchNorm statistics,
    Dropout generators); ValueError naming any mismatch."""
    model = build_model(config, inputs)
    members = layer_members(model, feature_sizes(config, inputs))
    parameters = {name: value for name, value, _ in model.named_parameters()}
    missing = set(parameters) - set(arrays)
    unknown = set(arrays) - set(members)
    if missing or unknown:
        raise ValueError("weights do not match the configuration: "
                         + "; ".join(part for part in (
                             missing and f"missing {listed(missing)}",
                             unknown and f"unexpected {listed(unknown)}") if part))
    for name, array in arrays.items():
        index, field = name.split(".", 1)
        layer = model[int(index)]
        if field == GENERATOR:  # Dropouts draw from the one Generator build_model gave every layer
            layer.rng.bit_generator.state = read_generator(read_json_member(array, name), name).bit_generator.state
            continue
        check_numbers(array, members[name].shape, f"weights: {name}", f"layer {index} ({layer!r})")
        if name in parameters:
            parameters[name][...] = array
        else:
            setattr(layer, field, np.array(array, dtype=np.float64))
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization) and (layer.moving_mean is None) != (layer.moving_variance is None):
            raise ValueError(f"weights: layer {i} ({layer!r}) needs both {i}.moving_mean and {i}.moving_variance")
    return model


def check_numbers(array, shape, what, needed_by, kinds="fiu"):
    """ValueError unless array is finite plain numbers (dtype kind in kinds, at most 64 bits) of the shape."""
    check_plain(array.dtype, what)
    if array.shape != shape or array.dtype.kind not in kinds or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has shape {array.shape} and dtype {array.dtype}; {needs(needed_by, shape, kinds)}")


# --- the start of the shown iteration: weights, momentum buffers, the batch cursor ---

def start_arrays(model, optimizer, cursor, trained_epochs=0):
    """Every member an import needs to record the same iteration again: model_arrays(model), each
    Dropout's generator state, "velocity.{i}.{param}" (SGD's momentum buffers) or "adam.m.{i}.{param}",
    "adam.v.{i}.{param}" and "adam.t" (Adam's state), "cursor" (JSON), "cursor.order" and "trained_epochs"."""
    arrays = model_arrays(model)
    names = [name for name, _, _ in model.named_parameters()]
    state = optimizer.state
    for k, velocity in sorted(state.get("accumulated_grads", {}).items()):
        arrays[f"{VELOCITY}{names[k]}"] = np.array(velocity)
    for k, (m, v) in enumerate(zip(state.get("m", []), state.get("v", []))):
        arrays[f"{ADAM_M}{names[k]}"], arrays[f"{ADAM_V}{names[k]}"] = np.array(m), np.array(v)
    if "t" in state:
        arrays[ADAM_T] = np.array(int(state["t"]))
    for i, layer in enumerate(model):
        if isinstance(layer, Dropout) and layer.rng is not None:
            arrays[f"{i}.{GENERATOR}"] = json_member(generator_state(layer.rng))
    arrays[CURSOR], arrays[ORDER] = json_member(cursor.state()), np.array(cursor.order)
    arrays[TRAINED] = np.array(int(trained_epochs))
    return arrays


def start_npz(model, optimizer, cursor, trained_epochs=0):
    """The .npz bytes of start_arrays."""
    return npz_bytes(start_arrays(model, optimizer, cursor, trained_epochs))


def read_start(config, data, arrays):
    """(model, optimizer, cursor or None, trained epochs) from start_arrays' members, each checked. An older
    file of weights only gives zero momentum and no cursor (the caller starts a fresh one)."""
    layers = {name: array for name, array in arrays.items() if name.split(".", 1)[0].isdigit()}
    others = sorted(set(arrays) - set(layers) - {CURSOR, ORDER, TRAINED, ADAM_T}
                    - {name for name in arrays if name.startswith(STATE_PREFIXES)})
    if others:
        raise ValueError(f"weights do not match the configuration: unexpected {listed(others)}")
    model = model_with_weights(config, input_shape(config, data), layers)
    optimizer = build_optimizer(config)
    optimizer.state = read_optimizer_state(config, model, arrays)
    cursor = None
    if CURSOR in arrays or ORDER in arrays:
        if not (CURSOR in arrays and ORDER in arrays):
            raise ValueError(f"weights: {CURSOR} and {ORDER} come together; "
                             f"{ORDER if CURSOR in arrays else CURSOR} is missing")
        cursor = BatchCursor.restore(len(data.X_train), config.batch_size, arrays[ORDER],
                                     read_json_member(arrays[CURSOR], CURSOR), CURSOR)
    trained = 0
    if TRAINED in arrays:
        value = arrays[TRAINED]
        if value.shape != () or value.dtype.kind not in "iu":
            raise ValueError(f"{TRAINED} must be one integer in [0, {MAX_TRAINED}], got shape {value.shape} "
                             f"and dtype {value.dtype}")
        trained = int(value)
        if not 0 <= trained <= MAX_TRAINED:
            raise ValueError(f"{TRAINED} must be one integer in [0, {MAX_TRAINED}], got {trained}")
    return model, optimizer, cursor, trained


def read_optimizer_state(config, model, arrays):
    """The optimizer state of the members: SGD's "velocity.*" or Adam's "adam.m.*", "adam.v.*" and "adam.t",
    each none (a fresh optimizer) or one per parameter; ValueError for the other optimizer's members."""
    own = (VELOCITY,) if config.optimizer == "SGD" else (ADAM_M, ADAM_V)
    foreign = sorted(name for name in arrays if name.startswith(STATE_PREFIXES) and not name.startswith(own)
                     or name == ADAM_T and config.optimizer == "SGD")
    if foreign:
        raise ValueError(f"weights: {listed(foreign)} belong to the other optimizer; the configuration uses "
                         f"{config.optimizer}")
    buffers = [read_buffers(model, arrays, prefix) for prefix in own]
    if config.optimizer == "SGD":
        return {"accumulated_grads": dict(enumerate(buffers[0]))} if buffers[0] else {}
    (m, v), has_t = buffers, ADAM_T in arrays
    learns = bool(list(model.named_parameters()))  # a stack without parameters has a step count t alone
    if learns and not (bool(m) == bool(v) == has_t):
        raise ValueError(f"weights: Adam's {ADAM_M}*, {ADAM_V}* and {ADAM_T} come together or not at all")
    if not has_t:
        return {}
    t = arrays[ADAM_T]
    if t.shape != () or t.dtype.kind not in "iu" or t < 1:
        raise ValueError(f"{ADAM_T} must be one integer >= 1 (the steps taken), got shape {t.shape} "
                         f"and dtype {t.dtype}")
    return {"m": m, "v": v, "t": int(t)}


def read_buffers(model, arrays, prefix):
    """[one float64 array per parameter, in order] of the members prefix + name, or [] when none is given."""
    parameters = {name: value for name, value, _ in model.named_parameters()}
    given = {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}
    if not given:
        return []
    unknown, missing = sorted(set(given) - set(parameters)), sorted(set(parameters) - set(given))
    if unknown:
        raise ValueError(f"weights: {listed(prefix + name for name in unknown)} belong to no parameter")
    if missing:
        what = "momentum buffers" if prefix == VELOCITY else f"Adam's {prefix}* buffers"
        raise ValueError(f"weights: the {what} come for every parameter or for none; missing "
                         f"{listed(prefix + name for name in missing)}")
    for name, array in given.items():
        check_numbers(array, parameters[name].shape, f"{prefix}{name}", f"parameter {name}", kinds="f")
    return [np.array(given[name], dtype=np.float64) for name in parameters]
