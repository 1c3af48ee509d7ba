"""Export and import: the configuration as JSON; the start of the shown iteration (weights, BatchNorm
statistics, Dropout generators, SGD's momentum buffers or Adam's m, v and t, the batch cursor) as .npz of
plain arrays."""
import io
import json

import numpy as np

from engine import BatchNormalization, Dropout
from i18n import domain

from .budget import LIMIT
from .cursor import BatchCursor, generator_state, json_member, read_generator, read_json_member
from .jsontext import loads
from .network import build_model, build_optimizer, config_from_dict, feature_sizes
from .shapes import input_shape
from .npz import Member, check_plain, read_npz
from .quoting import listed

_, ngettext = domain("lab")

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
        raise ValueError(_("configuration file is {size} bytes, over the {limit} limit").format(
            size=len(content), limit=MAX_JSON_BYTES))
    try:
        text = bytes(content).decode("utf-8-sig")  # a byte-order mark (Windows' Notepad writes one) is skipped
    except UnicodeDecodeError as error:
        raise ValueError(_("configuration file is not valid JSON: {error}").format(error=error)) from None
    data = loads(text, _("configuration file"))
    if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
        raise ValueError(_("configuration file is not a {format} export (its \"format\" field differs)").format(
            format=FORMAT))
    try:
        return config_from_dict(data)
    except TypeError as error:
        raise ValueError(_("configuration file: {error}").format(error=error)) from None


def read_arrays(content, expected=None):
    """{name: array} from .npz bytes, refusing pickles. Each member's header is checked before its data is
    read: against `expected` (expected_members) when given, else all arrays together within the
    per-learner limit. ValueError naming the member, for a truncated or a foreign file."""
    if len(content) > MAX_NPZ_BYTES:
        raise ValueError(_("weights file is {mb} MB, over the {limit} MB limit").format(
            mb=f"{len(content) / 2**20:.1f}", limit=MAX_NPZ_BYTES // 2**20))
    if not bytes(content[:4]) == b"PK\x03\x04":
        raise ValueError(_("weights file is not an .npz archive (it does not start like a zip file)"))
    return read_npz(content, expected, max_bytes=LIMIT)


def needs(needed_by, shape, kinds="fiu"):
    """The end of a refusal: "layer 0 (Linear(2 -> 2)) needs finite numbers of shape (2, 2)"."""
    return (_("{who} needs finite floats of shape {shape}") if kinds == "f" else
            _("{who} needs finite numbers of shape {shape}")).format(who=needed_by, shape=shape)


def layer_members(model, sizes):
    """{"0.W": Member, ...}: every layer member an import may give (parameters, BatchNorm statistics,
    Dropout generators) with its shape and dtype kinds."""
    members = {}
    for name, value, _grad in model.named_parameters():
        i = int(name.split(".", 1)[0])
        members[name] = Member(value.shape, "fiu", needs(layer_name(i, model[i]), value.shape))
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization):
            for field in STATISTICS:
                members[f"{i}.{field}"] = Member((sizes[i],), "fiu", needs(layer_name(i, layer), (sizes[i],)))
        if isinstance(layer, Dropout):
            members[f"{i}.{GENERATOR}"] = Member((), "U", json_text(f"{i}.{GENERATOR}"))
    return members


def layer_name(i, layer):
    """"layer 0 (Linear(2 -> 2))", as messages name a layer."""
    return _("layer {index} ({layer})").format(index=i, layer=repr(layer))


def parameter_name(name):
    return _("parameter {name}").format(name=name)


def json_text(name):
    return _("{name} must be a JSON text (a 0-d unicode array)").format(name=name)


def trained_range(got):
    """The refusal of a trained_epochs member that is not one integer in range; got: what it is."""
    return _("{name} must be one integer in [0, {limit}], got {got}").format(name=TRAINED, limit=MAX_TRAINED, got=got)


def expected_members(config, data):
    """{name: Member} of every member start_arrays writes for config on data: what an import reads."""
    inputs = input_shape(config, data)
    model = build_model(config, inputs)
    members = layer_members(model, feature_sizes(config, inputs))
    for name, value, _grad in model.named_parameters():
        for prefix in ((VELOCITY,) if config.optimizer == "SGD" else (ADAM_M, ADAM_V)):
            members[prefix + name] = Member(value.shape, "f", needs(parameter_name(name), value.shape, "f"))
    if config.optimizer == "Adam":
        members[ADAM_T] = Member((), "iu", _("{name} must be one integer >= 0").format(name=ADAM_T))
    n = len(data.X_train)
    members[CURSOR] = Member((), "U", json_text(CURSOR))
    permutation = ngettext("{name} must be a permutation of the {n} training sample",
                           "{name} must be a permutation of the {n} training samples", n)
    members[ORDER] = Member((n,), "iu", permutation.format(name=ORDER, n=n))
    members[TRAINED] = Member((), "iu", _("{name} must be one integer in [0, {limit}]").format(name=TRAINED,
                                                                                               limit=MAX_TRAINED))
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
        raise ValueError(_("weights do not match the configuration: {problems}").format(problems="; ".join(
            part for part in (missing and _("missing {names}").format(names=listed(missing)),
                              unknown and _("unexpected {names}").format(names=listed(unknown))) if part)))
    for name, array in arrays.items():
        index, field = name.split(".", 1)
        layer = model[int(index)]
        if field == GENERATOR:  # Dropouts draw from the one Generator build_model gave every layer
            layer.rng.bit_generator.state = read_generator(read_json_member(array, name), name).bit_generator.state
            continue
        check_numbers(array, members[name].shape, _("weights: {name}").format(name=name), layer_name(index, layer))
        if name in parameters:
            parameters[name][...] = array
        else:
            setattr(layer, field, np.array(array, dtype=np.float64))
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization) and (layer.moving_mean is None) != (layer.moving_variance is None):
            raise ValueError(_("weights: {layer} needs both {i}.moving_mean and {i}.moving_variance").format(
                layer=layer_name(i, layer), i=i))
    return model


