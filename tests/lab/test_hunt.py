"""lab.hunt: catalogued mistakes planted into copies of the network, each seen first where it changes the numbers."""
import copy
import re
from dataclasses import replace

import numpy as np
import pytest

from engine.grade.catalogue import CATALOGUE, entries
from lab.hunt import CRITERION, LEVELS, OPTIMIZER, bug_code, candidates, code_of, named, plant, planted, shows_its_step

from lab.session import Lab
from tests.uploaded import preset_lab
from tests.zoo import ZOO, zoo_lab


def cnn_lab(optimizer, iterations=0):
    """cnn_digits with the optimizer, after `iterations` new iterations (Adam's m, v and t then not zero)."""
    lab = preset_lab("cnn_digits")
    if optimizer != lab.config.optimizer:
        lab.apply(replace(lab.config, optimizer=optimizer, learning_rate=1e-3))
    for _ in range(iterations):
        lab.new_iteration()
    return lab


def same(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12)


def what_differs(clean, buggy):
    """Which of the buggy trace's results differ from the clean one's: forward, grad_input, parameter, each a set
    of stages, compared here stage by stage without lab.hunt's own comparison."""
    n = len(clean.forward)
    forward = {f"forward {i}" for i in range(n) if not same(clean.forward[i].output, buggy.forward[i].output)}
    forward |= {"loss"} if not same(clean.loss, buggy.loss) else set()
    grad_input = {f"backward {i}" for i in range(n)
                  if not same(clean.backward_record(i).grad_input, buggy.backward_record(i).grad_input)}
    grad_input |= {"loss"} if not same(clean.loss_grad, buggy.loss_grad) else set()
    parameter = {f"backward {i}" for i in range(n) for name, grad in clean.backward_record(i).grad_params.items()
                 if not same(grad, buggy.backward_record(i).grad_params[name])}
    parameter |= {f"update {u.index}" for u, v in zip(clean.updates, buggy.updates) if not same(u.after, v.after)}
    return forward, grad_input, parameter


def assert_level_holds(lab, hunt):
    """easy: the forward is wrong; medium: only grad_input; hard: only a parameter gradient or the update."""
    forward, grad_input, parameter = what_differs(lab.trace, hunt.trace)
    stages = [str(stage) for stage in hunt.trace.stages]
    first = min(forward | grad_input | parameter, key=stages.index)
    assert str(hunt.first) == first, (hunt.misconception.key, hunt.first, first)
    if hunt.level == "easy":
        assert first in forward
    elif hunt.level == "medium":
        assert not forward and first in grad_input
    else:
        assert not forward and not grad_input and first in parameter


@pytest.mark.parametrize("preset", ["handout", "digits", "dropout_batchnorm", "cnn_digits"])
def test_every_candidate_changes_the_iteration_first_at_its_own_place(preset):
    lab = preset_lab(preset)
    found = candidates(lab)
    assert {h.level for h in found} >= {"easy", "medium"} and len(found) >= 6
    for hunt in found:
        first = hunt.first
        if isinstance(hunt.where, int):
            assert first.index == hunt.where and first.kind in ("forward", "backward")
            assert (first.kind == "forward") == (hunt.level == "easy")
        else:
            assert first.kind in ("loss", "update")
        assert_level_holds(lab, hunt)
        buggy, right = code_of(hunt.misconception)
        assert buggy.strip() and right.strip() and buggy != right


@pytest.mark.parametrize("optimizer,iterations", [("SGD", 0), ("Adam", 0), ("Adam", 2)])
def test_on_a_cnn_every_level_plants_a_bug_that_first_shows_where_the_level_says(optimizer, iterations):
    lab = cnn_lab(optimizer, iterations)
    found = candidates(lab)
    where = {(h.misconception.module, h.level) for h in found}
    assert {("Conv2d", "medium"), ("Conv2d", "hard"), ("MaxPool2d", "medium")} <= where
    for hunt in found:
        assert_level_holds(lab, hunt)
    keys = {(h.misconception.module, h.misconception.key) for h in found}
    for level in LEVELS:
        for seed in range(3):
            hunt = plant(lab, level, seed)
            assert hunt.level == level and (hunt.misconception.module, hunt.misconception.key) in keys
            assert_level_holds(lab, hunt)


def test_adam_mistakes_are_planted_in_an_adam_network_at_the_hard_level_only():
    adam, sgd = cnn_lab("Adam"), cnn_lab("SGD")
    mistakes = entries("Adam")
    assert mistakes
    found = [h for h in candidates(adam) if h.where == OPTIMIZER]
    assert {h.misconception.key for h in found} == {m.key for m in mistakes}
    for hunt in found:
        assert hunt.level == "hard" and hunt.first.kind == "update" and hunt.trace.optimizer == "Adam"
        assert_level_holds(adam, hunt)
    assert all(planted(sgd, m) is None for m in mistakes)  # no Adam mistake in an SGD network, and back
    assert all(planted(adam, m) is None for m in entries("SGD"))


