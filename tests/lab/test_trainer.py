"""lab.trainer: the learners' fits in the server's one training process, in order, with progress and cancel."""
import os
import signal
import threading
import time

import numpy as np
import pytest

from lab.network import NetworkConfig
from lab.presets import PRESETS
from lab.session import Lab
from lab.trainer import Trainer, run_jobs


class Interrupted(BaseException):
    """Like Streamlit's RerunException: a click interrupts the learner's thread inside a callback."""


@pytest.fixture
def worker():
    trainer = Trainer(idle_s=60)
    yield trainer
    trainer.close()


def weights(model):
    return [np.array(value) for _, value, _ in model.named_parameters()]


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_worker_trains_exactly_as_this_process_and_reports_every_iteration(worker):
    here, there = Lab(PRESETS["circles"].config), Lab(PRESETS["circles"].config)
    seen = []
    history = there.train(2, callback=lambda progress: seen.append(progress), runner=worker.run)
    assert worker.alive and here.train(2).train_loss == history.train_loss
    assert history.iteration_loss == here.history.iteration_loss and history.val_accuracy == here.history.val_accuracy
    for ours, theirs in zip(weights(there.model), weights(here.model)):
        np.testing.assert_array_equal(ours, theirs)
    assert there.trained_epochs == 2 and there.trace.updates[0].before.shape == (2, 100)
    # the learner's thread got every iteration in order, as fit's callback would have
    assert [p.iteration for p in seen] == list(range(1, len(history.iteration_loss) + 1))
    assert [p.loss for p in seen] == history.iteration_loss and seen[-1].n_iterations == len(seen)
    assert {p.epoch for p in seen} == {1, 2} and seen[-1].epochs == 2


def test_a_comparison_runs_in_the_worker_too(worker):
    here, there = Lab(PRESETS["circles"].config), Lab(PRESETS["circles"].config)
    names = []
    there.compare(1, callback=lambda progress, name: names.append(name), runner=worker.run)
    here.compare(1)
    assert list(there.comparison) == ["ReLU", "LeakyReLU", "ELU", "SoftPlus"]
    assert [h.train_loss for h in there.comparison.values()] == [h.train_loss for h in here.comparison.values()]
    assert sorted(set(names), key=names.index) == list(there.comparison)


def test_a_second_run_waits_its_turn_is_told_its_place_and_an_interrupted_one_is_cancelled(worker):
    """A long run is interrupted in the learner's thread: the worker stops it, and the waiting run starts."""
    first, second = Lab(NetworkConfig(batch_size=1)), Lab()
    started, places, outcome = threading.Event(), [], {}

    def interrupt_later(progress):
        started.set()
        if outcome.get("second_waits"):
            raise Interrupted  # the learner clicked elsewhere

    def first_learner():
        with pytest.raises(Interrupted):
            first.train(500, callback=interrupt_later, runner=worker.run)  # 384,000 iterations: minutes
        outcome["first_stopped"] = True

    def waiting(position):
        places.append(position)
        if position == 1:
            outcome["second_waits"] = True

    thread = threading.Thread(target=first_learner)
    thread.start()
    assert started.wait(60)
    history = second.train(1, runner=lambda jobs, callback: worker.run(jobs, callback, waiting=waiting))
    thread.join(60)
    assert outcome == {"second_waits": True, "first_stopped": True}
    assert places[0] == 1 and places[-1] is None  # one run (the first learner's) ahead, then started
    assert history.epochs_run == 1 and second.trained_epochs == 1
    assert first.trained_epochs == 0 and first.history is None  # nothing committed for the interrupted run
    assert worker.position(1) is None and worker._busy == 0


def test_a_value_error_of_fit_reaches_the_learner(worker):
    with pytest.raises(ValueError, match="fit: epochs must be an integer >= 1, got 0"):
        Lab().train(0, runner=worker.run)


def test_a_killed_worker_is_a_message_and_the_next_run_gets_a_new_one(worker):
    lab, killed = Lab(NetworkConfig(batch_size=1)), []

    def kill_once(progress):
        if not killed:
            (pid,) = worker._pool._processes  # the one worker process
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(ValueError, match="the training process stopped unexpectedly .*; train again"):
        lab.train(50, callback=kill_once, runner=worker.run)
    assert lab.trained_epochs == 0 and lab.history is None
    assert lab.train(1, runner=worker.run).epochs_run == 1 and lab.trained_epochs == 1


def gone(pid):
    """True once the process has exited: no /proc entry, or only a zombie's (it may vanish between the two looks)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_the_worker_process_exits_when_idle():
    trainer = Trainer(idle_s=0.3)
    try:
        Lab().train(1, runner=trainer.run)
        (pid,) = trainer._pool._processes
        wait_until(lambda: not trainer.alive)
        wait_until(lambda: gone(pid))
        assert Lab().train(1, runner=trainer.run).epochs_run == 1 and trainer.alive  # started again
    finally:
        trainer.close()


def test_run_jobs_here_stops_after_a_stopped_run():
    lab = Lab(PRESETS["circles"].config)
    jobs = [lab._job(lab.model, lab.optimizer, 1, seed=0) for _ in range(3)]
    outcomes = run_jobs(jobs, lambda index, progress: "stop" if index == 1 else None)
    assert [o.history.stopped_reason for o in outcomes] == [None, "callback"]


def test_the_worker_does_not_run_the_main_script_again(tmp_path, monkeypatch):
    """Under `streamlit run`, __main__ is app.py: a spawned worker must not execute it (it did, in bare mode)."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "app_like.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the worker ran the main script')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__, fake_main.__spec__ = str(script), None
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    trainer = Trainer(idle_s=60)
    try:
        assert Lab().train(1, runner=trainer.run).epochs_run == 1
    finally:
        trainer.close()
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main  # given back
