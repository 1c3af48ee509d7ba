"""gradcheck: compare the backprop and the central-difference Jacobians, input and every parameter.

Jacobians follow engine.jacobian's convention: rows = outputs, columns = inputs (or
parameter entries), both flattened row-major.  An element passes when
|J_bp - J_num| <= atol + rtol * |J_num|.  Both Jacobians are computed in float64 on ONE
frozen copy of the module (engine.jacobian.float64_copy), so they share the Dropout masks
and the caller's module is never changed.
"""
from dataclasses import asdict, dataclass, field

import numpy as np

from i18n import domain

from .module import is_real

_, ngettext = domain("engine")


@dataclass(frozen=True)
class GradcheckEntry:
    """One tensor ("input", "W", "0.W", ...): errors over its Jacobian of shape (y.size, tensor.size)."""

    tensor: str
    shape: tuple          # the Jacobian's shape: (outputs, tensor entries)
    max_abs_error: float  # max |J_bp - J_num|
    max_rel_error: float  # max |J_bp - J_num| / max(|J_num|, atol)
    worst: tuple          # (row, col) of the element furthest beyond (or closest to) its tolerance
    passed: bool


@dataclass
class GradcheckResult:
    """passed = every entry passed; entries one per tensor; backprop/numerical hold the Jacobians by tensor name."""

    passed: bool
    entries: list
    eps: float
    atol: float
    rtol: float
    backprop: dict = field(default_factory=dict, repr=False)
    numerical: dict = field(default_factory=dict, repr=False)

    def rows(self):
        """[{tensor, shape, max_abs_error, max_rel_error, worst, passed}], one dict per entry (a table's rows)."""
        return [asdict(entry) for entry in self.entries]

    def __bool__(self):
        return self.passed

    def __repr__(self):
        head = (f"GradcheckResult(passed={self.passed}, eps={self.eps:g}, "
                f"atol={self.atol:g}, rtol={self.rtol:g})")
        width = max([len("tensor")] + [len(e.tensor) for e in self.entries])
        lines = [head, f"  {'tensor':<{width}}  {'jacobian':<12}  max_abs_error  max_rel_error  passed"]
        for e in self.entries:
            shape = f"{e.shape[0]}x{e.shape[1]}"
            lines.append(f"  {e.tensor:<{width}}  {shape:<12}  {e.max_abs_error:<13.3e}  "
                         f"{e.max_rel_error:<13.3e}  {e.passed}")
        return "\n".join(lines)


def compare(tensor, J_bp, J_num, atol, rtol):
    """The GradcheckEntry of one tensor: elementwise |J_bp - J_num| <= atol + rtol |J_num|."""
    diff = np.abs(J_bp - J_num)
    bound = atol + rtol * np.abs(J_num)
    scale = np.maximum(np.abs(J_num), atol)
    with np.errstate(over="ignore"):
        rel = np.divide(diff, scale, out=np.full(diff.shape, np.inf), where=scale > 0)
    rel[diff == 0] = 0.0
    worst = np.unravel_index(np.argmax(diff - bound), diff.shape) if diff.size else (0, 0)
    return GradcheckEntry(
        tensor=tensor, shape=tuple(int(n) for n in J_bp.shape),
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        max_rel_error=float(rel.max()) if rel.size else 0.0,
        worst=tuple(int(i) for i in worst),
        passed=bool(np.all(diff <= bound)),  # NaN compares False: a NaN fails
    )


def check_tolerance(what, value):
    if not is_real(value) or value < 0:
        raise ValueError(_("{what} must be a finite number >= 0, got {value}").format(what=what, value=repr(value)))
    return float(value)


def gradcheck(module, x, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Backprop vs central-difference Jacobians for "input" and every named parameter -> GradcheckResult."""
    # Imported here because engine.jacobian re-exports gradcheck (no import cycle at load time).
    from .jacobian import (as_float64, backprop_jacobians, central_input_jacobian,
                           central_param_jacobian, check_eps, float64_copy, parameter_names)

    x, eps = as_float64(x), check_eps(eps)
    atol, rtol = check_tolerance("atol", atol), check_tolerance("rtol", rtol)
    clone = float64_copy(module)
    names = parameter_names(clone)
    J_input, J_params = backprop_jacobians(clone, x, names)  # its forward fixes the Dropout masks
    backprop = {"input": J_input, **J_params}
    numerical = {"input": central_input_jacobian(clone, x, eps)}
    numerical.update((name, central_param_jacobian(clone, x, name, eps)) for name in names)
    entries = [compare(tensor, backprop[tensor], numerical[tensor], atol, rtol) for tensor in backprop]
    return GradcheckResult(passed=all(e.passed for e in entries), entries=entries, eps=eps,
                           atol=atol, rtol=rtol, backprop=backprop, numerical=numerical)
