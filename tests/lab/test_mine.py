"""lab.mine: the learner's own tensors (mine.npz) read as data, checked against the iteration, compared."""
import io
from pathlib import Path

import numpy as np
import pytest

from engine.grade.iteration import replay
from lab.exercise import iteration_arrays
from lab.mine import read_mine, explain
from lab.presets import PRESETS
from lab.session import Lab
from tests.uploaded import preset_lab

HOMEWORK = Path(__file__).parents[1] / "grade" / "homework_ok.py"


def homework(replace=None):
    source = HOMEWORK.read_text()
    if replace:
        assert replace[0] in source
        source = source.replace(*replace)
    namespace = {}
    exec(compile(source, "homework.py", "exec"), namespace)
    return namespace


def npz(arrays):
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def mine_bytes(lab, replace=None):
    return npz(replay(homework(replace), iteration_arrays(lab.trace, lab.model)))


@pytest.mark.parametrize("preset", ["handout", "circles", "digits"])
def test_a_correct_framework_matches_at_every_stage(preset):
    lab = preset_lab(preset)
    mine = read_mine(mine_bytes(lab), lab.trace)
    assert mine.differences == {} and mine.first_difference(lab.trace) is None
    assert len(mine.arrays) >= 2 * len(lab.trace.forward) + 2


def test_a_planted_bug_is_found_at_its_stage_and_diagnosed_from_the_catalogue():
    lab = Lab()  # Linear(2 -> 2), LogSoftMax
    wrong = ("self.grad_input = grad_output - a * grad_output.sum(axis=1, keepdims=True)",
             "self.grad_input = grad_output - a * grad_output")
    mine = read_mine(mine_bytes(lab, wrong), lab.trace)
    stage = mine.first_difference(lab.trace)
    assert (stage.kind, stage.index) == ("backward", 1)
    assert set(mine.differences) == {"backward.1.grad_input"}  # each module replayed on its own input
    finding = explain(mine, lab.trace, lab.model, stage)
    assert finding.key == "backward.1.grad_input" and finding.misconception.key == "row_sum_forgotten"
    engine = lab.trace.backward_record(1).grad_input
    worst = mine.worst_entry("backward.1.grad_input", engine)
    error = np.abs(mine.arrays["backward.1.grad_input"] - engine)
    assert error[worst] == error.max() > 0


def test_a_bug_in_sgd_flags_the_update_stage():
    lab = Lab()
    mine = read_mine(mine_bytes(lab, ("current_var -= old_grad", "current_var += old_grad")), lab.trace)
    stage = mine.first_difference(lab.trace)
    assert stage.kind == "update"
    assert explain(mine, lab.trace, lab.model, stage).misconception.key == "ascent"


ELSEWHERE = (r"your tensors file was made for another network or another iteration, not the one shown here "
             r"\(its fingerprint [0-9a-f]{16}, this iteration's [0-9a-f]{16}\): download this iteration's "
             r"iteration.npz again and run `python -m backprop_lens grade homework.py --iteration iteration.npz "
             r"--save mine.npz` with it$")


def test_a_file_from_another_iteration_is_refused_saying_so():
    lab = Lab()
    before = mine_bytes(lab)
    lab.new_iteration()
    with pytest.raises(ValueError, match=ELSEWHERE):
        read_mine(before, lab.trace)


@pytest.mark.parametrize("mine_of, shown", [("circles", "handout"), ("handout", "digits"), ("digits", "handout")])
def test_a_file_from_another_network_says_so_plainly_whatever_its_tensors(mine_of, shown):
    """Issue 19, item 16: it got "do not match this iteration: unexpected backward.2.grad.W, ..." or "has 27
    members ...; an export of this network has at most 19", or a size refusal: its fingerprint is read first."""
    with pytest.raises(ValueError, match=ELSEWHERE):
        read_mine(mine_bytes(preset_lab(mine_of)), preset_lab(shown).trace)


def test_a_file_of_another_network_without_its_fingerprint_is_refused_naming_the_tensor_and_its_shape():
    lab, other = Lab(), Lab(PRESETS["circles"].config)
    arrays = replay(homework(), iteration_arrays(other.trace, other.model))
    del arrays["fingerprint"]
    with pytest.raises(ValueError, match=r"do not match this iteration: .*(unexpected|shape)"):
        read_mine(npz(arrays), lab.trace)


def test_pickles_oversized_files_and_non_archives_are_refused_before_reading_data():
    lab = Lab()
    arrays = replay(homework(), iteration_arrays(lab.trace, lab.model))
    with pytest.raises(ValueError, match="Python objects"):
        read_mine(npz({**arrays, "loss": np.array([object()], dtype=object)}), lab.trace)
    with pytest.raises(ValueError, match="MB"):
        read_mine(npz({**arrays}) + b"\0" * 3 * 2**20, lab.trace)
    with pytest.raises(ValueError, match="your tensors file is not a readable .npz"):
        read_mine(b"label,p0\n1,2\n", lab.trace)
    with pytest.raises(ValueError, match="none of this iteration's tensors"):
        read_mine(npz({"fingerprint": arrays["fingerprint"]}), lab.trace)
