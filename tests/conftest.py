"""Fixtures every test shares."""
import pytest

from i18n import language


@pytest.fixture(autouse=True)
def english_after_each_test():
    """An AppTest runs the app in the test's own thread, where a Russian run leaves its language set (a server
    runs each session's run in a thread of its own): the next test starts in English again."""
    yield
    language._chosen.set(None)
