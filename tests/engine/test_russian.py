"""The engine's errors in Russian (issue 20): the layer, its index and the shapes stay as they are, the words are
translated, plurals agree; English stays byte for byte what tests/engine/test_errors.py asserts."""
import io

import numpy as np
import pytest

import i18n
from engine import SGD, Conv2d, Linear, NLLCriterion, ReLU, Sequential
from engine.__main__ import main
from engine.csvdata import read_csv


def message(call, lang):
    with i18n.use(lang), pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize("n_in, words", [(1, "ожидался 1 входной признак"), (3, "ожидалось 3 входных признака"),
                                         (5, "ожидалось 5 входных признаков"), (21, "ожидался 21 входной признак")])
def test_a_sequential_names_the_layer_and_the_shapes_in_russian_with_plural_forms(n_in, words):
    model = Sequential(Linear(n_in, 2), ReLU())
    x = np.zeros((4, n_in + 1))
    assert message(lambda: model.forward(x), "ru") == \
        f"слой 0 (Linear({n_in} -> 2)): {words}, получено {n_in + 1} (форма входа (4, {n_in + 1}))"
    assert message(lambda: model.forward(x), "en") == \
        f"layer 0 (Linear({n_in} -> 2)): expected {n_in} input feature{'s' * (n_in != 1)}, got {n_in + 1} " \
        f"(input shape (4, {n_in + 1}))"


def test_constructor_and_criterion_errors_keep_identifiers_and_values():
    assert message(lambda: Linear(0, 2), "ru") == "Linear: n_in должно быть целым положительным числом, получено 0"
    assert message(lambda: SGD(momentum=1.5), "ru") == "SGD: momentum должно лежать в [0, 1), получено 1.5"
    assert message(lambda: Conv2d(1, 2, 2), "ru").startswith("Conv2d: kernel_size должен быть нечётным")
    criterion = NLLCriterion()
    labels = np.array([0, 3])
    assert message(lambda: criterion.forward(np.zeros((2, 3)), labels), "ru") == \
        "NLLCriterion: при форме входа (2, 3) метки должны лежать в [0, 3), получены значения от 0 до 3"


def test_a_csv_error_beside_the_upload_names_row_line_and_column_in_russian():
    bad = io.BytesIO(b"label,p0\n1,0.5\n0,abc\n")
    assert message(lambda: read_csv(bad), "ru") == \
        "load_csv: строка данных 2 (строка файла 3), столбец 2 ('p0'): нечисловая ячейка 'abc'"
    bad.seek(0)
    assert message(lambda: read_csv(bad), "en") == "load_csv: row 2 (line 3), column 2 ('p0'): non-numeric cell 'abc'"


@pytest.mark.parametrize("epochs, words", [(1, "после 1 эпохи:"), (2, "после 2 эпох:")])
def test_the_terminal_demo_speaks_russian(capsys, epochs, words):
    with i18n.use("ru"):
        main(epochs=epochs)
    out = capsys.readouterr().out
    assert words in out and "Ещё одна итерация на батче из 8 примеров, этап за этапом:" in out
    assert "Linear(2 -> 2): вход 8x2 -> выход 8x2" in out and "Проверка градиента более глубокой сети:" in out
