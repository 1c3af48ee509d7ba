"""read_npz: the arrays of an .npz archive, each member's header (name, shape, dtype) checked before its data.

np.load reads a member whole before its shape can be looked at: a few MB of compressed zeros
whose header claims a (402653184,) float64 array cost 3 GB first. Here the zip's directory is
sized up, then every .npy header is read and checked against what the caller expects, and only
then is any member's data read, each exactly as large as its checked header says.
"""
import io
import math
import struct
import zipfile
import zlib
from typing import NamedTuple

from numpy.lib import format as npy

from i18n import N_, domain

from .quoting import listed, short

_, ngettext = domain("lab")

MAX_MEMBERS = 400        # members of a file read without `expected` (an export has at most ~100)
MARGIN = 8               # members beyond the expected ones, so that a few extra are named, not counted
MAX_HEADER = 10_000      # bytes of an .npy header: numpy's own limit (np.save writes 128)
MAX_TEXT = 4_096         # characters of a text member (a JSON generator or cursor state has ~300)
DIRECTORY_ENTRY = 300    # bytes one member may take in the zip's directory: 46, its name, its extras
END = struct.Struct("<4s4H2LH")  # the zip's end-of-directory record: ..., members, directory bytes, ...
WEIGHTS = N_("weights file")                                # what a file is called in messages: the default
MISMATCH = N_("weights do not match the configuration")   # and what an unexpected member means
UNREADABLE = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
              struct.error, OverflowError)  # a broken, encrypted or foreign archive


class Member(NamedTuple):
    """What one member must hold: its shape, the dtype kinds accepted ("f", "iu", "fiu", "U"), and what
    needs it, for the message when it differs ("layer 0 (Linear(2 -> 2)) needs finite numbers ...")."""
    shape: tuple
    kinds: str
    needs: str


