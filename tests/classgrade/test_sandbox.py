"""classgrade.sandbox: whatever the sealed command does, seal() returns, says why it ended, leaves no process
behind, and under bwrap the command can neither write outside its folder nor reach the network."""
import os
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest

from classgrade.sandbox import BWRAP_ONLY, Seal, carrying, sandbox_of, seal

HAS_BWRAP = shutil.which("bwrap") is not None
# .ci/run installs bubblewrap: under CI its absence is a failure, elsewhere its tests are not run
SANDBOXES = ["none", pytest.param("bwrap", marks=pytest.mark.skipif(not HAS_BWRAP and not os.environ.get("CI"),
                                                                    reason="bwrap is not installed"))]


def run(tmp_path, code, sandbox, **limits):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return seal([sys.executable, "-c", code], work, Seal(sandbox=sandbox, **{"timeout": 20, **limits}))


def alive(marker):
    """The pids whose command line holds marker."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_command_that_runs_forever_is_killed_at_the_time_limit(tmp_path, sandbox):
    found = run(tmp_path, "while True: pass", sandbox, timeout=1.5)
    assert found.error == "did not finish in 1.5 s (the whole submission's time limit)"
    assert found.sandbox == sandbox


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_flood_of_output_is_cut_at_the_cap_and_the_command_killed(tmp_path, sandbox):
    found = run(tmp_path, "import sys\nwhile True: sys.stderr.write('x' * 65536)", sandbox, output=1 << 20)
    assert found.error == "printed more than 1 MB on its stderr"
    assert len(found.stderr) <= 1 << 20 and found.returncode == -9


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_memory_limit_stops_a_30_gb_allocation(tmp_path, sandbox):
    found = run(tmp_path, "x = bytearray(30 * 2 ** 30)", sandbox, memory=512)
    assert found.returncode == 1 and b"MemoryError" in found.stderr


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_children_that_start_their_own_session_do_not_outlive_the_command(tmp_path, sandbox):
    marker = f"orphan-{uuid.uuid4().hex}"
    code = ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # {marker}'],"
            " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    found = run(tmp_path, code, sandbox)
    assert found.returncode == 0 and not alive(marker)
    if sandbox == "none":  # under bwrap its PID namespace took them away with it
        assert found.error == "left 1 process running after it ended: killed"


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_teachers_environment_does_not_reach_the_command(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("TEACHER_SECRET", "hunter2")
    found = run(tmp_path, "import os; print(sorted(os.environ)); print(os.getcwd())", sandbox)
    assert b"TEACHER_SECRET" not in found.stdout and str(tmp_path / "work").encode() in found.stdout
    assert not carrying("nothing")


@pytest.mark.skipif(not HAS_BWRAP and not os.environ.get("CI"), reason="bwrap is not installed")
def test_under_bwrap_nothing_is_written_outside_the_folder_and_nothing_reaches_the_network(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    outside = tmp_path / "outside.txt"
    code = (f"import socket\nopen({str(tmp_path / 'work' / 'inside.txt')!r}, 'w').write('ok')\n"
            f"try:\n    open({str(outside)!r}, 'w').write('x')\nexcept OSError as e:\n    print('write:', e)\n"
            f"socket.create_connection(('127.0.0.1', {server.getsockname()[1]}), timeout=2)\n")
    found = run(tmp_path, code, "bwrap")
    assert not outside.exists() and b"Read-only file system" in found.stdout
    assert (tmp_path / "work" / "inside.txt").read_text() == "ok"
    assert found.returncode == 1 and b"ConnectionRefusedError" in found.stderr
    with pytest.raises(TimeoutError):
        server.accept()
    server.close()
    assert found.missing == []


def test_without_bwrap_the_missing_protections_are_named():
    found = seal([sys.executable, "-c", "pass"], Path.cwd(), Seal(sandbox="none", timeout=20))
    assert found.sandbox == "none" and found.missing == list(BWRAP_ONLY)
    with pytest.raises(ValueError, match="auto, bwrap or none"):
        sandbox_of("docker")