def test_the_reveal_shows_the_mistake_as_a_student_writes_it_beside_the_engines_code():
    for mistake in entries("Adam"):
        buggy, right = code_of(mistake)
        assert right.startswith("def adam_optimizer(") and buggy.startswith("def adam_optimizer(")
        assert "# <- the mistake" in buggy and "# right: " in buggy and "lambda" not in buggy
    no_correction = next(m for m in entries("Adam") if m.key == "no_bias_correction")
    assert 'm_hat = m  # <- the mistake\n            # right: m_hat = m / (1 - beta1 ** state["t"])' in code_of(
        no_correction)[0]
    no_bias = next(m for m in entries("Linear") if m.key == "no_bias")
    buggy, right = code_of(no_bias)
    assert buggy.startswith("def update_output(self, input):") and "setattr" not in buggy
    assert right.startswith("def update_output(self, input):") and "self.output += self.b" in right
    elu = next(m for m in entries("ELU") if m.key == "alpha_fixed")  # the student's methods, the engine's beside
    names = re.findall(r"^def (\w+)\(", code_of(elu)[1], re.MULTILINE)
    assert names == ["update_output", "update_grad_input", "function", "derivative"]
    conv = next(m for m in entries("Conv2d") if m.key == "not_flipped")
    buggy, right = code_of(conv)
    assert buggy.startswith("def update_grad_input(self, input, grad_output):") and right.startswith(
        "def update_grad_input(")


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_planting_never_touches_the_learners_network_optimizer_or_trace(optimizer):
    lab = cnn_lab(optimizer, iterations=1)
    trace, state = lab.trace, copy.deepcopy(lab.optimizer.state)
    weights = [np.array(v) for _, v, _ in lab.model.named_parameters()]
    start = [np.array(v) for _, v, _ in lab.start[0].named_parameters()]
    found = candidates(lab)
    assert found and all(h.trace is not trace for h in found)
    assert lab.trace is trace and type(lab.optimizer).__name__ == optimizer
    assert all(np.array_equal(a, v) for a, (_, v, _) in zip(weights, lab.model.named_parameters()))
    assert all(np.array_equal(a, v) for a, (_, v, _) in zip(start, lab.start[0].named_parameters()))
    assert all(type(layer).__module__.startswith("engine.") for layer in lab.model.modules + lab.start[0].modules)
    assert type(lab.start[1]).__name__ == optimizer
    assert repr(lab.optimizer.state) == repr(state)


def test_plant_picks_by_level_and_seed_and_falls_back_to_the_nearest_level():
    lab = Lab()
    for level in LEVELS:
        hunt = plant(lab, level, seed=3)
        assert hunt is not None and (hunt.level == level or not [h for h in candidates(lab) if h.level == level])
    assert plant(lab, "easy", 1).misconception == plant(lab, "easy", 1).misconception
    assert len({plant(lab, "medium", seed).misconception.key for seed in range(8)}) > 1


def test_sgd_mistakes_are_planted_from_the_second_step_where_the_trace_shows_what_they_did():
    lab = cnn_lab("SGD", iterations=1)
    found = {h.misconception.key: h for h in candidates(lab) if h.where == OPTIMIZER}
    assert found["momentum_ignored"].level == "hard" and found["momentum_ignored"].first.kind == "update"
    # The SGD trace's weights after the step are before - velocity: w += v or w = w - v would not show there.
    assert not {"ascent", "not_in_place"} & set(found)
    for mistake in entries("SGD"):  # the trace is faithful only where the velocity is all that went wrong
        _, model, criterion, optimizer = planted(lab, mistake)
        trace, stepped, _, _ = lab._record(model, criterion, optimizer, lab.data, lab.config,
                                           copy.deepcopy(lab.start[2]))
        try:
            faithful = shows_its_step(trace, stepped)
        except ValueError:  # one shared velocity: the trace pairs a weight with another's velocity
            faithful = False
        assert faithful == (mistake.key in ("momentum_ignored", "lr_on_velocity")), mistake.key
    assert shows_its_step(lab.trace, lab.model)
    assert not [h for h in candidates(cnn_lab("SGD")) if h.where == OPTIMIZER]  # v starts at 0: lr g either way


def test_each_mistake_has_its_own_link_code_which_does_not_name_it():
    codes = {bug_code(m) for m in CATALOGUE}
    assert len(codes) == len(CATALOGUE)
    assert all(m.key not in bug_code(m) and m.module not in bug_code(m) for m in CATALOGUE)
    found = candidates(preset_lab("digits"))
    assert all(named(found, bug_code(h.misconception)) is h for h in found) and named(found, "nothing") is None


@pytest.mark.parametrize("name", ZOO)
def test_every_planted_module_is_named_and_printed_as_the_real_one(name):
    lab = zoo_lab(name)
    found = candidates(lab)
    for hunt in found:
        mistake = hunt.misconception
        where, model, criterion, optimizer = planted(lab, mistake)
        real, buggy = {OPTIMIZER: (lab.start[1], optimizer), CRITERION: (lab.criterion, criterion)}.get(
            where, (lab.start[0].modules[where], model.modules[where]) if isinstance(where, int) else None)
        assert buggy is not real and type(buggy) is not type(real), mistake.key
        for attribute in ("__name__", "__qualname__", "__module__"):
            assert getattr(type(buggy), attribute) == getattr(type(real), attribute), (mistake.key, attribute)
        assert repr(buggy) == repr(real), mistake.key


def test_the_zoo_and_the_presets_hold_a_candidate_of_every_kind_the_catalogue_knows():
    """What the tests of the planted modules and of the page before Submit walk: every module of the catalogue but
    Sequential (whose mistakes break every network alike), with 49 of its 62 mistakes (the rest never change a
    recorded iteration's numbers, e.g. SGD's w += v, which its trace does not show)."""
    keys = {(h.misconception.module, h.misconception.key) for name in ZOO for h in candidates(zoo_lab(name))}
    keys |= {(h.misconception.module, h.misconception.key) for h in candidates(preset_lab("handout"))}
    assert {module for module, _ in keys} == {m.module for m in CATALOGUE} - {"Sequential"}
    assert len(keys) >= 49, len(keys)


def test_every_mistake_that_can_be_planted_has_its_code_as_written_and_the_engines():
    for mistake in [m for m in CATALOGUE if m.module != "Sequential"]:
        buggy, right = code_of(mistake)
        assert buggy.startswith("def ") and "# <- the mistake" in buggy and right.startswith("def "), mistake.key
