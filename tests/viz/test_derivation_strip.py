"""The derivation's whole vectors as strips: one (1, K) heatmap each, own colour scale, values equal the engine's."""
import numpy as np
import pytest

from engine import LogSoftMax, SoftMax
from viz.derivation_strip import MAX_PRINTED, X_TITLE, derivation_strip, derivation_vectors

RNG = np.random.default_rng(7)
X, G = RNG.normal(size=10) * 3, RNG.normal(size=10) * 1e-3


def test_log_softmax_strips_hold_every_entry_in_order():
    fig = derivation_strip("LogSoftMax", X, G, sample=4)
    assert [t.type for t in fig.data] == ["heatmap"] * 5
    assert [t.name.split(":")[0].split(" =")[0] for t in fig.data] == ["x", "b", "a", "g", "grad_input"]
    b = LogSoftMax().forward(X[None])[0]
    a = np.exp(b)
    expected = [X, b, a, G, G - a * G.sum()]
    for trace, v in zip(fig.data, expected):
        assert np.asarray(trace.z).shape == (1, 10)
        np.testing.assert_allclose(np.asarray(trace.z)[0], v, rtol=1e-12, atol=1e-18)
        assert list(trace.x) == list(range(10))  # k counts from 0, as in the formulas and the rest of the app
        assert [repr(float(e)) for e in v] == list(trace.customdata[0])  # exact values on hover
    assert fig.layout.xaxis5.title.text == X_TITLE and "from 0" in X_TITLE
    assert "LogSoftMax, sample 4" in fig.layout.title.text


def test_each_strip_has_its_own_colour_scale_centred_at_zero():
    fig = derivation_strip("LogSoftMax", X, G)
    axes = [t.coloraxis for t in fig.data]
    assert axes == ["coloraxis", "coloraxis2", "coloraxis3", "coloraxis4", "coloraxis5"]
    for trace, axis in zip(fig.data, axes):
        scale = fig.layout[axis]
        top = np.abs(np.asarray(trace.z)).max()
        assert scale.cmid == 0 and scale.cmin == -top and scale.cmax == top
    assert fig.layout.coloraxis4.cmax < 1e-2 < fig.layout.coloraxis.cmax  # g is tiny beside x: its own scale
    titles = [a.text for a in fig.layout.annotations]
    assert [f"(colours: ±{fig.layout[a].cmax:.3g})" in t for a, t in zip(axes, titles)] == [True] * 5
    assert not any(fig.layout[a].showscale for a in axes)  # the range is in the title, not a colour bar


def test_softmax_strips_and_values_printed_only_when_short():
    fig = derivation_strip("SoftMax", X[:4], G[:4])
    assert [t.name.split(" ")[0].rstrip(":") for t in fig.data] == ["x", "a", "g", "grad_input"]
    a = SoftMax().forward(X[None, :4])[0]
    np.testing.assert_allclose(np.asarray(fig.data[1].z)[0], a, rtol=1e-12)
    g_dot_a = G[:4] @ a
    np.testing.assert_allclose(np.asarray(fig.data[3].z)[0], a * (G[:4] - g_dot_a), rtol=1e-12, atol=1e-18)
    assert all(t.texttemplate == "%{z:.3g}" for t in fig.data)
    wide = derivation_strip("SoftMax", np.zeros(MAX_PRINTED + 1), np.zeros(MAX_PRINTED + 1))
    assert all(t.texttemplate is None for t in wide.data) and np.asarray(wide.data[0].z).shape == (1, 13)
    assert wide.layout.coloraxis.cmax == 1.0  # an all-zero strip still has a scale


def test_nonfinite_entries_are_gaps_with_their_value_on_hover():
    x, g = np.array([1.0, 2.0, 0.0]), np.array([1.0, np.nan, 0.0])  # a diverged iteration's NaN
    vectors = derivation_vectors("SoftMax", x, g)
    fig = derivation_strip("SoftMax", x, g)
    z = np.asarray(fig.data[2].z, dtype=float)[0]
    assert np.isnan(z[1]) and z[0] == 1.0 and fig.data[2].customdata[0][1] == "nan"
    assert fig.layout.coloraxis3.cmax == 1.0 and fig.layout.coloraxis4.cmax == 1.0  # grad_input: all NaN
    assert list(vectors) == [t.name for t in fig.data]


def test_figure_height_grows_with_the_strips_and_fits_a_narrow_window():
    four, five = derivation_strip("SoftMax", X, G), derivation_strip("LogSoftMax", X, G)
    assert 250 < four.layout.height < five.layout.height < 450
    assert four.layout.width is None  # it takes the page column's width (an 800-pixel window too)


def test_unknown_kind():
    with pytest.raises(ValueError, match="LogSoftMax or SoftMax"):
        derivation_vectors("ReLU", X, G)
