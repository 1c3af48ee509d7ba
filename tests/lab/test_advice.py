"""advice: wrong pairings of criterion, output layer and data are named with their reason."""
from lab.advice import advice
from lab.network import NetworkConfig
from lab.presets import stack


def suggestions(config, n_classes=2, task="classification", n_features=2):
    return [tip.suggestion for tip in advice(config, n_features, n_classes, task)]


def test_the_handout_network_needs_no_advice():
    assert suggestions(NetworkConfig()) == []


def test_nll_without_logsoftmax():
    tips = advice(NetworkConfig(layers=stack(("Linear", 2), "SoftMax")), 2, 2)
    assert tips[0].suggestion == "End the stack with LogSoftMax."
    assert "log-probabilities" in tips[0].reason


def test_unstable_nll_without_softmax():
    config = NetworkConfig(layers=stack(("Linear", 2), "LogSoftMax"), criterion="NLLCriterionUnstable")
    assert suggestions(config) == ["End the stack with SoftMax."]


def test_final_size_must_match_the_classes():
    tips = advice(NetworkConfig(), 64, 10)
    assert tips[0].suggestion == "Make the last Linear output 10 units."
    assert "ends with 2 outputs but the data has 10 classes" in tips[0].reason


def test_regression_wants_mse_and_one_output():
    assert suggestions(NetworkConfig(), n_classes=None, task="regression", n_features=1) == [
        "Use MSECriterion for this regression data.", "Make the last Linear output 1 unit."]
    config = NetworkConfig(layers=stack(("Linear", 1), "SoftMax"), criterion="MSECriterion")
    assert suggestions(config, None, "regression", 1) == ["Remove the final SoftMax."]


def test_softmax_in_the_middle_and_no_linear():
    assert "Move LogSoftMax (layer 1) to the end." in suggestions(
        NetworkConfig(layers=stack(("Linear", 2), "LogSoftMax", ("Linear", 2), "LogSoftMax")))
    assert "Add a Linear layer." in suggestions(NetworkConfig(layers=stack("LogSoftMax")))


def test_only_the_pairings_the_criterion_cannot_compute_block():
    tips = advice(NetworkConfig(layers=stack(("Linear", 2), "SoftMax")), 64, 10)
    assert [(tip.suggestion, tip.blocking) for tip in tips] == [
        ("End the stack with LogSoftMax.", False), ("Make the last Linear output 10 units.", True)]
    assert str(tips[1]) == "Make the last Linear output 10 units. The network ends with 2 outputs but the data " \
                           "has 10 classes."
    regression = advice(NetworkConfig(layers=stack(("Linear", 1))), 1, None, "regression")
    assert [(tip.suggestion, tip.blocking) for tip in regression] == [
        ("Use MSECriterion for this regression data.", True), ("End the stack with LogSoftMax.", False)]
