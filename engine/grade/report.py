"""The grader's report: a table with failures first, one line per check, or one JSON object."""
import json
import math
from html import escape

ORDER = {"fail": 0, "missing": 1, "warn": 2, "pass": 3}
COLUMNS = ("module", "check", "status", "diagnosis", "detail", "trial", "index", "mine", "expected",
           "max_abs_error", "max_rel_error", "misconception")


class Report:
    """What grade() found: the convention, and one Result per check; when the run was stopped before the end
    (Ctrl-C, its time limit), why, and the modules not graded."""

    def __init__(self, convention, results, stopped=None, not_graded=()):
        self.convention, self.results = convention, results
        self.stopped, self.not_graded, self.replayed = stopped, list(not_graded), None

    @property
    def failures(self):
        return [r for r in self.results if r.status == "fail"]

    @property
    def complete(self):
        return self.stopped is None

    @property
    def passed(self):
        """Every module graded, and no check failed (a warning passes)."""
        return self.complete and not self.failures

    def counts(self):
        return {status: sum(r.status == status for r in self.results) for status in ORDER}

    def sorted(self):
        return sorted(self.results, key=lambda r: ORDER[r.status])  # stable: the modules' order within a status

    def as_dict(self):
        return {"convention": self.convention, "results": [r.as_dict() for r in self.results],
                "counts": self.counts(), "complete": self.complete, "stopped": self.stopped,
                "not_graded": self.not_graded}

    def json(self):
        """One JSON object that strict parsers read: NaN and infinities written as the strings "NaN", "Infinity"."""
        return json.dumps(finite(self.as_dict()), indent=1, allow_nan=False)

    def rows(self):
        """One dict per check, failures first, with every column of COLUMNS (viz.grade_table makes a DataFrame)."""
        return [{key: getattr(r, key) for key in COLUMNS} for r in self.sorted()]

    def _repr_html_(self):
        """The notebook's display: the counts, then a table of the checks, failures first (plain HTML)."""
        head = f"<p><b>{self.summary()}</b> ({escape(self.convention)})</p>"
        shown = ("module", "check", "status", "diagnosis", "detail")
        cells = "".join("<tr>" + "".join(f"<td>{escape(str(row[key] or ''))}</td>" for key in shown) + "</tr>"
                        for row in self.rows())
        return head + "<table><tr>" + "".join(f"<th>{key}</th>" for key in shown) + f"</tr>{cells}</table>"

    def text(self, verbose=False):
        """The report for a terminal: every failure with its diagnosis, then the modules that passed."""
        lines = [f"convention: {self.convention}", ""]
        for r in self.sorted():
            if r.status == "pass" and not verbose:
                continue
            lines.append(f"{r.status.upper():8}{r.module}: {r.check}")
            for label, value in (("trial", r.trial), ("detail", r.detail), ("errors", _errors(r)),
                                 ("diagnosis", r.diagnosis)):
                if value:
                    lines.append(f"        {label}: {value}")
        passed = sorted({r.module for r in self.results} - {r.module for r in self.results if r.status != "pass"})
        lines += ["", f"modules with every check passed: {', '.join(passed) or 'none'}"]
        if self.stopped:
            lines.append(f"NOT COMPLETE: {self.stopped}; not graded: {', '.join(self.not_graded) or 'none'}")
        return "\n".join(lines + [self.summary()])

    def summary(self):
        counts = self.counts()
        return (f"{counts['fail']} failed, {counts['missing']} missing, {counts['pass']} passed"
                + (f", {counts['warn']} warned" if counts["warn"] else "")
                + ("" if self.complete else f", {len(self.not_graded)} not graded"))

    def __repr__(self):
        return self.text()


def _errors(result):
    if result.max_abs_error is None:
        return None
    return f"max abs {result.max_abs_error:.3g}, max rel {result.max_rel_error:.3g}"


def finite(value):
    """value with every non-finite float written as a string ("NaN", "Infinity", "-Infinity")."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
