"""load_csv: MNIST / Fashion-MNIST in Kaggle's CSV layout (a `label` column plus pixel columns).

read_csv parses a file once into a CsvTable (every row in file order); table_dataset splits a
table into a Dataset, as often as a new seed or test share asks, without parsing again. Cells are
parsed by pandas' C parser; where it rejects a file, a slow cell-by-cell pass names the culprit.
"""
import csv
import gzip
import io
import itertools
import math
import os
import re
from typing import NamedTuple

import numpy as np

from i18n import N_, domain

from .data import Dataset, split

_, ngettext = domain("engine")

MAX_CLASSES = 1024  # labels 0 to 1023: one-hot targets of a 10,000-row file stay under 80 MB
CHUNK_BYTES = 2**24  # pandas parses about 16 MB of float64 rows at a time into the one table
LINE_END = re.compile(rb"\r\n|\r|\n")  # where pandas' C parser ends a line; line numbers count these
BLANK = re.compile(rb"\s*")  # what follows a header-only file
ZERO_ROWS = N_("load_csv: zero data rows: the file has only the header (line {line})")  # said as _(ZERO_ROWS)


class CsvTable(NamedTuple):
    """A parsed CSV: X (N, D) pixels, y (N,) int64 labels, in file order; its name and image shape."""
    name: str
    X: np.ndarray
    y: np.ndarray
    image_shape: tuple = None


def _read_bytes(source):
    """(content, name) from a path, a file-like object (text or bytes), bytes, or a string of CSV text."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "csv"
    if isinstance(source, str) and ("\n" in source or not source.strip()
                                    or "," in source and not os.path.exists(source)):
        return source.encode(), "csv"
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as handle:
            return handle.read(), os.path.basename(path).split(".")[0] or "csv"
    if hasattr(source, "getvalue"):   # BytesIO, StringIO, Streamlit's UploadedFile: the whole buffer
        content = source.getvalue()
    elif hasattr(source, "read"):
        content = source.read()
    else:
        raise ValueError(_("load_csv: expected a path, a file-like object, bytes or CSV text, got {type}").format(
            type=type(source).__name__))
    name = os.path.basename(str(getattr(source, "name", "") or "")).split(".")[0] or "csv"
    return (content.encode() if isinstance(content, str) else bytes(content)), name


def _decode(content, start=0):
    """content as text; ValueError naming the first byte (counted from start) that is not UTF-8."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(_("load_csv: the file is not UTF-8 text (byte {byte}); is it a CSV file?").format(
            byte=start + error.start)) from None


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _header(content):
    """(header fields, byte offset after the header line): the first non-blank line must name the columns."""
    start = 0
    for line_no in itertools.count(1):
        match = LINE_END.search(content, start)
        end = match.end() if match else len(content)
        header = _decode(content[start:match.start() if match else end], start)
        if header.strip():
            break
        if not match:
            raise ValueError(_("load_csv: the file is empty"))
        start = end
    fields = [name.strip().strip('"').strip() for name in next(csv.reader([header]))]
    if all(_is_number(name) for name in fields):
        raise ValueError(_("load_csv: no header row: line {line} holds numbers ({text}); the first line must name "
                           "the columns, one of them `label`").format(line=line_no, text=repr(header[:40])))
    if BLANK.fullmatch(content, end):
        raise ValueError(_(ZERO_ROWS).format(line=line_no))
    return fields, end


def _data_lines(content, max_rows):
    """[(line number, line)] of the non-blank lines after the header, at most max_rows of them."""
    lines = re.split(LINE_END.pattern.decode(), _decode(content))
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    header_line, data = numbered[0][0], numbered[1:]
    if not data:
        raise ValueError(_(ZERO_ROWS).format(line=header_line))  # after lines that are blank only once decoded
    return data if max_rows is None else data[:max_rows]


def _label_column(fields):
    lowered = [name.lower() for name in fields]
    if "label" not in lowered:
        shown = ", ".join(fields[:5]) + (", ..." if len(fields) > 5 else "")
        raise ValueError(ngettext("load_csv: no `label` column in the header ({n} column: {names})",
                                  "load_csv: no `label` column in the header ({n} columns: {names})", len(fields))
                         .format(n=len(fields), names=shown))
    return lowered.index("label")


def _column(fields, j):
    return _("column {number} ({name})").format(number=j + 1, name=repr(fields[j]))


