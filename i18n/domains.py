"""Which source files feed which catalogue (gettext domain): one per package, so that each reads like the code
it translates; the Bug hunt's catalogue of mistakes has its own. A file belongs to the first domain, in this
order, with a pattern that matches it."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOMAINS = {
    "classroom": ["classroom/**/*.py", "ui/classroom.py", "viz/class_view.py"],  # the lecture (issue 21), all of it
    "pages": ["pages/*.py", "app.py"],
    "ui": ["ui/**/*.py"],
    "viz": ["viz/**/*.py"],
    "lab": ["lab/**/*.py"],
    "mistakes": ["engine/grade/bugs_*.py", "engine/grade/catalogue.py", "engine/grade/written_*.py"],
    "grade": ["engine/grade/**/*.py", "backprop_lens/**/*.py"],
    "engine": ["engine/*.py"],
    "classgrade": ["classgrade/**/*.py"],
}


def owner(path):
    """The domain of a file (relative to the project's root, as sources() gives it), or None."""
    return next((name for name, patterns in DOMAINS.items() if any(path in _expand(p) for p in patterns)), None)


def _expand(pattern):
    return {p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern) if p.is_file()}


def sources(name):
    """The .py files of domain `name`, relative to the project's root, sorted."""
    return sorted(path for pattern in DOMAINS[name] for path in _expand(pattern) if owner(path) == name)
