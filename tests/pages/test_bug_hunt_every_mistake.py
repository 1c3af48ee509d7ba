"""Bug hunt page: before Submit, nothing on the page names the planted mistake, for every mistake the catalogue can
plant (issue 19, 7). tests/pages/test_bug_hunt.py walks the candidates of four presets as a learner opens them;
this walks the rest, on the zoo's networks (tests/zoo.py): the criteria NLLCriterionUnstable and MSECriterion,
SoftMax, Scaling, ELU, SoftPlus, LeakyReLU, evaluate mode, SGD's and Adam's second step (AppTest)."""
import pytest

from lab.hunt import candidates
from tests.pages.apptest import open_page
from tests.pages.test_bug_hunt import shows_nothing_of
from tests.uploaded import preset_lab
from tests.zoo import ZOO, zoo_lab
from ui.hunt import STORE

PRESETS_WALKED = ("handout", "digits", "dropout_batchnorm", "cnn_digits")  # by test_bug_hunt.py


@pytest.fixture(scope="module")
def walked():
    """(module, key) of every mistake test_bug_hunt.py's walk shows."""
    return {(h.misconception.module, h.misconception.key) for name in PRESETS_WALKED
            for h in candidates(preset_lab(name))}


@pytest.mark.parametrize("name", ZOO)
def test_before_submit_nothing_names_a_mistake_of_any_kind(name, walked):
    at = open_page("bug_hunt")
    lab = at.session_state.lab = zoo_lab(name)
    at.run()
    found = at.session_state[STORE]["found"]
    new = [h for h in found if (h.misconception.module, h.misconception.key) not in walked]
    assert new, name  # each network of the zoo brings mistakes of its own
    for hunt in new:
        shows_nothing_of(at, lab, hunt)
        walked.add((hunt.misconception.module, hunt.misconception.key))
