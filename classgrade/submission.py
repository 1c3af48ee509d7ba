"""One student's submission graded sealed off: `python -m backprop_lens grade FILE --json` in classgrade.sandbox, and
what it found (Graded: per module a status, the report's text, or the error that stopped the run)."""
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from engine.grade.report import Report
from engine.grade.verdict import Result
from engine.grade.words import check_name, module_name
from i18n import current, domain

from .rubric import KINDS, kind_of
from .sandbox import Seal, sandbox_name, seal

ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding backprop_lens, put on the command's path
SUFFIXES = (".py", ".ipynb")
# one BLAS thread per submission: --jobs runs them side by side, and a many-core machine's OpenBLAS would reserve
# buffers per core within the memory limit
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
DIED = ("finishes within the time limit",)  # a module whose run was stopped: its status is error, not fail
RESULT_FIELDS = {f.name for f in fields(Result)}  # of a result in the grader's --json (check_text is for people)
_, ngettext = domain("classgrade")


def submissions(folder):
    """{student: file} of a folder with one entry per student: NAME.py, NAME.ipynb or a folder NAME/ holding one
    such file (None when it holds none, or several)."""
    found = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix in SUFFIXES:
            found[entry.stem] = entry
        elif entry.is_dir():
            files = [f for f in sorted(entry.iterdir()) if f.is_file() and f.suffix in SUFFIXES]
            found[entry.name] = files[0] if len(files) == 1 else None
    return found


@dataclass
class Graded:
    """What grading one student gave: the report (None when the run did not finish), or error, why not."""
    student: str
    report: Report = None
    error: str = None
    elapsed: float = 0.0
    sandbox: str = "none"
    missing: list = field(default_factory=list)

    def modules(self):
        """{kind: (status, {check: status}, [Result not passed])} of the handout's modules; status pass, fail, warn,
        missing or error (its run was stopped, or it is missing because the import was)."""
        found = {}
        if self.report is None:
            return found
        for result in self.report.results:
            if kind_of(result.module) in KINDS:
                found.setdefault(kind_of(result.module), []).append(result)
        stopped = {kind_of(kind) for kind in self.report.not_graded}
        for kind in stopped:
            found.setdefault(kind, [])
        cut = self.import_stopped() is not None
        return {kind: (status_of(results, kind in stopped, cut), {r.check: r.status for r in results},
                       [r for r in results if r.status != "pass"]) for kind, results in found.items()}

    def import_stopped(self):
        """The import's (or a notebook cell's) note when it did not finish, else None."""
        return next((r for r in self.report.results if kind_of(r.module) not in KINDS and r.status != "pass"
                     and ("finishes" in r.check or r.check.endswith(" runs"))), None) if self.report else None

    def problems(self):
        """Why the run, or a module's run, did not finish: None when all did."""
        found = [self.report.stopped] if self.report is not None and self.report.stopped else []
        note = self.import_stopped()
        if note is not None:
            found.append(f"{module_name(note.module)}: {check_name(note.check)}: {note.detail}")
        found += [f"{module_name(r.module)}: {r.detail}" for kind, (status, _checks, failing) in self.modules().items()
                  if status == "error" for r in failing if r.status == "fail"]
        return "; ".join(found) or None

    def first_failure(self):
        if self.report is None:
            return None
        failed = next((r for r in self.report.results if r.status == "fail"), None)
        return f"{module_name(failed.module)}: {check_name(failed.check)}" if failed else None

    def sandbox_line(self):
        """"sandbox: none (without: ...)", the protections missing in the language in use."""
        if not self.missing:
            return _("sandbox: {sandbox}").format(sandbox=sandbox_name(self.sandbox))
        return _("sandbox: {sandbox} (without: {missing})").format(
            sandbox=sandbox_name(self.sandbox), missing="; ".join(_(item) for item in self.missing))

    def text(self):
        """The report as `backprop-lens grade` prints it, or the error; the sandbox named at the end."""
        error = _("ERROR: {error}").format(error=self.error)
        body = self.report.text() if self.report is not None else error
        if self.report is not None and self.error:
            body += f"\n{error}"
        return f"{body}\n{self.sandbox_line()}\n"


def status_of(results, stopped=False, cut=False):
    statuses = {r.status for r in results}
    if cut and "missing" in statuses:
        return "error"
    if stopped or any(r.status == "fail" and (r.check in DIED or r.ended == "died") for r in results):
        return "error"
    for status in ("fail", "missing", "warn"):
        if status in statuses:
            return status
    return "pass"


def grader_command(name, timeout, lang="en"):
    """The student-side grader on name, with its own limits inside the whole submission's, speaking lang."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {ROOT!r}); from backprop_lens import main; "
            "sys.exit(main())", "grade", name, "--json", "--check-time", f"{min(10.0, timeout / 6):g}",
            "--cell-time", f"{min(30.0, timeout / 3):g}", "--time-limit", f"{timeout * 0.9:g}", "--lang", lang]


def grade_submission(student, path, limits=Seal()):
    """Graded: path copied to a new temporary folder and graded there, sealed off as limits say."""
    if path is None:
        return Graded(student, error=_("the folder holds no single .py or .ipynb file"))
    with tempfile.TemporaryDirectory(prefix="classgrade-") as work:
        shutil.copy(path, Path(work) / path.name)
        run = seal(grader_command(path.name, limits.timeout, current()), work, limits, env=ONE_THREAD)
    graded = Graded(student, elapsed=run.elapsed, sandbox=run.sandbox, missing=run.missing)
    if run.error:
        graded.error = run.error
        return graded
    return read_report(graded, run.stdout.decode("utf-8", "replace"), lambda: ended(run))


def read_report(graded, text, otherwise):
    """graded with the report (or the error) of the grader's --json output text; otherwise(): the error when
    text holds no JSON object."""
    try:
        found = json.loads(text.strip())
    except ValueError:
        graded.error = otherwise()
        return graded
    if "cannot_grade" in found:
        graded.error = found["cannot_grade"]
        return graded
    results = [Result(**{key: value for key, value in r.items() if key in RESULT_FIELDS - {"index"}},
                      index=tuple(r["index"]) if r.get("index") else None) for r in found["results"]]
    graded.report = Report(found["convention"], results, stopped=found["stopped"], not_graded=found["not_graded"])
    graded.error = graded.problems()
    return graded


def ended(run):
    """Why a run printed no report."""
    last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [_("nothing on stderr")]
    if run.returncode < 0:
        return _("the grader was killed by signal {signal} without a report: {last}").format(
            signal=-run.returncode, last=last[0][:300])
    return _("the grader ended with exit code {code} without a report: {last}").format(
        code=run.returncode, last=last[0][:300])
