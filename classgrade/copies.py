"""Pairs of submissions that share code, found by copydetect (winnowing, as MOSS): OUT/similarity.csv and
copydetect's HTML report. Evidence for a person to look at, never a grade. The handout's own code (boilerplate)
is not counted as shared."""
import json
import tempfile
from pathlib import Path

import pandas as pd

THRESHOLD = 0.5  # the share of a file's fingerprints found in the other one, above which a pair is listed
COLUMNS = ["student", "other", "score", "student_share", "other_share", "student_lines", "other_lines"]


def code_of(path):
    """The Python code of a .py file, or of a notebook's code cells."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if Path(path).suffix != ".ipynb":
        return text
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    return "\n\n".join("".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                       for c in cells if isinstance(c, dict) and c.get("cell_type") == "code")


def lines(code, slices):
    """'3-10, 14-20': the lines of code the character slices (2 x n) cover."""
    spans = [(code.count("\n", 0, start) + 1, code.count("\n", 0, max(start, end - 1)) + 1)
             for start, end in zip(*slices)]
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def similarity(files, out, handout=None, threshold=THRESHOLD):
    """DataFrame of the pairs of {student: file} whose score (the larger share) passes threshold, most similar
    first; writes out/similarity.csv and out/similarity.html. handout: a file or folder of the handout's code."""
    import copydetect  # noqa: PLC0415 (its import is slow; only the copies need it)

    out = Path(out)
    rows = []
    with tempfile.TemporaryDirectory(prefix="copies-") as work:
        code_dir, boiler_dir = Path(work) / "code", Path(work) / "handout"
        code_dir.mkdir()
        boiler_dir.mkdir()
        for student, path in files.items():
            if path is not None:
                (code_dir / f"{student}.py").write_text(code_of(path), encoding="utf-8")
        for i, path in enumerate(sorted(Path(handout).rglob("*")) if handout and Path(handout).is_dir()
                                 else [Path(handout)] if handout else []):
            if path.is_file() and path.suffix in (".py", ".ipynb"):
                (boiler_dir / f"handout{i}.py").write_text(code_of(path), encoding="utf-8")
        if len(list(code_dir.iterdir())) >= 2:
            detector = copydetect.CopyDetector(test_dirs=[str(code_dir)], ref_dirs=[str(code_dir)],
                                               boilerplate_dirs=[str(boiler_dir)] if any(boiler_dir.iterdir()) else [],
                                               extensions=["py"],
                                               display_t=threshold, autoopen=False, silent=True,
                                               out_file=str(out / "similarity.html"))
            detector.run()
            for first, second, name_1, name_2, _, _, overlap in detector.get_copied_code_list():
                key = (name_1, name_2) if (name_1, name_2) in detector.slice_matrix else (name_2, name_1)
                slices = detector.slice_matrix[key]
                one, two = (slices[0], slices[1]) if key == (name_1, name_2) else (slices[1], slices[0])
                rows.append({"student": Path(name_1).stem, "other": Path(name_2).stem,
                             "score": round(max(first, second), 3), "student_share": round(first, 3),
                             "other_share": round(second, 3), "tokens": int(overlap),
                             "student_lines": lines(detector.file_data[name_1].raw_code, one),
                             "other_lines": lines(detector.file_data[name_2].raw_code, two)})
            detector.generate_html_report()
    table = pd.DataFrame(rows, columns=COLUMNS + ["tokens"]).sort_values("score", ascending=False)
    table.to_csv(out / "similarity.csv", index=False)
    return table
