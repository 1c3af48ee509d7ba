"""Grade a file in a child process, so that nothing the learner's code does ends, hangs or floods the grading.

grade_file(path, plan, limits) starts `python -c ... engine.grade.child` (engine/grade/child.py) on the file,
follows its messages and builds the Report. A call of the learner's code that runs past limits.check (a
notebook cell past limits.cell) is stopped in the child; code that does not let itself be stopped, or a
child that dies (os._exit, a crash, the memory limit), is killed or buried here: that module fails (that
cell is reported) and a new child carries on with the rest. The whole run stops at limits.run, and Ctrl-C
stops it too: the report then holds what was graded and says what was not. A class grader can run one
file per submission through grade_file with its own Limits and stderr (a file to keep what it printed).
"""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from i18n import N_, current, domain

from .grader import IN_TIME, RUNS, finish
from .load import CannotGrade
from .report import Report
from .verdict import Result
from .words import RUNS as CELL_RUNS
from .words import label_text

_, ngettext = domain("grade")

ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding this engine package, first on the child's path
BOOT = "import sys; sys.path[0] = {root!r}; from engine.grade.child import main; main()"
STARTUP = 60.0  # seconds for the child's Python and NumPy to start before it is heard from


@dataclass(frozen=True)
class Limits:
    """How long (seconds) and how much memory (bytes) the learner's code may take."""
    check: float = 10.0  # one call of the learner's code: a forward, a backward, a step of the optimizer
    cell: float = 30.0  # one notebook cell, or a .py file's import
    run: float = 600.0  # the whole grading run
    grace: float = 5.0  # past a limit, how long the child may take to stop the code itself before it is killed
    memory: int = None  # the child's address space (POSIX), None: no limit


def child_command(job):
    return [sys.executable, "-c", BOOT.format(root=ROOT), json.dumps(job)]


class Child:
    """One child process grading a job, and what it has reported so far."""

    def __init__(self, job, stderr=None):
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")  # no plot window, any print
        apart = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                 else {"start_new_session": True})  # the terminal's Ctrl-C reaches the parent only
        self.process = subprocess.Popen(child_command(job), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=stderr, env=env, **apart)
        self.messages = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.notes, self.results, self.convention, self.cannot, self.replayed = {}, {}, None, None, None
        self.step, self.name, self.label = ("start", None), None, None
        self.limit, self.elapsed, self.heard = None, 0.0, None  # from the last heartbeat, and when it was heard

    def _read(self):
        for line in self.process.stdout:
            try:
                self.messages.put(json.loads(line))
            except ValueError:
                continue
        self.messages.put(None)

    def take(self, message):
        """Note one message; True when the child says it is done."""
        if "doing" in message:
            self.label, self.elapsed, self.limit = message["doing"], message["elapsed"], message["limit"]
        elif "cell" in message:
            self.step, self.label = ("cell", message["cell"]), message["label"]
        elif "notes" in message:
            self.notes = {r["check"]: result_of(r) for r in message["notes"]}
        elif "module" in message:
            self.step, self.name = ("module", message["module"]), message.get("name", message["module"])
        elif "results" in message:
            self.results[message["of"]] = [result_of(r) for r in message["results"]]
            self.step = ("between", None)
        elif "convention" in message:
            self.convention = message["convention"]
        elif "replayed" in message:
            self.replayed = message["replayed"]
        elif "cannot" in message:
            self.cannot = message["cannot"]
        return bool(message.get("done") or message.get("cannot"))

    def follow(self, deadline, limits):
        """Read messages until the child is done: None; else ("died" | "stuck" | "late", what happened)."""
        started = time.monotonic()
        while True:
            try:
                message = self.messages.get(timeout=0.2)
            except queue.Empty:
                message = {}
            now = time.monotonic()
            if message is None:
                return "died", self.death()
            if message:
                self.heard = now
                if self.take(message):
                    return None
            if now > deadline:
                return "late", _("the grading run's time limit of {limit:g} s was reached during {where}").format(
                    limit=limits.run, where=label_text(self.where()))
            silent, limit = now - (self.heard or started), self.limit or limits.check
            if (self.heard is None and silent > STARTUP) or (  # the watchdog's heartbeat, or its silence, says
                    self.heard is not None and self.elapsed + silent > limit + limits.grace):  # how long it has run
                return "stuck", _("{label} did not finish in {limit:g} s").format(
                    label=label_text(self.label or self.where()), limit=limit)

    def drain(self):
        """Stop the child and note every message it had written (up to the end of its channel)."""
        if self.process.poll() is None:
            self.process.kill()
        while True:
            try:
                message = self.messages.get(timeout=5)
            except queue.Empty:
                return
            if message is None:
                return
            self.take(message)

    def where(self):
        kind, what = self.step
        return self.label or (what if kind == "module" else N_("the start"))

    def death(self):
        code = self.process.wait()
        where = label_text(self.where())
        if code < 0 and -code in signal.Signals._value2member_map_:
            how = _("the program was killed by {signal} during {where}: os._exit, a crash or the memory limit")
            return how.format(signal=signal.Signals(-code).name, where=where)
        return _("the program ended with exit code {code} during {where}: os._exit, a crash or the memory "
                 "limit").format(code=code, where=where)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()


