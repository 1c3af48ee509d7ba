"""One training process for the whole server: the learners' fits run there, one at a time, in order.

Training is the app's only long computation. In the server's own process it holds the GIL (the
engine's small NumPy operations run as Python) and every other learner's click waits for it; on
a 2-core machine one worker process trains on one core while the server answers clicks on the
other, and a second training waits its turn instead of halving everyone's share. A job carries
its own copies of the model, optimizer, criterion and data; the trained copies and the History
come back. About REPORTS progress reports per run (with the batch losses since the last one) and
the job's place in the queue reach the learner's thread, which draws them. The worker process
starts with the first job and exits after IDLE_S without one, so an idle server holds no worker.
"""
import itertools
import multiprocessing
import queue
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from engine.training import STOP, History, Progress, fit

REPORTS = 50   # progress reports per run, about: the Train page redraws its bar and curve at each
IDLE_S = 20.0  # the worker process exits after this long without a job
POLL_S = 0.05  # how often a waiting learner's thread looks at its job
WAITING_S = 0.5  # a queued job's waiting() is called at least this often (a click can interrupt it there)


_MAIN = threading.Lock()


@contextmanager
def _this_module_as_main():
    """Spawn the worker with this module as __main__, not the script Streamlit is running.

    A spawned child first runs its parent's __main__ again (multiprocessing's 'prepare'), and under
    `streamlit run` __main__ is the running app.py: the worker would import Streamlit, Plotly and
    pandas and execute the whole app outside a server. With lab.trainer as __main__ it imports this
    module (NumPy and the engine) only.
    """
    with _MAIN:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = sys.modules[__name__]
        try:
            yield
        finally:
            sys.modules["__main__"] = main


@dataclass
class TrainJob:
    """One fit's inputs, owned by the job: fit changes model and optimizer in place."""

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


@dataclass
class Outcome:
    """What a job gives back: the run's History and the trained model and optimizer."""

    history: History
    model: object
    optimizer: object


def run(job, callback=None):
    """fit(job) in this process: callback(Progress) after every iteration, STOP ends the run."""
    history = fit(job.model, job.criterion, job.optimizer, job.X, job.y, job.epochs, job.batch_size,
                  rng=job.seed, callback=callback, X_val=job.X_val, y_val=job.y_val)
    return Outcome(history, job.model, job.optimizer)


def run_jobs(jobs, callback=None):
    """The jobs one after the other in this process; callback(run index, Progress); stops after a STOP."""
    outcomes = []
    for index, job in enumerate(jobs):
        outcomes.append(run(job, callback and (lambda progress, index=index: callback(index, progress))))
        if outcomes[-1].history.stopped_reason == "callback":
            break
    return outcomes


# --- in the worker process ---

_events = None  # the worker's queue to the server: (job id, kind, payload)
_cancel = None  # shared integer: the id of the job the server wants stopped


def _init(events, cancel):
    global _events, _cancel
    _events, _cancel = events, cancel


