"""Start deploy/local_cluster.sh REPLICAS PORT as a subprocess (its own process group) and stop it; used by the
cluster's browser test and bench/class_bench.py --browsers."""
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.server import free_port

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "deploy" / ".cluster"
START_S = 240


def haproxy():
    """Debian's haproxy, or None."""
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def start(replicas, log_path):
    """(process, {"url", "replicas": {"replicaN": pid}, "database": its URL}) once HAProxy answers healthy."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BACKPROP_LENS_DB"}  # a throw-away PostgreSQL of its own
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(["bash", str(ROOT / "deploy" / "local_cluster.sh"), str(replicas), str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    deadline = time.monotonic() + START_S
    while not (healthy(port) and (RUN / "haproxy.pid").exists()) and process.poll() is None:
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"the cluster did not start within {START_S} s: {Path(log_path).read_text()}")
        time.sleep(0.5)
    if process.poll() is not None:
        raise RuntimeError(f"the cluster script ended: {Path(log_path).read_text()}")
    rows = [line.split("\t") for line in (RUN / "replicas.tsv").read_text().splitlines()[1:]]
    return process, {"url": f"http://127.0.0.1:{port}/", "replicas": {f"replica{n}": int(pid) for n, pid, _ in rows},
                     "database": (RUN / "database_url").read_text().strip().replace("postgresql://",
                                                                                    "postgresql+psycopg://", 1)}


def stop(process):
    """SIGTERM to the script's group: its trap stops the replicas, HAProxy and PostgreSQL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    process.wait(timeout=60)
