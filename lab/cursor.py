"""BatchCursor: which training samples the next iteration takes, and its state as plain JSON and an array.

The state travels in an exported weights file (lab.transfer), so an import takes the very
batch the exporter saw next: the order of this epoch, the position in it, the epoch and
iteration counts, and the Generator that draws the next epoch's order.
"""
import json

import numpy as np

from i18n import domain

from .jsontext import loads

_, ngettext = domain("lab")

BIT_GENERATOR = "PCG64"   # what np.random.default_rng uses; no other generator is read back


class BatchCursor:
    """Walks the training set in seeded random order, batch_size samples at a time, epoch after epoch."""

    def __init__(self, n_samples, batch_size, seed):
        self.n, self.batch_size = n_samples, batch_size
        self.rng = np.random.default_rng(seed)
        self.order, self.position, self.epoch, self.iteration = self.rng.permutation(n_samples), 0, 1, 0

    def next(self):
        """The indices of the next batch (the last batch of an epoch may be smaller)."""
        if self.position >= self.n:
            self.order, self.position, self.epoch = self.rng.permutation(self.n), 0, self.epoch + 1
        idx = self.order[self.position:self.position + self.batch_size]
        self.position += len(idx)
        self.iteration += 1
        return idx

    def state(self):
        """{"position", "epoch", "iteration", "generator"}: everything but the order, JSON-ready."""
        return {"position": int(self.position), "epoch": int(self.epoch), "iteration": int(self.iteration),
                "generator": generator_state(self.rng)}

    @classmethod
    def restore(cls, n_samples, batch_size, order, state, member="cursor"):
        """The cursor of state() and order, checked; ValueError naming the member and what is wrong."""
        order = np.asarray(order)
        if order.shape != (n_samples,) or order.dtype.kind not in "iu" \
                or not np.array_equal(np.sort(order), np.arange(n_samples)):
            raise ValueError(_("{member}.order must be a permutation of the {n} training samples (integers 0 to "
                               "{last}, each once), got shape {shape} and dtype {dtype}").format(
                                   member=member, n=n_samples, last=n_samples - 1, shape=order.shape,
                                   dtype=order.dtype))
        if not isinstance(state, dict) or set(state) != {"position", "epoch", "iteration", "generator"}:
            raise ValueError(_("{member} must hold position, epoch, iteration and generator, got {got}").format(
                member=member, got=sorted(state) if isinstance(state, dict) else type(state).__name__))
        cursor = cls.__new__(cls)
        cursor.n, cursor.batch_size, cursor.order = n_samples, batch_size, order.astype(np.int64)
        cursor.position = whole(state["position"], 0, n_samples, f"{member} position")
        cursor.epoch = whole(state["epoch"], 1, None, f"{member} epoch")
        cursor.iteration = whole(state["iteration"], 0, None, f"{member} iteration")
        cursor.rng = read_generator(state["generator"], f"{member} generator")
        return cursor


def whole(value, low, high, what):
    """value as an int in [low, high] (high None: no upper end); ValueError naming `what` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        message = _("{what} must be an integer in [{low}, {high}], got {value}") if high is not None else \
            _("{what} must be an integer in {low} or more, got {value}")
        raise ValueError(message.format(what=what, low=low, high=high, value=repr(value)))
    return value


def generator_state(rng):
    """A Generator's bit generator state as a JSON-ready dict (big integers stay exact in JSON)."""
    return dict(rng.bit_generator.state)


def read_generator(state, what):
    """A Generator in `state` (generator_state's output); ValueError naming `what` when it is not well formed."""
    if not isinstance(state, dict) or state.get("bit_generator") != BIT_GENERATOR:
        raise ValueError(_("{what} must be a {kind} generator state, got {state}").format(
            what=what, kind=BIT_GENERATOR, state=str(state)[:80]))
    inner = state.get("state")
    numbers = [state.get("has_uint32"), state.get("uinteger")] + \
        ([inner.get("state"), inner.get("inc")] if isinstance(inner, dict) else [None])
    if set(state) != {"bit_generator", "state", "has_uint32", "uinteger"} or not isinstance(inner, dict) \
            or set(inner) != {"state", "inc"} \
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**128 for n in numbers):
        raise ValueError(_("{what} is not a well-formed {kind} state (state, inc, has_uint32 and uinteger as "
                           "integers)").format(what=what, kind=BIT_GENERATOR))
    bit_generator = np.random.PCG64()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(_("{what} is not a well-formed {kind} state: {error}").format(
            what=what, kind=BIT_GENERATOR, error=error)) from None
    return np.random.Generator(bit_generator)


def json_member(data):
    """A JSON-ready value as a 0-d unicode array: an .npz member that loads without pickle."""
    return np.array(json.dumps(data, sort_keys=True))


def read_json_member(array, what):
    """The value of json_member's array; ValueError naming `what` for anything else."""
    if not isinstance(array, np.ndarray) or array.shape != () or array.dtype.kind != "U":
        shape, dtype = getattr(array, "shape", None), getattr(array, "dtype", type(array).__name__)
        raise ValueError(_("{what} must be a JSON text (a 0-d unicode array), got shape {shape} and dtype {dtype}")
                         .format(what=what, shape=shape, dtype=dtype))
    return loads(str(array), what)
