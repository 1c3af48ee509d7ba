"""The Step page in a real browser at real sizes: a click on any cell explains that entry, and the whole
digits MLP iteration is usable in an 800-pixel window.

Run alone with `python -m pytest -m e2e tests/e2e/test_step_browser.py`; screenshots land in artifacts/e2e/.
"""
from dataclasses import replace

import pytest

from lab.links import config_token
from lab.presets import PRESETS

from .conftest import NARROW

pytestmark = pytest.mark.e2e

# Every tensor drawn on the page: its grid (ui/tensor_grid.py, one per group of a stage's tensors) and its title.
TILES = """() => [...document.querySelectorAll('.tensor-grid')]
  .flatMap((grid, n) => grid.data.tiles.map(t => [n, t.title]))"""
# The pixel centre of drawn cell (row, col) of a tile, from the tile's box in the picture and the picture's scale.
CELL_POINT = """([n, title, row, col]) => {
  const grid = document.querySelectorAll('.tensor-grid')[n], t = grid.data.tiles.find(t => t.title === title);
  const box = grid.querySelector('svg').getBoundingClientRect(), [left, top, w, h] = t.box;
  const r = t.ys.indexOf(row), c = t.xs.indexOf(col), s = box.width / grid.data.width;  // its scale as drawn
  return [box.left + (left + (c + 0.5) * w / t.cols) * s, box.top + (top + (r + 0.5) * h / t.rows) * s];
}"""
# The outlines drawn on a tile, in its entries' coordinates [x0, x1, y0, y1] (cell (r, c) spans c-0.5..c+0.5).
TILE_SHAPES = """([n, title]) => {
  const grid = document.querySelectorAll('.tensor-grid')[n], t = grid.data.tiles.find(t => t.title === title);
  const [left, top, w, h] = t.box;
  const bx = t.xs.length > 1 ? t.xs[1] - t.xs[0] : 1, by = t.ys.length > 1 ? t.ys[1] - t.ys[0] : 1;
  const half = v => Math.round(v * 2) / 2, at = (p, o, len, n, b) => half((p - o) / len * n * b - b / 2);
  return [...grid.querySelectorAll('rect.mark')].map(r => ['x', 'y', 'width', 'height'].map(k => +r.getAttribute(k)))
    .filter(([x, y, rw, rh]) => x + rw / 2 > left && x + rw / 2 < left + w && y + rh / 2 > top && y + rh / 2 < top + h)
    .map(([x, y, rw, rh]) => [at(x, left, w, t.cols, bx), at(x + rw, left, w, t.cols, bx),
                              at(y, top, h, t.rows, by), at(y + rh, top, h, t.rows, by)]);
}"""
# Everything that could run off an 800-pixel page: the page itself, buttons whose label is cut, charts
# wider than their place, chart titles (and annotations) outside their chart, formulas wider than the page.
OVERFLOW = """() => {
  const out = [], width = document.documentElement.clientWidth;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  for (const b of document.querySelectorAll('[data-testid="stMainBlockContainer"] button')) {
    const label = b.querySelector('[data-testid="stMarkdownContainer"]') || b;
    if (label.scrollWidth > label.clientWidth + 1 && b.offsetParent) out.push('button cut: ' + b.innerText);
  }
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"], .tensor-grid svg')) {
    const box = c.getBoundingClientRect();
    if (box.right > main.right + 1) out.push('chart wider than the page: ' + box.width);
    for (const t of c.querySelectorAll('.gtitle, .annotation-text, g.title text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) out.push('title cut: ' + t.textContent);
    }
  }
  for (const k of document.querySelectorAll('.katex-display')) {
    if (k.offsetParent && k.getBoundingClientRect().right > main.right + 1) out.push('formula runs off: ' + k.textContent.slice(0, 60));
  }
  if (document.documentElement.scrollWidth > width + 1) out.push('page scrolls sideways');
  return out;
}"""


def tile(learner, name):
    """(grid index, title) of the tensor titled `name`."""
    learner.chart_titles(at_least=1)  # the component's script arrives after the page's first run: wait for it
    tiles = learner.page.evaluate(TILES)
    found = [(n, title) for n, title in tiles if title == name]
    assert found, f"no tensor named {name!r}: {[t[1] for t in tiles]}"
    return found[0]


def shapes(learner, name):
    return learner.page.evaluate(TILE_SHAPES, list(tile(learner, name)))


def cell_point(learner, name, row, col):
    """The page coordinates of the centre of drawn cell (row, col) of the tensor titled `name`, scrolled into view."""
    n, title = tile(learner, name)
    learner.page.locator(".tensor-grid").nth(n).scroll_into_view_if_needed()
    return learner.page.evaluate(CELL_POINT, [n, title, row, col])


def click_cell(learner, name, row, col):
    """Click cell (row, col) of the tensor named `name`; wait for the rerun."""
    x, y = cell_point(learner, name, row, col)
    learner.page.mouse.move(x, y)
    learner.rerun(lambda: learner.page.mouse.click(x, y))


def picked(learner, expected=None):
    """(result, row, column) the by-hand picker shows; with `expected`, as soon as it shows that (within 5 s):
    the picker's number fields, drawn afresh when a click opens the working, show 0 for a frame or two."""
    page = learner.page
    for _ in range(50):
        tensor = page.get_by_role("combobox", name="Entry of").input_value()
        row = page.get_by_role("spinbutton", name="row").input_value()
        col = page.get_by_role("spinbutton", name="column").input_value()
        if expected is None or (tensor, int(row), int(col)) == expected:
            break
        page.wait_for_timeout(100)
    return tensor, int(row), int(col)