class _Reporter:
    """fit's callback in the worker: sends the batch losses in about REPORTS chunks; STOP when cancelled."""

    def __init__(self, job_id):
        self.job_id, self.chunk, self.run = job_id, [], 0

    def __call__(self, index, progress):
        if index != self.run:  # the next run of a comparison: what an early stop left unsent is dropped
            self.run, self.chunk = index, []
        self.chunk.append((progress.epoch, progress.iteration, progress.loss))
        every = max(1, progress.n_iterations // REPORTS)
        if progress.iteration % every == 0 or progress.iteration == progress.n_iterations:
            _events.put((self.job_id, "progress", (index, progress.n_iterations, progress.epochs, self.chunk)))
            self.chunk = []
        return STOP if _cancel.value == self.job_id else None


def _work(job_id, jobs):
    _events.put((job_id, "started", None))
    return run_jobs(jobs, _Reporter(job_id))


# --- in the server ---

class Trainer:
    """The server's one worker process and its queue; run() is called from any learner's thread."""

    def __init__(self, idle_s=IDLE_S):
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._pool = None
        self._ids = itertools.count(1)
        self._waiting = []      # ids of jobs submitted and not started, in order
        self._running = None    # the id of the job in the worker
        self._mailboxes = {}    # job id -> queue.Queue of (kind, payload) from the worker
        self._busy = 0          # jobs submitted and not finished
        self._last = time.monotonic()

    @property
    def alive(self):
        """True while the worker process is up (it starts with a job and exits when idle)."""
        return self._pool is not None

    def _start(self):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no server threads forked
        events, cancel = context.Queue(), context.Value("q", 0)
        self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_init, initargs=(events, cancel))
        self._events, self._cancel = events, cancel
        threading.Thread(target=self._dispatch, args=(events,), name="trainer-events", daemon=True).start()
        threading.Thread(target=self._idle_watch, args=(self._pool,), name="trainer-idle", daemon=True).start()

    def _dispatch(self, events):
        """Hand each event from the worker to its job's mailbox; ends with None (the pool shut down)."""
        for job_id, kind, payload in iter(events.get, None):
            with self._lock:
                if kind == "started" and job_id in self._waiting:
                    self._waiting.remove(job_id)
                    self._running = job_id
                box = self._mailboxes.get(job_id)
            if box is not None:
                box.put((kind, payload))

    def _idle_watch(self, pool):
        while True:
            time.sleep(min(1.0, self.idle_s / 4))
            with self._lock:
                if self._pool is not pool:
                    return
                if self._busy or time.monotonic() - self._last < self.idle_s:
                    continue
                self._pool = None
                events = self._events
            _shut(pool, events)
            return

    def close(self):
        """Stop the worker process now (a job running is waited for); the next run starts another."""
        with self._lock:
            pool, self._pool = self._pool, None
            events = getattr(self, "_events", None)
        if pool is not None:
            _shut(pool, events)

    def position(self, job_id):
        """How many jobs run or wait before this one (0: none, the worker is starting); None once it runs."""
        with self._lock:
            if job_id not in self._waiting:
                return None
            return self._waiting.index(job_id) + (self._running is not None)

    def run(self, jobs, callback=None, waiting=None):
        """Outcomes of the jobs, run in the worker; callback(run index, Progress) per iteration, in this thread.

        waiting(position) is called while the job waits, with the number of jobs ahead (Trainer.position),
        when it changes and every WAITING_S, and once with None when it starts. A learner's thread
        interrupted in a callback (a click, a closed tab) cancels its job.
        A ValueError of fit is raised here; so is one when the worker process died.
        """
        with self._lock:
            if self._pool is None:
                self._start()
            job_id, box = next(self._ids), queue.Queue()
            self._mailboxes[job_id] = box
            self._waiting.append(job_id)
            self._busy += 1
            pool, cancel = self._pool, self._cancel
        with _this_module_as_main():  # the first submit spawns the worker process
            future = pool.submit(_work, job_id, jobs)
        try:
            self._follow(job_id, future, box, callback, waiting)
            return future.result()
        except BrokenProcessPool as error:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise ValueError(f"the training process stopped unexpectedly ({error}); train again") from None
        finally:
            if not future.done() and not future.cancel():
                cancel.value = job_id  # running: its next iteration returns STOP
            with self._lock:
                self._mailboxes.pop(job_id, None)
                if job_id in self._waiting:
                    self._waiting.remove(job_id)
                if self._running == job_id:
                    self._running = None
                self._busy -= 1
                self._last = time.monotonic()

    def _follow(self, job_id, future, box, callback, waiting):
        """Replay the worker's progress reports as callback calls, and the queue position, until done."""
        shown, told, done = object(), 0.0, False
        while True:
            try:
                kind, payload = box.get(timeout=POLL_S)
            except queue.Empty:
                if done:  # one more look after the result came: the last reports travel apart from it
                    return
                done, kind = future.done(), None
            if kind == "progress" and callback is not None:
                index, n_iterations, epochs, chunk = payload
                for epoch, iteration, loss in chunk:
                    callback(index, Progress(epoch, iteration, loss, n_iterations, epochs))
            position = self.position(job_id)
            if waiting is not None and (position != shown or (position is not None
                                                               and time.monotonic() - told > WAITING_S)):
                waiting(position)
                shown, told = position, time.monotonic()


def _shut(pool, events):
    """Wait for the worker process to exit, then end the dispatch thread of its events."""
    pool.shutdown(wait=True)
    events.put(None)


_TRAINER = None
_TRAINER_LOCK = threading.Lock()


def trainer():
    """The server's Trainer, made on first use."""
    global _TRAINER
    with _TRAINER_LOCK:
        if _TRAINER is None:
            _TRAINER = Trainer()
        return _TRAINER
