"""engine.csvdata.load_csv: the Kaggle MNIST / Fashion-MNIST CSV layout, and every broken form."""
import gzip
import io
import tracemalloc

import numpy as np
import pandas  # noqa: F401  before any memory is measured: read_csv's first call would import it (~30 MB)
import pytest

import engine.csvdata
from engine.csvdata import load_csv, read_csv, table_dataset
from tests.peak import refusal_peak


# --- load_csv ---

def make_csv(label_position=0, rows=20, pixels=16, seed=0):
    """(text, labels, pixels) with a header; labels 0..2 in column label_position."""
    rng = np.random.default_rng(seed)
    labels = np.arange(rows) % 3
    values = rng.integers(0, 256, size=(rows, pixels))
    values[0, 0] = 255
    names = [f"pixel{i}" for i in range(pixels)]
    names.insert(label_position, "label")
    lines = [",".join(names)]
    for label, row in zip(labels, values):
        cells = [str(v) for v in row]
        cells.insert(label_position, str(label))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n", labels, values


def all_rows(ds):
    return np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def assert_same_samples(ds, labels, values):
    X, y = all_rows(ds)
    order, expected = np.lexsort(X.T[::-1]), np.lexsort((values / 255.0).T[::-1])
    np.testing.assert_allclose(X[order], values[expected] / 255.0)
    np.testing.assert_array_equal(y[order], labels[expected])


@pytest.mark.parametrize("label_position", [0, 5, 16])
def test_csv_text_any_label_position(label_position):
    text, labels, values = make_csv(label_position)
    ds = load_csv(text, test_size=0.25, seed=0)
    assert ds.X_train.shape == (15, 16) and ds.X_test.shape == (5, 16)
    assert ds.n_classes == 3 and ds.task == "classification" and ds.image_shape == (4, 4)
    assert ds.y_train.dtype == np.int64 and ds.X_train.dtype == np.float64
    assert_same_samples(ds, labels, values)


def test_csv_from_path_bytes_and_buffers(tmp_path):
    text, labels, values = make_csv()
    path = tmp_path / "train.csv"
    path.write_text(text)
    sources = [path, str(path), text.encode(), io.BytesIO(text.encode()), io.StringIO(text)]
    for source in sources:
        ds = load_csv(source, seed=1)
        assert_same_samples(ds, labels, values)
    assert load_csv(path).name == "train"


def test_csv_reads_a_buffer_even_after_it_was_read():
    text, labels, values = make_csv()
    buffer = io.BytesIO(text.encode())
    buffer.read()
    assert_same_samples(load_csv(buffer), labels, values)


def test_csv_max_rows_seed_dtype_and_image_shape():
    text, _, values = make_csv(rows=40)
    ds = load_csv(text, max_rows=12, test_size=0.25, dtype=np.float32, image_shape=(2, 8))
    assert len(ds.X_train) + len(ds.X_test) == 12 and ds.X_train.dtype == np.float32
    assert ds.image_shape == (2, 8)
    a, b = load_csv(text, seed=3), load_csv(text, seed=3)
    np.testing.assert_array_equal(a.X_train, b.X_train)


def test_csv_no_square_no_image_shape_and_unit_pixels_kept():
    text = "label,a,b,c\n0,0.5,0.25,1\n1,0,0.75,0.5\n0,1,1,1\n1,0,0,0\n"
    ds = load_csv(text, test_size=0.5)
    assert ds.image_shape is None
    X, _ = all_rows(ds)
    assert X.max() == 1.0 and sorted(X[:, 0]) == [0, 0, 0.5, 1]


def test_csv_skips_blank_lines_and_accepts_spaces_and_quotes():
    text = 'label,"p1",p2\n\n0, 10,20\n1,"30",40\n\n0,50,60\n1,70,80\n\n'
    ds = load_csv(text, test_size=0.5)
    X, y = all_rows(ds)
    assert sorted(X[:, 0] * 255) == pytest.approx([10, 30, 50, 70])


def replace_row(text, row, new):
    lines = text.split("\n")
    lines[row] = new(lines[row])
    return "\n".join(lines)


