"""backprop-lens grade-class SUBMISSIONS --out OUT: every submission graded sealed off, jobs at a time, then
OUT/gradebook.csv, OUT/NAME/report.md and results.json, OUT/junit.xml, OUT/similarity.csv and .html."""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pandas as pd

from engine.grade.__main__ import argument_parser, chosen_language
from i18n import LANGUAGES, current, domain, use

from .formats import gradescope, junit
from .rubric import Rubric
from .sandbox import Seal, sandbox_name, sandbox_of
from .submission import grade_submission, submissions

_, ngettext = domain("classgrade")


def parser(prog):
    found = argument_parser(prog, _(
        "every submission graded sealed off, jobs at a time, then OUT/gradebook.csv, OUT/NAME/report.md and "
        "results.json, OUT/junit.xml, OUT/similarity.csv and .html."))
    found.add_argument("submissions", help=_("a folder with one entry per student: NAME.py, NAME.ipynb or NAME/"))
    found.add_argument("--out", required=True, help=_("the folder for the gradebook and the reports"))
    found.add_argument("--jobs", type=int, default=2, help=_("submissions graded at once (2)"))
    found.add_argument("--timeout", type=float, default=120.0, metavar="S", help=_("seconds per submission (120)"))
    found.add_argument("--memory", type=int, default=2048, metavar="MB",
                       help=_("address space per submission (2048)"))
    found.add_argument("--rubric", help=_("rubric.toml: points per module or check, which modules count, visibility"))
    found.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "none"),
                       help=_("bwrap (bubblewrap), none, or auto: bwrap where it is installed (auto)"))
    found.add_argument("--handout", help=_("the handout's code (a file or folder), not counted as copied"))
    found.add_argument("--threshold", type=float, default=0.5,
                       help=_("similarity above which a pair is listed (0.5)"))
    found.add_argument("--lang", default=None, choices=LANGUAGES,
                       help=_("the reports' language: en or ru (default: the shell's LANG); the gradebook's columns, "
                              "statuses and ids stay in English"))
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
    counted = _("{done}/{total} graded, {seconds:.0f} s").format(done=done, total=total,
                                                                  seconds=time.monotonic() - started)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {counted} ({last[:30]})".ljust(100))
    out.flush()


def write_student(out, graded, rubric):
    folder = Path(out) / graded.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(graded.text(), encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(gradescope(graded, rubric), indent=1, allow_nan=False),
                                         encoding="utf-8")


def grade_class(folder, out, jobs=2, limits=Seal(), rubric=None, handout=None, threshold=0.5, log=None):
    """[Graded] of every submission in folder, written to out (see the module's docstring); progress and summary
    on log (sys.stderr)."""
    rubric, out, log = rubric or Rubric(), Path(out), log or sys.stderr
    out.mkdir(parents=True, exist_ok=True)
    files = submissions(folder)
    started, graded_list = time.monotonic(), []
    from .copies import similarity

    copies = ThreadPoolExecutor(max_workers=1)  # while the submissions run, in their own processes
    pairs = copies.submit(similarity, files, out, handout, threshold)
    lang = current()  # each worker thread speaks the batch's language

    def graded_in_language(student, path):
        with use(lang):
            return grade_submission(student, path, limits)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(graded_in_language, student, path): student for student, path in files.items()}
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
    sandboxes = [sandbox_name(sandbox) for sandbox in sorted({graded.sandbox for graded in graded_list})]
    full = int((table["score"] == table["max_score"]).sum())
    lines = [ngettext("graded {n} submission in {seconds:.1f} s (sandbox: {sandbox})",
                      "graded {n} submissions in {seconds:.1f} s (sandbox: {sandbox})", len(graded_list)).format(
                 n=len(graded_list), seconds=seconds, sandbox=", ".join(sandboxes) or "-"),
             ngettext("score: mean {mean:.2f} of {most:g}, {n} full marks",
                      "score: mean {mean:.2f} of {most:g}, {n} full marks", full).format(
                 mean=table["score"].mean(), most=table["max_score"].max() if len(table) else 0, n=full),
             ngettext("{n} ended in an error", "{n} ended in an error", len(errors)).format(n=len(errors))
             + (": " + ", ".join(g.student for g in errors) if errors else "")]
    missing = sorted({item for graded in graded_list for item in graded.missing})
    if missing:
        lines.append(_("without bubblewrap, these protections were missing: {missing}").format(
            missing="; ".join(_(item) for item in missing)))
    slowest = sorted(graded_list, key=lambda graded: -graded.elapsed)[:5]
    lines.append(_("slowest: {submissions}").format(submissions=", ".join(
        _("{student} {seconds:.1f} s").format(student=g.student, seconds=g.elapsed) for g in slowest)))
    lines.append(ngettext("{n} pair of submissions shares code above the threshold (similarity.csv)",
                          "{n} pairs of submissions share code above the threshold (similarity.csv)",
                          len(pairs)).format(n=len(pairs)))
    lines.append(_("wrote {out}/gradebook.csv, junit.xml, similarity.csv, similarity.html and NAME/report.md, "
                   "NAME/results.json").format(out=out))
    log.write("\n".join(lines) + "\n")


def main(argv=None, prog="backprop-lens grade-class"):
    argv = sys.argv[1:] if argv is None else list(argv)
    with use(chosen_language(argv)):  # --lang, else the shell's LANG
        return command(argv, prog)


def command(argv, prog):
    args = parser(prog).parse_args(argv)
    try:
        sandbox_of(args.sandbox)
        rubric = Rubric.load(args.rubric) if args.rubric else Rubric()
    except (ValueError, OSError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    if not Path(args.submissions).is_dir():
        print(_("{prog}: {folder} is not a folder").format(prog=prog, folder=args.submissions), file=sys.stderr)
        return 2
    limits = Seal(timeout=args.timeout, memory=args.memory, sandbox=args.sandbox)
    graded = grade_class(args.submissions, args.out, args.jobs, limits, rubric, args.handout, args.threshold)
    return 0 if graded else 1
