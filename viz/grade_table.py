"""The grader's report as a pandas DataFrame, failures first (for a notebook's or the app's table)."""
import pandas as pd

from engine.grade.report import COLUMNS


def grade_table(report):
    """DataFrame of report.rows(): one row per check, the columns of engine.grade.report.COLUMNS."""
    return pd.DataFrame(report.rows(), columns=COLUMNS)
