"""backprop-lens's grader under a name no homework takes: `import backprop_lens; backprop_lens.grade(globals())`
in a notebook, `python -m backprop_lens grade homework.ipynb` in a terminal.

A learner's own engine.py (or engine/ folder) next to their notebook takes the name `engine` from
backprop-lens's package, and `from engine.grade import grade` then fails with "'engine' is not a package".
This module finds backprop-lens's engine by its location and, when `engine` is someone else's, loads it
under the name backprop_lens.engine, leaving the learner's `engine` as it is.
"""
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from i18n import domain, from_environment, use

_, ngettext = domain("grade")
ENGINE = Path(__file__).resolve().parents[1] / "engine"
ALIAS = "backprop_lens.engine"


def is_ours(module):
    found = getattr(module, "__file__", None)
    return found is not None and Path(found).resolve() == ENGINE / "__init__.py"


def engine():
    """backprop-lens's engine package: `engine` itself when that name is ours, else the same files as
    backprop_lens.engine."""
    found = sys.modules.get("engine")
    if found is None:
        try:
            spec = importlib.util.find_spec("engine")
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin and Path(spec.origin).resolve() == ENGINE / "__init__.py":
            return importlib.import_module("engine")
    elif is_ours(found):
        return found
    if ALIAS not in sys.modules:
        spec = importlib.util.spec_from_file_location(ALIAS, ENGINE / "__init__.py",
                                                      submodule_search_locations=[str(ENGINE)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[ALIAS] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[ALIAS]
            raise
    return sys.modules[ALIAS]


def grader():
    return importlib.import_module(f"{engine().__name__}.grade")


def grade(target, **options):
    """engine.grade.grade: the Report of a namespace (grade(globals())) or of a .py or .ipynb file; lang="ru" for
    a report in Russian (default: the shell's LANG)."""
    if os.environ.get("BACKPROP_LENS_LOADING"):  # a grade(globals()) cell of the notebook being graded
        return None
    return grader().grade(target, **options)


def main(argv=None, prog="python -m backprop_lens"):
    """`grade PATH [options]`: the grader's command line (exit status 0, 1 or 2, as engine.grade's)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] != ["grade"]:
        with use(from_environment()):
            print(_("usage: {prog} grade PATH [--json] [--verbose] [--lang en|ru] [--iteration iteration.npz "
                    "--save mine.npz]").format(prog=prog))
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    command = importlib.import_module(f"{engine().__name__}.grade.__main__")
    return command.main(argv[1:], prog=f"{prog} grade")


__all__ = ["grade", "main", "engine"]
