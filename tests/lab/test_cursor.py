"""BatchCursor: its state as JSON and an order array gives back the very same batches; bad states refused."""
import json

import numpy as np
import pytest

from lab.cursor import BatchCursor, json_member, read_generator, read_json_member


def test_a_restored_cursor_takes_the_same_batches_across_epochs():
    cursor = BatchCursor(10, 4, seed=3)
    for _ in range(2):
        cursor.next()
    state = json.loads(json.dumps(cursor.state()))  # through JSON, as in the .npz
    copy = BatchCursor.restore(10, 4, cursor.order.copy(), state)
    for _ in range(7):  # into the third epoch: the generator draws the next orders
        assert np.array_equal(cursor.next(), copy.next())
    assert (copy.epoch, copy.iteration) == (cursor.epoch, cursor.iteration) == (3, 9)


def test_a_json_member_is_a_plain_unicode_array():
    member = json_member({"a": 2**100})
    assert member.shape == () and member.dtype.kind == "U"
    assert read_json_member(member, "m") == {"a": 2**100}


@pytest.mark.parametrize("state, message", [
    ("PCG64", "must be a PCG64 generator state"),
    ({"bit_generator": "Philox"}, "must be a PCG64 generator state"),
    ({"bit_generator": "PCG64", "state": {"state": 1, "inc": 1}}, "is not a well-formed PCG64 state"),
    ({"bit_generator": "PCG64", "state": {"state": 1.5, "inc": 1}, "has_uint32": 0, "uinteger": 0},
     "is not a well-formed PCG64 state"),
    ({"bit_generator": "PCG64", "state": {"state": 2**130, "inc": 1}, "has_uint32": 0, "uinteger": 0},
     "is not a well-formed PCG64 state"),
])
def test_a_malformed_generator_state_is_refused(state, message):
    with pytest.raises(ValueError, match=f"^g {message}"):
        read_generator(state, "g")


def test_a_well_formed_generator_state_draws_the_same_numbers():
    rng = np.random.default_rng(5)
    rng.random(3)
    again = read_generator(json.loads(json.dumps(dict(rng.bit_generator.state))), "g")
    assert np.array_equal(rng.random(4), again.random(4))
