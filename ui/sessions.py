"""Closed sessions give their memory back: shut down when their time-to-live has passed, then collected.

Streamlit keeps a disconnected session (its Lab, trace and figures) for
server.disconnectedSessionTTL seconds, so that a tab whose connection dropped comes back to it.
It removes an expired session only when it stores another one, without shutting it down (its
media and dataframe references stay), and what the session held lives in reference cycles that
only a full garbage collection frees; the app turns the collection after every rerun off
(runner.postScriptGC: ~190 ms a click). So one daemon thread of the server looks every PERIOD_S:
on Streamlit's event loop it shuts down and drops the expired sessions, and when sessions ended
it runs one gc.collect() and hands the freed heap pages back to the system (glibc malloc_trim).
It reaches into Streamlit's session storage (1.67); if that is not there, it does nothing.
"""
import ctypes
import ctypes.util
import gc
import logging
import threading
import time

from . import heap

PERIOD_S = 5.0
_LOGGER = logging.getLogger(__name__)
_STARTED = threading.Lock()
_watching = False


def _storage_cache():
    """Streamlit's TTLCache of disconnected sessions, or None (not served by `streamlit run`, another version)."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    manager = getattr(runtime.get_instance(), "_session_mgr", None)
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    return cache if hasattr(cache, "_expirations") and hasattr(cache, "_data") else None


def reap(cache):
    """Shut down and drop every stored session whose time-to-live has passed; how many (event loop only)."""
    now = cache.timer()
    expired = [key for key, expires in list(cache._expirations.items()) if expires <= now]
    for key in expired:
        info = cache._data.get(key)
        if info is not None:
            info.session.shutdown()  # its uploaded files, media and dataframe references go
    cache.expire(now)
    return len(expired)


def release():
    """One full garbage collection, and the free heap pages back to the system; the unreachable objects found."""
    found = gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        try:
            ctypes.CDLL(libc).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass
    return found


def _on_loop(function):
    """Run function() on Streamlit's event loop and return its result (None when the loop is gone)."""
    from streamlit import runtime

    done, result = threading.Event(), []

    def call():
        try:
            result.append(function())
        finally:
            done.set()

    try:
        runtime.get_instance()._get_async_objs().eventloop.call_soon_threadsafe(call)
    except (RuntimeError, AttributeError):
        return None
    done.wait(30)
    return result[0] if result else None


def _watch():
    while True:
        time.sleep(PERIOD_S)
        try:
            cache = _storage_cache()
            if cache is not None and _on_loop(lambda: reap(cache)):
                release()
        except Exception:  # noqa: BLE001 - never take the server down for housekeeping
            _LOGGER.exception("reaping closed sessions failed")


def watch():
    """Start the server's one watcher thread (idempotent; app.py calls it on every run)."""
    global _watching
    with _STARTED:
        if not _watching:
            heap.cap_arenas()  # the sessions' threads share the core count's arenas (ui/heap.py)
            threading.Thread(target=_watch, name="closed-sessions", daemon=True).start()
            _watching = True
