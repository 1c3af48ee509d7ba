"""trace_iteration: one training iteration, recorded stage by stage as copies."""
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

import numpy as np

from i18n import domain

from .adam import Adam
from .optim import SGD
from .recorder import Recorder, UpdateRecord, frozen_copy, is_finite, read_only
from .sequential import layers_of, variables_of

_, ngettext = domain("engine")


class Stage(NamedTuple):
    """One step a learner takes: kind in {"forward", "loss", "backward", "update"}, layer index."""
    kind: str
    index: Optional[int] = None

    def __str__(self):
        return self.kind if self.index is None else f"{self.kind} {self.index}"


@dataclass
class IterationTrace:
    """Everything one iteration computed; later changes to the model never change it."""
    forward: list        # ForwardRecord per layer, first to last
    loss: float
    loss_grad: np.ndarray  # the criterion's grad_input = grad_output of the last layer
    backward: list       # BackwardRecord per layer, last to first
    updates: list        # UpdateRecord per parameter, layer order
    stages: list         # Stage: forward 0..n-1, loss, backward n-1..0, update per parameterised layer
    target: np.ndarray
    criterion: str
    learning_rate: float
    momentum: float      # SGD's momentum; for Adam its beta1 (the first moment's decay)
    optimizer: str = "SGD"  # "SGD" or "Adam"
    config: dict = field(default_factory=dict)  # the optimizer's config as it was for this step

    @property
    def predictions(self):
        return self.forward[-1].output if self.forward else None

    def forward_record(self, index):
        return self.forward[index]

    def backward_record(self, index):
        """The backward record of layer `index` (records are stored last layer first)."""
        return self.backward[len(self.backward) - 1 - index]

    def update_records(self, index):
        return [update for update in self.updates if update.index == index]

    def arrays(self):
        """Every tensor of the iteration by name, ready for np.savez: "x", "target", "loss",
        "loss_grad", "forward.{i}.input" / ".output", "backward.{i}.grad_output" / ".grad_input" /
        ".grad.{param}", "update.{i}.{param}.before" / ".grad" / ".velocity" / ".after" (and
        ".previous_velocity" after the first step), "learning_rate", "momentum", "layers" (names).
        An Adam trace adds "optimizer", "beta1", "beta2", "epsilon", "t" and per parameter ".m", ".v"
        (and ".previous_m", ".previous_v" after the first step); its ".velocity" is the step."""
        arrays = {"x": self.forward[0].input if self.forward else np.empty(0), "target": self.target,
                  "loss": np.array(self.loss), "loss_grad": self.loss_grad,
                  "learning_rate": np.array(self.learning_rate), "momentum": np.array(self.momentum),
                  "layers": np.array([record.name for record in self.forward], dtype=str)}
        for record in self.forward:
            arrays[f"forward.{record.index}.input"] = record.input
            arrays[f"forward.{record.index}.output"] = record.output
        for record in self.backward:
            arrays[f"backward.{record.index}.grad_output"] = record.grad_output
            arrays[f"backward.{record.index}.grad_input"] = record.grad_input
            for name, grad in record.grad_params.items():
                arrays[f"backward.{record.index}.grad.{name}"] = grad
        for update in self.updates:
            prefix = f"update.{update.index}.{update.param}"
            arrays.update({f"{prefix}.before": update.before, f"{prefix}.grad": update.grad,
                           f"{prefix}.velocity": update.velocity, f"{prefix}.after": update.after})
            for name in ("previous_velocity", "m", "v", "previous_m", "previous_v"):
                if getattr(update, name) is not None:
                    arrays[f"{prefix}.{name}"] = getattr(update, name)
        if self.optimizer == "Adam":
            arrays.update({"optimizer": np.array(self.optimizer), "t": np.array(self.config["t"])})
            arrays.update((key, np.array(self.config[key])) for key in ("beta1", "beta2", "epsilon"))
        return arrays

    @property
    def first_nonfinite(self):
        """The first Stage whose result holds NaN or inf (which layer broke first), or None."""
        for stage in self.stages:
            if stage.kind == "forward" and self.forward[stage.index].nonfinite:
                return stage
            if stage.kind == "loss" and not (np.isfinite(self.loss) and is_finite(self.loss_grad)):
                return stage
            if stage.kind == "backward" and self.backward_record(stage.index).nonfinite:
                return stage
            if stage.kind == "update" and any(u.nonfinite for u in self.update_records(stage.index)):
                return stage
        return None


