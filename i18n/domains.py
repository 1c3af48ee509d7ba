"""Which source files feed which catalogue: one catalogue (gettext domain) per package, so that each reads
like the code it translates."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOMAINS = {
    "pages": ["pages", "app.py"],
    "ui": ["ui"],
    "viz": ["viz"],
    "lab": ["lab"],
    "grade": ["engine/grade", "backprop_lens"],
    "classgrade": ["classgrade"],
    "classroom": ["classroom"],
}


def sources(name):
    """The .py files of domain `name`, relative to the project's root, sorted."""
    found = []
    for part in DOMAINS[name]:
        path = ROOT / part
        found += [path] if path.is_file() else sorted(path.rglob("*.py")) if path.is_dir() else []
    return [p.relative_to(ROOT).as_posix() for p in found]
