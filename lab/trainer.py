"""One training process for the whole server: the learners' runs share it in turn (lab.training_worker).

Training is the app's only long computation. In the server's own process it holds the GIL (the
engine's small NumPy operations run as Python) and every other learner's click waits for it; on
a 2-core machine one worker process trains on one core while the server answers clicks on the
other. Its runs take turns, a slice of time each, so a short run starts within seconds whatever
another learner trains, and each run stops at a cap on its compute (budget.RUN_S). A job carries
its own copies of the model, optimizer, criterion and data; the trained copies and the History
come back. Progress reports (with the batch losses since the last one) and the job's place in
line reach the learner's thread, which draws them and, at least every WAITING_S, gets the chance
to be interrupted (a click on Stop or elsewhere, a closed tab): the run then stops at its next
iteration and what it trained is handed to `keep`. The worker process starts with the first job,
exits after IDLE_S without one, and exits within WATCH_S when the server is gone, however it went.
"""
import itertools
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.training import Progress
from i18n import domain

from .budget import RUN_S
from .training_worker import SLICE_S, WATCH_S, Outcome, TrainJob, run, run_jobs, serve  # noqa: F401 - also from here

_, ngettext = domain("lab")
IDLE_S = 20.0    # the worker process exits after this long without a job
POLL_S = 0.05    # how often a learner's thread looks at its job
WAITING_S = 0.5  # waiting() or tick() is called at least this often (a click can interrupt the thread there)
KEEP_S = 10.0    # after an interruption, how long the learner's thread waits for what the run trained
EXIT_S = 60.0    # close() waits this long for the worker process to exit before it kills it


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


@dataclass(eq=False)
class Worker:
    """One worker process, its commands (a Queue), its events (a pipe) and the jobs given to it (job id -> mailbox)."""

    commands: object
    events: object
    sender: object
    process: object = None
    watch: threading.Thread = None
    boxes: dict = field(default_factory=dict)


