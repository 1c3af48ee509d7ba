"""The pages in Russian (?lang=ru): their own titles, labels, notices and errors, with Russian plural forms;
English unchanged."""
import pytest
from streamlit.testing.v1 import AppTest

from .apptest import APP, errors

TITLES = {"step": "Одна итерация шаг за шагом", "build": "Сборка сети", "jacobians": "Якобианы",
          "activations": "Активации", "train": "Обучение", "bug_hunt": "Поиск ошибок",
          "about": "Обратное распространение ошибки — своими глазами"}


def open_in(lang, page=None, timeout=120):
    """AppTest of app.py with ?lang=<lang>, switched to pages/<page>.py (None: the default page), run."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["lang"] = lang
    at.run()
    if page is not None:
        go(at, page, lang)
    assert not at.exception, at.exception
    return at


def speak(at, lang="ru"):
    """at, whose address asks for lang (?lang=) on its next run."""
    at.query_params["lang"] = lang
    return at


def go(at, page, lang="ru"):
    """Switch to pages/<page>.py, as the navigation does."""
    at.switch_page(f"pages/{page}.py")
    return speak(at, lang).run()


def test_every_page_has_its_russian_title_and_the_navigation_is_russian():
    at = open_in("ru")
    for page, title in TITLES.items():
        if page != "step":
            go(at, page)
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == [title], page


def test_step_page_speaks_russian_with_the_samples_plural():
    at = open_in("ru")
    assert at.button(key="step_next").label == "Далее ▶"
    assert at.button(key="step_prev").label == "◀ Назад"
    assert at.toggle(key="step_training").label == "Режим обучения"
    caption = at.caption[1].value  # the iteration's line, under the network's
    assert "8 примеров (размер батча 8)" in caption and "эпоха 1, итерация 1" in caption
    assert any("Нажимайте **Далее ▶**" in info.value for info in at.info)  # the first-open hint


@pytest.mark.parametrize("epochs, label", [(1, "Обучить 1 эпоху"), (3, "Обучить 3 эпохи"), (5, "Обучить 5 эпох"),
                                           (21, "Обучить 21 эпоху"), (12, "Обучить 12 эпох")])
def test_the_train_button_has_the_russian_plural_of_epochs(epochs, label):
    at = open_in("ru", "train")
    speak(at).number_input(key="train_epochs").set_value(epochs).run()
    assert at.button(key="train_start").label == label


def test_the_train_button_stays_english_without_a_language():
    at = open_in("en", "train")
    assert at.button(key="train_start").label == "Train 5 epochs"
    speak(at, "en").number_input(key="train_epochs").set_value(1).run()
    assert at.button(key="train_start").label == "Train 1 epoch"


def test_the_data_caption_counts_features_and_classes_in_russian():
    at = open_in("ru", "build")
    assert any("768 обучающих и 256 тестовых примеров, 2 признака, 2 класса" in c.value for c in at.caption)
    assert at.selectbox(key="optimizer").format_func("SGD") == "SGD с momentum"


def test_an_import_without_both_files_is_refused_beside_the_button_in_russian():
    at = open_in("ru", "build")
    speak(at).button(key="import").click().run()
    assert "выберите оба файла: .json и .npz" in errors(at)


def test_the_gradient_check_reports_in_russian():
    at = open_in("ru", "jacobians")
    speak(at).button(key="gradcheck_run").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Проверку прошли все тензоры: 3."]
    assert at.button(key="gradcheck_run").label == "Запустить проверку градиента"
