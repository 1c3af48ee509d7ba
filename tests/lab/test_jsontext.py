"""lab.jsontext: JSON nested deeper than a configuration ever is gives a ValueError, never a RecursionError."""
import json

import numpy as np
import pytest

from lab.cursor import json_member, read_json_member
from lab.jsontext import MAX_DEPTH, depth, loads

DEEP = "[" * 500_000 + "]" * 500_000


def nested(levels):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


def test_depth_counts_lists_and_objects():
    assert depth(1) == 0 and depth("x") == 0 and depth([]) == 1 and depth({"a": [1, {"b": []}]}) == 4
    assert depth(nested(MAX_DEPTH)) == MAX_DEPTH


def test_json_as_deep_as_allowed_reads_and_deeper_is_refused():
    assert loads(json.dumps(nested(MAX_DEPTH)), "x") == nested(MAX_DEPTH)
    for text in (json.dumps(nested(MAX_DEPTH + 1)), json.dumps(nested(900)), DEEP):
        with pytest.raises(ValueError, match=f"^x nests lists or objects more than {MAX_DEPTH} deep"):
            loads(text, "x")


def test_text_that_is_not_json_names_what_it_was():
    with pytest.raises(ValueError, match="^cursor is not valid JSON: Expecting property name"):
        loads("{nope", "cursor")


def test_a_weights_files_json_member_nested_half_a_million_deep_is_refused():
    assert read_json_member(json_member({"position": [1, 2]}), "cursor") == {"position": [1, 2]}
    with pytest.raises(ValueError, match="^cursor nests lists or objects more than"):
        read_json_member(np.array(DEEP), "cursor")
