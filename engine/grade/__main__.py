"""python -m engine.grade PATH [--json] [--verbose]: grade a .py file or a notebook; exit status 1 on a failure."""
import argparse
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m engine.grade", description=__doc__.split(":")[1].strip())
    parser.add_argument("path", help="the framework: a .py file or a Jupyter notebook (.ipynb)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    parser.add_argument("--verbose", action="store_true", help="list the checks that passed too")
    args = parser.parse_args(argv)
    from .grader import grade

    started = time.perf_counter()
    try:
        report = grade(args.path)
    except (FileNotFoundError, SyntaxError) as error:
        print(f"cannot grade {args.path}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(report.json())
    else:
        print(report.text(verbose=args.verbose))
        print(f"graded in {time.perf_counter() - started:.1f} s")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