def check_plain(dtype, what):
    """ValueError unless dtype is plain numbers (floats or integers of at most 64 bits) or a short text."""
    if dtype.hasobject:
        raise ValueError(_("{what} holds Python objects (a pickle); only plain arrays are accepted")
                         .format(what=what))
    if dtype.names is not None or dtype.subdtype is not None:
        raise ValueError(_("{what} has a structured dtype; only plain arrays of numbers are accepted").format(
            what=what))
    if dtype.kind == "U" and dtype.itemsize > 4 * MAX_TEXT:
        raise ValueError(_("{what} is a text of {n} characters; at most {limit} are read").format(
            what=what, n=dtype.itemsize // 4, limit=MAX_TEXT))
    if dtype.kind not in "fiuU" or dtype.kind in "fiu" and dtype.itemsize > 8:
        raise ValueError(_("{what} holds {dtype} values; only floats and integers of at most 64 bits are accepted")
                         .format(what=what, dtype=dtype))


def check_directory(content, max_members, what=WEIGHTS):
    """ValueError unless content ends with a zip directory of at most max_members members (zipfile would
    otherwise build an object for each of, say, 4 million tiny members before anything can be checked)."""
    what = _(what)
    start = len(content) - END.size
    if start < 0 or content[start:start + 4] != b"PK\x05\x06":
        start = content.rfind(b"PK\x05\x06", max(0, len(content) - END.size - 2**16))
    if start < 0 or start + END.size > len(content):
        raise ValueError(_("{what} is not a readable .npz (no zip directory at its end: truncated or another "
                           "format)").format(what=what))
    members, size = END.unpack_from(content, start)[4:6]
    if content[max(0, start - 20):start - 16] == b"PK\x06\x07":  # a zip64 directory: no export needs one
        raise ValueError(_("{what} is a zip64 archive, which only files of more than 65,535 members or 4 GB need; "
                           "an export of this network has at most {limit} members")
                         .format(what=what, limit=max_members))
    if members > max_members or size > max_members * DIRECTORY_ENTRY:
        raise ValueError(_("{what} has {n} members ({size} bytes of zip directory); an export of this network has "
                           "at most {limit}").format(what=what, n=members, size=size, limit=max_members))


def member_names(infos, expected, what=WEIGHTS, mismatch=MISMATCH):
    """The member names without ".npy"; ValueError for another kind of member, a name given twice, or
    (with expected) a name that is not expected."""
    what, mismatch = _(what), _(mismatch)
    names = [info.filename for info in infos]
    others = [name for name in names if not name.endswith(".npy")]
    if others:
        raise ValueError(ngettext("{what}: {names} is not an .npy array; an .npz holds only .npy members",
                                  "{what}: {names} are not .npy arrays; an .npz holds only .npy members",
                                  len(others)).format(what=what, names=listed(others)))
    names = [name[:-len(".npy")] for name in names]
    twice = {name for name in names if names.count(name) > 1}
    if twice:
        raise ValueError(_("{what} holds {names} more than once").format(what=what, names=listed(twice)))
    unexpected = set(names) - set(expected) if expected is not None else ()
    if unexpected:
        raise ValueError(_("{mismatch}: unexpected {names}").format(mismatch=mismatch, names=listed(unexpected)))
    return names


def read_header(archive, info, name, what=WEIGHTS):
    """(shape, dtype) from member info's .npy header, read without its data; ValueError naming it."""
    what = _(what)
    try:
        with archive.open(info) as stream:
            version = npy.read_magic(stream)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(_(".npy format version {version}; np.save writes 1.0 or 2.0")
                                 .format(version=version))
            length = stream.read(2 if version == (1, 0) else 4)
            size = int.from_bytes(length, "little")
            if len(length) < 2 or size > MAX_HEADER:
                raise ValueError(_("a header of {size} bytes; at most {limit} are read")
                                 .format(size=size, limit=MAX_HEADER))
            header = io.BytesIO(length + stream.read(size))
            read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
            shape, _order, dtype = read(header, max_header_size=MAX_HEADER)
    except ValueError as error:
        raise ValueError(unreadable_member().format(what=what, name=short(name), error=short(error))) from None
    if any(n < 0 for n in shape):
        raise ValueError(_("{what}: {name} claims the shape {shape}").format(what=what, name=short(name),
                                                                            shape=short(shape)))
    return shape, dtype


def check_header(name, shape, dtype, member, what=WEIGHTS, mismatch=MISMATCH):
    """ValueError unless the header of member `name` is plain and, when expected, of its shape and kind."""
    check_plain(dtype, f"{_(what)}: {short(name)}")
    if member is not None and (shape != member.shape or dtype.kind not in member.kinds):
        raise ValueError(_("{mismatch}: {name} has shape {shape} and dtype {dtype}; {needs}").format(
            mismatch=_(mismatch), name=name, shape=short(shape), dtype=dtype, needs=member.needs))


def read_data(archive, info, name, what=WEIGHTS):
    """The array of a member whose header was checked: exactly as many bytes as the header claims."""
    try:
        with archive.open(info) as stream:
            return npy.read_array(stream, allow_pickle=False, max_header_size=MAX_HEADER)
    except ValueError as error:
        raise ValueError(unreadable_member().format(what=_(what), name=short(name), error=short(error))) from None


def unreadable_member():
    """The message for a member that is no .npy array (read_header and read_data say it)."""
    return _("{what}: {name} is not a readable .npy array ({error})")


def read_npz(content, expected=None, max_bytes=None, what=WEIGHTS, mismatch=MISMATCH):
    """{name: array} of the .npz bytes `content`. Every member must be an .npy array of plain numbers or
    a short text; with expected ({name: Member}) each must be named there, of its shape and dtype kind,
    and without, all of them together at most max_bytes. Headers are checked before any data is read;
    ValueError naming the member otherwise."""
    content, what, mismatch = bytes(content), _(what), _(mismatch)
    check_directory(content, MAX_MEMBERS if expected is None else len(expected) + MARGIN, what)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            names = member_names(infos, expected, what, mismatch)
            headers = [read_header(archive, info, name, what) for info, name in zip(infos, names)]
            for name, (shape, dtype) in zip(names, headers):
                check_header(name, shape, dtype, expected[name] if expected is not None else None, what, mismatch)
            claimed = sum(math.prod(shape) * dtype.itemsize for shape, dtype in headers)
            if max_bytes is not None and claimed > max_bytes:
                raise ValueError(_("{what} claims {mb} MB of arrays; the limit per learner is {limit} MB").format(
                    what=what, mb=f"{claimed / 2**20:,.0f}", limit=max_bytes // 2**20))
            return {name: read_data(archive, info, name, what) for info, name in zip(infos, names)}
    except UNREADABLE as error:
        raise ValueError(_("{what} is not a readable .npz (truncated or another format): {error}").format(
            what=what, error=short(error))) from None


def read_text(content, name, what=WEIGHTS):
    """The text of member `name` (a 0-d unicode array) read alone, before and without the other members;
    None when the file has no such text or is not a readable .npz (read_npz then says what is wrong)."""
    try:
        check_directory(content, MAX_MEMBERS, what)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo(name + ".npy")
            shape, dtype = read_header(archive, info, name, what)
            check_plain(dtype, what)
            return str(read_data(archive, info, name, what)) if shape == () and dtype.kind == "U" else None
    except (KeyError, ValueError) + UNREADABLE:
        return None
