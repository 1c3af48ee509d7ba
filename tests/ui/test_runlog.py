"""ui.runlog: one JSON line per rerun with BACKPROP_LENS_RUN_LOG set, nothing without it."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import APP

from ui import runlog


def test_a_run_is_logged_with_its_wall_and_cpu_time_only_when_the_variable_is_set(tmp_path, monkeypatch):
    path = tmp_path / "runs.jsonl"
    monkeypatch.delenv(runlog.ENV, raising=False)
    with runlog.logged_run("Step through"):
        pass
    assert not path.exists()
    monkeypatch.setenv(runlog.ENV, str(path))
    with runlog.logged_run("Step through", runlog.start()):
        sum(i * i for i in range(200_000))  # some CPU
    with pytest.raises(KeyError), runlog.logged_run("Build"):
        raise KeyError("a rerun interrupted by a newer click")
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["page"] == "Step through" and first["finished"] and first["cpu_s"] > 0
    assert first["wall_s"] >= first["cpu_s"] * 0.5
    assert second["page"] == "Build" and not second["finished"]


def test_the_app_logs_its_run_with_the_page_it_drew(tmp_path, monkeypatch):
    path = tmp_path / "runs.jsonl"
    monkeypatch.setenv(runlog.ENV, str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    (record,) = (json.loads(line) for line in path.read_text().splitlines())
    assert record["page"] == "Step through" and record["finished"] and record["wall_s"] > 0
