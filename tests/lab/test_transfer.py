"""Export and import of configuration (JSON) and weights (.npz): round trip and every refusal."""
import io
import json

import numpy as np
import pytest

from lab.presets import PRESETS
from lab.session import Lab
from lab.transfer import config_json, model_arrays, model_with_weights, read_arrays, read_config, weights_npz


def trained_lab():
    lab = Lab(PRESETS["dropout_batchnorm"].config)
    lab.train(1)
    return lab


def test_round_trip_restores_configuration_weights_and_statistics():
    lab = trained_lab()
    config = read_config(config_json(lab.config).encode())
    assert config == lab.config
    arrays = read_arrays(weights_npz(lab.model))
    assert set(arrays) == {"0.W", "0.b", "1.moving_mean", "1.moving_variance", "4.W", "4.b"}
    model = model_with_weights(config, 2, arrays)
    for name, value in model_arrays(lab.model).items():
        assert np.array_equal(model_arrays(model)[name], value)


def test_import_files_switches_the_lab():
    source = trained_lab()
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), weights_npz(source.model))
    assert lab.config == source.config
    assert np.array_equal(lab.trace.updates[0].before, source.model[0].W)


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"{", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "not a backprop-lens/1 export"),
    (json.dumps({"layers": []}).encode(), "not a backprop-lens/1 export"),
    (json.dumps({"format": "backprop-lens/1", "layers": []}).encode(), "the network is empty"),
    (json.dumps({"format": "backprop-lens/1", "layers": [{"kind": "Linear", "n_out": -1}]}).encode(),
     r"layer 0 \(Linear\): output size"),
    (json.dumps({"format": "backprop-lens/1", "colour": 1}).encode(), "unknown field"),
])
def test_bad_configuration_files(content, message):
    with pytest.raises(ValueError, match=message):
        read_config(content)


def test_bad_weight_files():
    lab = Lab()
    good = weights_npz(lab.model)
    with pytest.raises(ValueError, match="truncated"):
        read_arrays(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not an .npz archive"):
        read_arrays(b"hello")
    with pytest.raises(ValueError, match="a pickle"):
        read_arrays(npz(**{"0.W": np.array([{"a": 1}], dtype=object)}))
    with pytest.raises(ValueError, match="missing 0.b"):
        model_with_weights(lab.config, 2, {"0.W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="unexpected 3.W"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "3.W": np.zeros(2)})
    with pytest.raises(ValueError, match=r"0.W has shape \(3, 2\).*needs finite numbers of shape \(2, 2\)"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "0.W": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="finite"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "0.b": np.array([np.nan, 0])})


def test_a_failed_import_loses_nothing():
    lab = Lab()
    config, trace, weights = lab.config, lab.trace, lab.model[0].W.copy()
    other = Lab(PRESETS["circles"].config)
    with pytest.raises(ValueError, match="weights do not match"):
        lab.import_files(config_json(other.config).encode(), weights_npz(lab.model))
    assert lab.config == config and lab.trace is trace and np.array_equal(lab.model[0].W, weights)
