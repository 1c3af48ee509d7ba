"""A throw-away PostgreSQL server in a temporary directory (Debian's initdb and pg_ctl), for tests and benches.

PostgreSQL refuses to run as root: as root the server runs as the user "postgres" (which Debian's package
creates), its directory handed to that user. It listens on 127.0.0.1 and a free port, trusts local connections,
and is stopped (pg_ctl stop -m immediate) and its directory removed by stop().
"""
import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.server import free_port


def binary(name):
    """The path of a PostgreSQL program (on PATH, else under /usr/lib/postgresql/*/bin), or None."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available():
    return binary("initdb") is not None and binary("pg_ctl") is not None


@dataclass
class Postgres:
    directory: Path
    port: int
    as_user: list

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self):
        subprocess.run([*self.as_user, binary("pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


def start(timeout=60):
    """Start a fresh server; the Postgres (its url, stop()). RuntimeError with initdb's or pg_ctl's output."""
    directory = Path(tempfile.mkdtemp(prefix="backprop-lens-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(directory, "postgres")
    data, port = directory / "data", free_port()
    steps = ([binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
             [binary("pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w", "-t", str(timeout), "-o",
              f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
              "start"])
    for step in steps:
        done = subprocess.run([*as_user, *step], capture_output=True, text=True, timeout=timeout + 30)
        if done.returncode != 0:
            log = (directory / "log").read_text(errors="replace") if (directory / "log").exists() else ""
            shutil.rmtree(directory, ignore_errors=True)
            raise RuntimeError(f"{Path(step[0]).name} failed: {done.stdout}{done.stderr}{log}")
    return Postgres(directory, port, as_user)
