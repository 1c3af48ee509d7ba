"""The grader: check a learner's own framework module by module, locate each bug, and say what it most likely is.

    import backprop_lens
    backprop_lens.grade(globals())    # in a notebook: a table, failures first (viz.grade_table: a DataFrame)
    backprop_lens.grade(globals(), lang="ru")             # the report in Russian (default: the shell's LANG)
    python -m backprop_lens grade homework.py [--json] [--lang ru]     # a file, graded in a child process

`from engine.grade import grade` and `python -m engine.grade` are the same grader, where no engine.py of
the learner's takes the name `engine`.
"""
from .grader import grade
from .load import CannotGrade
from .runner import Limits

__all__ = ["grade", "CannotGrade", "Limits"]
