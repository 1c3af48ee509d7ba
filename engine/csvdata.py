"""load_csv: MNIST / Fashion-MNIST in Kaggle's CSV layout (a `label` column plus pixel columns).

read_csv parses a file once into a CsvTable (every row in file order); table_dataset splits a
table into a Dataset, as often as a new seed or test share asks, without parsing again.
"""
import csv
import gzip
import io
import math
import os
from typing import NamedTuple

import numpy as np

from .data import Dataset, split

MAX_CLASSES = 1024  # labels 0 to 1023: one-hot targets of a 10,000-row file stay under 80 MB


class CsvTable(NamedTuple):
    """A parsed CSV: X (N, D) pixels, y (N,) int64 labels, in file order; its name and image shape."""
    name: str
    X: np.ndarray
    y: np.ndarray
    image_shape: tuple = None


def _read_text(source):
    """(text, name) from a path, a file-like object (text or bytes), bytes, or a string of CSV text."""
    if isinstance(source, (bytes, bytearray)):
        return _decode(bytes(source)), "csv"
    if isinstance(source, str) and ("\n" in source or not source.strip()
                                    or "," in source and not os.path.exists(source)):
        return source, "csv"
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as handle:
            return _decode(handle.read()), os.path.basename(path).split(".")[0] or "csv"
    if hasattr(source, "getvalue"):   # BytesIO, StringIO, Streamlit's UploadedFile: the whole buffer
        content = source.getvalue()
    elif hasattr(source, "read"):
        content = source.read()
    else:
        raise ValueError(f"load_csv: expected a path, a file-like object, bytes or CSV text, "
                         f"got {type(source).__name__}")
    name = os.path.basename(str(getattr(source, "name", "") or "")).split(".")[0] or "csv"
    return (content if isinstance(content, str) else _decode(content)), name


def _decode(content):
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"load_csv: the file is not UTF-8 text (byte {error.start}); "
                         f"is it a CSV file?") from None


def _lines(text, max_rows):
    """(header fields, header line number, [(line number, data line)]) skipping blank lines."""
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not numbered:
        raise ValueError("load_csv: the file is empty")
    (header_line, header), data = numbered[0], numbered[1:]
    fields = [name.strip().strip('"').strip() for name in next(csv.reader([header]))]
    if all(_is_number(name) for name in fields):
        raise ValueError(f"load_csv: no header row: line {header_line} holds numbers "
                         f"({header[:40]!r}); the first line must name the columns, one of them `label`")
    if not data:
        raise ValueError(f"load_csv: zero data rows: the file has only the header (line {header_line})")
    return fields, header_line, data if max_rows is None else data[:max_rows]


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _label_column(fields):
    lowered = [name.lower() for name in fields]
    if "label" not in lowered:
        shown = ", ".join(fields[:5]) + (", ..." if len(fields) > 5 else "")
        raise ValueError(f"load_csv: no `label` column in the header ({len(fields)} columns: {shown})")
    return lowered.index("label")


def _column(fields, j):
    return f"column {j + 1} ({fields[j]!r})"


def _parse_slowly(fields, data):
    """Cell by cell with float(); ValueError naming the first ragged row or non-numeric cell."""
    table = np.empty((len(data), len(fields)))
    for row, (line_no, line) in enumerate(data, start=1):
        cells = next(csv.reader([line]))
        if len(cells) != len(fields):
            raise ValueError(f"load_csv: row {row} (line {line_no}) has {len(cells)} fields, "
                             f"the header has {len(fields)}")
        for j, cell in enumerate(cells):
            try:
                table[row - 1, j] = float(cell)
            except ValueError:
                shown = f"{cell!r}" + (" (empty)" if not cell.strip() else "")
                raise ValueError(f"load_csv: row {row} (line {line_no}), {_column(fields, j)}: "
                                 f"non-numeric cell {shown}") from None
    return table


def _parse(fields, data):
    """(N, len(fields)) float64 table; ValueError naming the row and column of bad or NaN cells."""
    try:  # NumPy's C parser first; the slow path finds and names what it rejected
        table = np.loadtxt(io.StringIO("\n".join(line for _, line in data)), delimiter=",",
                           ndmin=2, comments=None, dtype=np.float64, quotechar='"')
    except ValueError:
        table = None
    if table is None or table.shape != (len(data), len(fields)):
        table = _parse_slowly(fields, data)
    bad = np.argwhere(~np.isfinite(table))
    if len(bad):
        row, j = bad[0]
        raise ValueError(f"load_csv: row {row + 1} (line {data[row][0]}), {_column(fields, j)}: "
                         f"{table[row, j]} is not a finite number")
    return table


