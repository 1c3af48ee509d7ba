"""Uploads pin no memory (issue 23, item 2): every uploader is capped at what its reader accepts, and once its
file is read or refused the session holds no UploadedFile, the file is removed from Streamlit's upload store,
and the uploader is drawn empty for the next file (AppTest)."""
import gc

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFile

from lab.mine import max_bytes
from lab.transfer import config_json, weights_npz
from tests.lab.test_mine import mine_bytes
from tests.pages.apptest import as_shown, errors, open_page
from tests.uploaded import digits_csv
from ui.uploader import widget_key


def held_files(at):
    """The uploaded files still alive after the last run: UploadedFile objects anywhere, the session's widget
    state included. (AppTest gives each run a new upload store: removed_from_the_store checks that one.)"""
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, UploadedFile)]


def cap_mb(at, key):
    """The per-widget cap (MB) the browser enforces for uploader `key` as it is drawn now."""
    return at.file_uploader(key=widget_key(key, at.session_state)).proto.max_upload_size_mb


def removed_from_the_store(monkeypatch):
    """The names of the files removed from Streamlit's upload store (the server's copy of each file), in order."""
    removed, remove = [], MemoryUploadedFileManager.remove_file

    def recorded(manager, session_id, file_id):
        removed.extend(rec.name for rec in manager.get_files(session_id, [file_id]))
        remove(manager, session_id, file_id)
    monkeypatch.setattr(MemoryUploadedFileManager, "remove_file", recorded)
    return removed


def test_a_read_csv_leaves_no_file_in_the_session_and_an_empty_uploader_for_the_next(monkeypatch):
    removed = removed_from_the_store(monkeypatch)
    at = open_page("build")
    assert cap_mb(at, "csv_upload") == 200
    at.file_uploader(key="csv_upload").set_value(("digits28.csv", digits_csv(300), "text/csv")).run()
    assert not at.exception and not errors(at)
    assert at.session_state.lab.config.dataset == "upload: digits28.csv"
    assert held_files(at) == []
    assert at.file_uploader(key="csv_upload.1").value is None and "csv_upload" not in at.session_state
    at.file_uploader(key="csv_upload.1").set_value(("again.csv", digits_csv(100), "text/csv")).run()
    assert at.session_state.lab.config.dataset == "upload: again.csv" and held_files(at) == []
    assert removed == ["digits28.csv", "again.csv"]


def test_a_refused_file_is_dropped_too_and_its_message_stays_beside_the_uploader():
    at = open_page("build")
    before = at.session_state.lab.config
    at.file_uploader(key="csv_upload").set_value(("ragged.csv", b"label,p0\n1,2\n0,3,4\n", "text/csv")).run()
    assert any("row 2 (line 3) has 3 fields" in e for e in errors(at)), errors(at)
    assert at.session_state.lab.config == before and held_files(at) == []


def test_an_oversized_mine_npz_is_refused_by_size_and_dropped():
    at = open_page("step")
    lab = at.session_state.lab
    limit = max_bytes(lab.trace)
    assert cap_mb(at, "step_mine_upload") == 2  # the browser's cap: the bound of this iteration, in whole MB
    content = mine_bytes(lab) + b"\0" * 2 * limit  # past the browser, as a hand-made request could be
    at.file_uploader(key="step_mine_upload").set_value(("mine.npz", content, "application/octet-stream")).run()
    assert any("your tensors file has 2.0 MB; one for this iteration has at most 1.0 MB" in e
               for e in errors(at)), errors(at)
    assert held_files(at) == [] and "_step_mine" not in at.session_state
    assert widget_key("step_mine_upload", at.session_state) == "step_mine_upload.1"


def test_a_read_mine_npz_is_kept_as_arrays_and_the_file_dropped():
    at = open_page("step")
    lab = at.session_state.lab
    at.file_uploader(key="step_mine_upload").set_value(("mine.npz", mine_bytes(lab),
                                                        "application/octet-stream")).run()
    assert not errors(at) and at.session_state["_step_mine"].differences == {}
    assert held_files(at) == []
    at.button(key="step_mine_forget").click().run()
    assert "_step_mine" not in at.session_state


def test_import_files_are_capped_kept_as_bytes_until_import_and_the_uploads_dropped():
    at = open_page("build")
    assert (cap_mb(at, "import_config"), cap_mb(at, "import_weights")) == (1, 200)
    lab = at.session_state.lab
    config, weights = config_json(lab.config).encode(), weights_npz(lab.model)
    at.file_uploader(key="import_config").set_value(("network.json", config, "application/json")).run()
    at.file_uploader(key="import_weights").set_value(("weights.npz", weights, "application/octet-stream")).run()
    assert held_files(at) == []
    assert any(as_shown(c.value).startswith("Chosen: network.json (0.4 KB)") for c in at.caption)
    at.button(key="import").click().run()
    assert not errors(at) and "_import_files" not in at.session_state
    assert at.selectbox(key="preset").value == "kept"
