"""The grader: check a learner's own framework module by module, locate each bug, and say what it most likely is.

    from engine.grade import grade
    grade(globals())                  # in a notebook: a table, failures first (viz.grade_table: a DataFrame)
    python -m engine.grade homework.py [--json]
"""
from .grader import grade

__all__ = ["grade"]
