"""The Activations page and the Jacobians page's LogSoftMax derivation in a real browser, in a 1400- and
an 800-pixel-wide window: no formula clipped or running off the right edge, the strips and lanes drawn.

Run alone with `python -m pytest -m e2e -k views`; screenshots land in artifacts/e2e/.
"""
import pytest

from lab.links import link
from lab.presets import PRESETS

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail under CI=true) with how to install it
    expect = None

pytestmark = pytest.mark.e2e
WIDTHS = [800, 1400]
HEIGHT = 1100

# Every typeset formula: the right edge of what KaTeX typeset (its .base boxes: a box that its display
# clips still reports its full extent) against the page element it is drawn in (a column, or the page)
# and the window; and the display's scroll width against its own width (a display scrolls what does
# not fit). KaTeX's gathered lines overhang their display by 2 px, hence SCROLL_SLACK.
FORMULAS = """() => [...document.querySelectorAll('[data-testid="stMain"] .katex-display')].map(display => {
  const bases = [...display.querySelectorAll('.katex-html > .base, .katex-html > .tag')];
  const box = display.closest('[data-testid="stElementContainer"]');
  return {text: display.textContent.slice(0, 60), scroll: display.scrollWidth, client: display.clientWidth,
          right: Math.max(...bases.map(base => base.getBoundingClientRect().right)),
          box: box.getBoundingClientRect().right, window: window.innerWidth};
})"""
SCROLL_SLACK = 3
PAGE_WIDTH = """() => { const main = document.querySelector('[data-testid="stMain"]');
  return [main.scrollWidth, main.clientWidth]; }"""


def overflowing(page):
    """The formulas on the page that do not fit their element or the window (with 1 px slack)."""
    return [f for f in page.evaluate(FORMULAS)
            if f["scroll"] > f["client"] + SCROLL_SLACK or f["right"] > min(f["box"], f["window"]) + 1]


def svg_texts(locator):
    """The text of SVG elements (Plotly's ticks and titles have no inner_text)."""
    return locator.evaluate_all("elements => elements.map(e => e.textContent)")


def check_fits(learner, at_least):
    page = learner.page
    formulas = page.evaluate(FORMULAS)
    assert len(formulas) >= at_least, f"{len(formulas)} formulas typeset, expected at least {at_least}"
    assert page.locator(".katex-error").count() == 0
    assert overflowing(page) == [], f"formulas that do not fit: {overflowing(page)}"
    scroll, client = page.evaluate(PAGE_WIDTH)
    assert scroll <= client + 1, f"the page scrolls sideways: {scroll} > {client}"


# Each Jacobian chart: its plot area, its title's box (the first annotation) and its colour bar's tick labels.
JACOBIAN_BOXES = """() => ['backprop', 'numerical', 'closed', 'difference'].map(name => {
  const chart = document.querySelector(`.st-key-jacobian_${name}`);
  const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left,
                                                                  right: r.right}; };
  return {name, plot: box(chart.querySelector('.nsewdrag')), title: box(chart.querySelector('.annotation-text')),
          ticks: [...chart.querySelectorAll('.colorbar text')].map(box)};
})"""


def check_jacobians(page, n):
    """The three n x n Jacobians and their difference: square cells at least 18 px, the title above the plot,
    the colour bar's tick labels apart (they overlapped into a blob; the rows of a 10 x 10 were 9 px tall)."""
    for chart in page.evaluate(JACOBIAN_BOXES):
        plot, title, ticks = chart["plot"], chart["title"], chart["ticks"]
        rows, cols = (plot["bottom"] - plot["top"]) / n, (plot["right"] - plot["left"]) / n
        assert rows >= 18 and abs(rows - cols) <= 0.1 * cols, (chart["name"], rows, cols)
        assert title["bottom"] <= plot["top"] + 1, chart
        ticks = sorted(ticks, key=lambda t: t["top"])
        assert len(ticks) >= 3 and all(a["bottom"] <= b["top"] + 1 for a, b in zip(ticks, ticks[1:])), chart


@pytest.mark.parametrize("width", WIDTHS)
def test_the_default_network_s_2_by_2_jacobians_are_squares(learner, width):
    page = learner.page
    page.set_viewport_size({"width": width, "height": HEIGHT})
    learner.go("Jacobians", "Jacobians")
    learner.chart_titles(at_least=4)
    check_jacobians(page, 2)
    learner.screenshot(f"jacobians-2x2-{width}px")
    learner.check_clean()


def set_alpha(learner, presses):
    """Move the ELU α slider by `presses` steps of 0.1 with the keyboard and wait until its formula shows it."""
    page = learner.page
    thumb = page.locator(".st-key-elu_alpha input[type='range']")
    thumb.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    value = f"{1.0 + 0.1 * presses:g}"
    expect(thumb).to_have_value(value)
    expect(page.locator("strong", has_text=f"ELU(α={value})")).to_be_visible()
    learner.idle()


@pytest.mark.parametrize("width", WIDTHS)
def test_activation_formulas_fit_with_alpha_one_and_a_half(learner, width):
    """At α = 1.5 every formula of the Activations page (f and f′ of the four functions) fits its column,
    and the curves show one lane per function under the f′ panel."""
    page = learner.page
    page.set_viewport_size({"width": width, "height": HEIGHT})
    learner.go("Activations", "Activations")
    set_alpha(learner, 5)
    check_fits(learner, at_least=8)
    lanes = svg_texts(page.locator(".st-key-activation_curves .y3tick text"))
    assert {"ReLU", "LeakyReLU", "ELU", "SoftPlus"} <= set(lanes), lanes
    elu = [f["text"] for f in page.evaluate(FORMULAS) if "1.5" in f["text"]]
    assert len(elu) == 2, elu  # f and f′ of ELU(α=1.5)
    learner.screenshot(f"activations-alpha-1.5-{width}px")
    learner.check_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_digits_log_softmax_derivation_fits_the_window(learners, width):
    """The digits preset's LogSoftMax (10 classes) on the Jacobians page: every line of the derivation
    (and the Jacobian's definition above it) fits the window, and the strips hold every class."""
    (learner,) = learners(1)
    learner.url = link(learner.url, PRESETS["digits"].config)
    learner.open()
    page = learner.page
    page.set_viewport_size({"width": width, "height": HEIGHT})
    learner.go("Jacobians", "Jacobians")
    expect(page.get_by_role("combobox", name="Layer")).to_have_value("5 · LogSoftMax")
    expect(page.get_by_text("The LogSoftMax backward, step by step (sample 0)")).to_be_visible()
    learner.chart_titles(at_least=5)
    check_fits(learner, at_least=10)
    check_jacobians(page, 10)
    strip = page.locator(".st-key-derivation_strip")
    assert "LogSoftMax, sample 0: every entry" in svg_texts(strip.locator(".gtitle"))[0]
    assert svg_texts(strip.locator(".x5tick text")) == [str(k) for k in range(10)]  # from 0, as the app
    box = strip.bounding_box()
    assert box["x"] + box["width"] <= width + 1
    assert page.locator(".katex-display", has_text="⋯").count() >= 4  # x, g, b, a and grad_input shortened
    page.get_by_text("The LogSoftMax backward, step by step").scroll_into_view_if_needed()
    learner.screenshot(f"digits-logsoftmax-derivation-{width}px")
    learner.check_clean()
