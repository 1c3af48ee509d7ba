"""Start `streamlit run app.py` on a free local port as a subprocess; stop it by its own process id.

Used by the browser tests (tests/e2e/conftest.py) and the load bench (bench/load_bench.py).
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90  # seconds until /_stcore/health answers "ok" (a cold start imports NumPy, pandas, Plotly)


@dataclass
class Server:
    """A running `streamlit run app.py`: its process, port, root URL and log file."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def pid(self):
        return self.process.pid

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self, n_chars=3000):
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-n_chars:]
        except OSError:
            return ""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port, timeout=2.0):
    """True when Streamlit's health endpoint on `port` answers "ok"."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def start(log_path, timeout=START_TIMEOUT, attempts=3):
    """Start the app headless on 127.0.0.1 and a free port; return the Server once it is healthy.

    The server's stdout and stderr go to log_path. A port taken between choosing it and
    binding it (a race with another program) is retried on a new port.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        port = free_port()
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(port),
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)  # its own process group, led by its own pid
        server = Server(process, port, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if healthy(port):
                return server
            time.sleep(0.25)
        stop(server)
        if "already in use" not in server.log_tail() or attempt == attempts - 1:
            raise RuntimeError(f"streamlit did not become healthy on port {port} within {timeout} s "
                               f"(exit code {process.returncode}); its log ({log_path}):\n{server.log_tail()}")
    raise AssertionError("unreachable")


def stop(server, timeout=15):
    """SIGTERM to the server's pid (its process group, in case it started children); SIGKILL if it hangs."""
    process = server.process
    if process.poll() is not None:
        return process.returncode
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # the group start_new_session made: its id is the server's pid
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    return process.wait(timeout=timeout)


def finished_run(frame):
    """True when a websocket frame the browser received is Streamlit's "script finished" message of a
    whole run (not one cut short by a newer rerun): the rerun a click started is over on the server."""
    if not isinstance(frame, (bytes, bytearray)) or len(frame) > 256:
        return False  # a script_finished message is a few bytes; skip parsing big deltas
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    try:
        message = ForwardMsg.FromString(bytes(frame))
    except Exception:  # noqa: BLE001 - not a ForwardMsg: not the end of a run
        return False
    return message.WhichOneof("type") == "script_finished" \
        and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN


def process_tree(pid):
    """pid and every descendant's pid, from /proc/<pid>/task/*/children (Linux)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                pass
    return pids


def spawned(pid):
    """The ids of pid's children that multiprocessing spawned (its training worker, not its resource tracker)."""
    children = {int(child) for task in Path(f"/proc/{pid}/task").glob("*")
                for child in (task / "children").read_text().split()}
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def gone(pid):
    """True once the process has exited: no /proc entry, or only a zombie's (it may vanish between the two looks)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()
    except (FileNotFoundError, ProcessLookupError):
        return True


def rss_bytes(pid):
    """Resident memory (VmRSS) of pid and its descendants, in bytes; 0 for a process that is gone."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total
