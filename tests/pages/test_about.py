"""About page and the frame every page shares: navigation, the one-line summary of the learner's network."""
from tests.pages.apptest import open_page


def test_about_explains_every_page_and_the_loop():
    at = open_page("about")
    text = " ".join(m.value for m in at.markdown)
    for page in ("Step through", "Build", "Jacobians", "Activations", "Train"):
        assert f"**{page}**" in text
    assert "model.backward(x_batch, last_grad_input)" in at.code[-1].value


def test_every_page_opens_with_the_learners_network_in_one_line():
    at = open_page(None)
    assert not at.sidebar.children or not any(at.sidebar.children.values())  # the pages are in the top bar
    line = at.caption[0].value
    assert line.startswith("Your network: `Linear(2 -> 2)` → `LogSoftMax` · NLLCriterion · ")
    assert "SGD lr 0.01, momentum 0.9 · blobs, batch 8" in line
