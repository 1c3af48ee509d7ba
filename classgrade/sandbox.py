"""Run one command on code nobody has read, sealed off: seal(argv, workdir, Seal(...)) -> Sealed.

The command runs in its own session with a wall-clock limit, an address-space limit (resource.setrlimit), no core
file, workdir as its working directory, HOME and TMPDIR, an environment holding none of the teacher's variables,
and stdout and stderr read in chunks, each capped (the command is killed past the cap). Under bubblewrap (`bwrap`,
Debian's `bubblewrap`) the file system is also read-only except workdir, there is no network, and the command
has its own PID namespace. At the end every process it started is killed: its process group, and every
process whose environment carries this run's token (a child that started its own session too).
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from i18n import N_, domain

_, ngettext = domain("classgrade")
CHUNK = 65536
KEPT = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")  # nothing else of the teacher's environment reaches the command
TOKEN = "BACKPROP_LENS_SEALED"
SHOWN = {"none": N_("none")}  # a sandbox's name in a sentence (bwrap is bwrap in every language)
BWRAP_ONLY = (N_("a read-only file system outside its working directory"), N_("no network"),
              N_("its own PID namespace (every process it forks is killed with it)"))  # translated where shown


@dataclass(frozen=True)
class Seal:
    """The limits of one run: seconds of wall clock, megabytes of address space, bytes of each output, and the
    sandbox: "bwrap", "none" or "auto" (bwrap where it is installed)."""
    timeout: float = 120.0
    memory: int = 2048
    output: int = 1 << 20
    sandbox: str = "auto"


@dataclass
class Sealed:
    """How a sealed run ended: its exit code, outputs and seconds; error says why it did not finish on its own."""
    returncode: int = None
    stdout: bytes = b""
    stderr: bytes = b""
    elapsed: float = 0.0
    error: str = None
    sandbox: str = "none"
    missing: list = field(default_factory=list)  # the protections this run did not have


def sandbox_of(wanted):
    """"bwrap" or "none" for --sandbox wanted (auto: bwrap where installed); ValueError when bwrap is wanted
    and absent."""
    if wanted not in ("auto", "bwrap", "none"):
        raise ValueError(_("--sandbox must be auto, bwrap or none, not {wanted!r}").format(wanted=wanted))
    found = shutil.which("bwrap") is not None and sys.platform.startswith("linux")
    if wanted == "bwrap" and not found:
        raise ValueError(_("--sandbox bwrap: bwrap is not installed (Debian: apt-get install bubblewrap)"))
    return "bwrap" if wanted == "bwrap" or (wanted == "auto" and found) else "none"


def sandbox_name(sandbox):
    """"none" in the language in use; "bwrap" as it is."""
    return _(SHOWN[sandbox]) if sandbox in SHOWN else sandbox


def wrapped(argv, workdir, sandbox):
    if sandbox == "none":
        return list(argv)
    work = str(Path(workdir).resolve())
    return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", work, work,
            "--chdir", work, "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", *argv]


def environment(workdir, token, extra):
    found = {key: os.environ[key] for key in KEPT if key in os.environ}
    found.update(HOME=str(workdir), TMPDIR=str(workdir), MPLCONFIGDIR=str(workdir), PYTHONDONTWRITEBYTECODE="1",
                 PYTHONIOENCODING="utf-8", MPLBACKEND="Agg", **{TOKEN: token}, **extra)
    return found


def limiter(megabytes):
    def limit():  # in the child, before exec
        import resource
        size = int(megabytes) << 20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return limit


def seal(argv, workdir, limits=Seal(), env=None):
    """Run argv in workdir sealed off as limits say (see the module's docstring); never raises for what the
    command does."""
    sandbox = sandbox_of(limits.sandbox)
    token = uuid.uuid4().hex
    found = Sealed(sandbox=sandbox, missing=[] if sandbox == "bwrap" else list(BWRAP_ONLY))
    started = time.monotonic()
    process = subprocess.Popen(wrapped(argv, workdir, sandbox), cwd=workdir, env=environment(workdir, token, env or {}),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, preexec_fn=limiter(limits.memory))
    outputs, flooded = {"stdout": bytearray(), "stderr": bytearray()}, []

    def read(stream, name):
        while True:
            chunk = stream.read1(CHUNK) if hasattr(stream, "read1") else stream.read(CHUNK)
            if not chunk:
                return
            if len(outputs[name]) + len(chunk) > limits.output:
                flooded.append(name)
                kill(process, token)
                return
            outputs[name] += chunk
    readers = [threading.Thread(target=read, args=(getattr(process, name), name), daemon=True) for name in outputs]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=limits.timeout)
        left = carrying(token) if sandbox == "none" else []  # under bwrap, its PID namespace is gone with it
        if left:
            found.error = ngettext("left {n} process running after it ended: killed",
                                   "left {n} processes running after it ended: killed", len(left)).format(n=len(left))
    except subprocess.TimeoutExpired:
        found.error = _("did not finish in {limit:g} s (the whole submission's time limit)").format(
            limit=limits.timeout)
    finally:
        kill(process, token)
        process.wait()
        for reader in readers:
            reader.join(timeout=5)
    found.elapsed = time.monotonic() - started
    found.returncode = process.returncode
    found.stdout, found.stderr = bytes(outputs["stdout"]), bytes(outputs["stderr"])
    if flooded:  # the reason it was killed (a time limit reached after the cap is not)
        found.error = _("printed more than {size:g} MB on its {stream}").format(size=limits.output / 2 ** 20,
                                                                               stream=flooded[0])
    return found


def kill(process, token):
    """Kill the process's group and every process carrying token in its environment."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in carrying(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + 5  # kill() returns before the process is gone: wait till none is left
    while carrying(token) and time.monotonic() < deadline:
        time.sleep(0.01)


def carrying(token):
    """The pids (Linux /proc) whose environment holds TOKEN=token."""
    mark, found = f"{TOKEN}={token}".encode(), []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
