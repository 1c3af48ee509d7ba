"""Uploads: a Kaggle MNIST-layout CSV, checked, kept compressed and re-split on demand.

A learner may upload the whole of Kaggle's MNIST train.csv (about 73 MB); the lab keeps
only its first MAX_ROWS rows, zlib-compressed, so one learner's upload costs a few MB.
"""
import io
import zlib

import numpy as np

from engine.csvdata import load_csv

PREFIX = "upload: "
MAX_BYTES = 200 * 2**20   # the same cap as .streamlit/config.toml's server.maxUploadSize
MAX_ROWS = 10_000         # rows used for training and testing; the rest of a file is ignored
DTYPE = np.float32        # pixels in [0, 1]: float32 halves the memory, layers compute in float64


class Upload:
    """One uploaded CSV: its name, its first MAX_ROWS rows (compressed) and how many rows it had."""

    def __init__(self, filename, content):
        if len(content) > MAX_BYTES:
            raise ValueError(f"{filename}: {len(content) / 2**20:.1f} MB is over the "
                             f"{MAX_BYTES // 2**20} MB limit")
        if not str(filename).lower().endswith(".csv"):
            raise ValueError(f"{filename}: expected a .csv file (a `label` column plus pixel columns)")
        self.filename = str(filename)
        lines = bytes(content).split(b"\n", MAX_ROWS + 1)
        self.rows = bytes(content).count(b"\n") if len(lines) > MAX_ROWS + 1 else None
        self._text = zlib.compress(b"\n".join(lines[:MAX_ROWS + 1]), 1)
        self.dataset(0.25, 0)  # parse once now: a broken file is refused before anything changes

    @property
    def name(self):
        return PREFIX + self.filename

    def dataset(self, test_size, seed):
        """The Dataset of the kept rows, split with seed; ValueError naming the row and column of a problem."""
        source = io.BytesIO(zlib.decompress(self._text))
        source.name = self.filename
        return load_csv(source, test_size=test_size, seed=seed, max_rows=MAX_ROWS, dtype=DTYPE)

    @property
    def note(self):
        """What the learner should know about the rows used, or None."""
        if self.rows is None:
            return None
        return f"only the first {MAX_ROWS} of its about {self.rows} rows are used"

    @property
    def nbytes(self):
        return len(self._text)
