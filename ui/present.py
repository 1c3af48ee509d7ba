"""Presenter mode (&present=1 in the address): the Step page for a projector.

The pages a class looks at only (no Build, Train or Bug hunt in the top bar), text and heatmaps large
enough to read from the back of a room, one stage filling the screen; Prev, Next and the arrow keys
work as always. It is a property of the address, so each browser that opens the link has it, and
each session's state stays its own.
"""
import streamlit as st

from lab.links import PRESENT
from ui import focus
from viz.entries import prints_numbers

SCALE = 1.5   # the heatmaps' size and text, against the usual
PAGES = ("", "jacobians", "activations")  # the pages the top bar keeps (by address: the Step page is the default)
CSS = """<style>
html { font-size: 22px; }  /* Streamlit sizes its text, formulas and widgets in rem: all of it grows */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
.stMain .stMainBlockContainer { padding-top: 3.5rem; max-width: 100%; }
.st-key-step_controls { scroll-margin-top: 4rem; }  /* scrolled to at each step, below the top bar */
/* The open question stays in view at the bottom of the screen, over the inputs it is about, while the class
   looks at them (a 1280 x 720 projector shows the stage's top only); the page can scroll past it. It is kept
   to a fifth of the screen: the question as the title of a fold (closed, one line), the answer, Check and Skip
   on one row under it, in the page's large type. */
.st-key-predict_box, .st-key-class_question { position: fixed; bottom: 0.4rem; left: 50%; transform: translateX(-50%); z-index: 100;
  width: min(96vw, 56rem); background: white; box-shadow: 0 0 0.8rem rgba(0, 0, 0, 0.3);
  padding: 0.2rem 0.5rem; gap: 0; }
.st-key-predict_box [data-testid="stExpander"] details { border: none; }
.st-key-predict_box [data-testid="stExpander"] summary { padding: 0.1rem 0.4rem; }
.st-key-predict_box [data-testid="stExpanderDetails"] { padding: 0 0.4rem 0.3rem; }
.st-key-predict_box [data-testid="stExpanderDetails"] > div { gap: 0.3rem; }
.st-key-predict_box [data-testid="stExpander"] summary p { font-size: 1rem; line-height: 1.35; }
.stMainBlockContainer:has(.st-key-predict_box, .st-key-class_question) { padding-bottom: 8rem; }
</style>"""


# the top bar is 3.75 rem tall; two classes, so that Streamlit's own rule for narrow windows (one class) gives way
USUAL_CSS = "<style>.stMain .stMainBlockContainer { padding-top: 4.5rem; }</style>"
SCROLL = "document.querySelector('.st-key-step_controls')?.scrollIntoView({block: 'start'});"


def on():
    return st.query_params.get(PRESENT) == "1"


def scale():
    """How much larger the heatmaps are drawn: SCALE in presenter mode, else 1."""
    return SCALE if on() else 1.0


def readable(question):
    """True when the entry a value question asks for and every operand the stage draws print their numbers in
    their cells (a larger tensor is only coloured: no class reads y[7, 20] off a 32 × 128 heatmap)."""
    asked = question.about[0] if question.about else None
    return all(prints_numbers(t) for t in focus.tensors() if not t.result or t.id == asked)


def pages(all_pages):
    """The pages of the top bar: in presenter mode only those a class looks at."""
    return [page for page in all_pages if page.url_path in PAGES] if on() else all_pages


def style():
    """The larger type, and no sidebar, in presenter mode; on every page the content starts right under the top
    bar, not 4 rem below it (a style-only st.html takes no room)."""
    st.html(CSS if on() else USUAL_CSS)


def start():
    st.query_params[PRESENT] = "1"


def stop():
    """Button callback: the usual page again (the top bar, the sidebar and the type change: the whole app)."""
    st.query_params.pop(PRESENT, None)
    st.rerun()


def to_top(stage):
    """Scroll the page to the top of the stage area when stage `stage` is drawn (a Next from the bottom of
    the last stage would otherwise land at the bottom of this one). The stage number makes the element new at
    each stage, so its script runs once per step."""
    st.html(f'<span data-stage="{int(stage)}"></span><script>{SCROLL}</script>', unsafe_allow_javascript=True,
            width="content")
