"""Two learners on one server: neither sees or changes the other's model, trace or data (AppTest)."""
from pathlib import Path

import numpy as np

from tests.pages.apptest import open_page


def test_two_sessions_build_and_step_their_own_networks():
    first, second = open_page("build"), open_page("build")
    first.selectbox(key="preset").set_value("circles").run()
    second.selectbox(key="add_kind").set_value("ReLU").run()
    second.number_input(key="add_position").set_value(1).run()
    second.button(key="add_layer").click().run()
    first.switch_page("pages/step.py").run()
    second.switch_page("pages/step.py").run()
    for _ in range(3):
        first.button(key="step_next").click().run()
    second.button(key="step_new_iteration").click().run()

    a, b = first.session_state.lab, second.session_state.lab
    assert [s["kind"] for s in a.config.layers] == ["Linear", "ReLU", "Linear", "LogSoftMax"]
    assert [s["kind"] for s in b.config.layers] == ["Linear", "ReLU", "LogSoftMax"]
    assert (a.data.name, b.data.name) == ("circles", "blobs")
    assert (a.stage, b.stage) == (3, 0) and (a.cursor.iteration, b.cursor.iteration) == (1, 2)
    assert first.subheader[0].value.startswith("4/11") and second.subheader[0].value.startswith("1/8")
    assert a.model is not b.model and a.trace is not b.trace


def test_cached_datasets_are_copies_so_one_learner_cannot_spoil_anothers():
    first, second = open_page(None), open_page(None)
    a, b = first.session_state.lab, second.session_state.lab
    assert a.data is not b.data and not np.shares_memory(a.data.X_train, b.data.X_train)
    a.data.X_train[:] = 0.0  # even a learner who writes into their data changes only their own
    third = open_page(None)
    assert np.abs(b.data.X_train).sum() > 0 and np.abs(third.session_state.lab.data.X_train).sum() > 0


def test_no_page_keeps_anything_in_the_shared_resource_cache():
    root = Path(__file__).resolve().parents[2]
    sources = [root / "app.py", *sorted((root / "pages").glob("*.py")), *sorted((root / "ui").glob("*.py"))]
    assert all("cache_resource" not in path.read_text() for path in sources)
