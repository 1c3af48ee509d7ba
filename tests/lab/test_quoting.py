"""lab.quoting: a learner's text in a message is one line, at most 60 characters, quoted like Python."""
from lab.quoting import SHORT, listed, quoted, short


def test_short_text_stays_and_long_text_ends_with_an_ellipsis():
    assert short("blobs") == "blobs"
    assert short("x" * SHORT) == "x" * SHORT
    cut = short("x" * 10_000)
    assert len(cut) == SHORT and cut == "x" * (SHORT - 1) + "…"
    assert short("two\nlines\r\nhere") == "two lines here"


def test_quoted_values_read_as_python_prints_them():
    assert quoted("nope") == "'nope'" and quoted(None) == "None" and quoted([1, 2]) == "[1, 2]"
    assert quoted("*a" * 50_000) == repr(("*a" * 30)[:SHORT - 1] + "…")
    assert len(quoted(list(range(100_000)))) == SHORT
    assert quoted("a\nb") == "'a b'"


def test_listed_names_are_sorted_shortened_and_counted():
    assert listed({"b", "a"}) == "a, b"
    assert listed(f"f{i:03}" for i in range(10_000)) == "f000, f001, f002, f003, f004 and 9995 more"
    assert listed(["x" * 100]) == "x" * (SHORT - 1) + "…"
