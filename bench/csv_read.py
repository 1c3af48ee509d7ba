"""engine.csvdata's pandas parse against the np.loadtxt parse it replaced, side by side in one run.

    python bench/csv_read.py            # 10,000 rows x 785 columns, best of 5 rounds
    python bench/csv_read.py --rows 2000 --rounds 3

Builds a synthetic Kaggle MNIST-layout CSV in memory (a `label` column and 784 pixel columns,
80% of the pixels 0, as in MNIST) and times, from the file's bytes to its (N, 785) float64 table:
the new parse (engine.csvdata._header and _parse) and the old one (decoding, splitting into
lines and np.loadtxt, copied below as it was; its cell-by-cell fallback only ran on a broken file).
Rounds alternate old and new; prints the best time of each and their ratio.
"""
import argparse
import csv
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import csvdata  # noqa: E402


def mnist_csv(rows, pixels=784, seed=0):
    """The bytes of a CSV: a header `label,pixel0,...`, then rows of a label 0-9 and pixels 0-255."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 256, size=(rows, pixels + 1))
    values[:, 1:] *= rng.random((rows, pixels)) < 0.2
    values[:, 0] %= 10
    header = "label," + ",".join(f"pixel{i}" for i in range(pixels))
    return (header + "\n" + "\n".join(",".join(map(str, row)) for row in values.tolist()) + "\n").encode()


def old_parse(content):
    """(N, D) float64 table the old way: decode, number the non-blank lines, np.loadtxt the data lines."""
    numbered = [(i, line) for i, line in enumerate(content.decode("utf-8-sig").splitlines(), start=1)
                if line.strip()]
    fields = next(csv.reader([numbered[0][1]]))
    data = numbered[1:]
    table = np.loadtxt(io.StringIO("\n".join(line for _, line in data)), delimiter=",",
                       ndmin=2, comments=None, dtype=np.float64, quotechar='"')
    assert table.shape == (len(data), len(fields)) and np.isfinite(table).all()
    return table


def new_parse(content):
    """(N, D) float64 table as engine.csvdata.read_csv parses it (pandas' C parser)."""
    fields, offset = csvdata._header(content)
    return csvdata._parse(content, offset, fields, None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    content = mnist_csv(args.rows)
    np.testing.assert_array_equal(old_parse(content), new_parse(content))  # the same table; warms both up
    times = {old_parse: [], new_parse: []}
    for _ in range(args.rounds):
        for parse in times:
            start = time.perf_counter()
            parse(content)
            times[parse].append(time.perf_counter() - start)
    old, new = min(times[old_parse]), min(times[new_parse])
    print(f"csv_read: {args.rows:,} rows x 785 columns ({len(content) / 2**20:.1f} MB): np.loadtxt parse "
          f"{old:.3f} s, pandas parse {new:.3f} s: {old / new:.1f}x faster (best of {args.rounds})")


if __name__ == "__main__":
    main()
