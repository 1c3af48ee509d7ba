"""geometry: a heatmap panel's size in pixels from its tensor's shape, so that its cells, ticks, title and
printed values are judged from the figure's real size (the Step page draws every panel at this size).

A panel is at most MAX_WIDTH wide, so it keeps its size in an 800-pixel window; cells are square up to
MAX_CELL pixels, unless a row would be thinner than a readable strip.
"""
import textwrap
from dataclasses import dataclass

import numpy as np

MAX_WIDTH = 740          # px: the widest panel still fits the page of an 800-pixel window
MAX_PLOT_HEIGHT = 300    # px: the tallest plot area
MAX_CELL = 44            # px: cells of small matrices are at most this large
MIN_COLUMN = 12         # px: a column of a tall matrix is at least this wide, where the width allows
MIN_STRIP = 30           # px: a one-row strip (a vector) is at least this tall
MIN_WIDTH = 150          # px: room for a short title (longer ones wrap)
LEFT, RIGHT, BOTTOM = 56, 14, 46   # margins: y ticks and title; a little air (no colour bar); x ticks and title
TITLE_PX, NOTE_PX = 7.3, 6.0       # width of a character of the title (13 px) and of a note (11 px)
TITLE_LINE, NOTE_LINE, TOP_PAD = 18, 15, 16
DIGIT_PX = 6.2           # width of a character of a printed cell value (10 px)


@dataclass(frozen=True)
class Geometry:
    """Figure size, plot area and cell size in pixels; the title and notes wrapped to the width."""
    width: int
    height: int
    plot_width: float
    plot_height: float
    cell_width: float
    cell_height: float
    title_lines: tuple
    note_lines: tuple

    @property
    def top(self):
        return TOP_PAD + TITLE_LINE * len(self.title_lines) + NOTE_LINE * len(self.note_lines)

    def fits(self, labels):
        """True when every label (the printed values) fits inside a cell."""
        return self.cell_height >= 13 and self.cell_width >= label_width(labels)


def tick_count(length_px, n_shown, axis):
    """At most how many tick labels fit along an axis this long ("x": 36 px each, "y": 16 px each)."""
    return max(1, min(n_shown, int(length_px // (36 if axis == "x" else 16))))


def wrap(text, width_px, char_px):
    """text in lines of at most width_px (estimated at char_px per character), broken at spaces."""
    return tuple(textwrap.wrap(text, max(8, int(width_px // char_px)), break_on_hyphens=False)) or ("",)


def cell_size(rows, cols, max_cell=MAX_CELL, max_width=MAX_WIDTH):
    """The square cell (px) that fits rows x cols into max_width and MAX_PLOT_HEIGHT, at most max_cell."""
    return min(max_cell, (max_width - LEFT - RIGHT) / cols, MAX_PLOT_HEIGHT / rows)


def row_height(rows, cell):
    """A row's height: the square cell, but a strip of one or two rows stays readable."""
    return max(cell, min(MIN_STRIP, 60 / rows))


def label_width(labels):
    """Pixels the widest of these printed values needs inside a cell."""
    return max((len(label) for label in labels), default=0) * DIGIT_PX + 6


def geometry(shape, title, notes=(), labels=None, max_cell=MAX_CELL, max_width=MAX_WIDTH, max_height=None):
    """The Geometry of a panel showing a (rows, cols) matrix with this title and notes; cells are widened
    (not squared) to hold `labels`, the printed values, when the row still fits max_width; max_cell: a
    smaller cap for the small maps of a channel grid; max_height: a lower cap of the plot's height, its rows
    flatter than its cells are wide (a flattened batch of maps, whose channels are drawn apart)."""
    rows, cols = int(shape[0]), int(shape[1])
    cell = cell_size(rows, cols, max_cell, max_width)
    plot_height = rows * row_height(rows, cell)
    if max_height is not None:
        plot_height = min(plot_height, max(max_height, rows))
    cell_width = cell
    if rows > cols:  # a tall matrix (a batch of few features): columns wide enough to tell apart
        cell_width = max(cell, min(MIN_COLUMN, (max_width - LEFT - RIGHT) / cols))
    if labels and plot_height / rows >= 13 and cols * label_width(labels) <= max_width - LEFT - RIGHT:
        cell_width = max(cell, label_width(labels))
    natural = LEFT + cols * cell_width + RIGHT
    width = int(np.ceil(min(max_width, max(natural, MIN_WIDTH))))  # a long title wraps; it does not widen
    plot_width = width - LEFT - RIGHT
    title_lines = wrap(title, width - 12, TITLE_PX)
    note_lines = tuple(line for note in notes for line in wrap(note, width - 12, NOTE_PX))
    top = TOP_PAD + TITLE_LINE * len(title_lines) + NOTE_LINE * len(note_lines)
    return Geometry(width=width, height=int(np.ceil(top + plot_height + BOTTOM)), plot_width=plot_width,
                    plot_height=plot_height, cell_width=plot_width / cols,
                    cell_height=plot_height / rows, title_lines=title_lines, note_lines=note_lines)
