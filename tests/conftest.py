"""Fixtures every test shares, and the order the tests run in."""
import pytest

from i18n import language


@pytest.fixture(autouse=True)
def english_after_each_test():
    """An AppTest runs the app in the test's own thread, where a Russian run leaves its language set (a server
    runs each session's run in a thread of its own): the next test starts in English again."""
    yield
    language._chosen.set(None)


def pytest_collection_modifyitems(items):
    """The browser tests (tests/e2e) first: with two workers (pytest-xdist, --dist loadfile) both start on the
    long browser files and finish on the many short ones, rather than one worker ending on a long file alone."""
    items.sort(key=lambda item: 0 if item.path.parent.name == "e2e" else 1)  # stable: each file keeps its order