def result_of(found):
    found = dict(found)
    if found.get("index") is not None:
        found["index"] = tuple(found["index"])
    return Result(**found)


def cell_number(check):
    words = check.split()
    return int(words[1]) if words[:1] == ["cell"] and words[1].isdigit() else 0


def grade_file(path, plan, limits=None, iteration=None, save=None, stderr=None):
    """Report of the file at path: the modules of plan graded in child processes (see the module's docstring).
    CannotGrade when the file cannot be read, or its import fails, ends the program or never finishes."""
    path, limits = Path(path), limits or Limits()
    if not path.is_file():
        raise CannotGrade(_("no such file: {path}").format(path=path))
    job = {"path": str(path.resolve()), "modules": list(plan), "skip": [], "memory": limits.memory,
           "limits": {"check": limits.check, "cell": limits.cell}, "iteration": iteration, "save": save,
           "lang": current()}
    notes, results, convention, replayed, stopped = {}, {}, None, None, None
    deadline = time.monotonic() + limits.run
    while True:
        child = Child(job, stderr)
        try:
            ending = child.follow(deadline, limits)
        except KeyboardInterrupt:  # the person grading pressed Ctrl-C: what the child already said counts
            child.drain()
            ending = ("interrupted", _("stopped by Ctrl-C during {where}").format(where=label_text(child.where())))
        finally:
            child.stop()
        notes.update(child.notes)
        results.update(child.results)
        convention, replayed = child.convention or convention, child.replayed or replayed
        if child.cannot:
            raise CannotGrade(child.cannot)
        if ending is None:
            break
        how, text = ending
        step, what = child.step
        if how in ("interrupted", "late") or step == "between":
            stopped = text
            break
        if step == "cell" and path.suffix == ".ipynb":
            check = f"{child.label}{CELL_RUNS}"
            notes[check] = Result("notebook", check, "warn" if how == "stuck" else "fail",
                                  detail=_("{why}; the cells after it ran without it").format(why=text))
            job["skip"].append(what)
        elif step == "module" and what == "replay":
            replayed, job["iteration"] = {"errors": [text], "count": None}, None
        elif step == "module" and what in plan:
            check = IN_TIME if how == "stuck" else RUNS
            results[what] = [Result(child.name, check, "fail", detail=text, ended=how)]
        else:
            raise CannotGrade(_("importing it: {why}").format(why=text) if step == "cell" else text)
        job["modules"] = [module for module in plan if module not in results]
    graded = sorted(notes.values(), key=lambda r: cell_number(r.check)) + [
        r for module in plan if module in results for r in results[module]]
    report = Report(convention or _("not detected"), finish(graded), stopped=stopped,
                    not_graded=[module for module in plan if module not in results])
    report.replayed = replayed
    return report
