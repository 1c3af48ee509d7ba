"""Faded worked examples: a by-hand entry's LaTeX with its last step blank, or with only its formula.

Every worked entry ends in an equation of the form `lhs = general form = the numbers = value` (an
aligned block from viz.latex_sums.equation, or one line of `=`), possibly after lines that compute
what it uses. Level "blank" keeps everything but the final value; level "formula" keeps only the
last equation's general form, which the learner works out from the input heatmaps.
"""
from i18n import N_, domain

_, ngettext = domain("viz")

BEGIN, END, STEP = r"\begin{aligned}", r"\end{aligned}", r" \\ &= "
LEVELS = (N_("Worked"), N_("Last step blank"), N_("On your own"))  # the levels' ids: level_name shows them
BLANK = r"\;\boxed{\;?\;}"


def _aligned_parts(latex):
    """(before, [lhs &= general, the numbers, value], after) of the last aligned block, or None."""
    start = latex.rfind(BEGIN)
    end = latex.find(END, start)
    if start < 0 or end < 0:
        return None
    rows = latex[start + len(BEGIN):end].split(STEP)
    return latex[:start], rows, latex[end + len(END):]


def blank_last_step(latex):
    """The worked LaTeX with its final value replaced by a box to fill in."""
    parts = _aligned_parts(latex)
    if parts is not None and len(parts[1]) >= 2:
        before, rows, after = parts
        return before + BEGIN + STEP.join(rows[:-1] + [BLANK]) + END + after
    main, quad, note = latex.partition(r"\quad")  # a remark after the value stays
    head, sep, _value = main.rpartition(" = ")
    return (head + sep + BLANK if sep else main + " = " + BLANK) + quad + note


def formula_only(latex):
    """Only the last equation's general form: `lhs = general = ?`."""
    parts = _aligned_parts(latex)
    if parts is not None:
        return BEGIN + parts[1][0] + STEP + BLANK + END
    pieces = latex.partition(r"\quad")[0].split(" = ")
    return " = ".join(pieces[:2] + [BLANK]) if len(pieces) > 2 else blank_last_step(latex)


def level_name(level):
    """A level of LEVELS as a reader sees it, in the current language (a radio's format_func)."""
    return _(level)


def faded(latex, level):
    """The LaTeX shown at a level of LEVELS."""
    if level == LEVELS[1]:
        return blank_last_step(latex)
    if level == LEVELS[2]:
        return formula_only(latex)
    return latex
