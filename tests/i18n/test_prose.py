"""The English-prose scanner the Russian pages are checked with: it finds English sentences and words, and lets
code, formulas, identifiers, names and numbers through."""
from tests.i18n.prose import code_texts, english_words, figure_texts


def test_english_sentences_and_single_words_are_found():
    assert english_words("Press **Next ▶** (or the → key)") == ["Press", "Next", "or", "the", "key"]
    assert english_words("Нажмите Next") == ["Next"]
    assert english_words("батч: samples") == ["samples"]
    assert english_words("слой 0: the bias left out (easy)") == ["the", "bias", "left", "out", "easy"]


def test_code_formulas_identifiers_and_names_pass():
    for text in ["Ваша сеть: `Linear(2 -> 2)` → `LogSoftMax` · NLLCriterion · SGD lr 0.01, momentum 0.9 · blobs",
                 "Шаг $y = xW$ и grad_output, np.sum(x), layer.W, $$\\frac{a}{b}$$", "a = e^b: вероятности",
                 "LeakyReLU(slope=0.03)", "откройте ?lang=ru или mine.npz", ":orange-badge[**▶ forward 0**]",
                 "MSE, NLL, CNN, x, W, b", "<b>строка</b> %{y}", "с one-hot grad_output e"]:
        assert english_words(text) == [], text


def test_figures_and_code_give_their_prose():
    spec = {"layout": {"title": {"text": "Loss per epoch"}, "xaxis": {"title": {"text": "epoch"}},
                       "annotations": [{"text": "here"}]},
            "data": [{"name": "train", "hovertemplate": "epoch %{x}<extra></extra>", "text": [1, 2]}]}
    assert figure_texts(spec) == ["Loss per epoch", "epoch", "here", "train", "epoch %{x}<extra></extra>"]
    assert code_texts("x = 1  # the input\nprint('all good')\nprint(f\"ok {x}\")") == ["the input", "all good", "ok {x}"]
