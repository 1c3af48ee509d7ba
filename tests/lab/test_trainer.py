"""lab.trainer: the learners' fits in the server's one training process, in order, with progress and cancel."""
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest

from lab.network import NetworkConfig
from lab.presets import PRESETS
from lab.session import Lab
from lab.trainer import Trainer, run_jobs
from tests.e2e.server import gone, spawned


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


def test_a_short_run_queued_behind_a_long_one_takes_turns_and_finishes_first(worker):
    """One learner trains for minutes; another's 1-epoch run, queued after it, starts at the next slice and
    ends while the long one still runs (it waited for the long run to end, ~1.5 h in a class)."""
    long_lab, short_lab = Lab(NetworkConfig(batch_size=1)), Lab()
    started, places, state = threading.Event(), [], {}
    give_up = time.monotonic() + 120  # the old queue would run the long one to its end first: fail, not hang

    def long_progress(progress):
        started.set()
        if state.get("short_done") or time.monotonic() > give_up:
            raise Interrupted  # the learner clicked Stop

    def long_learner():
        with pytest.raises(Interrupted):
            long_lab.train(500, callback=long_progress, runner=worker.run)  # 384,000 iterations: minutes

    thread = threading.Thread(target=long_learner)
    thread.start()
    assert started.wait(60)
    history = short_lab.train(1, runner=lambda jobs, callback, keep: worker.run(jobs, callback, keep=keep,
                                                                                waiting=places.append))
    state["short_done"], long_still_runs = True, thread.is_alive()
    thread.join(60)
    assert long_still_runs and time.monotonic() < give_up
    assert set(places) <= {1, None} and places[-1] is None  # at most the long run before its first turn; started
    assert history.epochs_run == 1 and short_lab.trained_epochs == 1 and history.stopped_reason is None
    np.testing.assert_array_equal(history.train_loss, Lab().train(1).train_loss)  # turns change no number
    # the interrupted long run stopped and kept what it trained, as Stop does
    assert long_lab.history.stopped_reason == "Stop" and long_lab.trained_epochs == long_lab.history.epochs_run >= 1
    assert long_lab.history.stopped_iteration < 500 * 768 and long_lab.trace.updates[0].before.shape == (2, 2)
    assert worker.position(1) is None and worker.sharing() == 0


def test_an_interruption_between_progress_reports_stops_the_run_and_keeps_it(worker):
    """tick() gives the learner's thread a chance to be interrupted even when no report comes (a click on Stop
    landed only at the next report: every 100 s for a long run)."""
    lab, ticks = Lab(NetworkConfig(batch_size=1)), []

    def tick(sharing):
        ticks.append(sharing)
        raise Interrupted  # Stop clicked: Streamlit raises in the thread's next call

    with pytest.raises(Interrupted):
        worker.run([lab._job(lab.model, lab.optimizer, 500, seed=0)], tick=tick,
                   keep=lambda outcomes: ticks.append(outcomes[0].history))
    assert ticks[0] == 1 and ticks[1].stopped_reason == "Stop" and ticks[1].stopped_iteration < 500 * 768


def test_a_stop_lands_at_the_next_iteration(monkeypatch):
    """In the worker, each run checks its Stop after every iteration: stopped at 5, it ends at 5."""
    from lab import training_worker

    lab, events = Lab(NetworkConfig(batch_size=1)), []
    job = lab._job(lab.model, lab.optimizer, 500, seed=0)
    one = training_worker.Run(7, [job], types.SimpleNamespace(put=events.append), training_worker.Turns(),
                              parent=os.getppid())
    report = one.report

    def stop_at_five(index, progress):
        report(index, progress)
        if progress.iteration == 5:
            one.stop.set()  # the server's ("stop", 7) command

    monkeypatch.setattr(one, "report", stop_at_five)
    one()
    (history,) = [o.history for kind, payload in [e[1:] for e in events if e[1] == "done"]
                  for o in pickle.loads(payload)]
    assert history.stopped_reason == "Stop" and history.stopped_iteration == 5
    assert len(history.iteration_loss) == 5 and [e[1] for e in events][0] == "started"


