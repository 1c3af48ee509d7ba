"""What of the learner's code is running, since when, and a watchdog that stops it past its time limit.

`with running("ReLU forward", limit): ...` marks a call of the learner's code; when it runs past its limit,
the watchdog thread interrupts the main thread with TimeUp (a BaseException: not the learner's error). Code
that swallows TimeUp, or a C loop that never returns to Python, is killed by the process that started
this one (engine/grade/runner.py), which hears from here every second (`heartbeat`).
"""
import _thread
import signal
import threading
import time
from contextlib import contextmanager

from i18n import domain

from .words import label_text

_, ngettext = domain("grade")

LEARNER_ERRORS = (Exception, SystemExit, KeyboardInterrupt)  # what the learner's code may raise: its error


class TimeUp(BaseException):
    """The learner's code ran past its time limit (raised by the watchdog in the main thread)."""

    def __init__(self, label, limit):
        super().__init__(_("{label} did not finish in {limit:g} s").format(label=label_text(label), limit=limit))
        self.label, self.limit = label, limit


class Watch:
    """The label and start of the learner's call now running, and whether the person grading pressed Ctrl-C."""

    def __init__(self):
        self.label, self.since, self.limit, self.fired = None, None, None, 0.0
        self.user_interrupt, self.active, self.pending = False, False, None
        self.announce = None  # announce(label, limit) at the start of each call: the parent knows what runs

    def elapsed(self):
        return 0.0 if self.since is None else time.monotonic() - self.since


WATCH = Watch()


@contextmanager
def running(label, limit=None):
    """Mark the learner's code as running under label, for at most limit seconds (None: the outer call's limit).
    When it returns, the outer call's clock starts again: the limit bounds a stretch without progress."""
    outer_label, outer_limit = WATCH.label, WATCH.limit
    WATCH.label, WATCH.since, WATCH.limit, WATCH.fired = label, time.monotonic(), limit or outer_limit, 0.0
    if WATCH.announce is not None:
        WATCH.announce(label, WATCH.limit)
    try:
        yield
    finally:
        WATCH.label, WATCH.limit, WATCH.fired = outer_label, outer_limit, 0.0
        WATCH.since = None if outer_label is None else time.monotonic()


def doing():
    """The label of the learner's call now running, or None."""
    return WATCH.label


def raise_if_user_interrupt(error):
    """Re-raise a KeyboardInterrupt that came from the person grading (Ctrl-C), not from the learner's code."""
    if isinstance(error, KeyboardInterrupt) and WATCH.user_interrupt:
        raise error


def _on_sigint(signum, frame):
    pending, WATCH.pending = WATCH.pending, None
    if pending is not None:  # the watchdog's
        if WATCH.label is not None:
            raise TimeUp(*pending)
        return  # the call it was meant for has just finished
    WATCH.user_interrupt = True
    raise KeyboardInterrupt


def _watchdog(stop, heartbeat):
    beat = 0.0
    while not stop.wait(0.05):
        now = time.monotonic()
        label, since, limit = WATCH.label, WATCH.since, WATCH.limit
        if label is not None and limit and now - since > limit and now - WATCH.fired > 1.0:
            WATCH.fired, WATCH.pending = now, (label, limit)  # again every second, for code that swallowed it
            _thread.interrupt_main(signal.SIGINT)
        if heartbeat is not None and now - beat >= 1.0:
            beat = now
            heartbeat(label, 0.0 if since is None else now - since, limit)


@contextmanager
def watching(heartbeat=None):
    """Run the watchdog while the block runs (only from the main thread; elsewhere no time limit applies)."""
    if threading.current_thread() is not threading.main_thread() or WATCH.active:
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    stop = threading.Event()
    thread = threading.Thread(target=_watchdog, args=(stop, heartbeat), name="grade-watchdog", daemon=True)
    WATCH.active, WATCH.user_interrupt = True, False
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        WATCH.active = False
        signal.signal(signal.SIGINT, previous)