TEXT, _, _ = make_csv()
BROKEN = [
    ("", ["empty"]),
    ("  \n\n", ["empty"]),
    (TEXT.split("\n")[0] + "\n", ["zero data rows"]),
    ("\n".join(TEXT.split("\n")[1:]), ["no header", "line 1"]),
    (TEXT.replace("label", "digit", 1), ["no `label` column"]),
    ("label\n1\n0\n", ["no pixel columns"]),
    (replace_row(TEXT, 4, lambda s: s + ",7"), ["row 4", "line 5", "18 fields", "header has 17"]),
    (replace_row(TEXT, 6, lambda s: s.rsplit(",", 2)[0]), ["row 6", "15 fields", "header has 17"]),
    (replace_row(TEXT, 3, lambda s: s.replace(",", ",abc", 1)), ["row 3", "column 2", "pixel0", "abc"]),
    (replace_row(TEXT, 2, lambda s: s.rsplit(",", 1)[0] + ","), ["row 2", "column 17", "empty"]),
    (replace_row(TEXT, 5, lambda s: "2.5" + s[1:]), ["row 5", "label 2.5", "integer"]),
    (replace_row(TEXT, 7, lambda s: "-1" + s[1:]), ["row 7", "label -1", "non-negative"]),
    (replace_row(TEXT, 8, lambda s: s.rsplit(",", 1)[0] + ",nan"), ["row 8", "column 17", "nan"]),
    (replace_row(TEXT, 1, lambda s: "nan" + s[1:]), ["row 1", "column 1", "label", "nan"]),
    ("label,a,b\n" + "1,2,3\n" * 5, ["single class"]),
    (b"\xff\xfe\x00\x01", ["not UTF-8"]),
]


@pytest.mark.parametrize("source, words", BROKEN)
def test_csv_broken_forms_say_what_and_where(source, words):
    with pytest.raises(ValueError, match="load_csv") as info:
        load_csv(source)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("kwargs, words", [({"max_rows": 0}, "max_rows"), ({"max_rows": 2.5}, "max_rows"),
                                           ({"image_shape": (3, 3)}, "image_shape (3, 3)"),
                                           ({"test_size": 0}, "test_size")])
def test_csv_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        load_csv(TEXT, **kwargs)
    assert words in str(info.value)


def test_csv_bad_source_type_and_missing_path(tmp_path):
    with pytest.raises(ValueError, match="expected a path"):
        load_csv(12)
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "missing.csv")


# --- labels: integers 0 to 1023, checked before they are converted ---

@pytest.mark.parametrize("label", ["50000000", "1000000000", "9223372036854775808", "1e30", "1024"])
def test_a_label_over_the_class_limit_is_refused_naming_its_row(label):
    text = f"label,p0,p1\n0,1,2\n1,3,4\n{label},5,6\n"
    with pytest.raises(ValueError) as info:
        load_csv(text)
    assert str(info.value) == (f"load_csv: row 3 (line 4), column 1 ('label'): label {label} is over the limit "
                               "of 1024 classes (labels 0 to 1023)")


def test_the_largest_label_allowed_gives_1024_classes():
    ds = load_csv("label,p0\n0,1\n1023,2\n0,3\n1023,4\n", test_size=0.5)
    assert ds.n_classes == 1024 and ds.y_train.dtype == np.int64


def test_a_huge_label_allocates_almost_nothing():
    text = "label,p0,p1\n" + "".join(f"{i % 2},{i},{i}\n" for i in range(20)) + "1000000000,1,2\n"
    message, peak = refusal_peak(load_csv, text)
    assert "row 21 (line 22), column 1 ('label'): label 1000000000 is over the limit" in message
    assert peak < 2**20


def test_a_long_label_is_shortened_in_the_message():
    with pytest.raises(ValueError, match=r"label 1{23}… is over the limit") as info:
        load_csv("label,p0\n0,1\n" + "1" * 60 + ",2\n")
    assert len(str(info.value)) < 150


# --- issue 23, item 4: a pixel finite in float64 but not in float32 ---

