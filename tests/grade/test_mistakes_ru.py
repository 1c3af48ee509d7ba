"""The catalogue of mistakes in Russian: titles, teacher's sentences, the words in formulas and the student's code as
shown, each through engine.grade.catalogue's accessors in the current language; the English texts stay the ids."""
import re
from collections import Counter
from types import SimpleNamespace

import pytest

import i18n
from engine.grade.catalogue import (CATALOGUE, WRITTEN, as_right, as_shown, formula_of, sentence_of, title_of,
                                    translated)
from engine.grade.verdict import explain
from lab.hunt import bug_code
from tests.i18n.prose import english_words
from viz.mine_view import finding_text

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
MATH = "=+-*/^()[]_<>"
CODE_TITLES = {"grad_input = g - softmax(x)"}  # a line of code names it


def math_of(formula):
    """The formula's operators and brackets (a hyphen inside a word, as in log-probabilities, is not one)."""
    return Counter(c for c in re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "", formula) if c in MATH)


def find(module, key):
    return next(m for m in CATALOGUE if (m.module, m.key) == (module, key))


@pytest.mark.parametrize("mistake", CATALOGUE, ids=lambda m: f"{m.module}.{m.key}")
def test_every_mistake_is_told_in_russian_and_keeps_its_english_text_as_its_id(mistake):
    english = (title_of(mistake), sentence_of(mistake), formula_of(mistake), bug_code(mistake))
    assert english[:3] == (mistake.title, mistake.sentence, mistake.formula)
    with i18n.use("ru"):
        title, sentence, formula, code = title_of(mistake), sentence_of(mistake), formula_of(mistake), bug_code(mistake)
    assert CYRILLIC.search(sentence) and (CYRILLIC.search(title) or title == mistake.title in CODE_TITLES)
    assert code == english[3]  # the teacher's link (&bug=) is the same in both languages
    assert math_of(formula) == math_of(mistake.formula)
    assert (title_of(mistake), sentence_of(mistake)) == (mistake.title, mistake.sentence)  # back in English


def test_the_words_of_a_formula_are_translated_and_its_math_kept():
    adam, relu = find("Adam", "t_per_variable"), find("ReLU", "passes_all")
    with i18n.use("ru"):
        assert formula_of(adam) == "t += 1 один раз за шаг;  m_hat = m / (1 - beta1^t)"
        assert formula_of(relu) == relu.formula == "dL/dx = g * [x > 0]"


def test_the_students_code_marks_its_mistake_and_its_comments_in_russian():
    source = WRITTEN["Linear", "bias_mean"]
    with i18n.use("ru"):
        shown = as_shown(source)
        pool = as_shown(WRITTEN["MaxPool2d", "spread"])
        adam = as_shown(WRITTEN["Adam", "t_per_variable"])
    assert "self.gradb[...] = grad_output.mean(axis=0)  # <- ошибка" in shown
    assert "    # верно: self.gradb[...] = grad_output.sum(axis=0)" in shown
    assert "# каждое окно в порядке по строкам" in pool and "row-major" not in pool
    assert "# верно: этой строки нет" in adam
    assert "# <- the mistake" in as_shown(source) and "# right: self.gradb" in as_shown(source)
    with i18n.use("ru"):
        assert as_right(source) == as_right(WRITTEN["Linear", "bias_mean"])  # the arithmetic is the same code


def test_the_graders_and_the_step_pages_diagnoses_say_the_mistake_in_russian():
    mistake = find("Linear", "bias_mean")
    finding = SimpleNamespace(difference=SimpleNamespace(text="differs", max_abs=0.0, hint=""),
                              misconception=mistake, key="backward.0.grad.b")
    with i18n.use("ru"):
        said, shown = explain(mistake), finding_text(finding, "backward", "backward")
    for text in (said, shown):
        assert "градиент по смещению усреднён по батчу" in text and "суммируйте по батчу, а не усредняйте" in text
        assert mistake.title not in text and mistake.sentence not in text


def test_a_title_given_as_its_english_id_is_shown_in_the_current_language():
    mistake = find("Dropout", "drops_in_evaluate")
    with i18n.use("ru"):
        assert translated(mistake.title) == "нейроны выключаются и в режиме оценки"
        assert translated("(not sure)") == "(not sure)"  # not the catalogue's: left as given


def test_no_russian_title_or_sentence_reads_as_english_prose():
    """Names of code in them are in backticks or are identifiers (tests/i18n/prose.py), as the page needs."""
    with i18n.use("ru"):
        shown = {text for m in CATALOGUE for text in (title_of(m), sentence_of(m))}
    assert not {text: english_words(text) for text in shown if english_words(text)}
