"""Uploads: a Kaggle MNIST-layout CSV, sized up, parsed once, kept compressed and re-split on demand.

A learner may upload the whole of Kaggle's MNIST train.csv (about 73 MB); the lab keeps only
its first MAX_ROWS rows. Their size is checked against the per-learner limit from the header
and the row count before anything is parsed; the parsed pixels are kept zlib-compressed, so
one learner's upload costs a few MB, and a new seed or test share splits them again without
parsing the file again.
"""
import codecs
import io
import re
import zlib

import numpy as np

from engine.csvdata import read_csv, table_dataset
from i18n import domain

from .budget import check_table

_, ngettext = domain("lab")

PREFIX = "upload: "
MAX_BYTES = 200 * 2**20   # the same cap as .streamlit/config.toml's server.maxUploadSize
MAX_ROWS = 10_000         # rows used for training and testing; the rest of a file is ignored
MAX_COLUMNS = 16_385      # a label and the pixels of a 128x128 image; MNIST has 785 columns
MAX_NAME = 80             # characters of a file name kept (the dataset's name, the selector's entry)
DTYPE = np.float32        # pixels in [0, 1]: float32 halves the memory, layers compute in float64
TEXT = re.compile(rb"[^\s]")  # the first character of the header: blank lines before it are skipped


def short_name(filename):
    """(filename, None), or a name cut to MAX_NAME characters that still ends in .csv and what was done."""
    if len(filename) <= MAX_NAME:
        return filename, None
    cut = filename[:MAX_NAME - len("….csv")] + "….csv"
    return cut, _("its name of {n} characters was shortened to {limit}").format(n=f"{len(filename):,}",
                                                                               limit=MAX_NAME)


def kept_rows(content):
    """(start, end): the bytes of the header line and the MAX_ROWS lines after it, blank lines before the
    header skipped, so that the rest of a big file is never copied."""
    first = TEXT.search(content, len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0)
    start = first.start() if first else len(content)
    end = start
    for _ in range(MAX_ROWS + 1):
        end = content.find(b"\n", end) + 1
        if end == 0:
            return start, len(content)
    return start, end


def table_size(content, start, end):
    """(data rows, columns) of the CSV bytes content[start:end], counted without parsing them."""
    header_end = content.find(b"\n", start, end)
    header_end = end if header_end < 0 else header_end
    last_line_open = end > header_end + 1 and content[end - 1:end] != b"\n"
    return content.count(b"\n", header_end + 1, end) + last_line_open, content.count(b",", start, header_end) + 1


class Upload:
    """One uploaded CSV: its name, its first MAX_ROWS rows parsed (pixels compressed), how many rows it had."""

    def __init__(self, filename, content):
        is_csv = str(filename).lower().endswith(".csv")
        filename, self.renamed = short_name(str(filename))
        if len(content) > MAX_BYTES:
            raise ValueError(_("{file}: {mb} MB is over the {limit} MB limit").format(
                file=filename, mb=f"{len(content) / 2**20:.1f}", limit=MAX_BYTES // 2**20))
        if not is_csv:
            raise ValueError(_("{file}: expected a .csv file (a label column plus pixel columns)")
                             .format(file=filename))
        self.filename, content = filename, bytes(content)
        start, end = kept_rows(content)
        rows, columns = table_size(content, start, end)
        check_table(rows, columns, filename)
        if columns > MAX_COLUMNS:  # even without rows: the header's names alone would fill memory
            raise ValueError(_("{file}: its header has {n} columns; at most {limit} (a label and the pixels of a "
                               "128x128 image) are read")
                             .format(file=filename, n=f"{columns:,}", limit=f"{MAX_COLUMNS:,}"))
        self.rows = content.count(b"\n") if end < len(content) else None
        source = io.BytesIO(content[start:end])
        source.name = filename
        table = read_csv(source, max_rows=MAX_ROWS, dtype=DTYPE)  # the one parse of this file
        self._pixels, self._shape = zlib.compress(table.X.tobytes(), 1), table.X.shape
        self._table = table._replace(X=None)

    @property
    def name(self):
        return PREFIX + self.filename

    def dataset(self, test_size, seed):
        """The Dataset of the kept rows, split with seed, from the parsed pixels (nothing is parsed again)."""
        X = np.frombuffer(zlib.decompress(self._pixels), dtype=DTYPE).reshape(self._shape)
        return table_dataset(self._table._replace(X=X), test_size, seed)

    @property
    def note(self):
        """What the learner should know about the name and the rows used, or None."""
        rows = self.rows and _("only the first {kept} of its about {n} rows are used").format(kept=MAX_ROWS,
                                                                                              n=self.rows)
        return "; ".join(filter(None, [self.renamed, rows])) or None

    @property
    def nbytes(self):
        return len(self._pixels) + self._table.y.nbytes