def test_a_run_stops_at_its_cap_and_keeps_what_it_trained():
    trainer = Trainer(idle_s=60, cap_s=0.5)  # seconds of the run's own compute
    try:
        lab = Lab(NetworkConfig(batch_size=1))
        before = weights(lab.model)
        history = lab.train(500, runner=trainer.run)
    finally:
        trainer.close()
    assert history.stopped_reason == "time cap" and 0 < history.stopped_iteration < 500 * 768
    assert lab.history is history and lab.trained_epochs == history.epochs_run >= 1
    assert not np.array_equal(weights(lab.model)[0], before[0])


def test_runs_take_turns_by_slices():
    """Three runs in line: each computes a slice, then hands the turn to the longest waiting."""
    from lab.training_worker import Turns

    turns, order = Turns(slice_s=0.0), []  # every iteration is a slice
    runs = [types.SimpleNamespace(name=name, stop=threading.Event()) for name in "abc"]

    def iterate(run):
        assert turns.take(run)
        for _ in range(3):
            order.append(run.name)
            assert turns.share(run)
        turns.leave(run)

    assert turns.take(runs[0])  # a holds the turn while b and c line up
    threads = [threading.Thread(target=iterate, args=(run,)) for run in runs[1:]]
    for thread in threads:
        thread.start()
        wait_until(lambda: len(turns._waiting) == threads.index(thread) + 1)
    order.append("a")
    assert turns.share(runs[0])  # a's slice is over: b, c, then a again
    for _ in range(2):
        order.append("a")
        assert turns.share(runs[0])
    turns.leave(runs[0])
    for thread in threads:
        thread.join(10)
    assert order[:7] == ["a", "b", "c", "a", "b", "c", "a"]


def test_a_value_error_of_fit_reaches_the_learner(worker):
    with pytest.raises(ValueError, match="fit: epochs must be an integer >= 1, got 0"):
        Lab().train(0, runner=worker.run)


def test_a_killed_worker_is_a_message_and_the_next_run_gets_a_new_one(worker):
    lab, killed = Lab(NetworkConfig(batch_size=1)), []

    def kill_once(progress):
        if not killed:
            pid = worker.pid  # the one worker process
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(ValueError, match="the training process stopped unexpectedly .*; train again"):
        lab.train(50, callback=kill_once, runner=worker.run)
    assert lab.trained_epochs == 0 and lab.history is None
    assert lab.train(1, runner=worker.run).epochs_run == 1 and lab.trained_epochs == 1


def test_the_worker_process_exits_when_idle():
    trainer = Trainer(idle_s=0.3)
    try:
        Lab().train(1, runner=trainer.run)
        pid = trainer.pid
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


SERVER = """
import sys
sys.path.insert(0, {root!r})
from lab.network import NetworkConfig
from lab.session import Lab
from lab.trainer import Trainer

trainer, told = Trainer(), []

def tell(progress):
    if not told:
        told.append(print("training", flush=True))

Lab(NetworkConfig(batch_size=1)).train(500, callback=tell, runner=trainer.run)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_worker_stops_with_the_process_that_spawned_it(tmp_path, sig):
    """A server stopped in the middle of a long run: its worker process is gone within 5 s (it trained on)."""
    script = tmp_path / "server.py"
    script.write_text(SERVER.format(root=str(Path(__file__).resolve().parents[2])))
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        assert server.stdout.readline() == "training\n"  # the worker's first progress reached the server
        (pid,) = spawned(server.pid)
        os.kill(server.pid, sig)  # the server alone, not its process group
        server.wait(30)
        wait_until(lambda: gone(pid), timeout=5)
    finally:
        if server.poll() is None:
            server.kill()
        try:
            os.killpg(server.pid, signal.SIGKILL)  # whatever this test started and is left
        except ProcessLookupError:
            pass
