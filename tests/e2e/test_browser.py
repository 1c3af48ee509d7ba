"""The app in a real browser (Debian's Chromium through Playwright): every page, a whole iteration
clicked through, a network built by clicking, a training run, CSV uploads, two learners at once.

Run alone with `python -m pytest -m e2e`; screenshots land in artifacts/e2e/.
"""
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail under CI=true) with how to install it
    expect = None

pytestmark = pytest.mark.e2e

# (link in the navigation, the page's title, draws Plotly charts, typesets formulas) on a fresh session
PAGES = [
    ("Step through", "Step through one iteration", True, True),
    ("Build", "Build a network", False, False),
    ("Jacobians", "Jacobians", True, True),
    ("Activations", "Activations", True, True),
    ("Train", "Train", True, False),
    ("About", "Backpropagation, by looking at it", False, False),
]
# The handout's network, Linear(2, 2) + LogSoftMax + NLLCriterion, stage by stage
HANDOUT_STAGES = ["Forward · layer 0 · Linear(2 → 2)", "Forward · layer 1 · LogSoftMax", "Loss · NLLCriterion",
                  "Backward · layer 1 · LogSoftMax", "Backward · layer 0 · Linear(2 → 2)",
                  "Update · layer 0 · Linear(2 → 2)"]
HANDOUT_NETWORK = ["Linear(2 -> 2)", "LogSoftMax"]
CIRCLES_NETWORK = ["Linear(2 -> 100)", "ReLU", "Linear(100 -> 2)", "LogSoftMax"]


def kaggle_csv(n_rows=40, n_pixels=16, n_classes=4, ragged_row=None):
    """A CSV in the Kaggle MNIST layout: `label`, pixel0..; row `ragged_row` (1-based) cut to 3 fields."""
    lines = ["label," + ",".join(f"pixel{j}" for j in range(n_pixels))]
    for r in range(1, n_rows + 1):
        cells = [str(r % n_classes)] + [str((r * 37 + j * 11) % 256) for j in range(n_pixels)]
        lines.append(",".join(cells[:3] if r == ragged_row else cells))
    return ("\n".join(lines) + "\n").encode()


def katex_ok(page):
    return page.locator(".katex").count() > 0 and page.locator(".katex-error").count() == 0


