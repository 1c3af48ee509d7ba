"""backprop-lens grade FILE --format gradescope|junit: one student's result in a course's format, on stdout
(Gradescope's run_autograder writes it to /autograder/results/results.json). The exit status is the grader's."""
import contextlib
import io
import json
import sys
from pathlib import Path

from engine.grade.__main__ import chosen_language
from i18n import N_, domain, use

from .formats import gradescope, junit
from .rubric import Rubric
from .submission import Graded, read_report

FORMATS = ("text", "gradescope", "junit")
_, ngettext = domain("classgrade")
UNSEALED = N_("not sealed: run as the student's own grader")


def split(argv):
    """(format, rubric path, the grader's own arguments) of argv."""
    rest, found = [], {"--format": "text", "--rubric": None}
    items = iter(argv)
    for item in items:
        key = item.split("=", 1)[0]
        if key in found:
            found[key] = item.split("=", 1)[1] if "=" in item else next(items, None)
        else:
            rest.append(item)
    return found["--format"], found["--rubric"], rest


def main(argv, grade, prog="backprop-lens"):
    """argv: grade PATH [--format F] [--rubric R] [the grader's options, --lang among them]; grade:
    backprop_lens.main."""
    form, rubric, rest = split(argv)
    with use(chosen_language(rest)):
        return formatted(form, rubric, rest, grade, prog)


def formatted(form, rubric, rest, grade, prog):
    if form not in FORMATS:
        print(_("{prog} grade: --format must be one of {formats}, not {format!r}").format(
            prog=prog, formats=", ".join(FORMATS), format=form), file=sys.stderr)
        return 2
    if form == "text":
        return grade(rest, prog=prog)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = grade([*rest, "--json"], prog=prog)
    path = next((item for item in rest[1:] if not item.startswith("-")), "homework")
    graded = read_report(Graded(Path(path).stem, missing=[UNSEALED]), printed.getvalue(),
                         lambda: _("the grader printed no report"))
    if form == "gradescope":
        print(json.dumps(gradescope(graded, Rubric.load(rubric) if rubric else Rubric()), indent=1, allow_nan=False))
    else:
        print(junit([graded]), end="")
    return code
