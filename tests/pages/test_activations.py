"""Activations page: curves from the engine equal the closed forms, sliders, formulas, the pre-activation histogram."""

import numpy as np
import pytest

from engine import ELU, ReLU
from lab.presets import PRESETS
from tests.pages.apptest import errors, figures, open_page, plotly_array as array
from viz.colors import ACTIVATION_COLORS, activation_color



def curves(at):
    """{legend name: (x, y)} of the activation curves figure (the first chart)."""
    fig = figures(at)[0]
    return {t["name"]: (array(t["x"]), array(t["y"])) for t in fig["data"]}


def histogram(at):
    (fig,) = [f for f in figures(at) if f["data"][0]["type"] == "bar"]
    return fig


def sigmoid(x):
    return 1 / (1 + np.exp(-x))



def test_default_page_draws_the_four_activations_and_their_derivatives():
    at = open_page("activations")
    assert not errors(at)
    fig = figures(at)[0]
    assert [t["type"] for t in fig["data"]] == ["scatter"] * 8
    assert [t["name"] for t in fig["data"]] == ["ReLU", "ReLU′", "LeakyReLU(slope=0.03)", "LeakyReLU′",
                                                "ELU(α=1)", "ELU′", "SoftPlus", "SoftPlus′"]
    assert fig["layout"]["xaxis3"]["title"]["text"] == "pre-activation x"
    assert fig["layout"]["yaxis"]["title"]["text"] == "f(x)" and fig["layout"]["yaxis2"]["title"]["text"] == "f′(x)"
    c = curves(at)
    x = c["ReLU"][0]
    assert x.size == 401 and x[0] == -5.0 and x[-1] == 5.0
    np.testing.assert_array_equal(c["ReLU"][1], np.maximum(x, 0))
    np.testing.assert_array_equal(c["ReLU′"][1], (x > 0).astype(float))
    np.testing.assert_allclose(c["SoftPlus"][1], np.log1p(np.exp(x)), rtol=1e-12)
    np.testing.assert_allclose(c["SoftPlus′"][1], sigmoid(x), rtol=1e-12)
    bands = {shape["name"].split(":")[0] for shape in fig["layout"]["shapes"]}
    assert bands == {"ReLU", "ELU(α=1)", "SoftPlus"}  # LeakyReLU's 0.03 does not vanish
    assert all(shape["yref"] == "y3" for shape in fig["layout"]["shapes"])  # one lane each, under f′
    assert [t["line"]["color"] for t in fig["data"]] == [c for c in ACTIVATION_COLORS.values() for _ in (0, 1)]
    assert len(at.latex) == 8 and r"\max(0, x)" in at.latex[0].value and "f'(x) =" in at.latex[1].value
    names = [m.value for m in at.markdown if "■" in m.value]
    assert len(names) == 4 and all(activation_color(text.split("**")[1]) in text for text in names)