def check_numbers(array, shape, what, needed_by, kinds="fiu"):
    """ValueError unless array is finite plain numbers (dtype kind in kinds, at most 64 bits) of the shape."""
    check_plain(array.dtype, what)
    if array.shape != shape or array.dtype.kind not in kinds or not np.all(np.isfinite(array)):
        raise ValueError(_("{what} has shape {shape} and dtype {dtype}; {needs}").format(
            what=what, shape=array.shape, dtype=array.dtype, needs=needs(needed_by, shape, kinds)))


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
        raise ValueError(_("weights do not match the configuration: {problems}").format(
            problems=_("unexpected {names}").format(names=listed(others))))
    model = model_with_weights(config, input_shape(config, data), layers)
    optimizer = build_optimizer(config)
    optimizer.state = read_optimizer_state(config, model, arrays)
    cursor = None
    if CURSOR in arrays or ORDER in arrays:
        if not (CURSOR in arrays and ORDER in arrays):
            raise ValueError(_("weights: {cursor} and {order} come together; {missing} is missing").format(
                cursor=CURSOR, order=ORDER, missing=ORDER if CURSOR in arrays else CURSOR))
        cursor = BatchCursor.restore(len(data.X_train), config.batch_size, arrays[ORDER],
                                     read_json_member(arrays[CURSOR], CURSOR), CURSOR)
    trained = 0
    if TRAINED in arrays:
        value = arrays[TRAINED]
        if value.shape != () or value.dtype.kind not in "iu":
            raise ValueError(trained_range(_("shape {shape} and dtype {dtype}").format(shape=value.shape,
                                                                                       dtype=value.dtype)))
        trained = int(value)
        if not 0 <= trained <= MAX_TRAINED:
            raise ValueError(trained_range(trained))
    return model, optimizer, cursor, trained


def read_optimizer_state(config, model, arrays):
    """The optimizer state of the members: SGD's "velocity.*" or Adam's "adam.m.*", "adam.v.*" and "adam.t",
    each none (a fresh optimizer) or one per parameter; ValueError for the other optimizer's members."""
    own = (VELOCITY,) if config.optimizer == "SGD" else (ADAM_M, ADAM_V)
    foreign = sorted(name for name in arrays if name.startswith(STATE_PREFIXES) and not name.startswith(own)
                     or name == ADAM_T and config.optimizer == "SGD")
    if foreign:
        raise ValueError(_("weights: {names} belong to the other optimizer; the configuration uses {optimizer}")
                         .format(names=listed(foreign), optimizer=config.optimizer))
    buffers = [read_buffers(model, arrays, prefix) for prefix in own]
    if config.optimizer == "SGD":
        return {"accumulated_grads": dict(enumerate(buffers[0]))} if buffers[0] else {}
    (m, v), has_t = buffers, ADAM_T in arrays
    learns = bool(list(model.named_parameters()))  # a stack without parameters has a step count t alone
    if learns and not (bool(m) == bool(v) == has_t):
        raise ValueError(_("weights: Adam's {m}*, {v}* and {t} come together or not at all").format(
            m=ADAM_M, v=ADAM_V, t=ADAM_T))
    if not has_t:
        return {}
    t = arrays[ADAM_T]
    if t.shape != () or t.dtype.kind not in "iu" or t < 1:
        raise ValueError(_("{name} must be one integer >= 1 (the steps taken), got shape {shape} and dtype {dtype}")
                         .format(name=ADAM_T, shape=t.shape, dtype=t.dtype))
    return {"m": m, "v": v, "t": int(t)}


def read_buffers(model, arrays, prefix):
    """[one float64 array per parameter, in order] of the members prefix + name, or [] when none is given."""
    parameters = {name: value for name, value, _ in model.named_parameters()}
    given = {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}
    if not given:
        return []
    unknown, missing = sorted(set(given) - set(parameters)), sorted(set(parameters) - set(given))
    if unknown:
        raise ValueError(_("weights: {names} belong to no parameter").format(
            names=listed(prefix + name for name in unknown)))
    if missing:
        names = listed(prefix + name for name in missing)
        raise ValueError((_("weights: the momentum buffers come for every parameter or for none; missing {names}")
                          if prefix == VELOCITY else
                          _("weights: the Adam's {prefix}* buffers come for every parameter or for none; missing "
                            "{names}"))
                         .format(prefix=prefix, names=names))
    for name, array in given.items():
        check_numbers(array, parameters[name].shape, f"{prefix}{name}", parameter_name(name), kinds="f")
    return [np.array(given[name], dtype=np.float64) for name in parameters]
