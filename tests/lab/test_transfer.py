"""Export and import of configuration (JSON) and weights (.npz): round trip and every refusal."""
import base64
import codecs
import io
import json
import re
import zipfile
import zlib
from dataclasses import replace

import numpy as np
import pytest

from lab.links import read_token
from lab.presets import PRESETS
from lab.session import Lab
from lab.transfer import config_json, model_arrays, model_with_weights, read_arrays, read_config, weights_npz
from tests.peak import refusal_peak
from tests.uploaded import preset_lab


def trained_lab():
    lab = Lab(PRESETS["dropout_batchnorm"].config)
    lab.train(1)
    return lab


def test_round_trip_restores_configuration_weights_and_statistics():
    lab = trained_lab()
    config = read_config(config_json(lab.config).encode())
    assert config == lab.config
    arrays = read_arrays(weights_npz(lab.model))
    assert set(arrays) == {"0.W", "0.b", "1.moving_mean", "1.moving_variance", "4.W", "4.b"}
    model = model_with_weights(config, 2, arrays)
    for name, value in model_arrays(lab.model).items():
        assert np.array_equal(model_arrays(model)[name], value)


def test_import_files_switches_the_lab():
    source = trained_lab()
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), weights_npz(source.model))
    assert lab.config == source.config
    assert np.array_equal(lab.trace.updates[0].before, source.model[0].W)


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"{", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "not a backprop-lens/1 export"),
    (json.dumps({"layers": []}).encode(), "not a backprop-lens/1 export"),
    (json.dumps({"format": "backprop-lens/1", "layers": []}).encode(), "the network is empty"),
    (json.dumps({"format": "backprop-lens/1", "layers": [{"kind": "Linear", "n_out": -1}]}).encode(),
     r"layer 0 \(Linear\): output size"),
    (json.dumps({"format": "backprop-lens/1", "colour": 1}).encode(), "unknown field"),
])
def test_bad_configuration_files(content, message):
    with pytest.raises(ValueError, match=message):
        read_config(content)


# --- issue 23, item 5: a number of any length says the field's range; a byte-order mark is skipped ---

SEED_RANGE = "data seed must be an integer in [0, 2147483647], got "


@pytest.mark.parametrize("field, value, message", [
    ("seed", str(2**64), SEED_RANGE + "18446744073709551616"),
    ("seed", "9" * 4000, SEED_RANGE + "an integer of 4,000 digits"),
    ("seed", "-" + "9" * 5000, SEED_RANGE + "an integer of 5,000 digits"),
    ("n_out", str(10**20), "layer 0 (Linear): output size must be an integer in [1, 1024], got 100000000000000000000"),
], ids=["seed 2**64", "seed of 4000 digits", "seed of 5000 digits", "n_out 10**20"])
def test_a_huge_integer_in_a_configuration_file_says_the_fields_range(field, value, message):
    """It showed "ufunc 'isfinite' not supported..." (over 64 bits) or "...sys.set_int_max_str_digits()"."""
    text = re.sub(f'"{field}": [0-9]+', f'"{field}": {value}', config_json(Lab().config), count=1)
    with pytest.raises(ValueError) as info:
        read_config(text.encode())
    assert str(info.value) == message
    with pytest.raises(ValueError) as info:  # the same in a link, which carries the same JSON
        read_token(base64.urlsafe_b64encode(zlib.compress(text.encode())).decode())
    assert str(info.value) == "the link's network cannot be used: " + message


def test_a_configuration_file_with_a_byte_order_mark_is_read():
    config = PRESETS["circles"].config
    assert read_config(codecs.BOM_UTF8 + config_json(config).encode()) == config


