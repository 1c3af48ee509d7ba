"""The training process: the learners' runs share it in turn, a slice of time each, each run with a cap.

lab.trainer.Trainer spawns this process and sends it runs and Stops. Every run is a thread here, and
only the one holding the turn computes: after SLICE_S it hands the turn to the next run waiting
(round-robin), so a new run starts after at most one slice per run ahead of it, whatever those train.
At every iteration a run checks its Stop, its cap (CAP_S of its own compute time) and that the server
that spawned this process is alive; the process exits as soon as the server is gone, however it went
(PR_SET_PDEATHSIG on Linux is the second line).
"""
import collections
import ctypes
import os
import pickle
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

import i18n
from engine.training import STOP, History, fit

from .budget import RUN_S

REPORTS = 50      # progress reports per run, about: the Train page moves its bar at each
REPORT_S = 0.25   # and at least this often, so that a long run's bar and text keep moving
SLICE_S = 0.1     # a run computes this long before the next run waiting takes its turn
WATCH_S = 0.5     # the process looks at its parent at least this often, even with no run
CAP = "time cap"  # History.stopped_reason of a run stopped at its cap
STOPPED = "Stop"  # ... and of a run stopped by the learner (Stop, or a click that ended the run)


@dataclass
class TrainJob:
    """One fit's inputs, owned by the job: fit changes model and optimizer in place. language: the learner's, which
    fit's messages speak in the training process."""

    model: object
    optimizer: object
    criterion: object
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    epochs: int
    batch_size: int
    seed: int
    language: str = i18n.LANGUAGES[0]


@dataclass
class Outcome:
    """What a job gives back: the run's History and the trained model and optimizer."""

    history: History
    model: object
    optimizer: object


def run(job, callback=None):
    """fit(job) in this process: callback(Progress) after every iteration, STOP ends the run."""
    with i18n.use(job.language):
        history = fit(job.model, job.criterion, job.optimizer, job.X, job.y, job.epochs, job.batch_size,
                      rng=job.seed, callback=callback, X_val=job.X_val, y_val=job.y_val)
    return Outcome(history, job.model, job.optimizer)


def run_jobs(jobs, callback=None, keep=None):
    """The jobs one after the other in this process; callback(run index, Progress); stops after a STOP.

    keep: unused here (a Trainer.run argument: an interrupted run's outcomes); an exception in callback
    leaves the jobs' copies half trained and nothing is kept."""
    outcomes = []
    for index, job in enumerate(jobs):
        outcomes.append(run(job, callback and (lambda progress, index=index: callback(index, progress))))
        if outcomes[-1].history.stopped_reason == "callback":
            break
    return outcomes


class Turns:
    """Round-robin among the runs: one holds the turn; after slice_s it goes to the longest waiting."""

    def __init__(self, slice_s=SLICE_S):
        self.slice_s = slice_s
        self._changed = threading.Condition()
        self._waiting = collections.deque()  # runs waiting for the turn, first in line first
        self._holder, self._since = None, 0.0

    def take(self, run):
        """Wait for run's first turn; False when run was stopped before it came."""
        with self._changed:
            self._waiting.append(run)
            if self._holder is None:
                self._give(self._waiting.popleft())
            return self._await(run)

    def share(self, run):
        """After one of run's iterations: hand the turn on once its slice is over and another run waits, and
        wait for it to come back; False when run was stopped meanwhile."""
        if time.perf_counter() - self._since < self.slice_s:
            return True
        with self._changed:
            if self._waiting:
                self._waiting.append(run)
                self._give(self._waiting.popleft())
                return self._await(run)
            self._since = time.perf_counter()  # alone: a new slice
            return True

    def leave(self, run):
        """run ended: out of the line; its turn goes on to the next."""
        with self._changed:
            if run in self._waiting:
                self._waiting.remove(run)
            if self._holder is run:
                self._holder = None
                if self._waiting:
                    self._give(self._waiting.popleft())

    def wake(self):
        """A Stop arrived: the stopped run, waiting for its turn, stops waiting."""
        with self._changed:
            self._changed.notify_all()

    def _give(self, run):
        self._holder, self._since = run, time.perf_counter()
        self._changed.notify_all()

    def _await(self, run):
        while self._holder is not run and not run.stop.is_set():
            self._changed.wait()
        if self._holder is run:
            return True
        self._waiting.remove(run)  # stopped while in line: it leaves without computing
        return False