def test_sliders_change_the_curves_and_the_formulas():
    at = open_page("activations")
    at.slider(key="leaky_slope").set_value(0.2).run()
    at.slider(key="elu_alpha").set_value(2.0).run()
    assert not at.exception
    c = curves(at)
    x = c["ReLU"][0]
    np.testing.assert_allclose(c["LeakyReLU(slope=0.2)"][1], np.where(x > 0, x, 0.2 * x), rtol=1e-15)
    np.testing.assert_allclose(c["LeakyReLU′"][1], np.where(x > 0, 1.0, 0.2))
    neg = x <= 0
    np.testing.assert_allclose(c["ELU(α=2)"][1][neg], 2.0 * np.expm1(x[neg]), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(c["ELU(α=2)"][1][~neg], x[~neg])
    np.testing.assert_allclose(c["ELU′"][1][neg], 2.0 * np.exp(x[neg]), rtol=1e-12)
    formulas = " ".join(element.value for element in at.latex)
    assert r"0.2\,x" in formulas and r"2\,(e^{x} - 1)" in formulas and r"2\,e^{x}" in formulas
    at.slider(key="leaky_slope").set_value(0.0).run()
    assert "LeakyReLU(slope=0)" in {s["name"].split(":")[0] for s in figures(at)[0]["layout"]["shapes"]}


def test_x_range_slider():
    at = open_page("activations")
    at.slider(key="activation_range").set_value((-2.0, 3.0)).run()
    x = curves(at)["ReLU"][0]
    assert x[0] == -2.0 and x[-1] == 3.0
    at.slider(key="activation_range").set_value((1.0, 1.0)).run()
    assert not at.exception
    x = curves(at)["ReLU"][0]
    assert x[0] == 0.0 and x[-1] == 2.0
    assert any("empty range" in c.value for c in at.caption)


def test_no_activation_layer_suggests_circles_and_loads_it():
    at = open_page("activations")
    assert any("no activation layer" in info.value for info in at.info)
    assert not [f for f in figures(at) if f["data"][0]["type"] == "bar"]
    at.button(key="load_circles").click().run()
    assert not at.exception and not errors(at)
    assert at.session_state.lab.config == PRESETS["circles"].config
    assert at.selectbox(key="preactivation_layer").options == ["1 · ReLU"]
    check_histogram(at, 1, "ReLU")
    at.slider(key="activation_range").set_value((-1.0, 0.5)).run()
    check_histogram(at, 1, "ReLU")  # the histogram follows the curves' x range


def closed_form_vanishing(layer, x):
    """Where f'(x) < 1e-2 sup f', from the closed forms: ReLU x <= 0; ELU alpha e^x < 1e-2 max(1, alpha)."""
    if isinstance(layer, ELU):
        return (x <= 0) & (layer.alpha * np.exp(np.minimum(x, 0)) < 1e-2 * max(1.0, layer.alpha))
    assert isinstance(layer, ReLU)
    return x <= 0


def check_histogram(at, index, label):
    """The histogram counts the layer's recorded input; the caption counts where its gradient vanishes."""
    lab = at.session_state.lab
    values = np.ravel(lab.trace.forward_record(index).input)
    lo, hi = at.slider(key="activation_range").value
    fig = histogram(at)
    assert array(fig["data"][0]["y"]).sum() == np.count_nonzero((values >= lo) & (values <= hi))
    assert fig["layout"]["xaxis"]["title"]["text"] == "pre-activation x"
    assert fig["layout"]["yaxis"]["title"]["text"] == "count"
    assert fig["layout"]["xaxis"]["range"] == [lo, hi] and f"{index} · {label}" in fig["layout"]["title"]["text"]
    vanishing = np.count_nonzero(closed_form_vanishing(lab.model[index], values))
    caption = next(c.value for c in at.caption if "gradient vanishes" in c.value)
    assert f"**{vanishing} of {values.size}**" in caption
    return fig, vanishing


@pytest.mark.parametrize("preset, labels", [("dying_relu", {1: "ReLU", 3: "ReLU"}),
                                            ("high_lr", {1: "ELU(alpha=1)"})])
def test_preactivation_layer_picker(preset, labels):
    at = open_page("activations", preset)
    picker = at.selectbox(key="preactivation_layer")
    assert picker.options == [f"{i} · {label}" for i, label in labels.items()] and picker.value == min(labels)
    for index, label in labels.items():
        at.selectbox(key="preactivation_layer").set_value(index).run()
        assert not at.exception
        fig, vanishing = check_histogram(at, index, label)
        (band,) = fig["layout"]["shapes"]  # the layer's own vanishing region, from the left edge
        assert band["x0"] == -5.0 and band["fillcolor"] == ACTIVATION_COLORS[label.split("(")[0]]
        if label == "ReLU":
            assert band["x1"] == 0.0 and vanishing > 0
        else:
            assert abs(band["x1"] - np.log(1e-2)) < 0.03


def test_picker_stays_valid_when_the_activations_move():
    at = open_page("activations", "dying_relu")
    at.selectbox(key="preactivation_layer").set_value(3).run()
    at.session_state.lab.apply(PRESETS["circles"].config)  # its only ReLU is layer 1
    at.run()
    assert not at.exception and at.selectbox(key="preactivation_layer").value == 1
    at.session_state.lab.apply(PRESETS["handout"].config)
    at.run()
    assert not at.exception and any("no activation layer" in info.value for info in at.info)
