"""Recorder: hooks that copy every layer's forward and backward tensors into records."""
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from i18n import domain

from .sequential import layers_of

_, ngettext = domain("engine")


def frozen_copy(array):
    """A read-only copy: records share copies, so nobody may write into them."""
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


def read_only(array):
    """The array itself when nothing can write into it, else a read-only copy."""
    return array if immutable(array) else frozen_copy(array)


def immutable(array):
    """True when neither the array nor any array it views can be written."""
    while isinstance(array, np.ndarray):
        if array.flags.writeable:
            return False
        array = array.base
    return array is None


def freeze(array, protected):
    """The array itself, made read-only, when the engine allocated it in this pass; else a copy.

    Engine layers return fresh arrays and never write into them again, so the trace may
    keep them as they are; parameters and gradients (ids in `protected`) change in place
    and views may share a writeable base, so those are copied.
    """
    if array.base is None and id(array) not in protected:
        array.flags.writeable = False
        return array
    return read_only(array)


def is_finite(array):
    return bool(np.isfinite(array).all())


@dataclass
class ForwardRecord:
    """Layer `index` mapped `input` to `output` (copies)."""
    index: int
    name: str
    input: np.ndarray
    output: np.ndarray

    @property
    def nonfinite(self):
        """True when the output holds NaN or inf."""
        return not is_finite(self.output)


@dataclass
class BackwardRecord:
    """Layer `index` mapped `grad_output` to `grad_input` and filled `grad_params` (copies)."""
    index: int
    name: str
    grad_output: np.ndarray
    grad_input: np.ndarray
    grad_params: dict = field(default_factory=dict)

    @property
    def nonfinite(self):
        """True when grad_input or a parameter gradient holds NaN or inf."""
        return not (is_finite(self.grad_input) and all(map(is_finite, self.grad_params.values())))


@dataclass
class UpdateRecord:
    """SGD: after = before - velocity, velocity = momentum * previous_velocity + learning_rate * grad.

    Adam (`m` is not None): velocity = before - after, the step lr m_hat / (sqrt(v_hat) + eps);
    m, v are the moments after this step, previous_m, previous_v before it (None: zeros) and
    t the step count; `after` is the parameter as the optimizer left it.
    """
    index: int
    param: str
    before: np.ndarray
    grad: np.ndarray
    velocity: np.ndarray
    previous_velocity: np.ndarray | None = None  # the velocity before this step; None: there was none (0)
    m: np.ndarray | None = None
    v: np.ndarray | None = None
    previous_m: np.ndarray | None = None
    previous_v: np.ndarray | None = None
    t: int | None = None
    stepped: np.ndarray | None = None  # Adam: a copy of the parameter after the step

    @cached_property
    def after(self):
        """The parameter after the step: SGD's own `w -= v` bit for bit; Adam's copy as it was left."""
        if self.stepped is not None:
            return self.stepped
        after = np.subtract(self.before, self.velocity).astype(self.before.dtype, copy=False)
        after.flags.writeable = False
        return after

    @property
    def step(self):
        """What the update subtracted: before - after (= velocity)."""
        return self.before - self.after

    @property
    def nonfinite(self):
        return not is_finite(self.after)


class Recorder:
    """Context manager that records forward and backward records of every layer through hooks.

    A new iteration starts at each forward of layer 0; `keep` iterations are kept
    (None keeps all). `forward` and `backward` are the latest iteration's records.
    Records hold read-only copies; with copy_all=False (trace_iteration's choice) the
    fresh arrays the layers return are kept themselves, made read-only, not copied.
    """

    def __init__(self, model, keep=1, copy_all=True):
        self.model = model
        self.layers = layers_of(model)
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
            raise ValueError(_("Recorder: keep must be a positive integer or None, got {value}")
                             .format(value=repr(keep)))
        self.keep = keep
        self.copy_all = copy_all
        self.iterations = []
        self.handles = []
        self._last = (None, None)  # (original, copy) of the newest tensor, to share copies

    def __enter__(self):
        # Parameters and gradients are updated in place (the contract), so one look is enough.
        self.parameters = [layer.named_parameters() for layer in self.layers]
        self.protected = {id(a) for named in self.parameters for _, value, grad in named for a in (value, grad)}
        for i, layer in enumerate(self.layers):
            self.handles.append(layer.register_forward_hook(self._on_forward(i)))
            self.handles.append(layer.register_backward_hook(self._on_backward(i)))
        return self

    def __exit__(self, *exc):
        self.remove()

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def clear(self):
        self.iterations = []
        self._last = (None, None)

    @property
    def forward(self):
        return self.iterations[-1]["forward"] if self.iterations else []

    @property
    def backward(self):
        return self.iterations[-1]["backward"] if self.iterations else []

    def _copy(self, array):
        """Copy `array`, or reuse the copy of the previous tensor when it is the same object."""
        original, copy = self._last
        if array is not original:
            copy = frozen_copy(array) if self.copy_all else freeze(array, self.protected)
        self._last = (array, copy)
        return copy

    def _on_forward(self, index):
        def hook(module, input, output):
            if index == 0:
                self._last = (None, None)  # share copies only within one pass
            if index == 0 or not self.iterations:
                self.iterations.append({"forward": [], "backward": []})
                if self.keep is not None and len(self.iterations) > self.keep:
                    del self.iterations[0]
            input_copy = self._copy(input)
            record = ForwardRecord(index, repr(module), input_copy, self._copy(output))
            self.iterations[-1]["forward"].append(record)
        return hook

    def _on_backward(self, index):
        def hook(module, grad_output, grad_input):
            if index == len(self.layers) - 1:
                self._last = (None, None)
            grad_output_copy = self._copy(grad_output)
            grad_params = {name: frozen_copy(grad) for name, _, grad in self.parameters[index]}
            record = BackwardRecord(index, repr(module), grad_output_copy, self._copy(grad_input),
                                    grad_params)
            if not self.iterations:
                self.iterations.append({"forward": [], "backward": []})
            self.iterations[-1]["backward"].append(record)
        return hook

    def first_nonfinite(self):
        """The first record of the latest iteration (forward, then backward) holding NaN/inf."""
        for record in self.forward + self.backward:
            if record.nonfinite:
                return record
        return None
