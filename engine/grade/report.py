"""The grader's report: a table with failures first, one line per check, or one JSON object."""
import json

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

    def table(self):
        """A pandas DataFrame, failures first (pandas is imported only here, for the notebook's display)."""
        import pandas as pd

        return pd.DataFrame([{key: getattr(r, key) for key in COLUMNS} for r in self.sorted()], columns=COLUMNS)

    def _repr_html_(self):
        counts = self.counts()
        head = (f"<p><b>{counts['fail']} failed, {counts['missing']} missing, {counts['pass']} passed</b> "
                f"({self.convention})</p>")
        table = self.table()[["module", "check", "status", "diagnosis", "detail"]]
        return head + table.to_html(index=False, na_rep="")

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
