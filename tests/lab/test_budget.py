"""budget: the estimate bounds what a real Lab holds, and a network over the limit is refused."""
import gc
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

from engine.data import Dataset
from lab.budget import LIMIT, check_budget, data_bytes, network_bytes, target_bytes
from lab.network import NetworkConfig
from lab.presets import PRESETS, stack
from lab.session import Lab
from lab.transfer import config_json

CASES = {
    "handout": PRESETS["handout"].config,
    "digits MLP, batch 128": NetworkConfig(dataset="digits", batch_size=128, layers=stack(
        ("Linear", 128), "ReLU", ("Linear", 128), "ReLU", ("Linear", 10), "LogSoftMax")),
    "parameter-heavy": NetworkConfig(dataset="digits", batch_size=32, layers=stack(
        ("Linear", 1024), "ReLU", ("Linear", 1024), "ReLU", ("Linear", 10), "LogSoftMax")),
    "activation-heavy": NetworkConfig(dataset="digits", batch_size=1024, layers=stack(
        ("Linear", 512), ("BatchNormalization", 0.9), "ReLU", ("Dropout", 0.5), ("Linear", 10),
        "LogSoftMax")),
    "small CNN, Adam": replace(PRESETS["cnn_digits"].config, optimizer="Adam", learning_rate=1e-3),
    "column-heavy CNN, batch 64": NetworkConfig(dataset="digits", batch_size=64, layers=stack(
        ("Conv2d", 16, 5), "ReLU", ("Conv2d", 16, 5), "ReLU", ("MaxPool2d", 2), "Flatten", ("Linear", 10),
        "LogSoftMax")),
    "parameter-heavy, Adam": NetworkConfig(dataset="digits", batch_size=32, optimizer="Adam", layers=stack(
        ("Linear", 512), "ReLU", ("Linear", 512), "ReLU", ("Linear", 10), "LogSoftMax")),
}


def held_bytes(config, imported=False):
    """What a Lab holds after applying (or importing) config and recording two more iterations."""
    lab = Lab()
    files = None
    if imported:
        source = Lab(config)
        source.new_iteration()
        files = config_json(source.config).encode(), source.weights_npz()
        del source
    gc.collect()
    tracemalloc.start()
    try:
        lab.import_files(*files) if imported else lab.apply(config)
        lab.new_iteration()
        lab.new_iteration()
        gc.collect()
        return tracemalloc.get_traced_memory()[0], lab
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("imported", [False, True], ids=["built", "imported"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_estimate_bounds_a_real_lab(name, imported):
    held, lab = held_bytes(CASES[name], imported)
    estimate = network_bytes(lab.config, lab.inputs) + data_bytes(lab.data)
    assert held <= estimate, f"{name}: holds {held / 2**20:.1f} MB, estimated {estimate / 2**20:.1f} MB"
    assert estimate < 4 * held + 2 * 2**20  # and it is not wildly pessimistic


def test_a_network_over_the_limit_is_refused_and_nothing_changes():
    lab = Lab(PRESETS["digits"].config)
    before = lab.config, lab.trace
    huge = NetworkConfig(dataset="digits", batch_size=64, layers=stack(
        ("Linear", 1024), "ReLU", ("Linear", 1024), "ReLU", ("Linear", 1024), "ReLU", ("Linear", 10)))
    with pytest.raises(ValueError, match=r"the limit per learner is 128 MB: use fewer units or a smaller batch"):
        lab.apply(huge)
    assert (lab.config, lab.trace) == before
    assert check_budget(lab.config, lab.data) < LIMIT
    wide = replace(PRESETS["cnn_digits"].config, batch_size=1024, layers=stack(  # columns: 1024 x 64 x 49 x 64
        ("Conv2d", 64, 7), "ReLU", ("Conv2d", 64, 7), "ReLU", "Flatten", ("Linear", 10), "LogSoftMax"))
    with pytest.raises(ValueError, match=r"the limit per learner is 128 MB"):
        lab.apply(wide)
    assert (lab.config, lab.trace) == before


def classes_data(rows, n_classes):
    """A Dataset of `rows` 2-feature samples whose labels run through n_classes classes."""
    y = np.arange(rows) % n_classes
    X = np.zeros((rows, 2))
    return Dataset("many", X[: rows * 3 // 4], y[: rows * 3 // 4], X[rows * 3 // 4:], y[rows * 3 // 4:],
                   n_classes=n_classes)


def test_one_hot_targets_for_mse_count_against_the_limit():
    data = classes_data(20_000, 1_000)  # MSE trains on 20,000 x 1,000 one-hot floats: 153 MB
    nll = NetworkConfig(layers=stack(("Linear", 1_000), "LogSoftMax"))
    mse = replace(nll, criterion="MSECriterion")
    assert check_budget(nll, data) < LIMIT
    assert target_bytes(mse, data) == 8 * 20_000 * 1_000 and target_bytes(nll, data) == 0
    with pytest.raises(ValueError, match=r"one-hot targets of 1000 classes: 153 MB\); the limit per learner is 128 "
                                         r"MB: .* or NLLCriterion, which takes the labels as they are"):
        check_budget(mse, data)
