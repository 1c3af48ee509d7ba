"""Fixtures every test shares, and the order the tests run in."""
import pytest

from i18n import language


@pytest.fixture(autouse=True)
def english_after_each_test():
    """An AppTest runs the app in the test's own thread, where a Russian run leaves its language set (a server
    runs each session's run in a thread of its own): the next test starts in English again."""
    yield
    language._chosen.set(None)


# The longest files, longest first (seconds of a run on the 2-core machine): a worker that takes one of them late
# would end the run alone on it.
LONGEST = ("e2e/test_asked_is_drawn_browser.py",  # ~210 s: every preset, every stage
           "e2e/test_cnn_browser.py", "e2e/test_cluster_browser.py", "e2e/test_present_hunt_browser.py",
           "e2e/test_step_clicks_browser.py", "e2e/test_build_browser.py", "e2e/test_browser.py",
           "e2e/test_classroom_browser.py", "e2e/test_projector_browser.py",
           "pages/test_step.py", "i18n/test_pages_in_russian.py", "pages/test_bug_hunt.py",
           "pages/test_bug_hunt_every_mistake.py", "pages/test_step_fading.py", "lab/test_fuzz.py",
           "pages/test_memory.py", "classgrade/test_grade_class.py", "test_install.py")


def pytest_collection_modifyitems(items):
    """The longest files first, then the other browser tests (tests/e2e), then the rest: with two workers
    (pytest-xdist, --dist loadfile) both start on the long files and finish on the many short ones, rather than
    one worker ending on a long file alone."""
    def rank(item):
        path = item.path.as_posix()
        longest = next((k for k, name in enumerate(LONGEST) if path.endswith("tests/" + name)), None)
        return (0, longest) if longest is not None else (1 if item.path.parent.name == "e2e" else 2, 0)

    items.sort(key=rank)  # stable: each file keeps its order
