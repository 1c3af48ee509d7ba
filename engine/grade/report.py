"""The grader's report: a table with failures first, one line per check, or one JSON object."""
import json
import math
from html import escape

from i18n import N_, current, domain, use

from .words import check_name, module_name, modules_named, status_label, status_word

_, ngettext = domain("grade")

ORDER = {"fail": 0, "missing": 1, "warn": 2, "pass": 3}
COLUMNS = ("module", "check", "status", "diagnosis", "detail", "trial", "index", "mine", "expected",
           "max_abs_error", "max_rel_error", "misconception")


class Report:
    """What grade() found: the convention, and one Result per check; when the run was stopped before the end
    (Ctrl-C, its time limit), why, and the modules not graded. It speaks lang (en or ru; default: the language
    current where it is made), in a notebook's display too."""

    def __init__(self, convention, results, stopped=None, not_graded=(), lang=None):
        self.convention, self.results = convention, results
        self.stopped, self.not_graded, self.replayed = stopped, list(not_graded), None
        self.lang = lang or current()

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
        """English keys and ids (module, check, status); the human text (check_text, detail, diagnosis, ...) in
        the report's language."""
        with use(self.lang):
            results = [{**r.as_dict(), "check_text": check_name(r.check)} for r in self.results]
        return {"convention": self.convention, "results": results,
                "counts": self.counts(), "complete": self.complete, "stopped": self.stopped,
                "not_graded": self.not_graded}

    def json(self):
        """One JSON object that strict parsers read: NaN and infinities written as the strings "NaN", "Infinity";
        Russian text as it is (UTF-8), English as before (ASCII)."""
        return json.dumps(finite(self.as_dict()), indent=1, allow_nan=False, ensure_ascii=self.lang == "en")

    def rows(self):
        """One dict per check, failures first, with every column of COLUMNS (viz.grade_table makes a DataFrame)."""
        return [{key: getattr(r, key) for key in COLUMNS} for r in self.sorted()]

    def _repr_html_(self):
        """The notebook's display: the counts, then a table of the checks, failures first (plain HTML)."""
        with use(self.lang):
            head = f"<p><b>{self.summary()}</b> ({escape(self.convention)})</p>"
            shown = {"module": module_name, "check": check_name, "status": status_word, "diagnosis": str,
                     "detail": str}
            cells = "".join("<tr>" + "".join(f"<td>{escape(say(row[key]) if row[key] else '')}</td>"
                                             for key, say in shown.items()) + "</tr>" for row in self.rows())
            return head + "<table><tr>" + "".join(f"<th>{_(HEADINGS[key])}</th>" for key in shown) + \
                f"</tr>{cells}</table>"

    def text(self, verbose=False):
        """The report for a terminal: every failure with its diagnosis, then the modules that passed."""
        with use(self.lang):
            return self._text(verbose)

    def _text(self, verbose):
        width = max(len(status_label(status)) for status in ORDER) + 1  # 8 in English
        lines = [_("convention: {convention}").format(convention=self.convention), ""]
        for r in self.sorted():
            if r.status == "pass" and not verbose:
                continue
            lines.append(f"{status_label(r.status):{width}}{module_name(r.module)}: {check_name(r.check)}")
            for label, value in (("trial", r.trial), ("detail", r.detail), ("errors", _errors(r)),
                                 ("diagnosis", r.diagnosis)):
                if value:
                    lines.append(" " * width + _("{label}: {value}").format(label=_(LABELS[label]), value=value))
        passed = sorted({r.module for r in self.results} - {r.module for r in self.results if r.status != "pass"})
        lines += ["", _("modules with every check passed: {modules}").format(
            modules=modules_named(passed) or _("none"))]
        if self.stopped:
            lines.append(_("NOT COMPLETE: {why}; not graded: {modules}").format(
                why=self.stopped, modules=modules_named(self.not_graded) or _("none")))
        return "\n".join(lines + [self.summary()])

    def summary(self):
        """"2 failed, 1 missing, 90 passed" (and the warnings, the modules not graded) in the report's language."""
        with use(self.lang):
            counts = self.counts()
            parts = [ngettext("{n} failed", "{n} failed", counts["fail"]).format(n=counts["fail"]),
                     ngettext("{n} missing", "{n} missing", counts["missing"]).format(n=counts["missing"]),
                     ngettext("{n} passed", "{n} passed", counts["pass"]).format(n=counts["pass"])]
            if counts["warn"]:
                parts.append(ngettext("{n} warned", "{n} warned", counts["warn"]).format(n=counts["warn"]))
            if not self.complete:
                parts.append(ngettext("{n} not graded", "{n} not graded", len(self.not_graded)).format(
                    n=len(self.not_graded)))
            return ", ".join(parts)

    def __repr__(self):
        return self.text()


HEADINGS = {"module": N_("module"), "check": N_("check"), "status": N_("status"), "diagnosis": N_("diagnosis"),
            "detail": N_("detail")}
LABELS = {"trial": N_("trial"), "detail": N_("detail"), "errors": N_("errors"), "diagnosis": N_("diagnosis")}


def _errors(result):
    if result.max_abs_error is None:
        return None
    return _("max abs {abs:.3g}, max rel {rel:.3g}").format(abs=result.max_abs_error, rel=result.max_rel_error)


def finite(value):
    """value with every non-finite float written as a string ("NaN", "Infinity", "-Infinity")."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