def _labels(raw, data, fields, j, max_classes):
    """(N,) int64 labels from the label column's floats, each checked to be an integer in [0, max_classes)
    before it is converted (2^63 would wrap negative); ValueError naming the row of the first that is not."""
    bad = np.flatnonzero((raw < 0) | (np.mod(raw, 1) != 0) | (raw >= max_classes))
    if len(bad):
        row = bad[0]
        line_no, line = data[row]
        cell = next(csv.reader([line]))[j].strip().strip('"')
        cell = cell if len(cell) <= 24 else cell[:23] + "…"
        reason = (f"is over the limit of {max_classes} classes (labels 0 to {max_classes - 1})"
                  if raw[row] >= max_classes else "is not a non-negative integer class")
        raise ValueError(f"load_csv: row {row + 1} (line {line_no}), {_column(fields, j)}: label {cell} {reason}")
    labels = raw.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise ValueError(f"load_csv: a single class (every label is {labels[0]}); "
                         f"classification needs at least two")
    return labels


def _image_shape(n_pixels, image_shape):
    if image_shape is not None:
        image_shape = tuple(int(s) for s in image_shape)
        if math.prod(image_shape) != n_pixels:
            raise ValueError(f"load_csv: image_shape {image_shape} holds {math.prod(image_shape)} "
                             f"pixels, the file has {n_pixels} pixel columns")
        return image_shape
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else None


def _check_max_rows(max_rows):
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
                                 or max_rows < 1):
        raise ValueError(f"load_csv: max_rows must be None or an integer >= 1, got {max_rows!r}")


def _pixels(table, label_j, dtype):
    """The table without its label column as dtype, divided by 255 (or by the max) when the max is over 1;
    the division happens in float64, in place, so only one dtype copy of the pixels is made."""
    left, right = table[:, :label_j], table[:, label_j + 1:]
    top = max(left.max(initial=0), right.max(initial=0))
    if top > 1:
        table /= 255.0 if top <= 255 else top
    X = np.empty((len(table), table.shape[1] - 1), dtype=dtype)
    X[:, :label_j], X[:, label_j:] = left, right
    return X


def read_csv(source, max_rows=None, image_shape=None, dtype=np.float64, max_classes=MAX_CLASSES):
    """CsvTable of CSV with a `label` column and pixel columns;  pixels / 255 (or / max) when max > 1.

    source: a path (.csv or .csv.gz), a file-like object (text or bytes), bytes, or CSV text. Labels
    must be integers 0 to max_classes - 1.
    """
    _check_max_rows(max_rows)
    text, name = _read_text(source)
    fields, _, data = _lines(text, max_rows)
    label_j = _label_column(fields)
    if len(fields) < 2:
        raise ValueError("load_csv: the header has only the `label` column, no pixel columns")
    table = _parse(fields, data)
    y = _labels(table[:, label_j], data, fields, label_j, max_classes)
    X = _pixels(table, label_j, dtype)
    return CsvTable(name, X, y, _image_shape(X.shape[1], image_shape))


def table_dataset(table, test_size=0.25, seed=0):
    """The Dataset of a CsvTable, split with seed (split(X, y, test_size, seed))."""
    X, y, shape = table.X, table.y, table.image_shape
    X_train, X_test, y_train, y_test = split(X, y, test_size, seed)
    n_classes = int(y.max()) + 1
    description = (f"{len(y)} rows of {X.shape[1]} pixels"
                   + (f" ({shape[0]}x{shape[1]} images)" if shape and len(shape) == 2 else "")
                   + f" from {table.name}, {n_classes} classes.")
    return Dataset(table.name, X_train, y_train, X_test, y_test, n_classes=n_classes,
                   task="classification", image_shape=shape, description=description)


def load_csv(source, test_size=0.25, seed=0, max_rows=None, image_shape=None, dtype=np.float64):
    """Dataset from CSV with a `label` column and pixel columns: table_dataset(read_csv(...))."""
    return table_dataset(read_csv(source, max_rows, image_shape, dtype), test_size, seed)
