"""Export and import: the configuration as JSON, the weights (and BatchNorm statistics) as .npz."""
import io
import json
import zipfile

import numpy as np

from .network import build_model, config_from_dict, feature_sizes

FORMAT = "backprop-lens/1"
MAX_JSON_BYTES = 1 * 2**20
MAX_NPZ_BYTES = 200 * 2**20
STATISTICS = ("moving_mean", "moving_variance")


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
        data = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"configuration file is not valid JSON: {error}") from None
    if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
        raise ValueError(f"configuration file is not a {FORMAT} export (its \"format\" field differs)")
    try:
        return config_from_dict(data)
    except TypeError as error:
        raise ValueError(f"configuration file: {error}") from None


def read_arrays(content):
    """{name: array} from .npz bytes, refusing pickles; ValueError for a truncated or foreign file."""
    if len(content) > MAX_NPZ_BYTES:
        raise ValueError(f"weights file is {len(content) / 2**20:.1f} MB, over the "
                         f"{MAX_NPZ_BYTES // 2**20} MB limit")
    if not bytes(content[:4]) == b"PK\x03\x04":
        raise ValueError("weights file is not an .npz archive (it does not start like a zip file)")
    try:
        with np.load(io.BytesIO(bytes(content)), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ValueError("weights file holds Python objects (a pickle); only plain arrays are "
                             "accepted") from None
        raise ValueError(f"weights file is not a readable .npz: {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"weights file is not a readable .npz (truncated or another format): "
                         f"{error}") from None


def model_with_weights(config, n_features, arrays):
    """build_model(config) with every array of `arrays` in place; ValueError naming any mismatch."""
    model = build_model(config, n_features)
    sizes = feature_sizes(config, n_features)
    expected = model_arrays(model)
    parameters = {name: value for name, value, _ in model.named_parameters()}
    missing = sorted(set(parameters) - set(arrays))
    unknown = sorted(set(arrays) - set(parameters) - {f"{i}.{s}" for i in range(len(model))
                                                         for s in STATISTICS})
    if missing or unknown:
        raise ValueError("weights do not match the configuration: "
                         + "; ".join(part for part in (
                             missing and f"missing {', '.join(missing)}",
                             unknown and f"unexpected {', '.join(unknown)}") if part))
    for name, array in arrays.items():
        index, field = name.split(".", 1)
        layer = model[int(index)]
        want = expected[name].shape if name in expected else (sizes[int(index)],)
        if array.shape != want or array.dtype.kind not in "fiu" or not np.all(np.isfinite(array)):
            raise ValueError(f"weights: {name} has shape {array.shape} and dtype {array.dtype}; layer "
                             f"{index} ({layer!r}) needs finite numbers of shape {want}")
        if name in parameters:
            parameters[name][...] = array
        else:
            setattr(layer, field, np.array(array, dtype=np.float64))
    return model
