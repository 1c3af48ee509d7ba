"""lab.hunt: catalogued mistakes planted into copies of the network, each seen first where it changes the numbers."""
import pytest

from lab.hunt import LEVELS, candidates, code_of, plant

from lab.session import Lab
from tests.uploaded import preset_lab


@pytest.mark.parametrize("preset", ["handout", "digits", "dropout_batchnorm"])
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
        buggy, right = code_of(hunt.misconception)
        assert buggy.strip() and right.strip() and buggy != right


def test_plant_picks_by_level_and_seed_and_falls_back_to_the_nearest_level():
    lab = Lab()
    for level in LEVELS:
        hunt = plant(lab, level, seed=3)
        assert hunt is not None and (hunt.level == level or not [h for h in candidates(lab) if h.level == level])
    assert plant(lab, "easy", 1).misconception == plant(lab, "easy", 1).misconception
    assert len({plant(lab, "medium", seed).misconception.key for seed in range(8)}) > 1
