"""Uploads: sized up before they are parsed, parsed once, labels capped; what the learner is told."""
from dataclasses import replace

import numpy as np
import pytest

import engine.csvdata
from engine.csvdata import load_csv
from lab import uploads
from lab.budget import check_table
from lab.network import NetworkConfig
from lab.presets import stack
from lab.session import Lab
from tests.peak import refusal_peak


def csv_bytes(rows=60, pixels=16, classes=3, labels=None):
    """A Kaggle-layout CSV: a header, then `rows` rows of `pixels` pixel values; labels i % classes."""
    lines = ["label," + ",".join(f"pixel{j}" for j in range(pixels))]
    for i in range(rows):
        label = labels[i] if labels is not None else i % classes
        lines.append(f"{label}," + ",".join(str((i * 7 + j * 13) % 256) for j in range(pixels)))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def parses(monkeypatch):
    """The number of times a CSV's cells have been parsed so far (engine.csvdata._parse calls)."""
    calls = []
    parse = engine.csvdata._parse
    monkeypatch.setattr(engine.csvdata, "_parse", lambda *args: calls.append(1) or parse(*args))
    return calls


# --- issue 10, item 2: a 457-byte CSV allocated gigabytes of one-hot targets ---

@pytest.mark.parametrize("label", ["50000000", "1000000000", "9223372036854775808", "-1", "2.5"])
def test_a_huge_or_odd_label_is_refused_at_once_with_its_row(label):
    lab = Lab(NetworkConfig(layers=stack("LogSoftMax"), criterion="MSECriterion"))  # outputs as many as classes
    before = lab.config, lab.trace, lab.data
    labels = [0, 1] * 9 + [label]
    message, peak = refusal_peak(lab.upload, "labels.csv", csv_bytes(rows=19, pixels=2, labels=labels))
    reason = "is over the limit of 1024 classes" if label.isdigit() else "is not a non-negative integer class"
    assert f"row 19 (line 20), column 1 ('label'): label {label} {reason}" in message
    assert peak < 2**20, f"peak {peak / 2**20:.1f} MB"
    assert (lab.config, lab.trace, lab.data) == before and not lab.uploads


# --- issue 10, item 5: the CSV is sized up before it is parsed, and parsed once ---

def test_a_file_too_big_for_the_budget_is_refused_before_it_is_parsed(parses):
    header = "label," + ",".join(f"p{j}" for j in range(100_000))
    content = (header + "\n" + "0\n" * 200).encode()  # 200 rows x 100,001 columns: 160 MB as numbers
    lab = Lab()
    message, peak = refusal_peak(lab.upload, "wide.csv", content)
    assert message == ("wide.csv: 200 rows x 100,001 columns are about 153 MB as numbers; the limit per "
                       "learner is 128 MB: use fewer rows or columns")
    assert not parses and peak < 3 * len(content)


def test_kaggle_mnist_sized_uploads_pass_the_size_check():
    check_table(10_000, 785, "train.csv")  # the first 10,000 rows of Kaggle's MNIST: 60 MB as float64


def test_an_upload_is_parsed_once_whatever_changes_afterwards(parses):
    lab = Lab()
    lab.upload("small.csv", csv_bytes())
    assert len(parses) == 1
    data = lab.data
    for change in ({"learning_rate": 0.5}, {"momentum": 0.5}, {"criterion": "MSECriterion"},
                   {"batch_size": 16}, {"training": False}):
        lab.apply(replace(lab.config, **change))
        assert lab.data is data, change  # the very same arrays: not parsed, not even split again
    lab.apply(replace(lab.config, seed=5))  # a new split of the parsed rows
    lab.switch_dataset("blobs")
    lab.switch_dataset("upload: small.csv")
    assert len(parses) == 1


def test_a_resplit_upload_equals_the_file_loaded_with_that_seed():
    content = csv_bytes(rows=80)
    lab = Lab()
    lab.upload("small.csv", content)
    for seed, test_size in ((0, 0.25), (7, 0.25), (7, 0.5)):
        lab.apply(replace(lab.config, seed=seed, test_size=test_size))
        expected = load_csv(content, test_size=test_size, seed=seed, dtype=np.float32)
        for name in ("X_train", "y_train", "X_test", "y_test"):
            assert np.array_equal(getattr(lab.data, name), getattr(expected, name)), (seed, name)


def test_the_upload_keeps_its_pixels_compressed():
    content = csv_bytes(rows=400, pixels=64)
    upload = uploads.Upload("big.csv", content)
    data = upload.dataset(0.25, 0)
    assert upload.nbytes < (data.X_train.nbytes + data.X_test.nbytes) / 2


# --- small: blank lines before the header, a very long file name ---

@pytest.mark.parametrize("blank", [b"\n", b"  \r\n", b"\t\n"])
def test_thousands_of_blank_lines_before_the_header_are_skipped(blank):
    content = csv_bytes(rows=40)
    lab = Lab()
    lab.upload("blank.csv", b"\xef\xbb\xbf" + blank * 12_000 + content)
    assert lab.config.dataset == "upload: blank.csv"
    assert len(lab.data.X_train) + len(lab.data.X_test) == 40 and lab.data.n_features == 16


def test_only_blank_lines_say_the_file_is_empty():
    with pytest.raises(ValueError, match="load_csv: the file is empty"):
        Lab().upload("blank.csv", b"\n" * 12_000)


def test_a_4000_character_file_name_is_shortened_and_the_learner_told():
    lab = Lab()
    lab.upload("a" * 4000 + ".csv", csv_bytes())
    name = "a" * 75 + "….csv"
    assert lab.config.dataset == "upload: " + name and lab.dataset_names[-1] == "upload: " + name
    assert "its name of 4,004 characters was shortened to 80" in lab.notice
    with pytest.raises(ValueError, match=r"^a{75}….csv: expected a .csv file"):
        lab.upload("a" * 4000 + ".png", csv_bytes())


def test_a_header_of_millions_of_columns_is_refused_before_it_is_parsed(parses):
    content = b"label" + b",p" * 2_000_000  # one line, no rows: 2 million names to split
    message, peak = refusal_peak(Lab().upload, "names.csv", content)
    assert message == ("names.csv: its header has 2,000,001 columns; at most 16,385 (a label and the pixels of a "
                       "128x128 image) are read")
    assert not parses and peak < 2 * len(content)
