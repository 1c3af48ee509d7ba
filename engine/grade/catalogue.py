"""The catalogue of misconceptions: the mistakes students make in this homework, each as a runnable variant.

Each entry is the engine's module with one mistake planted: the grader runs it on the very input a
failing check used, and when the learner's numbers equal the variant's it names the mistake.
Every entry carries the sentence a teacher would say and the correct formula in the handout's notation.
Titles, sentences and formulas with words in them are marked N_() where they are written (bugs_*.py) and shown
through title_of / sentence_of / formula_of, in the current language ("mistakes" catalogue).
"""
import textwrap
from dataclasses import dataclass

from i18n import domain

_, ngettext = domain("mistakes")


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
WRITTEN = {}  # (module, key) -> the mistake as a student writes it (engine/grade/written_*.py)
RIGHT = "  # right: "  # ends a wrong line of WRITTEN, followed by the right line ("-": no line at all)


def translated(text):
    """A title, sentence or formula of the catalogue in the current language (the English text is its id)."""
    return _(text)


def title_of(misconception):
    """The mistake's name in the current language (its English title stays its id in answers and options)."""
    return translated(misconception.title)


def sentence_of(misconception):
    """What a teacher says about the mistake, in the current language."""
    return translated(misconception.sentence)


def formula_of(misconception):
    """The correct formula; the words some formulas hold ("once per step") in the current language."""
    return translated(misconception.formula)


def entry(module, key, title, sentence, formula, base=None, **methods):
    """Add the engine's `base` with `methods` replaced (or, for SGD, the function in methods['step'])."""
    variant = methods["step"] if base is None else type(f"{module}_{key}", (base,), methods)
    CATALOGUE.append(Misconception(key, module, title, sentence, formula, variant))


def written(module, key, *sources):
    """Add how a student writes mistake (module, key): their methods or function, each wrong line ending in
    RIGHT and the right line, so that the text with the right lines put in is the engine's arithmetic."""
    WRITTEN[module, key] = "\n\n".join(textwrap.dedent(source).strip("\n") for source in sources)


def lines_of(source, wrong, right):
    """The lines of a WRITTEN text, each wrong line given to wrong(code) or right(indent, right line)."""
    out = []
    for line in source.splitlines():
        code, mark, fix = line.partition(RIGHT)
        indent = code[:len(code) - len(code.lstrip())]
        out += [line] if not mark else wrong(code) + right(indent, fix)
    return "\n".join(out)


def as_shown(source):
    """A WRITTEN text as a learner reads it: each wrong line marked, the right one beneath it as a comment."""
    mistake, right, no_line = _("the mistake"), _("right:"), _("no such line")
    source = "\n".join(line if RIGHT in line else commented(line) for line in source.splitlines())
    return lines_of(source, lambda code: [f"{code}  # <- {mistake}"],
                    lambda indent, fix: [f"{indent}# {right} {no_line if fix == '-' else fix}"])


def commented(line):
    """A line of a WRITTEN text with its comment (marked N_() where written) in the current language."""
    code, mark, comment = line.partition("  # ")
    return code + mark + _(comment) if mark else line


def as_right(source):
    """A WRITTEN text with the right lines in place of the wrong ones: the engine's arithmetic."""
    return lines_of(source, lambda code: [], lambda indent, fix: [indent + ("pass" if fix == "-" else fix)])


def entries(module):
    return [m for m in CATALOGUE if m.module == module]


def _register():
    from . import bugs_images, bugs_layers, bugs_losses, bugs_network  # noqa: F401  (each adds its entries)
    from . import written_layers, written_others  # noqa: F401  (each adds how students write its entries)


_register()
