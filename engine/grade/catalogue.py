"""The catalogue of misconceptions: the mistakes students make in this homework, each as a runnable variant.

Each entry is the engine's module with one mistake planted: the grader runs it on the very input a
failing check used, and when the learner's numbers equal the variant's it names the mistake.
Every entry carries the sentence a teacher would say and the correct formula in the handout's notation.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Misconception:
    """One typical mistake: where (module), what (title), what a teacher says, the right formula."""
    key: str
    module: str
    title: str
    sentence: str
    formula: str
    variant: object  # a class like the engine's (a layer or criterion), or a function like sgd_momentum


CATALOGUE = []


def entry(module, key, title, sentence, formula, base=None, **methods):
    """Add the engine's `base` with `methods` replaced (or, for SGD, the function in methods['step'])."""
    variant = methods["step"] if base is None else type(f"{module}_{key}", (base,), methods)
    CATALOGUE.append(Misconception(key, module, title, sentence, formula, variant))


def entries(module):
    return [m for m in CATALOGUE if m.module == module]


def _register():
    from . import bugs_images, bugs_layers, bugs_losses, bugs_network  # noqa: F401  (each adds its entries)


_register()