class Trainer:
    """The server's one worker process and its runs; run() is called from any learner's thread."""

    def __init__(self, idle_s=IDLE_S, slice_s=SLICE_S, cap_s=RUN_S):
        self.idle_s, self.slice_s, self.cap_s = idle_s, slice_s, cap_s
        self._lock = threading.Lock()
        self._worker = None
        self._ids = itertools.count(1)
        self._waiting = []      # ids of jobs submitted and not started, in order
        self._running = set()   # ids of the jobs taking turns in the worker
        self._last = time.monotonic()

    @property
    def alive(self):
        """True while the worker process is up (it starts with a job and exits when idle)."""
        return self._worker is not None

    @property
    def pid(self):
        """The worker process's id, or None."""
        worker = self._worker
        return worker.process.pid if worker is not None and worker.process is not None else None

    def _start(self):
        """A new worker process, spawned and then watched by a thread of its own: Linux's PR_SET_PDEATHSIG
        fires when the thread that spawned a process ends, and a learner's thread ends with its rerun."""
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no server threads forked
        events, sender = context.Pipe(duplex=False)  # a pipe, not a Queue: its end is seen when the process dies
        worker = self._worker = Worker(context.Queue(), events, sender)
        worker.process = context.Process(target=serve, name="backprop-lens-trainer", daemon=True,
                                         args=(worker.commands, sender, os.getpid(), self.slice_s, self.cap_s))
        worker.watch = threading.Thread(target=self._watch, args=(worker,), name="trainer-worker", daemon=True)
        worker.watch.start()
        return worker

    def _watch(self, worker):
        """Spawn the worker process, hand its events to their jobs' mailboxes, end it when idle, until it exits."""
        try:
            with _this_module_as_main():
                worker.process.start()
            worker.sender.close()  # the process holds the only sending end now: at its death the pipe ends
            self._relay(worker)
        finally:
            if worker.process.pid is not None:
                worker.process.join()
            with self._lock:
                if self._worker is worker:
                    self._worker = None
                boxes = list(worker.boxes.values())
            for box in boxes:  # their runs died with the process
                box.put(("died", worker.process.exitcode))

    def _relay(self, worker):
        while True:
            try:
                if not worker.events.poll(WATCH_S):
                    self._end_if_idle(worker)
                    continue
                job_id, kind, payload = worker.events.recv()
            except (EOFError, OSError):  # the process exited, or died
                return
            with self._lock:
                if kind == "started" and job_id in self._waiting:
                    self._waiting.remove(job_id)
                    self._running.add(job_id)
                box = worker.boxes.get(job_id)
            if box is not None:
                box.put((kind, payload))

    def _end_if_idle(self, worker):
        with self._lock:
            if self._worker is not worker or worker.boxes or time.monotonic() - self._last < self.idle_s:
                return
            self._worker = None
        worker.commands.put(("exit", None, None))

    def close(self):
        """Stop the worker process now (runs in it end too); the next run starts another."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.commands.put(("exit", None, None))
            worker.watch.join(EXIT_S)  # the watching thread alone waits for the process
            if worker.watch.is_alive():
                worker.process.kill()
                worker.watch.join()

    def position(self, job_id):
        """How many runs go before this one's first turn (0: none, it starts now); None once it runs."""
        with self._lock:
            if job_id not in self._waiting:
                return None
            return self._waiting.index(job_id) + len(self._running)

    def sharing(self):
        """How many runs take turns in the worker now."""
        with self._lock:
            return len(self._running)

    def run(self, jobs, callback=None, waiting=None, tick=None, keep=None):
        """Outcomes of the jobs, run in the worker; callback(run index, Progress) per iteration, in this thread.

        waiting(position) is called while the job waits, with the number of runs before its turn
        (Trainer.position), when it changes and every WAITING_S, and once with None when it starts;
        tick(runs sharing the worker) every WAITING_S while it runs. When one of them interrupts this
        thread (a click, a closed tab), the run stops at its next iteration and keep(outcomes so far)
        is called before the interruption goes on. A run stops by itself at the cap (cap_s of its
        compute): its last History's stopped_reason says "time cap".
        A ValueError of fit is raised here; so is one when the worker process died.
        """
        data = pickle.dumps(jobs)  # a job that cannot be sent fails here, in the learner's thread
        with self._lock:
            worker = self._worker or self._start()
            job_id, box = next(self._ids), queue.Queue()
            worker.boxes[job_id] = box
            self._waiting.append(job_id)
        worker.commands.put(("run", job_id, data))
        try:
            kind, payload = self._follow(job_id, box, callback, waiting, tick)
        except BaseException:
            self._stop(worker, job_id, box, keep)
            raise
        finally:
            with self._lock:
                worker.boxes.pop(job_id, None)
                if job_id in self._waiting:
                    self._waiting.remove(job_id)
                self._running.discard(job_id)
                self._last = time.monotonic()
        if kind == "done":
            return pickle.loads(payload)
        if kind == "error":
            raise payload
        raise ValueError(_("the training process stopped unexpectedly (exit code {code}); train again").format(
            code=payload))

    def _stop(self, worker, job_id, box, keep):
        """Stop the run at its next iteration and give what it trained to keep (within KEEP_S)."""
        worker.commands.put(("stop", job_id, None))
        deadline = time.monotonic() + KEEP_S
        while keep is not None and time.monotonic() < deadline:
            try:
                kind, payload = box.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if kind == "done":
                keep(pickle.loads(payload))
            if kind in ("done", "error", "died", "cancelled"):
                return

    def _follow(self, job_id, box, callback, waiting, tick):
        """Replay the worker's progress reports as callback calls, and the place in line, until the end."""
        shown, told = object(), 0.0
        while True:
            try:
                kind, payload = box.get(timeout=POLL_S)
            except queue.Empty:
                kind = None
            if kind in ("done", "error", "died"):
                return kind, payload
            if kind == "progress" and callback is not None:
                index, n_iterations, epochs, chunk = payload
                for epoch, iteration, loss in chunk:
                    callback(index, Progress(epoch, iteration, loss, n_iterations, epochs))
            position, now = self.position(job_id), time.monotonic()
            if position != shown or now - told > WAITING_S:
                if waiting is not None and (position is not None or shown is not None):
                    waiting(position)
                elif tick is not None and position is None:
                    tick(self.sharing())
                shown, told = position, now


_TRAINER = None
_TRAINER_LOCK = threading.Lock()


def trainer():
    """The server's Trainer, made on first use."""
    global _TRAINER
    with _TRAINER_LOCK:
        if _TRAINER is None:
            _TRAINER = Trainer()
        return _TRAINER
