"""A class of 40 submissions graded by `backprop-lens grade-class --jobs 2`: the wall time against the goal (60 s).

    python bench/grade_class_bench.py                  # 40 submissions: .py and .ipynb, correct, buggy, hostile
    python bench/grade_class_bench.py --count 10 --jobs 1 --timeout 60 --sandbox none

Generates the class in a temporary folder (a third notebooks; every fifth buggy; a few hostile: a loop in the
import, one in Linear's forward, 100 MB printed, os._exit, SIGSEGV, 30 GB allocated), runs grade-class on it in a
child process, and prints the wall time, the machine's load average before and after (other work on the machine
slows it), the summary grade-class printed, and the first rows of the gradebook. Always exits 0.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOMEWORK = (ROOT / "tests" / "grade" / "homework_ok.py").read_text()
NEWER = (ROOT / "tests" / "grade" / "homework_cnn.py").read_text()
FORWARD = "        self.output = input @ self.W + self.b\n"
BUGS = [("current_var -= old_grad", "current_var += old_grad"), (FORWARD, "        self.output = input @ self.W\n")]
HOSTILE = ["while True:\n    pass\n", HOMEWORK.replace(FORWARD, "        while True:\n            pass\n"),
           "import sys\nsys.stdout.write('x' * 100_000_000)\n", "import os\nos._exit(0)\n",
           "import ctypes\nctypes.string_at(0)\n", "x = bytearray(30 * 2 ** 30)\n"]


def notebook(source):
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": source}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def make_class(folder, count):
    for i in range(count):
        if i < len(HOSTILE) and count >= 20:
            (folder / f"hostile{i:02d}.py").write_text(HOSTILE[i])
            continue
        source = HOMEWORK + ("\n\n" + NEWER if i % 2 else "")
        if i % 5 == 0:
            old, new = BUGS[i % len(BUGS)]
            source = source.replace(old, new)
        if i % 3 == 0:
            (folder / f"student{i:02d}.ipynb").write_text(notebook(source))
        else:
            (folder / f"student{i:02d}.py").write_text(source)


def main():
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--count", type=int, default=40)
    options.add_argument("--jobs", type=int, default=2)
    options.add_argument("--timeout", type=float, default=120.0)
    options.add_argument("--sandbox", default="auto")
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-class-bench-") as work:
        subs, out = Path(work) / "subs", Path(work) / "out"
        subs.mkdir()
        make_class(subs, args.count)
        load = os.getloadavg()
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "ui.cli", "grade-class", str(subs), "--out", str(out),
                              "--jobs", str(args.jobs), "--timeout", str(args.timeout), "--sandbox", args.sandbox],
                             cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        print(f"cpus: {os.cpu_count()}, load average before: {load[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
        print(run.stderr.rsplit("\r", 1)[-1].strip())
        if (out / "gradebook.csv").is_file():
            import pandas as pd

            book = pd.read_csv(out / "gradebook.csv")
            print(book[["id", "score", "max_score", "Linear", "SGD", "first_failure", "error", "seconds"]]
                  .head(12).to_string(max_colwidth=50))
        print(f"{args.count} submissions, --jobs {args.jobs}: {wall:.1f} s wall (goal <= 60 s: "
              f"{'met' if wall <= 60 else 'NOT met'}), exit code {run.returncode}")


if __name__ == "__main__":
    main()
