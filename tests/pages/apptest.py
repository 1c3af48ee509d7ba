"""Open a page of the app in AppTest, the way a learner reaches it through the navigation."""
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page, timeout=60):
    """AppTest of app.py switched to pages/<page>.py, run, with no exception."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def figures(at):
    """The Plotly figure JSON of every chart on the page, in order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def errors(at):
    return [element.value for element in at.error]