@pytest.mark.parametrize("link, title, has_charts, has_formulas", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_opens_through_the_navigation(visitor, link, title, has_charts, has_formulas):
    """Each page, reached by its link in the top bar: its title, drawn charts, typeset formulas, no exception or
    console error, no error alert, the default network in the summary line."""
    learner = visitor  # one session visits every page in turn
    if link == PAGES[0][0]:  # the default page is open first: leave it and come back through its link
        learner.go("About", PAGES[-1][1])
    learner.go(link, title)
    page = learner.page
    titles = learner.chart_titles(at_least=1 if has_charts else 0)
    if has_charts:
        assert titles and all(titles), f"{link}: charts without a drawn title: {titles}"
    else:
        assert titles == []
    assert katex_ok(page) == has_formulas, f"{link}: .katex {page.locator('.katex').count()}, " \
                                           f"errors {page.locator('.katex-error').all_inner_texts()}"
    assert page.locator(".katex-error").count() == 0
    assert learner.alerts("Error") == []
    assert learner.network() == HANDOUT_NETWORK
    learner.screenshot(f"page-{link}")
    learner.check_clean()


def test_next_steps_through_a_whole_iteration(learner):
    """Next walks the six stages of the handout's iteration: the heading names each stage and the charts
    change at every click; Next is disabled on the last stage; the ← shortcut steps back."""
    page = learner.page
    next_button = page.get_by_role("button", name="Next ▶")
    assert learner.heading() == f"1/6 · {HANDOUT_STAGES[0]}"
    assert page.get_by_role("button", name="◀ Prev").is_disabled()
    titles = learner.chart_titles()
    assert titles[0].startswith("input x (8, 2)")
    for k, stage in enumerate(HANDOUT_STAGES[1:], start=2):
        assert next_button.is_enabled()
        learner.click("Next ▶")
        assert learner.heading() == f"{k}/6 · {stage}"
        before, titles = titles, learner.chart_titles()
        assert titles and titles != before, f"stage {k}: the charts did not change: {titles}"
    tiles = [title.split(" · ")[0] for title in titles[0].split(" | ")]  # W's four tensors, one chart
    assert tiles == ["W before (2, 2)", "∂L/∂W (2, 2)", "velocity v_W (2, 2)", "W after (2, 2)"]  # SGD's step is v
    expect(next_button).to_be_disabled()  # the last stage
    learner.screenshot("last-stage")
    learner.rerun(lambda: page.keyboard.press("ArrowLeft"))  # the ← shortcut steps back
    assert learner.heading() == f"5/6 · {HANDOUT_STAGES[4]}"
    assert next_button.is_enabled()
    learner.check_clean()


def test_work_by_hand_and_take_the_iteration_home(learner, tmp_path):
    """The by-hand expander typesets its sums; the iteration downloads as a real .npz, and the code the
    page shows, run with the engine as the learner's framework, passes every check against it."""
    import numpy as np

    import engine

    page = learner.page
    for _ in range(4):  # to backward 0: the Linear's three gradients
        learner.click("Next ▶")
    learner.rerun(lambda: page.get_by_text("Work out one entry by hand").click())  # opening it draws the working
    by_hand = page.get_by_test_id("stExpander").filter(has_text="Work out one entry by hand")
    expect(by_hand.locator(".katex").first).to_be_visible()
    assert by_hand.locator(".katex-error").count() == 0
    assert "∂L/∂W" in by_hand.inner_text()
    check = learner.expand("Check your own framework against this iteration")
    with page.expect_download() as download:
        check.get_by_role("button", name="iteration.npz").click()
    download.value.save_as(tmp_path / "iteration.npz")
    code = check.locator("code.language-python").inner_text()
    namespace = {name: getattr(engine, name) for name in engine.__all__}
    printed = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        exec(code, namespace)
    assert "ok  layer 0 gradW" in printed and "ok  layer 0 W after the step" in printed
    with np.load(tmp_path / "iteration.npz", allow_pickle=False) as arrays:
        assert list(arrays["layers"]) == HANDOUT_NETWORK
    learner.screenshot("by-hand-and-export")
    learner.check_clean()


def test_a_shared_link_opens_the_same_network_for_another_learner(learners):
    """The teacher picks a preset and copies the Build page's link; a learner who opens it in another
    browser context gets that network, with the same first numbers."""
    teacher, student = learners(2)
    teacher.open()
    teacher.go("Build", "Build a network")
    teacher.choose("Preset", "Circles with a hidden layer")
    shared = teacher.page.get_by_test_id("stCode").filter(has_text="?net=").inner_text().strip()
    assert shared.startswith(teacher.url) and "?net=" in shared
    student.url = shared
    student.open()
    assert student.network() == CIRCLES_NETWORK
    teacher.go("Step through", "Step through one iteration")
    assert student.heading() == teacher.heading() == "1/11 · Forward · layer 0 · Linear(2 → 100)"
    assert student.chart_titles() == teacher.chart_titles()
    student.check_clean()
    teacher.check_clean()


def test_build_a_network_by_clicking(learner):
    """Add a Linear and a ReLU at chosen positions, edit an output size, remove the ReLU: the summary line
    follows each edit and the Step page records the new network."""
    learner.go("Build", "Build a network")
    learner.choose("Add a layer", "Linear")
    learner.set_number("at position", 0)
    learner.click("Add layer", exact=True)
    assert learner.network() == ["Linear(2 -> 2)", "Linear(2 -> 2)", "LogSoftMax"]

    learner.choose("Add a layer", "ReLU")
    learner.set_number("at position", 1)
    learner.click("Add layer", exact=True)
    assert learner.network() == ["Linear(2 -> 2)", "ReLU", "Linear(2 -> 2)", "LogSoftMax"]

    learner.set_number("output size", 16, nth=0)  # layer 0's output size; layer 2's input follows
    assert learner.network() == ["Linear(2 -> 16)", "ReLU", "Linear(16 -> 2)", "LogSoftMax"]
    sizes = learner.page.get_by_role("spinbutton", name="output size")
    assert [sizes.nth(k).input_value() for k in range(sizes.count())] == ["16", "2"]

    learner.click("✕", exact=True, nth=1)  # remove layer 1, the ReLU
    assert learner.network() == ["Linear(2 -> 16)", "Linear(16 -> 2)", "LogSoftMax"]
    assert learner.alerts("Error") == []
    learner.screenshot("built")

    learner.go("Step through", "Step through one iteration")  # 3 forward, loss, 3 backward, 2 updates
    assert learner.heading() == "1/9 · Forward · layer 0 · Linear(2 → 16)"
    tiles = [title.split(" · ")[0] for title in learner.chart_titles()[0].split(" | ")]
    assert tiles[:2] == ["input x (8, 2)", "W (before update) (2, 16)"]
    learner.check_clean()


PROGRESS_WATCH = """() => {
  window.__progress = [];
  const record = () => {
    const bar = document.querySelector('[data-testid="stProgress"] [role="progressbar"]');
    const value = bar && Number(bar.getAttribute('aria-valuenow'));
    if (bar && window.__progress[window.__progress.length - 1] !== value) window.__progress.push(value);
  };
  window.__progressWatch = new MutationObserver(record);
  window.__progressWatch.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['aria-valuenow']});
}"""


def test_training_shows_progress_and_the_loss_curve(learner):
    """Train 5 epochs: the progress bar reaches 100 %, the loss curve and the epoch charts appear, and
    the Step page continues from the trained weights."""
    page = learner.page
    learner.go("Train", "Train")
    assert any(text.startswith("Not trained yet") for text in learner.alerts("Info"))
    page.evaluate(PROGRESS_WATCH)
    learner.click("Train 5 epochs", exact=True)
    seen = page.evaluate("() => { window.__progressWatch.disconnect(); return window.__progress; }")
    # 480 iterations of this network may end within one of the bar's redraws: the bar moving mid-run is checked on
    # a long run (tests/e2e/test_train_stop_browser.py)
    assert seen[-1] == 100 and all(0 <= value <= 100 for value in seen), f"progress values seen: {seen}"
    # blobs: 768 training samples in batches of 8 = 96 iterations per epoch
    expect(page.get_by_test_id("stProgress")).to_contain_text("epoch 5 / 5, iteration 480 / 480")
    (success,) = learner.alerts("Success")
    assert success.startswith("Trained 5 epochs")
    titles = learner.chart_titles()
    assert titles[0].startswith("loss per iteration (480 iterations)")
    assert "loss per epoch" in titles and "accuracy per epoch" in titles
    line = page.get_by_test_id("stPlotlyChart").first.locator(".scatterlayer path.js-line").first
    assert line.get_attribute("d").count("L") >= 10  # the curve has been drawn, not just its axes
    learner.screenshot("trained")

    learner.go("Step through", "Step through one iteration")  # stepping continues from the trained weights
    expect(page.get_by_text("trained 5 epochs", exact=False)).to_be_visible()
    assert learner.heading() == f"1/6 · {HANDOUT_STAGES[0]}"
    learner.check_clean()


def test_upload_a_valid_and_a_broken_csv(learner):
    """A valid Kaggle-layout CSV through the real file input switches the dataset and fits the last
    Linear to its 4 classes; a ragged one shows its error right under the uploader and changes nothing."""
    page = learner.page
    learner.go("Build", "Build a network")
    dataset = page.get_by_role("combobox", name="Dataset")
    expect(dataset).to_have_value("blobs")

    learner.upload("e2e_pixels.csv", kaggle_csv())
    expect(dataset).to_have_value("upload: e2e_pixels.csv")
    assert learner.network() == ["Linear(16 -> 4)", "LogSoftMax"]  # the last Linear now fits the 4 classes
    assert "upload: e2e_pixels.csv, batch 8" in learner.summary()
    expect(page.get_by_text("30 training and 10 test samples, 16 features, 4 classes")).to_be_visible()
    assert learner.alerts("Error") == []

    learner.upload("e2e_broken.csv", kaggle_csv(ragged_row=5))
    (error,) = learner.alerts("Error")
    assert "row 5 (line 6) has 3 fields, the header has 17" in error
    uploader = page.get_by_test_id("stFileUploader").first.bounding_box()
    alert = page.get_by_test_id("stAlertContentError").bounding_box()
    gap = alert["y"] - (uploader["y"] + uploader["height"])
    assert 0 <= gap < 60 and abs(alert["x"] - uploader["x"]) < 40, (uploader, alert)  # right under it
    expect(dataset).to_have_value("upload: e2e_pixels.csv")  # nothing changed
    assert learner.network() == ["Linear(16 -> 4)", "LogSoftMax"]
    learner.screenshot("broken-upload")
    learner.check_clean()


def test_two_sessions_do_not_see_each_other(learners):
    """Two browser contexts: circles preset and stepping in one, an extra layer and an uploaded CSV in the
    other; each keeps its own network, stage, data and upload list."""
    a, b = learners(2)
    a.open()
    b.open()

    a.go("Build", "Build a network")
    a.choose("Preset", "Circles with a hidden layer")
    assert a.network() == CIRCLES_NETWORK
    a.go("Step through", "Step through one iteration")
    a.click("Next ▶")
    a.click("Next ▶")
    assert a.heading() == "3/11 · Forward · layer 2 · Linear(100 → 2)"

    b.go("Build", "Build a network")
    b.choose("Add a layer", "ReLU")
    b.set_number("at position", 1)
    b.click("Add layer", exact=True)
    b.upload("b_pixels.csv", kaggle_csv())
    assert b.network() == ["Linear(16 -> 4)", "ReLU", "LogSoftMax"]
    b.go("Step through", "Step through one iteration")
    b.click("Next ▶")
    assert b.heading() == "2/8 · Forward · layer 1 · ReLU"
    expect(b.page.get_by_text("upload: b_pixels.csv · 8 samples (batch size 8)")).to_be_visible()

    a.click("Next ▶")  # a rerun of A after B changed everything: A's own network, trace and data
    assert a.heading() == "4/11 · Forward · layer 3 · LogSoftMax"
    assert a.network() == CIRCLES_NETWORK
    assert "circles, batch 32" in a.summary() and "upload" not in a.summary()
    expect(a.page.get_by_text("circles · 32 samples (batch size 32)")).to_be_visible()
    a.go("Build", "Build a network")
    a.page.get_by_role("combobox", name="Dataset").click()
    options = a.page.get_by_role("option").all_inner_texts()
    assert "circles" in options and not any("upload" in option for option in options), options
    a.page.keyboard.press("Escape")
    a.screenshot("circles")

    b.click("Next ▶")
    assert b.heading() == "3/8 · Forward · layer 2 · LogSoftMax"
    assert b.network() == ["Linear(16 -> 4)", "ReLU", "LogSoftMax"]
    assert "upload: b_pixels.csv, batch 8" in b.summary()
    b.screenshot("upload-relu")
    a.check_clean()
    b.check_clean()