@pytest.mark.parametrize("cell, top", [("-1e300", "2"), ("-1e39", "1"), ("-3.5e38", "0.5")])
def test_a_pixel_beyond_float32_is_refused_naming_its_row_and_column(cell, top):
    """-1e300 / 255 is finite in float64 and -inf in float32: the check runs after the cast."""
    text = f"pixel0,label,pixel1\n{top},0,0\n0.5,1,{cell}\n0.25,0,1\n"
    with pytest.raises(ValueError) as info:
        read_csv(text, dtype=np.float32)
    assert str(info.value) == (f"load_csv: row 2 (line 3), column 3 ('pixel1'): pixel {cell} is not a finite "
                               "number in float32, whose range is ±3.4e+38")
    assert np.isfinite(read_csv(text).X).all()  # float64 holds it


# --- read_csv parses once; table_dataset splits as often as asked ---

def test_read_csv_keeps_file_order_and_table_dataset_splits_it_like_load_csv():
    text, labels, values = make_csv(label_position=5, rows=40)
    table = read_csv(text, dtype=np.float32)
    np.testing.assert_array_equal(table.y, labels)
    np.testing.assert_array_equal(table.X, (values / 255.0).astype(np.float32))
    assert table.image_shape == (4, 4) and table.name == "csv"
    for seed in (0, 3):
        a, b = table_dataset(table, test_size=0.25, seed=seed), load_csv(text, seed=seed, dtype=np.float32)
        for name in ("X_train", "y_train", "X_test", "y_test"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert (a.n_classes, a.description) == (b.n_classes, b.description)


# --- pandas' C parser on correct files; the slow pass names the culprit, with physical line numbers ---

def spaced(text, end):
    """text with blank lines after the header and after row 2, lines ended by end: row r >= 3 is on line r + 4."""
    lines = text.rstrip("\n").split("\n")
    return end.join(lines[:1] + [""] + lines[1:3] + ["  \t", ""] + lines[3:]) + end


SPACED, _, _ = make_csv(label_position=5)
SPACED_BROKEN = [
    (lambda s: s + ",7", "row 6 (line 10) has 18 fields"),
    (lambda s: s.rsplit(",", 2)[0], "row 6 (line 10) has 15 fields"),
    (lambda s: s.replace(",", ",abc", 1), "row 6 (line 10), column 2 ('pixel1'): non-numeric cell 'abc"),
    (lambda s: s.rsplit(",", 1)[0] + ",", "row 6 (line 10), column 17 ('pixel15'): non-numeric cell '' (empty)"),
    (lambda s: s.rsplit(",", 1)[0] + ",NA", "row 6 (line 10), column 17 ('pixel15'): non-numeric cell 'NA'"),
    (lambda s: s.rsplit(",", 1)[0] + ",inf", "row 6 (line 10), column 17 ('pixel15'): inf is not a finite"),
    (lambda s: ",".join(c if i != 5 else "7.5" for i, c in enumerate(s.split(","))),
     "row 6 (line 10), column 6 ('label'): label 7.5 is not a non-negative integer class"),
]


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("change, message", SPACED_BROKEN)
def test_line_numbers_count_blank_lines_and_every_line_end(end, change, message):
    with pytest.raises(ValueError) as info:
        read_csv(spaced(replace_row(SPACED, 6, change), end))
    assert message in str(info.value)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_lf_crlf_cr_quoted_header_and_bom_read_like_plain_lines(end):
    expected = read_csv(SPACED)
    quoted = ",".join(f'"{name}"' for name in SPACED.split("\n")[0].split(",")) + SPACED[SPACED.index("\n"):]
    for text in (spaced(SPACED, end), spaced(quoted, end), "\ufeff" + spaced(quoted, end)):
        table = read_csv(text.encode())
        np.testing.assert_array_equal(table.X, expected.X)
        np.testing.assert_array_equal(table.y, expected.y)


@pytest.mark.parametrize("chunk_rows", [None, 1])
def test_mixed_line_ends_are_read_line_by_line(chunk_rows, monkeypatch):
    if chunk_rows:
        monkeypatch.setattr(engine.csvdata, "CHUNK_BYTES", 8 * 2 * chunk_rows)
    text = "label,p0\n0,1\r1,2\r\n0,3\r1,4\r0,5\n"
    table = read_csv(text)
    assert list(table.y) == [0, 1, 0, 1, 0] and list(table.X[:, 0] * 255) == pytest.approx([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match=r"row 4 \(line 5\), column 2 \('p0'\): non-numeric cell 'x'"):
        read_csv(text.replace("1,4", "1,x"))


@pytest.mark.parametrize("text, message", [
    ("label,p0,p1\n0,1,2\n\r,5,6,7\n1,2,3\n", "row 2 (line 4) has 4 fields, the header has 3"),  # pandas: 3 cells
    ('label,p0\n0,1\n1,"2\n"\n0,3\n', "row 3 (line 4) has 1 fields, the header has 2"),  # pandas: "2\n" is 2
])
def test_what_pandas_would_read_otherwise_is_named_line_by_line(text, message):
    """pandas alone drops an empty first cell after a blank line ended by \r and reads a cell quoted over two lines."""
    with pytest.raises(ValueError) as info:
        read_csv(text)
    assert message in str(info.value)


def test_a_one_row_file_is_a_single_class_and_two_rows_are_read():
    with pytest.raises(ValueError, match="single class"):
        read_csv("label,p0,p1\n1,2,3")
    table = read_csv("label,p0,p1\n1,2,3\n0,4,255")
    assert table.X.shape == (2, 2) and list(table.y) == [1, 0]


def test_a_gzipped_path(tmp_path):
    text, labels, values = make_csv(label_position=3)
    path = tmp_path / "fashion.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    ds = load_csv(path)
    assert ds.name == "fashion"
    assert_same_samples(ds, labels, values)


def test_every_row_one_field_longer_than_the_header_is_ragged():
    text = "label,p0,p1\n" + "".join(f"{i % 2},{i},{i},{i}\n" for i in range(6))
    with pytest.raises(ValueError, match=r"row 1 \(line 2\) has 4 fields, the header has 3"):
        read_csv(text)


def test_max_rows_counts_data_rows_and_leaves_the_rest_unread():
    text = "label,p0\n\n0,1\n\n1,2\n0,3\nbroken\n"
    table = read_csv(text, max_rows=3)
    assert list(table.y) == [0, 1, 0] and table.X.shape == (3, 1)


def test_a_non_utf8_byte_in_a_row_names_its_byte():
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 15\)"):
        read_csv(b"label,p0\n0,1\n1,\xff\n")


def test_a_cell_pandas_refuses_but_float_reads_is_read_as_before():
    table = read_csv("label,p0\n0,1_0\n1,20\n")
    np.testing.assert_allclose(table.X[:, 0], [10 / 255, 20 / 255])


def test_rows_in_many_chunks_and_an_error_in_a_late_one(monkeypatch):
    expected = read_csv(SPACED)
    monkeypatch.setattr(engine.csvdata, "CHUNK_BYTES", 8 * 17 * 3)  # 3 rows a chunk: rows 10 and 16 start one
    table = read_csv(spaced(SPACED, "\r\n"))
    np.testing.assert_array_equal(table.X, expected.X)
    for row, line in [(10, 14), (16, 20)]:
        with pytest.raises(ValueError, match=rf"row {row} \(line {line}\) has 15 fields"):
            read_csv(spaced(replace_row(SPACED, row, lambda s: s.rsplit(",", 2)[0]), "\n"))


def test_a_read_holds_about_one_float64_table_and_one_dtype_copy(monkeypatch):
    monkeypatch.setattr(engine.csvdata, "CHUNK_BYTES", 2**18)
    rows, columns = 1000, 785
    values = np.random.default_rng(0).integers(0, 256, size=(rows, columns))
    values[:, 0] %= 10
    content = ("label," + ",".join(f"p{j}" for j in range(columns - 1)) + "\n"
               + "\n".join(",".join(map(str, row)) for row in values.tolist()) + "\n").encode()
    tracemalloc.start()
    try:
        table = read_csv(content, dtype=np.float32)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.X.shape == (rows, columns - 1)
    assert peak < 8 * rows * columns + 4 * rows * (columns - 1) + 4 * 2**18 + 2**20, f"peak {peak / 2**20:.1f} MB"
