"""engine.grade's WRITTEN: each mistake as a student writes it does what the catalogue's variant does, and with
its right lines put in, what the engine does (float64, the same random draws, ordinary and huge inputs)."""
import copy

import numpy as np
import pytest

import engine
from engine.grade.catalogue import CATALOGUE, WRITTEN, as_right, as_shown
from engine.softmax import log_softmax

LAYERS = {
    "Linear": lambda rng: engine.Linear(4, 4, rng=rng),  # square: grad_input_W shows
    "SoftMax": lambda rng: engine.SoftMax(),
    "LogSoftMax": lambda rng: engine.LogSoftMax(),
    "BatchNormalization": lambda rng: engine.BatchNormalization(alpha=0.3),
    "Scaling": lambda rng: engine.Scaling(4, rng=rng),
    "Dropout": lambda rng: engine.Dropout(0.3),
    "Flatten": lambda rng: engine.Flatten(),
    "ReLU": lambda rng: engine.ReLU(),
    "LeakyReLU": lambda rng: engine.LeakyReLU(0.1),  # not the 0.03 a mistake fixes
    "ELU": lambda rng: engine.ELU(0.5),
    "SoftPlus": lambda rng: engine.SoftPlus(),
    "Conv2d": lambda rng: engine.Conv2d(2, 3, 3, rng=rng),
    "MaxPool2d": lambda rng: engine.MaxPool2d(2),
}
IMAGES = ("Conv2d", "MaxPool2d", "Flatten")
CRITERIA = ("MSECriterion", "NLLCriterionUnstable", "NLLCriterion")
OPTIMIZERS = {"SGD": (engine.sgd_momentum, {"learning_rate": 0.1, "momentum": 0.9}),
              "Adam": (engine.adam_optimizer, {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999,
                                                "epsilon": 1e-8})}
PLANTABLE = [m for m in CATALOGUE if m.module != "Sequential"]  # a Sequential mistake is never planted


def student(source, base):
    """The text's function, or a subclass of base with the text's methods."""
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102 - the catalogue's own text, in a test
    functions = {name: value for name, value in namespace.items() if callable(value) and name != "np"}
    return next(iter(functions.values())) if base is None else type("Student", (base,), functions)


def same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)


def layer_run(cls, state, module, training, flipped=False, monkeypatch=None):
    """Outputs, grad_inputs, parameter gradients and moving statistics of two forward/backward passes (no
    zeroing between them) on ordinary and huge inputs, in training or evaluate mode, np.random seeded."""
    layer = object.__new__(cls)
    layer.__dict__.update(copy.deepcopy(state))
    layer.train() if training else layer.evaluate()
    rng = np.random.default_rng(1)
    shape = (2, 2, 4, 4) if module in IMAGES else (6, 4)
    x = rng.normal(size=shape)
    x = np.round(x * 2) if module == "MaxPool2d" else x  # ties in the windows
    seen = []
    with np.errstate(all="ignore"), monkeypatch.context() as patch:
        if flipped:  # the catalogue keeps r < 1 - p where the student keeps r >= p: the same units for 1 - r
            draw = np.random.random
            patch.setattr(np.random, "random", lambda size=None: 1 - draw(size))
        np.random.seed(0)
        for scale in (1.0, 1.0, 1000.0):
            output = layer.forward(x * scale).copy()
            g = rng.normal(size=output.shape)
            seen += [output, layer.backward(x * scale, g).copy()]
            seen += [grad.copy() for grad in layer.get_grad_params()]
            seen += [np.asarray(getattr(layer, name, 0.0), float).copy() for name in ("moving_mean", "moving_variance")]
    return seen


def criterion_run(cls, module):
    rng = np.random.default_rng(2)
    target = np.eye(3)[rng.integers(0, 3, 6)]
    scores = rng.normal(size=(6, 3))
    input = {"MSECriterion": scores, "NLLCriterion": log_softmax(scores)}.get(module, np.exp(log_softmax(scores)))
    if module == "NLLCriterionUnstable":
        input[0] = target[0] * 0  # a probability of 0 at the true class: clipping matters
    criterion = cls()
    with np.errstate(all="ignore"):
        return [criterion.forward(input, target), criterion.backward(input, target).copy()]


def optimizer_run(step, config):
    rng = np.random.default_rng(3)
    variables = [[rng.normal(size=(3, 3)), rng.normal(size=(3, 3))], [rng.normal(size=(3, 3))]]
    state, seen = {}, []
    for _ in range(3):
        step(variables, [[rng.normal(size=(3, 3)) for _ in layer] for layer in variables], dict(config), state)
        seen += [v.copy() for layer in variables for v in layer]
    return seen


def runs(mistake, source, monkeypatch):
    """(the variant's, the text's, the right text's and the engine's results) of one mistake."""
    if mistake.module in OPTIMIZERS:
        right, config = OPTIMIZERS[mistake.module]
        return [optimizer_run(step, config) for step in (mistake.variant, student(source, None),
                                                         student(as_right(source), None), right)]
    base = mistake.variant.__mro__[1]
    if mistake.module in CRITERIA:
        return [criterion_run(cls, mistake.module) for cls in (mistake.variant, student(source, base),
                                                               student(as_right(source), base), base)]
    layer = LAYERS[mistake.module](np.random.default_rng(0))
    if mistake.module == "BatchNormalization":
        layer.moving_mean, layer.moving_variance = np.full(4, 0.1), np.full(4, 2.0)
    state = vars(layer)
    flipped = mistake.module == "Dropout" and "sample_mask" in vars(mistake.variant)
    modes = (True, False) if "evaluate" in mistake.key else (True,)
    one = [sum((layer_run(cls, state, mistake.module, mode, cls is mistake.variant and flipped, monkeypatch)
                for mode in modes), []) for cls in (mistake.variant, student(source, base))]
    fixed = [sum((layer_run(cls, state, mistake.module, mode, False, monkeypatch) for mode in (True, False)), [])
             for cls in (student(as_right(source), base), base)]
    return one + fixed


@pytest.mark.parametrize("mistake", PLANTABLE, ids=lambda m: f"{m.module}.{m.key}")
def test_the_code_a_student_writes_does_what_the_planted_mistake_does_and_right_what_the_engine_does(
        mistake, monkeypatch):
    source = WRITTEN[mistake.module, mistake.key]
    assert source.startswith("def ") and "  # right: " in source
    variant, written, fixed, engines = runs(mistake, source, monkeypatch)
    assert len(variant) == len(written) and all(same(a, b) for a, b in zip(variant, written))
    assert len(fixed) == len(engines) and all(same(a, b) for a, b in zip(fixed, engines))
    if all(same(a, b) for a, b in zip(written, engines[:len(written)])):  # the numbers the same: it overflows
        assert (mistake.module, mistake.key) == ("ELU", "overflow")
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            student(source, engine.ELU)().forward(np.array([[1000.0]]))


def test_the_shown_code_marks_each_wrong_line_and_puts_the_right_one_beneath_it():
    shown = as_shown(WRITTEN["Linear", "no_bias"])
    assert shown.splitlines() == ["def update_output(self, input):",
                                  "    self.output = input @ self.W  # <- the mistake",
                                  "    # right: self.output = input @ self.W + self.b",
                                  "    return self.output"]
    assert "# right: no such line" in as_shown(WRITTEN["Adam", "t_per_variable"])
