"""ui.sessions: closed sessions are shut down and dropped when their time-to-live has passed, then collected."""
import gc
import tomllib
import weakref
from pathlib import Path
from types import SimpleNamespace

from streamlit.runtime.memory_session_storage import MemorySessionStorage

from lab.session import Lab
from ui import sessions

ROOT = Path(__file__).resolve().parents[2]


class FakeSession:
    """A stored session as Streamlit keeps it: an id, shutdown(), and what it holds (here a Lab in a cycle)."""

    def __init__(self, name):
        self.id, self.shut = name, False
        self.state = {"lab": Lab(), "self": self}  # a reference cycle, as a session's state has

    def shutdown(self):
        self.shut = True


def storage(clock):
    store = MemorySessionStorage(maxsize=128, ttl_seconds=30)
    store._cache._timer = lambda: clock[0]  # a clock the test moves
    return store


def test_reap_shuts_down_and_drops_only_the_expired_sessions():
    clock = [0.0]
    store = storage(clock)
    old, new = FakeSession("old"), FakeSession("new")
    store.save(SimpleNamespace(session=old))
    clock[0] = 20.0
    store.save(SimpleNamespace(session=new))
    clock[0] = 31.0  # old's 30 s have passed, new's have not
    assert sessions.reap(store._cache) == 1
    assert old.shut and not new.shut
    assert list(store._cache._data) == ["new"] and store.get("new").session is new
    clock[0] = 51.0
    assert sessions.reap(store._cache) == 1 and new.shut and not store._cache._data
    assert sessions.reap(store._cache) == 0


def test_a_reaped_session_and_its_lab_are_freed_by_release():
    """Streamlit only hides an expired session (it goes when another is saved); reap and release free it."""
    clock = [0.0]
    store = storage(clock)
    session = FakeSession("gone")
    lab = weakref.ref(session.state["lab"])
    store.save(SimpleNamespace(session=session))
    del session
    clock[0] = 31.0
    assert store.get("gone") is None and lab() is not None  # expired, yet still held by the store
    gc.disable()  # as runner.postScriptGC = false leaves it between collections
    try:
        sessions.reap(store._cache)
        assert lab() is not None  # a cycle: dropping it is not enough
        assert sessions.release() > 0 and lab() is None
    finally:
        gc.enable()


def test_the_served_app_keeps_a_closed_session_30_s_and_starts_the_watcher():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["disconnectedSessionTTL"] == 30 < 60  # the load bench reads memory 60 s after close
    assert "watch()" in (ROOT / "app.py").read_text()
    assert sessions._storage_cache() is None  # not served by `streamlit run`: the watcher does nothing
