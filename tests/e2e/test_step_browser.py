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

# Every tensor drawn on the page: its chart, its heatmap's name (its title) and its axes. A stage's
# tensors share one chart (viz.grid), each on its own pair of axes.
TILES = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].flatMap((gd, n) =>
  gd.data.filter(t => t.type === 'heatmap').map(t => [n, t.name, t.xaxis || 'x', t.yaxis || 'y']))"""
# The pixel centre of cell (row, col) of a tile, from Plotly's own axes (data -> pixels).
CELL_POINT = """([n, xa, ya, row, col]) => {
  const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[n];
  const box = gd.getBoundingClientRect(), layout = gd._fullLayout;
  const x = layout['xaxis' + xa.slice(1)], y = layout['yaxis' + ya.slice(1)];
  return [box.left + x._offset + x.d2p(col), box.top + y._offset + y.d2p(row)];
}"""
TILE_SHAPES = """([n, xa, ya]) => (document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[n]
  .layout.shapes || []).filter(s => s.xref === xa && s.yref === ya).map(s => [s.x0, s.x1, s.y0, s.y1])"""
# Everything that could run off an 800-pixel page: the page itself, buttons whose label is cut, charts
# wider than their place, chart titles (and annotations) outside their chart, formulas wider than the page.
OVERFLOW = """() => {
  const out = [], width = document.documentElement.clientWidth;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  for (const b of document.querySelectorAll('[data-testid="stMainBlockContainer"] button')) {
    const label = b.querySelector('[data-testid="stMarkdownContainer"]') || b;
    if (label.scrollWidth > label.clientWidth + 1 && b.offsetParent) out.push('button cut: ' + b.innerText);
  }
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    const box = c.getBoundingClientRect();
    if (box.right > main.right + 1) out.push('chart wider than the page: ' + box.width);
    for (const t of c.querySelectorAll('.gtitle, .annotation-text')) {
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
    """(chart index, x axis, y axis) of the tensor whose heatmap is named `name`."""
    learner.chart_titles(at_least=1)  # Plotly's code arrives after the page's first run: wait for the charts
    tiles = learner.page.evaluate(TILES)
    found = [(n, xa, ya) for n, title, xa, ya in tiles if title == name]
    assert found, f"no tensor named {name!r}: {[t[1] for t in tiles]}"
    return found[0]


def shapes(learner, name):
    return learner.page.evaluate(TILE_SHAPES, list(tile(learner, name)))


def click_cell(learner, name, row, col):
    """Click cell (row, col) of the tensor named `name`; wait for the rerun."""
    n, xa, ya = tile(learner, name)
    learner.page.get_by_test_id("stPlotlyChart").nth(n).scroll_into_view_if_needed()
    x, y = learner.page.evaluate(CELL_POINT, [n, xa, ya, row, col])
    learner.page.mouse.move(x, y)
    learner.page.wait_for_timeout(150)  # Plotly finds the hovered point before the click
    learner.rerun(lambda: learner.page.mouse.click(x, y))


def picked(learner):
    """(result, row, column) the by-hand picker shows."""
    page = learner.page
    tensor = page.get_by_role("combobox", name="Entry of").input_value()
    row = page.get_by_role("spinbutton", name="row").input_value()
    col = page.get_by_role("spinbutton", name="column").input_value()
    return tensor, int(row), int(col)


def test_a_click_on_any_cell_explains_that_entry_and_outlines_what_it_uses(learner):
    """Forward 0 of the handout: a click on y[3, 1] opens its working; a click on x[6, 0] picks the output
    entry of row 6 that uses it, outlines row 6 of x and a column of W; at backward 0 a click on ∂L/∂W[1, 0]."""
    click_cell(learner, "output y", 3, 1)
    expander = learner.page.get_by_test_id("stExpander").filter(has_text="Work out one entry by hand")
    assert expander.locator("details").get_attribute("open") is not None  # opened by the click
    assert picked(learner) == ("output y", 3, 1)
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
    assert picked(learner) == ("∂L/∂W", 1, 0)
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
