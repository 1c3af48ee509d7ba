"""python -m engine.grade PATH [--json] [--verbose] [--iteration iteration.npz --save mine.npz]: grade a .py file
or a notebook; exit status 1 on a failure. With --iteration, also replay the app's recorded iteration with
your classes and save your tensors (mine.npz) for the Step page to show beside its own."""
import argparse
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m engine.grade", description=__doc__.split(": ", 1)[1].strip())
    parser.add_argument("path", help="the framework: a .py file or a Jupyter notebook (.ipynb)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    parser.add_argument("--verbose", action="store_true", help="list the checks that passed too")
    parser.add_argument("--iteration", help="the Step page's iteration.npz: replay it with your classes")
    parser.add_argument("--save", default="mine.npz", help="where --iteration writes your tensors (mine.npz)")
    args = parser.parse_args(argv)
    from .grader import grade
    from .load import load

    started = time.perf_counter()
    try:
        namespace, notes = load(args.path)  # the file runs once, for the checks and the replay
    except (FileNotFoundError, SyntaxError) as error:
        print(f"cannot grade {args.path}: {error}", file=sys.stderr)
        return 2
    report = grade(namespace, notes=notes)
    if args.iteration:
        replayed(namespace, args, sys.stdout if not args.json else sys.stderr)
    if args.json:
        print(report.json())
    else:
        print(report.text(verbose=args.verbose))
        print(f"graded in {time.perf_counter() - started:.1f} s")
    return 0 if report.passed else 1


def replayed(namespace, args, out):
    """Replay --iteration with the learner's classes and write --save; say what was written."""
    from .iteration import save

    errors = []
    mine = save(namespace, args.iteration, args.save, errors)
    for error in errors:
        print(f"could not replay {error}", file=out)
    print(f"wrote {args.save}: {len(mine) - 1} of your tensors for this iteration; upload it on the Step page "
          "(Check your own framework)", file=out)


if __name__ == "__main__":
    sys.exit(main())
