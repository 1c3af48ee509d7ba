"""The grader's report: a table with failures first, one line per check, or one JSON object."""
import json
from html import escape

ORDER = {"fail": 0, "missing": 1, "pass": 2}
COLUMNS = ("module", "check", "status", "diagnosis", "detail", "trial", "index", "mine", "expected",
           "max_abs_error", "max_rel_error", "misconception")


class Report:
    """What grade() found: the convention, and one Result per check."""

    def __init__(self, convention, results):
        self.convention, self.results = convention, results

    @property
    def failures(self):
        return [r for r in self.results if r.status == "fail"]

    @property
    def passed(self):
        return not self.failures

    def counts(self):
        return {status: sum(r.status == status for r in self.results) for status in ORDER}

    def sorted(self):
        return sorted(self.results, key=lambda r: ORDER[r.status])  # stable: the modules' order within a status

    def as_dict(self):
        return {"convention": self.convention, "results": [r.as_dict() for r in self.results],
                "counts": self.counts()}

    def json(self):
        return json.dumps(self.as_dict(), indent=1)

    def rows(self):
        """One dict per check, failures first, with every column of COLUMNS (viz.grade_table makes a DataFrame)."""
        return [{key: getattr(r, key) for key in COLUMNS} for r in self.sorted()]

    def _repr_html_(self):
        """The notebook's display: the counts, then a table of the checks, failures first (plain HTML)."""
        counts = self.counts()
        head = (f"<p><b>{counts['fail']} failed, {counts['missing']} missing, {counts['pass']} passed</b> "
                f"({escape(self.convention)})</p>")
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
        counts = self.counts()
        lines += ["", f"modules with every check passed: {', '.join(passed) or 'none'}",
                  f"{counts['fail']} failed, {counts['missing']} missing, {counts['pass']} passed"]
        return "\n".join(lines)

    def __repr__(self):
        return self.text()


def _errors(result):
    if result.max_abs_error is None:
        return None
    return f"max abs {result.max_abs_error:.3g}, max rel {result.max_rel_error:.3g}"