def trace_iteration(model, criterion, optimizer, x, y):
    """Zero grads, forward, loss, backward, optimizer.step; return the IterationTrace.

    The trace holds copies of x and y (unless nothing can write into them), parameters
    and gradients; the fresh arrays the layers returned (outputs, grad_inputs) and the
    new velocities sgd_momentum put in the optimizer's state it keeps as they are, made
    read-only, so nothing done to the model or the optimizer later changes the trace.
    """
    layers = layers_of(model)
    x, y = read_only(x), read_only(y)  # a batch nobody can write into is kept without a copy
    with Recorder(model, copy_all=False) as recorder:
        model.zero_grad_params()
        predictions = model.forward(x)
        loss = criterion.forward(predictions, y)
        loss_grad = criterion.backward(predictions, y)
        model.backward(x, loss_grad)
    check_records(layers, recorder)
    backward = recorder.backward
    before = [(i, name, frozen_copy(value)) for i, named in enumerate(recorder.parameters)
              for name, value, _ in named]
    adam = "beta1" in optimizer.config
    fresh = type(optimizer).step is (Adam.step if adam else SGD.step)
    previous = held_state(optimizer.state, adam, fresh, len(before))
    optimizer.step(*variables_of(model))
    grads = {(record.index, name): grad for record in backward for name, grad in record.grad_params.items()}
    if adam:
        updates = adam_records(before, previous, grads, optimizer.state, fresh, recorder.parameters)
    else:
        updates = update_records(before, previous, grads, optimizer, fresh)
    stages = ([Stage("forward", i) for i in range(len(layers))] + [Stage("loss")]
              + [Stage("backward", i) for i in reversed(range(len(layers)))]
              + [Stage("update", i) for i in sorted({i for i, _, _ in before})])
    config = dict(optimizer.config, t=optimizer.state["t"]) if adam else dict(optimizer.config)
    return IterationTrace(
        forward=recorder.forward, loss=float(loss),
        loss_grad=backward[0].grad_output if backward else frozen_copy(loss_grad),
        backward=backward, updates=updates, stages=stages, target=y,
        criterion=repr(criterion), learning_rate=config["learning_rate"],
        momentum=config["beta1"] if adam else config["momentum"],
        optimizer="Adam" if adam else "SGD", config=config)


def held_state(state, adam, fresh, n):
    """Per variable k what the optimizer holds before the step: SGD's velocity, Adam's (m, v); None for none yet."""
    if not adam:
        held = state.get("accumulated_grads", {})
        return [keep(held[k], fresh) if k in held else None for k in range(n)]
    ms, vs = state.get("m", []), state.get("v", [])
    return [(keep(ms[k], fresh), keep(vs[k], fresh)) if k < len(ms) else (None, None) for k in range(n)]


def check_records(layers, recorder):
    """Every layer must have fired its forward and backward hooks exactly once, in order."""
    expected = list(range(len(layers)))
    for kind, records, order in (("forward", recorder.forward, expected),
                                 ("backward", recorder.backward, expected[::-1])):
        seen = [record.index for record in records]
        if seen == order:
            continue
        for i, layer in enumerate(layers):
            if seen.count(i) != 1:
                raise ValueError(ngettext(
                    "trace_iteration: layer {index} ({layer}) ran its {kind} hooks {n} time, expected once; a layer "
                    "must implement update_output/update_grad_input and leave Module.forward/backward (which call "
                    "the hooks) alone",
                    "trace_iteration: layer {index} ({layer}) ran its {kind} hooks {n} times, expected once; a layer "
                    "must implement update_output/update_grad_input and leave Module.forward/backward (which call "
                    "the hooks) alone", seen.count(i)).format(index=i, layer=repr(layer), kind=kind, n=seen.count(i)))


def update_records(before, previous, grads, optimizer, fresh):
    """One UpdateRecord per parameter; velocity k is state["accumulated_grads"][k], flattened order.

    The engine's SGD (`fresh`) puts a new velocity array in its state each step and
    never writes it again, so the trace keeps these arrays, before and after the step,
    made read-only; any other optimizer may update its velocities in place, so they are
    copied.
    """
    velocities = optimizer.state["accumulated_grads"]
    return [UpdateRecord(i, name, value_before, grads[(i, name)], keep(velocities[k], fresh), previous[k])
            for k, (i, name, value_before) in enumerate(before)]


def adam_records(before, previous, grads, state, fresh, parameters):
    """One UpdateRecord per parameter for Adam, with m = state["m"][k], v = state["v"][k] and t = state["t"].

    The engine's Adam (`fresh`) puts new m and v arrays in its state each step, kept read-only
    as SGD's velocities are; the parameter after the step is copied, and velocity = before - after.
    """
    live = {(i, name): value for i, named in enumerate(parameters) for name, value, _ in named}
    records = []
    for k, (i, name, value_before) in enumerate(before):
        after = frozen_copy(live[(i, name)])
        step = np.subtract(value_before, after)
        step.flags.writeable = False
        records.append(UpdateRecord(i, name, value_before, grads[(i, name)], step,
                                    m=keep(state["m"][k], fresh), v=keep(state["v"][k], fresh),
                                    previous_m=previous[k][0], previous_v=previous[k][1], t=state["t"],
                                    stepped=after))
    return records


def keep(velocity, fresh):
    """The velocity itself, made read-only, when it is fresh and owns its memory; else a copy."""
    if not fresh or velocity.base is not None:
        return frozen_copy(velocity)
    velocity.flags.writeable = False
    return velocity