class Run:
    """One learner's run (a list of jobs) in its own thread: fit with the reports, the turns, Stop and the cap."""

    def __init__(self, job_id, jobs, events, turns, parent, cap_s=RUN_S):
        self.job_id, self.jobs, self.events, self.turns = job_id, jobs, events, turns
        self.parent, self.cap_s = parent, cap_s
        self.stop, self.reason = threading.Event(), None
        self.chunk, self.index, self.sent = [], 0, time.monotonic()

    def __call__(self):
        try:
            if not self.turns.take(self):
                self.events.put((self.job_id, "cancelled", None))  # stopped before it started
                return
            self.events.put((self.job_id, "started", None))
            self.cpu = time.thread_time()
            outcomes = run_jobs(self.jobs, self.callback)
            if self.reason:
                outcomes[-1].history.stopped_reason = self.reason
            self.events.put((self.job_id, "done", pickle.dumps(outcomes)))
        except Exception as error:  # noqa: BLE001 - fit's ValueError, or a bug: the learner's thread raises it
            self.events.put((self.job_id, "error", _sendable(error)))
        finally:
            self.turns.leave(self)

    def callback(self, index, progress):
        """fit's callback: report, then STOP at a Stop or the cap, or when the server is gone; else take turns."""
        self.report(index, progress)
        if os.getppid() != self.parent:
            os._exit(1)
        if not self.stop.is_set() and time.thread_time() - self.cpu >= self.cap_s:
            self.reason = CAP
        elif self.stop.is_set() or not self.turns.share(self):
            self.reason = STOPPED
        return STOP if self.reason else None

    def report(self, index, progress):
        """Send the batch losses about REPORTS times per run and at least every REPORT_S."""
        if index != self.index:  # the next run of a comparison: what an early stop left unsent is dropped
            self.index, self.chunk = index, []
        self.chunk.append((progress.epoch, progress.iteration, progress.loss))
        every = max(1, progress.n_iterations // REPORTS)
        if (progress.iteration % every == 0 or progress.iteration == progress.n_iterations
                or time.monotonic() - self.sent >= REPORT_S):
            self.events.put((self.job_id, "progress", (index, progress.n_iterations, progress.epochs, self.chunk)))
            self.chunk, self.sent = [], time.monotonic()


class Events:
    """The process's end of the events pipe, shared by its run threads: put((job id, kind, payload))."""

    def __init__(self, connection):
        self.connection, self.lock = connection, threading.Lock()

    def put(self, event):
        with self.lock:
            self.connection.send(event)


def _sendable(error):
    """error itself when it pickles, else a RuntimeError naming it."""
    try:
        pickle.dumps(error)
        return error
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(error).__name__}: {error}")


def die_with(parent):
    """Exit now if parent is gone; on Linux also ask the kernel to SIGKILL this process when it goes."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the server died before prctl
        os._exit(1)


def serve(commands, events, parent, slice_s=SLICE_S, cap_s=RUN_S):
    """The process's main loop: ("run", id, pickled jobs), ("stop", id, None), ("exit", None, None)."""
    die_with(parent)
    events, turns, runs = Events(events), Turns(slice_s), {}
    while True:
        try:
            kind, job_id, payload = commands.get(timeout=WATCH_S)
        except queue.Empty:
            kind = None
        if os.getppid() != parent:
            os._exit(1)
        for done in [key for key, (_, thread) in runs.items() if not thread.is_alive()]:
            del runs[done]
        if kind == "exit":
            return
        if kind == "run":
            one = Run(job_id, pickle.loads(payload), events, turns, parent, cap_s)
            runs[job_id] = (one, threading.Thread(target=one, name=f"run-{job_id}", daemon=True))
            runs[job_id][1].start()
        elif kind == "stop" and job_id in runs:
            runs[job_id][0].stop.set()
            turns.wake()