def _cell(content, fields, row, j):
    """"load_csv: row 3 (line 4), column 2 ('pixel0')": where data row `row` (0-based), column j is."""
    line_no = _data_lines(content, row + 1)[row][0]
    return row_at().format(row=row + 1, line=line_no, column=_column(fields, j))


def row_at():
    """Where a cell is, as every message that names one says it."""
    return _("load_csv: row {row} (line {line}), {column}")


def _cell_text(content, row, j):
    """The text of data row `row` (0-based), column j as the file has it, cut to 24 characters."""
    line = _data_lines(content, row + 1)[row][1]
    cell = next(csv.reader([line]))[j].strip().strip('"')
    return cell if len(cell) <= 24 else cell[:23] + "…"


def _parse_slowly(fields, data):
    """Cell by cell with float(); ValueError naming the first ragged row or non-numeric cell."""
    table = np.empty((len(data), len(fields)))
    for row, (line_no, line) in enumerate(data, start=1):
        cells = next(csv.reader([line]))
        if len(cells) != len(fields):
            raise ValueError(_("load_csv: row {row} (line {line}) has {n} fields, the header has {m}").format(
                row=row, line=line_no, n=len(cells), m=len(fields)))
        for j, cell in enumerate(cells):
            try:
                table[row - 1, j] = float(cell)
            except ValueError:
                shown = repr(cell) if cell.strip() else _("{cell} (empty)").format(cell=repr(cell))
                raise ValueError(_("{where}: non-numeric cell {cell}").format(
                    where=row_at().format(row=row, line=line_no, column=_column(fields, j)), cell=shown)) from None
    return table