def test_a_click_on_any_cell_explains_that_entry_and_outlines_what_it_uses(learner):
    """Forward 0 of the handout: a click on y[3, 1] opens its working; a click on x[6, 0] picks the output
    entry of row 6 that uses it, outlines row 6 of x and a column of W; at backward 0 a click on ∂L/∂W[1, 0]."""
    click_cell(learner, "output y", 3, 1)
    expander = learner.page.get_by_test_id("stExpander").filter(has_text="Work out one entry by hand")
    assert expander.locator("details").get_attribute("open") is not None  # opened by the click
    assert picked(learner, ("output y", 3, 1)) == ("output y", 3, 1)
    assert "y3,1" in expander.inner_text().replace(" ", "").replace("\n", "")
    assert shapes(learner, "output y") == [[0.5, 1.5, 2.5, 3.5]]
    click_cell(learner, "input x", 6, 0)
    tensor, row, col = picked(learner)
    assert (tensor, row) == ("output y", 6)
    assert [-0.5, 1.5, 5.5, 6.5] in shapes(learner, "input x")
    assert shapes(learner, "W (before update)") == [[col - 0.5, col + 0.5, -0.5, 1.5]]
    learner.screenshot("clicked-input-cell")
    for _ in range(4):
        learner.click("Next ▶")
    click_cell(learner, "∂L/∂W", 1, 0)
    assert picked(learner, ("∂L/∂W", 1, 0)) == ("∂L/∂W", 1, 0)
    assert "W1,0" in expander.inner_text().replace(" ", "").replace("\n", "")
    learner.check_clean()


@pytest.fixture
def narrow(learners, app_url):
    """A learner in an 800 x 1000 window with the digits MLP (64-128-128-10) at batch 128 from a link."""
    (one,) = learners(1, viewport=NARROW)
    one.url = f"{app_url}?net={config_token(replace(PRESETS['digits'].config, batch_size=128))}"
    one.open()
    return one


def test_the_digits_iteration_is_usable_in_an_800_pixel_window(narrow):
    """Every stage of the digits MLP at 800 px: no sidebar, no button label cut, no chart or chart title or
    formula running off the page; a click on a cell of the 64 x 128 W still picks that entry."""
    page = narrow.page
    assert page.get_by_test_id("stSidebar").count() == 0 or not page.get_by_test_id("stSidebar").is_visible()
    stages = int(narrow.heading().split(" · ")[0].split("/")[1])
    assert stages == 16
    for k in range(1, stages + 1):
        narrow.chart_titles(at_least=1)
        assert page.evaluate(OVERFLOW) == [], narrow.heading()
        if narrow.heading().startswith(("1/", "7/", "13/", "14/")):
            narrow.screenshot(f"800px-stage-{k}")
        if k < stages:
            narrow.rerun(lambda: page.locator(".st-key-step_next button").click())
    narrow.rerun(lambda: page.locator(".st-key-step_reset button").click())
    click_cell(narrow, "W (before update)", 40, 100)
    assert picked(narrow)[0] == "output y"
    assert [99.5, 100.5, -0.5, 63.5] in shapes(narrow, "W (before update)")
    narrow.check_clean()


KEEP = "() => { document.querySelector('.tensor-grid').kept = true; }"
KEPT = "() => document.querySelector('.tensor-grid').kept === true"


def test_a_next_redraws_the_stage_in_place_and_the_pointer_shows_a_cells_exact_value(learner):
    """Issue 19 (every click fast): after a Next the stage's tensors are drawn in the same element (a Plotly chart
    was mounted afresh at every stage), with the next stage's tensors; the pointer over a cell shows its exact
    value (issue 19, 6), and a click there still chooses it."""
    from lab.session import Lab

    page = learner.page
    first = learner.chart_titles(at_least=1)
    page.evaluate(KEEP)
    learner.rerun(lambda: page.locator(".st-key-step_next button").click())
    second = learner.chart_titles(at_least=1)
    assert second != first and page.evaluate(KEPT), (first, second)
    learner.rerun(lambda: page.locator(".st-key-step_prev button").click())
    assert learner.chart_titles(at_least=1) == first and page.evaluate(KEPT)
    x, y = cell_point(learner, "output y", 3, 1)
    page.mouse.move(x, y)
    tip = page.locator(".tensor-grid .tip").first
    tip.wait_for(state="visible")
    exact = float(Lab().trace.forward[0].output[3, 1])  # the app's default network, seeded as the page's
    assert f"value {exact!r}" in tip.inner_text() and "output y" in tip.inner_text(), tip.inner_text()
    learner.rerun(lambda: page.mouse.click(x, y))
    assert picked(learner, ("output y", 3, 1)) == ("output y", 3, 1)
    learner.check_clean()


def test_presenter_mode_in_an_800_pixel_window_shrinks_the_stage_to_fit(learners, app_url):
    """Presenter mode draws the tensors 1.5 times larger; in a window narrower than that, the picture shrinks to
    the page (as the Plotly chart did) instead of running off its right edge, and a click still picks its cell."""
    from lab.links import PRESENT

    (one,) = learners(1, viewport=NARROW)
    one.url = f"{app_url}?{PRESENT}=1"
    one.open()
    for _ in range(4):  # backward 0: the widest stage of the default network
        one.rerun(lambda: one.page.locator(".st-key-step_next button").click())
    one.chart_titles(at_least=1)
    assert one.page.evaluate(OVERFLOW) == []
    click_cell(one, "∂L/∂W", 1, 0)
    assert picked(one, ("∂L/∂W", 1, 0)) == ("∂L/∂W", 1, 0)
    one.check_clean()
