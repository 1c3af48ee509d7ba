"""The teacher's iteration as a class carries it, so that every student who follows records the very same one.

A share link's configuration and seeds give only the first iteration: after *New iteration*, a training run on
the Train page (in the server's training process), a change of the learning rate or new weights, the weights,
momentum and batch are the teacher's history, not the seeds'. Replaying that history on every student's
session would cost each of them the teacher's training, so the start of the teacher's shown iteration travels
instead: lab.transfer's .npz (weights before the update, BatchNorm statistics, Dropout generators, momentum, the
batch cursor, the epochs trained), zlib-compressed, with a digest of its numbers that tells a student whether
it changed. A student reads it as an import is read (lab.transfer.read_arrays: the members the class's
network expects, plain dtypes, no pickle) and records the iteration from it, number for number.
"""
import hashlib
import zlib

from i18n import domain
from lab.origin import Origin
from lab.transfer import MAX_NPZ_BYTES, expected_members, npz_bytes, read_arrays, start_arrays

_, ngettext = domain("classroom")

MAX_BYTES = 32 * 2**20  # a class's compressed iteration (the largest preset's, digits: about 350 kB)


def digest(arrays):
    """The SHA-256 of {name: array}'s names, dtypes, shapes and numbers (the same numbers give the same digest,
    unlike the .npz, whose zip entries carry the time they were written)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        h.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        h.update(array.tobytes())
    return h.hexdigest()


def pack(lab):
    """(compressed .npz bytes, digest) of the start of lab's shown iteration; ValueError when it is too large."""
    model, optimizer, cursor = lab.start
    arrays = start_arrays(model, optimizer, cursor, lab.trained_epochs)
    blob = zlib.compress(npz_bytes(arrays), 6)
    if len(blob) > MAX_BYTES:
        raise ValueError(_("this network's weights take {mb} MB, over the {limit} MB a class carries").format(
            mb=f"{len(blob) / 2**20:.1f}", limit=MAX_BYTES // 2**20))
    return blob, digest(arrays)


def unpack(blob):
    """The .npz bytes of pack's blob; ValueError when it is damaged or inflates past lab.transfer's limit."""
    if not isinstance(blob, (bytes, bytearray, memoryview)) or len(blob) > MAX_BYTES:
        raise ValueError(_("the class's iteration is damaged or too large"))
    try:
        inflater = zlib.decompressobj()
        content = inflater.decompress(bytes(blob), MAX_NPZ_BYTES + 1)
    except zlib.error:
        raise ValueError(_("the class's iteration is damaged or too large")) from None
    if len(content) > MAX_NPZ_BYTES or not inflater.eof:
        raise ValueError(_("the class's iteration is damaged or too large"))
    return content


def open_in(lab, config, blob):
    """Open the class's network (config) at the teacher's iteration (pack's blob) in lab: the same weights,
    momentum and batch, so the same trace. ValueError (lab unchanged) when the blob does not fit config."""
    arrays = read_arrays(unpack(blob), expected_members(config, lab.dataset_for(config)))
    lab.load(Origin("link", "", config, arrays))
