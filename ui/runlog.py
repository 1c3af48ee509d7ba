"""An opt-in log of every rerun's server time, for the load bench: BACKPROP_LENS_RUN_LOG=path.

Each rerun appends one JSON line: the page, its wall time and the CPU time of the session's thread
(the difference is time spent waiting for the GIL and the cores), and whether a newer click
interrupted it. Without the variable nothing is written.
"""
import json
import os
import threading
import time
from contextlib import contextmanager

ENV = "BACKPROP_LENS_RUN_LOG"
_LOCK = threading.Lock()


def page_name(page):
    """A StreamlitPage's title ('?' outside a server, where a page has none)."""
    try:
        return page.title
    except AttributeError:
        return "?"


def start():
    """The rerun's start: (wall clock, this thread's CPU clock); take it first thing in the script."""
    return time.perf_counter(), time.thread_time()


@contextmanager
def logged_run(page, started=None):
    """Time the rerun from `started` (or now) to the end of the body; append its record when the variable is set."""
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    (wall, cpu), finished = started or start(), False
    try:
        yield
        finished = True
    finally:
        record = {"page": page_name(page) if not isinstance(page, str) else page, "wall_s": round(time.perf_counter() - wall, 4),
                  "cpu_s": round(time.thread_time() - cpu, 4), "finished": finished, "at": round(time.time(), 3)}
        with _LOCK, open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")


def fragment_rerun():
    """True while Streamlit reruns fragments alone (a click inside one), not the whole script."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


@contextmanager
def logged_fragment(page):
    """Inside a fragment: log a rerun of the fragment alone as one of `page` (a whole run is logged by app.py)."""
    if fragment_rerun():
        with logged_run(page):
            yield
    else:
        yield
