"""python -m engine.grade PATH [--json] [--verbose] [--iteration iteration.npz --save mine.npz]: grade a .py file
or a notebook in a child process; exit status 0 when every module was graded and none failed (warnings pass),
1 when a check failed or the run was stopped, 2 when the file cannot be graded. With --iteration, also replay the
app's recorded iteration with your classes and save your tensors (mine.npz) for the Step page to show beside its own."""
import argparse
import json
import sys
import time


def parser(prog):
    found = argparse.ArgumentParser(prog=prog, description=__doc__.split(": ", 1)[1].strip())
    found.add_argument("path", help="the framework: a .py file or a Jupyter notebook (.ipynb)")
    found.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    found.add_argument("--verbose", action="store_true", help="list the checks that passed too")
    found.add_argument("--iteration", help="the Step page's iteration.npz: replay it with your classes")
    found.add_argument("--save", default="mine.npz", help="where --iteration writes your tensors (mine.npz)")
    found.add_argument("--check-time", type=float, default=10.0, metavar="S",
                       help="seconds one call of your code (a forward, a backward, a step) may take (10)")
    found.add_argument("--cell-time", type=float, default=30.0, metavar="S",
                       help="seconds one notebook cell, or the import of a .py file, may take (30)")
    found.add_argument("--time-limit", type=float, default=600.0, metavar="S",
                       help="seconds the whole grading may take (600)")
    return found


def main(argv=None, prog="python -m engine.grade"):
    args = parser(prog).parse_args(argv)
    from .grader import grade
    from .load import CannotGrade
    from .runner import Limits

    started = time.perf_counter()
    limits = Limits(check=args.check_time, cell=args.cell_time, run=args.time_limit)
    try:  # the file runs once, in a child process, for the checks and the replay
        report = grade(args.path, limits=limits, iteration=args.iteration,
                       save=args.save if args.iteration else None)
    except CannotGrade as error:
        line = f"cannot grade {args.path}: {error}"
        print(line, file=sys.stderr)
        if args.json:
            print(json.dumps({"cannot_grade": line}))
        return 2
    except KeyboardInterrupt:  # between two children: nothing graded to report
        print("stopped by Ctrl-C before any report", file=sys.stderr)
        return 1
    if args.iteration:
        replayed(report.replayed, args, sys.stdout if not args.json else sys.stderr)
    if args.json:
        print(report.json())
    else:
        print(report.text(verbose=args.verbose))
        print(f"graded in {time.perf_counter() - started:.1f} s")
    return 0 if report.passed else 1


def replayed(found, args, out):
    """Say what the replay of --iteration wrote, and what could not be replayed."""
    found = found or {"errors": ["the grading stopped before the replay"], "count": None}
    for error in found["errors"]:
        print(f"could not replay {error}", file=out)
    if found["count"] is not None:
        print(f"wrote {args.save}: {found['count']} of your tensors for this iteration; upload it on the Step page "
              "(Check your own framework)", file=out)


if __name__ == "__main__":
    sys.exit(main())
