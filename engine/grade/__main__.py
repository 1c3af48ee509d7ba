"""python -m engine.grade PATH [--json] [--verbose] [--lang en|ru] [--iteration iteration.npz --save mine.npz]: grade a
.py file or a notebook in a child process; exit status 0 when every module was graded and none failed (warnings
pass), 1 when a check failed or the run was stopped, 2 when the file cannot be graded. With --iteration, also replay
the app's recorded iteration with your classes and save your tensors (mine.npz) for the Step page to show beside
its own. --lang (default: the shell's LANG) is the language of the report; --json keeps its English keys and ids."""
import argparse
import json
import sys
import time

from i18n import LANGUAGES, domain, from_environment, use

_, ngettext = domain("grade")


def chosen_language(argv):
    """The language argv asks for with --lang ru (or --lang=ru), else the shell's (LANGUAGE, LC_ALL, LANG...)."""
    argv = list(argv)
    for i, item in enumerate(argv):
        value = argv[i + 1] if item == "--lang" and i + 1 < len(argv) else \
            item.split("=", 1)[1] if item.startswith("--lang=") else None
        if value in LANGUAGES:
            return value
    return from_environment()


class Formatter(argparse.HelpFormatter):
    """argparse's help with its "usage: " in the language in use."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


def argument_parser(prog, description):
    """An ArgumentParser whose own words (usage, the titles of the arguments, -h) are in the language in use."""
    found = argparse.ArgumentParser(prog=prog, description=description, formatter_class=Formatter, add_help=False)
    found._positionals.title, found._optionals.title = _("positional arguments"), _("options")
    found.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))
    return found


def parser(prog):
    found = argument_parser(prog, _(
        "grade a .py file or a notebook in a child process; exit status 0 when every module was graded and none "
        "failed (warnings pass), 1 when a check failed or the run was stopped, 2 when the file cannot be graded. "
        "With --iteration, also replay the app's recorded iteration with your classes and save your tensors "
        "(mine.npz) for the Step page to show beside its own."))
    found.add_argument("path", help=_("the framework: a .py file or a Jupyter notebook (.ipynb)"))
    found.add_argument("--json", action="store_true", help=_("print one JSON object instead of the text report"))
    found.add_argument("--verbose", action="store_true", help=_("list the checks that passed too"))
    found.add_argument("--lang", choices=LANGUAGES, default=None,
                       help=_("the report's language: en or ru (default: the shell's LANG); --json keeps its "
                              "English keys and ids"))
    found.add_argument("--iteration", help=_("the Step page's iteration.npz: replay it with your classes"))
    found.add_argument("--save", default="mine.npz", help=_("where --iteration writes your tensors (mine.npz)"))
    found.add_argument("--check-time", type=float, default=10.0, metavar="S",
                       help=_("seconds one call of your code (a forward, a backward, a step) may take (10)"))
    found.add_argument("--cell-time", type=float, default=30.0, metavar="S",
                       help=_("seconds one notebook cell, or the import of a .py file, may take (30)"))
    found.add_argument("--time-limit", type=float, default=600.0, metavar="S",
                       help=_("seconds the whole grading may take (600)"))
    return found


def main(argv=None, prog="python -m engine.grade"):
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = chosen_language(argv)
    with use(lang):
        return command(argv, prog, lang)


def command(argv, prog, lang):
    args = parser(prog).parse_args(argv)
    from .grader import grade
    from .load import CannotGrade
    from .runner import Limits

    started = time.perf_counter()
    limits = Limits(check=args.check_time, cell=args.cell_time, run=args.time_limit)
    try:  # the file runs once, in a child process, for the checks and the replay
        report = grade(args.path, limits=limits, iteration=args.iteration,
                       save=args.save if args.iteration else None, lang=lang)
    except CannotGrade as error:
        line = _("cannot grade {path}: {why}").format(path=args.path, why=error)
        print(line, file=sys.stderr)
        if args.json:
            print(json.dumps({"cannot_grade": line}, ensure_ascii=lang == "en"))
        return 2
    except KeyboardInterrupt:  # between two children: nothing graded to report
        print(_("stopped by Ctrl-C before any report"), file=sys.stderr)
        return 1
    if args.iteration:
        replayed(report.replayed, args, sys.stdout if not args.json else sys.stderr)
    if args.json:
        print(report.json())
    else:
        print(report.text(verbose=args.verbose))
        print(_("graded in {seconds:.1f} s").format(seconds=time.perf_counter() - started))
    return 0 if report.passed else 1


def replayed(found, args, out):
    """Say what the replay of --iteration wrote, and what could not be replayed."""
    found = found or {"errors": [_("the grading stopped before the replay")], "count": None}
    for error in found["errors"]:
        print(_("could not replay {what}").format(what=error), file=out)
    if found["count"] is not None:
        print(ngettext("wrote {file}: {n} of your tensors for this iteration; upload it on the Step page (Check your "
                       "own framework)", "wrote {file}: {n} of your tensors for this iteration; upload it on the Step "
                       "page (Check your own framework)", found["count"]).format(file=args.save, n=found["count"]),
              file=out)


if __name__ == "__main__":
    sys.exit(main())
