"""The grader's report as a pandas DataFrame, failures first (for a notebook's or the app's table)."""
import pandas as pd

from engine.grade.report import COLUMNS
from i18n import N_, domain

_, ngettext = domain("viz")

HEADERS = {  # engine.grade.report.COLUMNS -> the header a reader sees (in the current language)
    "module": N_("module"), "check": N_("check"), "status": N_("status"), "diagnosis": N_("diagnosis"),
    "detail": N_("detail"), "trial": N_("trial"), "index": N_("index"), "mine": N_("mine"),
    "expected": N_("expected"), "max_abs_error": N_("max_abs_error"), "max_rel_error": N_("max_rel_error"),
    "misconception": N_("misconception"),
}


def grade_table(report):
    """DataFrame of report.rows(): one row per check, the columns of engine.grade.report.COLUMNS, headed in
    the current language (English: the keys themselves)."""
    table = pd.DataFrame(report.rows(), columns=COLUMNS)
    return table.rename(columns={key: _(HEADERS.get(key, key)) for key in COLUMNS})
