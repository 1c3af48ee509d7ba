"""backprop-lens grade-class SUBMISSIONS --out OUT: every submission graded sealed off, jobs at a time, then
OUT/gradebook.csv, OUT/NAME/report.md and results.json, OUT/junit.xml, OUT/similarity.csv and .html."""
import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from .formats import gradescope, junit
from .rubric import Rubric
from .sandbox import Seal, sandbox_of
from .submission import grade_submission, submissions


def parser(prog):
    found = argparse.ArgumentParser(prog=prog, description=__doc__.split(": ", 1)[1].strip())
    found.add_argument("submissions", help="a folder with one entry per student: NAME.py, NAME.ipynb or NAME/")
    found.add_argument("--out", required=True, help="the folder for the gradebook and the reports")
    found.add_argument("--jobs", type=int, default=2, help="submissions graded at once (2)")
    found.add_argument("--timeout", type=float, default=120.0, metavar="S", help="seconds per submission (120)")
    found.add_argument("--memory", type=int, default=2048, metavar="MB", help="address space per submission (2048)")
    found.add_argument("--rubric", help="rubric.toml: points per module or check, which modules count, visibility")
    found.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "none"),
                       help="bwrap (bubblewrap), none, or auto: bwrap where it is installed (auto)")
    found.add_argument("--handout", help="the handout's code (a file or folder), not counted as copied")
    found.add_argument("--threshold", type=float, default=0.5, help="similarity above which a pair is listed (0.5)")
    found.add_argument("--lang", default="en", choices=("en", "ru"),
                       help="the reports' language (en; ru is accepted: the reports stay in English until translated)")
    return found


def gradebook(graded_list, rubric):
    """DataFrame: one row per student; id, score, max_score, each module's status, the first failure, the error."""
    seen = [kind for graded in graded_list for kind in graded.modules()]
    kinds = rubric.order(seen)
    rows = []
    for graded in graded_list:
        modules, scored = graded.modules(), gradescope(graded, rubric)
        row = {"id": graded.student, "score": scored["score"], "max_score": rubric.max_score}
        row.update({kind: modules[kind][0] if kind in modules else ("error" if graded.error else "missing")
                    for kind in kinds})
        row.update(first_failure=graded.first_failure(), error=graded.error, seconds=round(graded.elapsed, 1),
                   sandbox=graded.sandbox)
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "score", "max_score", *kinds, "first_failure", "error", "seconds",
                                       "sandbox"])


def progress(done, total, last, started, out=sys.stderr):
    width = 30
    filled = width * done // max(total, 1)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} graded, {time.monotonic() - started:.0f} s"
              f" ({last[:30]})".ljust(100))
    out.flush()


def write_student(out, graded, rubric):
    folder = Path(out) / graded.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(graded.text(), encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(gradescope(graded, rubric), indent=1, allow_nan=False),
                                         encoding="utf-8")


def grade_class(folder, out, jobs=2, limits=Seal(), rubric=None, handout=None, threshold=0.5, log=sys.stderr):
    """[Graded] of every submission in folder, written to out (see the module's docstring)."""
    rubric, out = rubric or Rubric(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = submissions(folder)
    started, graded_list = time.monotonic(), []
    from .copies import similarity

    copies = ThreadPoolExecutor(max_workers=1)  # while the submissions run, in their own processes
    pairs = copies.submit(similarity, files, out, handout, threshold)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_submission, student, path, limits): student for student, path in files.items()}
        for future in as_completed(futures):
            graded = future.result()
            write_student(out, graded, rubric)
            graded_list.append(graded)
            progress(len(graded_list), len(files), graded.student, started, log)
    log.write("\n")
    graded_list.sort(key=lambda graded: graded.student)
    table = gradebook(graded_list, rubric)
    table.to_csv(out / "gradebook.csv", index=False)
    (out / "junit.xml").write_text(junit(graded_list), encoding="utf-8")
    summary(graded_list, table, pairs.result(), time.monotonic() - started, out, log)
    copies.shutdown()
    return graded_list


def summary(graded_list, table, pairs, seconds, out, log):
    errors = [graded for graded in graded_list if graded.error]
    sandboxes = sorted({graded.sandbox for graded in graded_list})
    lines = [f"graded {len(graded_list)} submissions in {seconds:.1f} s (sandbox: {', '.join(sandboxes) or '-'})",
             f"score: mean {table['score'].mean():.2f} of {table['max_score'].max() if len(table) else 0:g}, "
             f"{int((table['score'] == table['max_score']).sum())} full marks",
             f"{len(errors)} ended in an error" + (": " + ", ".join(g.student for g in errors) if errors else "")]
    missing = sorted({item for graded in graded_list for item in graded.missing})
    if missing:
        lines.append("without bubblewrap, these protections were missing: " + "; ".join(missing))
    slowest = sorted(graded_list, key=lambda graded: -graded.elapsed)[:5]
    lines.append("slowest: " + ", ".join(f"{g.student} {g.elapsed:.1f} s" for g in slowest))
    lines.append(f"{len(pairs)} pairs of submissions share code above the threshold (similarity.csv)")
    lines.append(f"wrote {out}/gradebook.csv, junit.xml, similarity.csv, similarity.html and NAME/report.md, "
                 "NAME/results.json")
    log.write("\n".join(lines) + "\n")


def main(argv=None, prog="backprop-lens grade-class"):
    args = parser(prog).parse_args(argv)
    try:
        sandbox_of(args.sandbox)
        rubric = Rubric.load(args.rubric) if args.rubric else Rubric()
    except (ValueError, OSError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    if not Path(args.submissions).is_dir():
        print(f"{prog}: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    limits = Seal(timeout=args.timeout, memory=args.memory, sandbox=args.sandbox)
    graded = grade_class(args.submissions, args.out, args.jobs, limits, rubric, args.handout, args.threshold)
    return 0 if graded else 1