def test_bad_weight_files():
    lab = Lab()
    good = weights_npz(lab.model)
    with pytest.raises(ValueError, match="truncated"):
        read_arrays(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not an .npz archive"):
        read_arrays(b"hello")
    with pytest.raises(ValueError, match="a pickle"):
        read_arrays(npz(**{"0.W": np.array([{"a": 1}], dtype=object)}))
    with pytest.raises(ValueError, match="missing 0.b"):
        model_with_weights(lab.config, 2, {"0.W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="unexpected 3.W"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "3.W": np.zeros(2)})
    with pytest.raises(ValueError, match=r"0.W has shape \(3, 2\).*needs finite numbers of shape \(2, 2\)"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "0.W": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="finite"):
        model_with_weights(lab.config, 2, {**read_arrays(good), "0.b": np.array([np.nan, 0])})


def test_a_failed_import_loses_nothing():
    lab = Lab()
    config, trace, weights = lab.config, lab.trace, lab.model[0].W.copy()
    other = Lab(PRESETS["circles"].config)
    with pytest.raises(ValueError, match="weights do not match"):
        lab.import_files(config_json(other.config).encode(), weights_npz(lab.model))
    assert lab.config == config and lab.trace is trace and np.array_equal(lab.model[0].W, weights)


# --- the start of the shown iteration: export -> import records the very same iteration ---

def assert_same_iteration(a, b):
    """Every array of the two labs' traces equal (np.array_equal), the same batch counters."""
    ours, theirs = a.trace.arrays(), b.trace.arrays()
    assert set(ours) == set(theirs)
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name
    assert (a.cursor.epoch, a.cursor.iteration, a.trained_epochs) == (b.cursor.epoch, b.cursor.iteration,
                                                                      b.trained_epochs)


def imported(source):
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), source.weights_npz())
    return lab


def lab_after(preset, epochs=0, iterations=0, training=True):
    lab = preset_lab(preset)
    if epochs:
        lab.train(epochs)
    for _ in range(iterations):
        lab.new_iteration()
    if not training:
        lab.apply(replace(lab.config, training=False))
    return lab


CASES = {  # (preset, epochs trained, New iterations, training mode)
    "handout, first iteration": ("handout", 0, 0, True),
    "digits after training and New iterations": ("digits", 1, 3, True),
    "Dropout and BatchNorm, training mode": ("dropout_batchnorm", 1, 2, True),
    "Dropout and BatchNorm, evaluate mode": ("dropout_batchnorm", 0, 2, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_export_then_import_records_the_very_same_iteration(case):
    source = lab_after(*CASES[case])
    lab = imported(source)
    assert_same_iteration(source, lab)
    source.new_iteration()  # and the iterations after it
    lab.new_iteration()
    assert_same_iteration(source, lab)


@pytest.mark.parametrize("case", list(CASES))
def test_export_import_export_gives_identical_arrays(case):
    source = lab_after(*CASES[case])
    first, second = read_arrays(source.weights_npz()), read_arrays(imported(source).weights_npz())
    assert set(first) == set(second)
    for name in first:
        assert first[name].dtype == second[name].dtype and np.array_equal(first[name], second[name]), name


def test_the_export_holds_the_weights_at_forward_0_and_the_momentum_before_the_update():
    source = lab_after("circles", iterations=2)
    arrays = read_arrays(source.weights_npz())
    assert np.array_equal(arrays["0.W"], source.trace.updates[0].before)  # not the updated weights
    assert np.array_equal(arrays["velocity.0.W"], source.trace.updates[0].previous_velocity)
    assert arrays["cursor"].shape == () and arrays["cursor"].dtype.kind == "U"
    assert sorted(arrays["cursor.order"]) == list(range(len(source.data.X_train)))
    with np.load(io.BytesIO(source.weights_npz()), allow_pickle=False) as npz:  # plain arrays, no pickle
        assert set(npz.files) == set(arrays)


def test_an_old_weights_only_file_imports_with_zero_momentum_and_a_fresh_cursor():
    source = lab_after("circles", epochs=1)
    lab = Lab()
    lab.import_files(config_json(source.config).encode(), weights_npz(source.model))
    assert np.array_equal(lab.trace.updates[0].before, source.model[0].W)
    assert lab.trace.updates[0].previous_velocity is None and lab.cursor.iteration == 1
    assert np.array_equal(lab.trace.forward[0].input, Lab(source.config).trace.forward[0].input)


def tampered(source, **members):
    """source's export with members replaced (None: removed)."""
    arrays = read_arrays(source.weights_npz())
    for name, value in members.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    return npz(**arrays)


def cursor_json(source, **fields):
    state = {**source.cursor.state(), "position": 0, **fields}
    return np.array(json.dumps(state))


@pytest.mark.parametrize("change, message", [
    (lambda s: {"velocity.0.W": np.zeros((3, 3))}, r"velocity.0.W has shape \(3, 3\).*parameter 0.W needs finite "
                                                   r"floats of shape \(2, 100\)"),
    (lambda s: {"velocity.0.W": np.zeros((2, 100), dtype=int)}, "velocity.0.W has shape .* and dtype int64"),
    (lambda s: {"velocity.0.b": np.full(100, np.nan)}, "velocity.0.b .* needs finite floats"),
    (lambda s: {"velocity.2.b": None}, "momentum buffers come for every parameter or for none; missing "
                                       "velocity.2.b"),
    (lambda s: {"velocity.1.W": np.zeros(2)}, "weights do not match the configuration: unexpected velocity.1.W"),
    (lambda s: {"cursor.order": np.zeros(768, dtype=np.int64)}, "cursor.order must be a permutation of the 768"),
    (lambda s: {"cursor.order": np.arange(767)}, "cursor.order must be a permutation"),
    (lambda s: {"cursor.order": np.arange(768.0)}, r"cursor.order has shape \(768,\) and dtype float64; "
                                                  "cursor.order must be a permutation"),
    (lambda s: {"cursor.order": None}, "cursor and cursor.order come together; cursor.order is missing"),
    (lambda s: {"cursor": np.array("{not json")}, "cursor is not valid JSON"),
    (lambda s: {"cursor": np.array([1.0, 2.0])}, r"cursor must be a JSON text \(a 0-d unicode array\)"),
    (lambda s: {"cursor": np.array(json.dumps({"position": 0}))}, "cursor must hold position, epoch, iteration"),
    (lambda s: {"cursor": cursor_json(s, position=769)}, r"cursor position must be an integer in \[0, 768\], got 769"),
    (lambda s: {"cursor": cursor_json(s, epoch=0)}, "cursor epoch must be an integer in 1 or more, got 0"),
    (lambda s: {"cursor": cursor_json(s, iteration=1.5)}, "cursor iteration must be an integer"),
    (lambda s: {"cursor": cursor_json(s, generator={"bit_generator": "MT19937"})},
     "cursor generator must be a PCG64 generator state"),
    (lambda s: {"cursor": cursor_json(s, generator={**s.cursor.state()["generator"], "state": {"state": -1}})},
     "cursor generator is not a well-formed PCG64 state"),
    (lambda s: {"trained_epochs": np.array(-1)}, r"trained_epochs must be one integer in \[0, 2147483647\], got -1"),
    (lambda s: {"trained_epochs": np.array(2**63, dtype=np.uint64)},  # it showed "9223372036854775808 in total"
     r"trained_epochs must be one integer in \[0, 2147483647\], got 9223372036854775808$"),
    (lambda s: {"optimizer": np.zeros(1)}, "weights do not match the configuration: unexpected optimizer"),
])
def test_tampered_members_are_refused_with_their_name_and_nothing_changes(change, message):
    source = lab_after("circles", iterations=1)
    lab = Lab()
    before = lab.config, lab.trace, lab.origin
    with pytest.raises(ValueError, match=message):
        lab.import_files(config_json(source.config).encode(), tampered(source, **change(source)))
    assert (lab.config, lab.trace, lab.origin) == before


@pytest.mark.parametrize("change, message", [
    (lambda s: {"3.generator": np.array("[]")}, "3.generator must be a PCG64 generator state"),
    (lambda s: {"3.generator": np.zeros(2)}, "3.generator must be a JSON text"),
    (lambda s: {"1.moving_variance": None}, "needs both 1.moving_mean and 1.moving_variance"),
])
def test_tampered_layer_members_are_refused(change, message):
    source = lab_after("dropout_batchnorm", iterations=1)
    with pytest.raises(ValueError, match=message):
        Lab().import_files(config_json(source.config).encode(), tampered(source, **change(source)))


# --- a hostile weights file: every member's header is checked before any data is read ---

def npy_header(shape, descr="<f8"):
    """The .npy header of an array of that shape and dtype, without its data."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


def npy_bytes(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def raw_npz(members, zeros=None):
    """A zip of {member name: bytes}, as a hostile file may hold them; zeros=(name, n): that member's header
    is followed by n bytes of zeros, written a MB at a time (they compress to almost nothing)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if zeros is not None and name == zeros[0]:
                with archive.open(name, "w", force_zip64=True) as stream:
                    stream.write(data)
                    for _ in range(zeros[1] // 2**20):
                        stream.write(bytes(2**20))
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def export_members(source):
    """source's export as {member file name: .npy bytes}."""
    return {f"{name}.npy": npy_bytes(array) for name, array in read_arrays(source.weights_npz()).items()}


def import_peak(source, content):
    """(the ValueError message, tracemalloc's peak in bytes) of importing content into a fresh Lab."""
    return refusal_peak(Lab().import_files, config_json(source.config).encode(), content)


def test_a_member_whose_header_claims_100_mb_is_refused_before_its_data_is_read():
    source = Lab()
    members = export_members(source)
    members["0.W.npy"] = npy_header((12_500_000,))  # then 100 MB of zeros: a 100 kB file
    content = raw_npz(members, zeros=("0.W.npy", 100 * 2**20))
    assert len(content) < 2**20
    message, peak = import_peak(source, content)
    assert message == ("weights do not match the configuration: 0.W has shape (12500000,) and dtype float64; "
                       "layer 0 (Linear(2 -> 2)) needs finite numbers of shape (2, 2)")
    assert peak < 2**20 + 2 * len(content), f"peak {peak / 2**20:.1f} MB"


@pytest.mark.parametrize("name, header, message", [
    ("0.W", npy_header((2**40,)), r"0.W has shape \(1099511627776,\) and dtype float64"),
    ("velocity.0.b", npy_header((2**40, 2)), r"velocity.0.b has shape \(1099511627776, 2\).*parameter 0.b needs "
                                             r"finite floats of shape \(2,\)"),
    ("cursor.order", npy_header((2**40,), "<i8"), "cursor.order must be a permutation of the 768"),
    ("cursor", npy_header((), "<U100000000"), "cursor is a text of 100000000 characters; at most 4096"),
    ("trained_epochs", npy_header((2**30,), "<i8"), r"trained_epochs has shape \(1073741824,\)"),
])
def test_a_header_claiming_terabytes_is_refused_by_name_without_memory_error(name, header, message):
    source = lab_after("handout", iterations=1)
    members = {**export_members(source), f"{name}.npy": header + bytes(64)}
    text, peak = import_peak(source, raw_npz(members))
    assert re.search(message, text) and len(text) < 300, text
    assert peak < 2**20


# Named ids: float128's padding bytes are whatever memory held, so ids made from the bytes would differ
# between pytest-xdist's workers, which then refuse the run.
@pytest.mark.parametrize("data, message", [
    (b"hello, not an array", r"weights file: 0.W is not a readable .npy array \(the magic string is not correct"),
    (npy_header((2, 2))[:20], "weights file: 0.W is not a readable .npy array"),
    (npy_header((2, 2)) + bytes(8), "weights file: 0.W is not a readable .npy array"),   # data cut short
    (npy_bytes(np.array([[1e4000, 0], [0, 0]], dtype=np.longdouble)), "0.W holds float128 values; only floats "
                                                                         "and integers of at most 64 bits"),
    (npy_bytes(np.zeros((2, 2), dtype=[("a", "<f8")])), "0.W has a structured dtype"),
    (npy_bytes(np.zeros((2, 2), dtype=complex)), "0.W holds complex128 values"),
    (npy_bytes(np.array([{"a": 1}], dtype=object)), "a pickle"),
], ids=["not npy", "header cut", "data cut", "float128", "structured", "complex", "pickle"])
def test_a_member_that_is_not_a_plain_array_is_refused_by_name(data, message):
    source = Lab()
    members = {**export_members(source), "0.W.npy": data}
    with pytest.raises(ValueError, match=message):
        Lab().import_files(config_json(source.config).encode(), raw_npz(members))


def test_a_member_that_is_not_npy_or_comes_twice_is_refused():
    source = Lab()
    members = export_members(source)
    with pytest.raises(ValueError, match="weights file: notes.txt is not an .npy array"):
        Lab().import_files(config_json(source.config).encode(), raw_npz({**members, "notes.txt": b"hello"}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        for name, data in [*members.items(), ("0.W.npy", npy_bytes(np.zeros((2, 2))))]:
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="weights file holds 0.W more than once"):
        Lab().import_files(config_json(source.config).encode(), buffer.getvalue())


def test_thousands_of_members_are_refused_in_a_short_message_before_they_are_read():
    source = Lab()
    members = {**export_members(source), **{f"9.m{k}.npy": npy_bytes(np.zeros(1)) for k in range(5000)}}
    message, peak = import_peak(source, raw_npz(members))
    assert f"weights file has {len(members)} members" in message and "at most" in message, message
    assert len(message) < 200
    assert peak < 2**20


def test_a_zip_directory_that_understates_its_members_is_refused():
    source = Lab()
    members = {**export_members(source), **{f"9.m{k}.npy": npy_bytes(np.zeros(1)) for k in range(2000)}}
    content = bytearray(raw_npz(members))
    end = content.rfind(b"PK\x05\x06")
    content[end + 8:end + 12] = (3).to_bytes(2, "little") * 2  # "3 members", but 2,008 in the directory
    with pytest.raises(ValueError, match=r"weights file has 3 members \(\d+ bytes of zip directory\)"):
        Lab().import_files(config_json(source.config).encode(), bytes(content))


def test_a_few_unexpected_members_are_named_then_counted():
    source = Lab()
    members = {**export_members(source), **{f"7.x{k}.npy": npy_bytes(np.zeros(1)) for k in range(8)}}
    with pytest.raises(ValueError, match=r"^weights do not match the configuration: unexpected 7.x0, 7.x1, 7.x2, "
                                         r"7.x3, 7.x4 and 3 more$"):
        Lab().import_files(config_json(source.config).encode(), raw_npz(members))
    arrays = {**read_arrays(weights_npz(source.model)), **{f"7.x{k}": np.zeros(1) for k in range(40)}}
    with pytest.raises(ValueError, match=r"unexpected 7.x0, .* and 35 more$"):
        model_with_weights(source.config, 2, arrays)


@pytest.mark.parametrize("member", ["0.moving_mean", "1.moving_variance"])
def test_moving_statistics_for_a_layer_that_is_not_batchnorm_are_refused(member):
    source = Lab()  # Linear, LogSoftMax
    arrays = {**read_arrays(weights_npz(source.model)), member: np.zeros(2)}
    with pytest.raises(ValueError, match=f"unexpected {member}"):
        model_with_weights(source.config, 2, arrays)
    with pytest.raises(ValueError, match=f"unexpected {member}"):
        Lab().import_files(config_json(source.config).encode(), npz(**arrays))


def test_float128_weights_are_refused_not_turned_into_inf():
    source = Lab()
    arrays = {**read_arrays(weights_npz(source.model)), "0.b": np.array(["1e4000", "0"], dtype=np.longdouble)}
    assert np.all(np.isfinite(arrays["0.b"]))  # finite in float128, inf in float64
    with pytest.raises(ValueError, match="weights: 0.b holds float128 values"):
        model_with_weights(source.config, 2, arrays)
    with pytest.raises(ValueError, match="weights file: 0.b holds float128 values"):
        Lab().import_files(config_json(source.config).encode(), npz(**arrays))


def test_a_file_read_without_expectations_stays_within_the_per_learner_limit():
    content = raw_npz({"a.npy": npy_header((20_000_000,)) + bytes(64)})
    with pytest.raises(ValueError, match="weights file claims 153 MB of arrays; the limit per learner is 128 MB"):
        read_arrays(content)