def _parse_fast(content, offset, n_columns, max_rows):
    """(N, n_columns) float64 table of content[offset:] by pandas; None where it fails or gives NaN or inf."""
    import pandas as pd  # only when a file is read: importing the engine imports NumPy alone
    if content.find(b"\r,", offset) >= 0:  # pandas drops a row's empty first cell after a blank line ending in \r
        return None
    lines = (content.count(b"\n", offset) or content.count(b"\r", offset)) + 1  # too few if \r and \n are mixed
    table = np.empty((min(lines, max_rows or lines), n_columns))  # rows past the last are never touched
    buffer, n = io.BytesIO(content), 0
    buffer.seek(offset)
    try:
        with pd.read_csv(buffer, header=None, dtype=np.float64, engine="c", nrows=max_rows,
                         chunksize=max(1, CHUNK_BYTES // (8 * n_columns))) as reader:
            for chunk in reader:
                if chunk.shape[1] != n_columns or n + len(chunk) > len(table):  # a ragged first row; \r mixed
                    return None
                table[n:n + len(chunk)] = chunk.to_numpy()
                n += len(chunk)
    except ValueError:  # pandas' ParserError, EmptyDataError and UnicodeDecodeError are ValueErrors
        return None
    if not n or not np.isfinite(table[:n]).all():
        return None
    if content.find(b'"', offset) >= 0 and len(_data_lines(content, max_rows)) != n:  # a line end inside quotes
        return None
    return table[:n]


def _parse(content, offset, fields, max_rows):
    """(N, len(fields)) float64 data rows; ValueError naming the row, line and column of a bad cell."""
    table = _parse_fast(content, offset, len(fields), max_rows)
    if table is not None:
        return table
    data = _data_lines(content, max_rows)  # what pandas rejected, found and named the slow way
    table = _parse_slowly(fields, data)
    bad = np.argwhere(~np.isfinite(table))
    if len(bad):
        row, j = bad[0]
        raise ValueError(_("{where}: {value} is not a finite number").format(
            where=row_at().format(row=row + 1, line=data[row][0], column=_column(fields, j)), value=table[row, j]))
    return table


def _labels(raw, content, fields, j, max_classes):
    """(N,) int64 labels from the label column's floats, each checked to be an integer in [0, max_classes)
    before it is converted (2^63 would wrap negative); ValueError naming the row of the first that is not."""
    bad = np.flatnonzero((raw < 0) | (np.mod(raw, 1) != 0) | (raw >= max_classes))
    if len(bad):
        row = bad[0]
        message = _("{where}: label {label} is over the limit of {n} classes (labels 0 to {last})") \
            if raw[row] >= max_classes else _("{where}: label {label} is not a non-negative integer class")
        raise ValueError(message.format(where=_cell(content, fields, row, j), label=_cell_text(content, row, j),
                                        n=max_classes, last=max_classes - 1))
    labels = raw.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise ValueError(_("load_csv: a single class (every label is {label}); classification needs at least two")
                         .format(label=labels[0]))
    return labels


def _image_shape(n_pixels, image_shape):
    if image_shape is not None:
        image_shape = tuple(int(s) for s in image_shape)
        if math.prod(image_shape) != n_pixels:
            raise ValueError(_("load_csv: image_shape {shape} holds {n} pixels, the file has {m} pixel columns")
                             .format(shape=image_shape, n=math.prod(image_shape), m=n_pixels))
        return image_shape
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else None


def _check_max_rows(max_rows):
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
                                 or max_rows < 1):
        raise ValueError(_("load_csv: max_rows must be None or an integer >= 1, got {value}").format(
            value=repr(max_rows)))


def _pixels(table, label_j, dtype):
    """The table without its label column as dtype, divided by 255 (or by the max) when the max is over 1;
    the division happens in float64, in place, so only one dtype copy of the pixels is made."""
    left, right = table[:, :label_j], table[:, label_j + 1:]
    top = max(left.max(initial=0), right.max(initial=0))
    if top > 1:
        table /= 255.0 if top <= 255 else top
    X = np.empty((len(table), table.shape[1] - 1), dtype=dtype)
    with np.errstate(over="ignore"):  # a pixel beyond dtype's range becomes inf: _check_finite names it
        X[:, :label_j], X[:, label_j:] = left, right
    return X


def _check_finite(X, content, fields, label_j):
    """ValueError naming the first pixel that is not finite in X's dtype (-1e300 is finite in float64, -inf
    in float32); min and max find whether there is one without a mask as large as X."""
    if np.isfinite(X.min(initial=0)) and np.isfinite(X.max(initial=0)):
        return
    row, j = np.argwhere(~np.isfinite(X))[0]
    j = j + (j >= label_j)  # X's columns skip the label's
    limit = np.finfo(X.dtype).max
    raise ValueError(_("{where}: pixel {pixel} is not a finite number in {dtype}, whose range is ±{limit}").format(
        where=_cell(content, fields, row, j), pixel=_cell_text(content, row, j), dtype=X.dtype, limit=f"{limit:.3g}"))


def read_csv(source, max_rows=None, image_shape=None, dtype=np.float64, max_classes=MAX_CLASSES):
    """CsvTable of CSV with a `label` column and pixel columns;  pixels / 255 (or / max) when max > 1.

    source: a path (.csv or .csv.gz), a file-like object (text or bytes), bytes, or CSV text. Labels
    must be integers 0 to max_classes - 1.
    """
    _check_max_rows(max_rows)
    content, name = _read_bytes(source)
    fields, offset = _header(content)
    label_j = _label_column(fields)
    if len(fields) < 2:
        raise ValueError(_("load_csv: the header has only the `label` column, no pixel columns"))
    table = _parse(content, offset, fields, max_rows)
    y = _labels(table[:, label_j], content, fields, label_j, max_classes)
    X = _pixels(table, label_j, dtype)
    _check_finite(X, content, fields, label_j)
    return CsvTable(name, X, y, _image_shape(X.shape[1], image_shape))


def table_dataset(table, test_size=0.25, seed=0):
    """The Dataset of a CsvTable, split with seed (split(X, y, test_size, seed))."""
    X, y, shape = table.X, table.y, table.image_shape
    X_train, X_test, y_train, y_test = split(X, y, test_size, seed)
    n_classes = int(y.max()) + 1
    description = ngettext("{n} row of {pixels} pixels", "{n} rows of {pixels} pixels", len(y)).format(
        n=len(y), pixels=X.shape[1])
    if shape and len(shape) == 2:
        description += " " + _("({height}x{width} images)").format(height=shape[0], width=shape[1])
    description += " " + ngettext("from {name}, {n} class.", "from {name}, {n} classes.", n_classes).format(
        name=table.name, n=n_classes)
    return Dataset(table.name, X_train, y_train, X_test, y_test, n_classes=n_classes,
                   task="classification", image_shape=shape, description=description)


def load_csv(source, test_size=0.25, seed=0, max_rows=None, image_shape=None, dtype=np.float64):
    """Dataset from CSV with a `label` column and pixel columns: table_dataset(read_csv(...))."""
    return table_dataset(read_csv(source, max_rows, image_shape, dtype), test_size, seed)
