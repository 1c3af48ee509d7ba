"""The child process of engine/grade/runner.py: load the learner's file, grade module by module, report each.

It talks to its parent through one JSON object a line on the channel it was started with (the original
stdout); everything the learner's code prints, at import, in a forward or in an input() prompt, goes to
stderr, and its stdin is empty. Messages: {"cell": n, "label": ...} before each notebook cell,
{"notes": [...]}, {"convention": ...}, {"module": kind, "name": ...} then {"results": [...], "of": kind} per module,
{"replayed": {...}}, {"cannot": reason}, {"done": true}, and every second {"doing": label, "elapsed": s,
"limit": s} from the watchdog.
"""
import json
import os
import sys
import threading

from i18n import N_, use

from .adapter import learner_name
from .grader import detect, grade_one
from .load import CannotGrade, load
from .watch import LEARNER_ERRORS, WATCH, TimeUp, running, watching

ORPHANED = 3  # the exit code of a child whose grader has gone


def channel():
    """send(**message): a line of JSON on the original stdout, which from now on is stderr for everyone else; the
    process ends when the grader no longer reads it."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    lock = threading.Lock()

    def send(**message):
        line = json.dumps(message) + "\n"
        with lock:
            try:
                out.write(line)
                out.flush()
            except (OSError, ValueError):  # the grader is gone (killed, its terminal closed): no one to report to,
                os._exit(ORPHANED)  # so stop, rather than run the learner's loops on alone (the heartbeat: within 1 s)
    return send


def limit_memory(size):
    try:
        import resource
    except ImportError:  # not on Windows
        return
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def replay(namespace, job, limit):
    """--iteration: the recorded iteration replayed with the learner's classes, written to job["save"]."""
    from .iteration import save

    errors = []
    try:
        with running(N_("replaying the iteration"), limit):
            mine = save(namespace, job["iteration"], job["save"], errors)
    except TimeUp as up:
        return {"errors": errors + [str(up)], "count": None}
    except LEARNER_ERRORS as error:
        return {"errors": errors + [f"{type(error).__name__}: {error}"], "count": None}
    return {"errors": errors, "count": len(mine) - 1}


def main():
    job = json.loads(sys.argv[1])
    with use(job.get("lang", "en")):  # the language of every detail and diagnosis the child writes
        grade_job(job)


def grade_job(job):
    send = channel()
    if job.get("memory"):
        limit_memory(job["memory"])
    limits = job["limits"]
    announced = [None]

    def announce(label, limit):  # a new label only: a trial calls forward and backward by turns
        if label != announced[0]:
            announced[0] = label
            send(doing=label, elapsed=0.0, limit=limit)
    WATCH.announce = announce
    with watching(heartbeat=lambda label, elapsed, limit: send(doing=label, elapsed=elapsed, limit=limit)):
        try:
            namespace, notes = load(job["path"], set(job["skip"]), limits["cell"],
                                    on_cell=lambda number, label: send(cell=number, label=label))
            send(notes=[note.as_dict() for note in notes])
            send(module="detect")
            convention = detect(namespace)
        except CannotGrade as error:
            send(cannot=str(error))
            return
        send(convention=convention.describe())
        for kind in job["modules"]:
            send(module=kind, name=learner_name(namespace, kind))
            send(results=[r.as_dict() for r in grade_one(namespace, convention, kind, limits["check"])], of=kind)
        if job.get("iteration"):
            send(module="replay")
            send(replayed=replay(namespace, job, limits["check"]))
        send(done=True)
