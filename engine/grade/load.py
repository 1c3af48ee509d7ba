"""The learner's framework from a .py file or a Jupyter notebook, run on the learner's own machine only.

Notebook cells are named as a learner finds them: "cell 5" is the 5th cell of the notebook counting every
cell (Markdown too, as Jupyter lists them from the top), with "(In [12])" when the notebook was saved after
running it and Jupyter shows that execution count beside the cell. Each cell runs for at most a time limit:
a training loop is stopped (the grader needs the classes, not their training), and the report says so.
"""
import builtins
import importlib.util
import json
import os
import sys
import types
from contextlib import contextmanager
from pathlib import Path

from i18n import N_, domain

from .display_stubs import DisplayStubs, stub
from .verdict import Result, raised
from .watch import LEARNER_ERRORS, TimeUp, raise_if_user_interrupt, running
from .words import IMPORTING, RUNS, label_text

_, ngettext = domain("grade")
IMPORTED = N_("the import finishes")  # the check of a .py file's import, when it did not simply finish

LOADING = "BACKPROP_LENS_LOADING"  # set while a file is loaded: a grade(globals()) cell in it does nothing then


class CannotGrade(Exception):
    """The file cannot be graded at all (not readable, not a notebook, its import failed): one line says why."""


def is_code_line(line):
    """False for IPython magics (%, %%) and shell lines (!), which plain Python cannot run."""
    return not line.lstrip().startswith(("%", "!"))


def read_notebook(path):
    """The notebook's JSON, or CannotGrade saying what is wrong with the file."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise CannotGrade(_("it is not UTF-8 text (byte 0x{byte:02x} at position {position}); save it again "
                            "from Jupyter").format(byte=error.object[error.start], position=error.start)) from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise CannotGrade(_("it is not a complete notebook ({error} at line {line}, column {column}); was it saved "
                            "to the end?").format(error=error.msg, line=error.lineno, column=error.colno)) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise CannotGrade(_("it is not a Jupyter notebook (no list of cells)"))
    return notebook


def notebook_cells(path):
    """[(number, label, source)] of the code cells in order, without magics and shell lines; number counts
    every cell from 1, label is "cell 5 (In [12])" (the execution count when the notebook holds one)."""
    cells = []
    for number, cell in enumerate(read_notebook(path)["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):  # a cell magic (%%time, %%bash) owns the whole cell
            continue
        count = cell.get("execution_count")
        label = f"cell {number}" + (f" (In [{count}])" if isinstance(count, int) else "")
        cells.append((number, label, "\n".join(line for line in source.splitlines() if is_code_line(line))))
    return cells


def cell_note(label, error):
    """The Result of a cell that raised: a failure, or a warning when only the environment is to blame."""
    if isinstance(error, EOFError):
        return Result("notebook", label + RUNS, "warn", detail=_("{raised}: it asks for input(), which nobody "
                                                               "answers while grading").format(raised=raised(error)))
    if isinstance(error, ImportError) and "'engine' is not a package" in str(error):
        return Result("notebook", label + RUNS, "warn", detail=_(
            "{raised}: your own engine.py takes the name of backprop-lens's package; grade with `import "
            "backprop_lens; backprop_lens.grade(globals())` or `python -m backprop_lens grade PATH` instead").format(
            raised=raised(error)))
    return Result("notebook", label + RUNS, "fail", detail=raised(error))


def run_cell(code, namespace, label, limit, stubs):
    """Run one cell (or a .py file) under the watch; a Result when it did not simply run, else None."""
    before = set(stubs.used)
    try:
        with running(label, limit):
            try:
                exec(code, namespace)
            except ImportError as error:
                if not stubs.stands_in(error):
                    raise
                return run_cell(code, namespace, label, limit, stubs) or stand_in_note(label, stubs, before)
    except TimeUp as up:
        return Result("notebook", label + RUNS, "warn", detail=_(
            "{label} was stopped after {limit:g} s: the grader needs your classes, not a training run (what the "
            "cell defined before is kept)").format(label=label_text(label), limit=up.limit))
    except LEARNER_ERRORS as error:
        raise_if_user_interrupt(error)
        return cell_note(label, error)
    return None


def stand_in_note(label, stubs, before):
    missing = [name for name in stubs.used if name not in before]
    return Result("notebook", label + RUNS, "warn", detail=_(
        "{libraries} cannot be imported here: the cell ran again with its plots and displays left out").format(
        libraries=", ".join(missing)))


def is_ours(folder):
    ours = Path(__file__).resolve().parents[1]
    return (folder / "engine").resolve() == ours


@contextmanager
def learner_imports(folder):
    """The homework's folder first on sys.path for its own imports, and its own engine.py (or engine/) as
    `engine` while it loads; the grader's engine is back in sys.modules afterwards."""
    folder = Path(folder).resolve()
    own = ((folder / "engine.py").is_file() or (folder / "engine" / "__init__.py").is_file()) and not is_ours(folder)
    names = lambda: [name for name in sys.modules if name == "engine" or name.startswith("engine.")]  # noqa: E731
    ours = {name: sys.modules.pop(name) for name in names()} if own else {}
    sys.path.insert(0, str(folder))
    previous, os.environ[LOADING] = os.environ.get(LOADING), "1"
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        if previous is None:
            os.environ.pop(LOADING, None)
        if own:
            for name in names():
                del sys.modules[name]  # the learner's: their classes keep their own references
            sys.modules.update(ours)


def python_code(path):
    try:
        return compile(importlib.util.decode_source(path.read_bytes()), str(path), "exec")
    except (SyntaxError, UnicodeDecodeError, ValueError) as error:
        raise CannotGrade(f"{type(error).__name__}: {error}") from None  # Python's own words


def load(path, skip=(), limit=None, on_cell=None):
    """(namespace, [Result]): the file's top-level names, and a Result for each notebook cell that did not simply
    run (skip: cell numbers not to run; limit: seconds per cell or for a .py file's import; on_cell(number,
    label) before each cell). CannotGrade when the file cannot be read or a .py file's import raised."""
    path = Path(path)
    if not path.is_file():
        raise CannotGrade(_("no such file: {path}").format(path=path))
    module = types.ModuleType("homework")
    module.__dict__.update(__file__=str(path), __builtins__=builtins, display=stub("display"),
                           get_ipython=stub("get_ipython"))
    namespace, notes = module.__dict__, []
    with DisplayStubs() as stubs, learner_imports(path.parent):
        sys.modules["homework"] = module  # dataclasses and pickle look their class's module up there
        if path.suffix == ".ipynb":
            for number, label, source in notebook_cells(path):
                if number in skip:
                    continue
                if on_cell is not None:
                    on_cell(number, label)
                try:
                    code = compile(source, f"{path.name} {label_text(label)}", "exec")
                except (SyntaxError, ValueError) as error:
                    notes.append(Result("notebook", label + RUNS, "fail", detail=f"{type(error).__name__}: {error}"))
                    continue
                notes += [note for note in [run_cell(code, namespace, label, limit, stubs)] if note is not None]
            return namespace, notes
        if on_cell is not None:
            on_cell(0, IMPORTING + path.name)
        note = run_cell(python_code(path), namespace, IMPORTING + path.name, limit, stubs)
    if note is not None and note.status == "fail":
        raise CannotGrade(_("importing it {raised}").format(raised=note.detail))
    if note is not None:
        note.module, note.check = path.name, IMPORTED
    return namespace, [note] if note is not None else []
