"""The learner's framework from a .py file or a Jupyter notebook, run on the learner's own machine only."""
import json
import runpy
from pathlib import Path

from .verdict import Result


def is_code_line(line):
    """False for IPython magics (%, %%) and shell lines (!), which plain Python cannot run."""
    return not line.lstrip().startswith(("%", "!"))


def notebook_cells(path):
    """The code cells' sources, in order, without magics and shell lines."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if source.lstrip().startswith("%%"):  # a cell magic (%%time, %%bash) owns the whole cell
            continue
        cells.append("\n".join(line for line in source.splitlines() if is_code_line(line)))
    return cells


def load(path):
    """(namespace, [Result]): the file's top-level names, and a failing Result for each notebook cell that raised."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".ipynb":
        namespace, notes = {"__name__": "homework"}, []
        for number, source in enumerate(notebook_cells(path), start=1):
            try:
                exec(compile(source, f"{path.name} cell {number}", "exec"), namespace)
            except Exception as error:  # reported; the later cells still run
                notes.append(Result("notebook", f"cell {number} runs", "fail",
                                    detail=f"raised {type(error).__name__}: {error}"))
        return namespace, notes
    return runpy.run_path(str(path), run_name="homework"), []
