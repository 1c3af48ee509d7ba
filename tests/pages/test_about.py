"""About page and the frame every page shares: navigation, the sidebar summary of the learner's network."""
from tests.pages.apptest import open_page


def test_about_explains_every_page_and_the_loop():
    at = open_page("about")
    text = " ".join(m.value for m in at.markdown)
    for page in ("Step through", "Build", "Jacobians", "Activations", "Train"):
        assert f"**{page}**" in text
    assert "model.backward(x_batch, last_grad_input)" in at.code[-1].value


def test_the_sidebar_shows_the_learners_network():
    at = open_page(None)
    assert at.sidebar.code[0].value == "Linear(2 -> 2)\nLogSoftMax"
    assert "NLLCriterion · SGD lr 0.01, momentum 0.9 · blobs, batch 8" in at.sidebar.caption[1].value
