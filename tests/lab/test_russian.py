"""The lab in Russian (issue 20): Predict-first questions and hints, advice with plural forms, the Bug hunt's
places, presets, messages beside widgets and the check code's comments and verdicts; English stays as it was."""
import re

import numpy as np
import pytest

import i18n
from engine import SGD, Linear, LogSoftMax, NLLCriterion, Sequential
from lab import advice as advice_module
from lab.exercise import check_code, iteration_npz
from lab.hunt import CRITERION, Hunt
from lab.layers import KINDS
from lab.network import LEARNING_RATE, NetworkConfig, check_config
from lab.predict import Question, hint, is_right, questions
from lab.presets import PRESETS
from lab.quoting import listed
from lab.session import Lab
from lab.training_worker import TrainJob, run

from tests.lab.test_exercise import lab_at, run_check

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def test_every_predict_first_question_speaks_russian_and_its_answer_is_among_its_russian_options():
    lab = Lab()
    with i18n.use("ru"):
        asked = [q for stage in lab.trace.stages for q in questions(lab.trace, stage)]
    assert asked and all(CYRILLIC.search(q.text) for q in asked)
    signs = [q for q in asked if q.kind == "sign"]
    assert signs and all(set(q.options) == {"положительное", "отрицательное", "ноль"} for q in signs)
    assert all(q.answer in q.options and is_right(q, q.answer) for q in signs)
    directions = [q for q in asked if q.kind == "direction"]
    assert directions and all(q.answer in ("увеличится", "уменьшится", "не изменится") for q in directions)
    shapes = next(q for q in asked if q.kind == "shape")
    assert shapes.text == "Какую форму имеет **выход y слоя 0 (Linear(2 -> 2))**?"


def test_english_questions_are_unchanged():
    lab = Lab()
    stage = lab.trace.stages[0]
    with i18n.use("en"):
        asked = questions(lab.trace, stage)
    assert asked[0].text == "What is the shape of **layer 0's output y (Linear(2 -> 2))**?"
    assert asked[1].text.startswith("What is **y[") and "(to within ±" in asked[1].text


def test_the_hints_say_what_went_wrong_in_russian():
    asked = Question("value", "forward 0", "", "number", 0.5, tol=1e-3)
    with i18n.use("ru"):
        assert hint(asked, -0.5) == "верная величина, но с неверным знаком"
        assert hint(asked, 4.0, n=8) == "в N = 8 раз больше верного значения: потерялся размер батча"
        assert hint(asked, 1.0) == "вдвое больше верного значения: потерялся множитель 2"
    assert hint(asked, -0.5) == "the right magnitude with the wrong sign"


@pytest.mark.parametrize("classes, wanted", [(1, "1 выход."), (3, "3 выхода."), (5, "5 выходов."),
                                             (21, "21 выход.")])
def test_the_advice_on_the_last_linear_has_russian_plural_forms(classes, wanted):
    config = NetworkConfig()  # Linear(2, 2) and LogSoftMax: the data asks for another number of classes
    with i18n.use("ru"):
        tips = advice_module.advice(config, 2, classes)
    tip = next(t for t in tips if "последнего Linear" in t.suggestion)
    assert tip.suggestion == f"Сделайте у последнего Linear {wanted}"
    assert tip.reason == f"Сеть заканчивается 2 выходами, а в данных {classes} " + \
        {1: "класс.", 3: "класса.", 5: "классов.", 21: "класс."}[classes]


def test_english_advice_is_unchanged():
    tip = next(t for t in advice_module.advice(NetworkConfig(), 2, 3) if t.blocking)
    assert str(tip) == ("Make the last Linear output 3 units. "
                        "The network ends with 2 outputs but the data has 3 classes.")


def test_the_bug_hunt_names_its_places_in_russian():
    with i18n.use("ru"):
        assert Hunt(3, None, None, None, "easy").where_text == "слой 3"
        assert Hunt(CRITERION, None, None, None, "easy").where_text == "критерий"
    assert Hunt(3, None, None, None, "easy").where_text == "layer 3"


def test_presets_layers_and_settings_are_described_in_russian():
    with i18n.use("ru"):
        assert PRESETS["handout"].title == "Пример из задания"
        assert all(CYRILLIC.search(p.teaches) for p in PRESETS.values())
        assert KINDS["ReLU"].about == "max(0, x): нулевой градиент при отрицательных входах."
        assert LEARNING_RATE.field(title=True) == "Шаг обучения, от 1e-06 до 100"
        assert listed("abcdefg") == "a, b, c, d, e и ещё 2"
    assert PRESETS["handout"].title == "The handout's example"
    assert LEARNING_RATE.field(title=True) == "Learning rate, 1e-06 to 100"


def test_a_message_beside_a_widget_is_russian_and_names_the_layer():
    bad = NetworkConfig(layers=({"kind": "Linear", "n_out": 0},))
    with i18n.use("ru"), pytest.raises(ValueError) as caught:
        check_config(bad)
    assert str(caught.value) == "слой 0 (Linear): число выходов: нужно целое число в [1, 1024], получено 0"
    english = r"^layer 0 \(Linear\): output size must be an integer in \[1, 1024\], got 0$"
    with pytest.raises(ValueError, match=english):
        check_config(bad)


def test_the_check_code_comments_and_verdicts_are_russian_and_it_runs(tmp_path):
    lab = lab_at("circles")
    with i18n.use("ru"):
        code = check_code(lab.config, lab.inputs)
    english = check_code(lab.config, lab.inputs)
    comments = [line.split("# ", 1)[1] for line in code.splitlines() if "# " in line]
    assert comments and all(CYRILLIC.search(c) for c in comments), [c for c in comments if not CYRILLIC.search(c)]
    assert "# слой 0: Linear(2, 100)" in code and "# layer 0: Linear(2, 100)" in english
    assert code.replace("\n", "") != english.replace("\n", "")
    printed = run_check(code, iteration_npz(lab.trace, lab.model), tmp_path)
    assert "верно  слой 0, forward" in printed and "верно  функция потерь" in printed
    assert any(line.startswith("верно  слой 2, W после шага") for line in printed)
    assert not any(line.startswith("ok") for line in printed)
    code_lines = [line.split("#")[0] for line in code.splitlines()]
    english_lines = [line.split("#")[0] for line in english.splitlines()]
    assert len(code_lines) == len(english_lines)  # the same program: only comments and texts differ
    assert sum(a != b for a, b in zip(code_lines, english_lines)) < len(code_lines) // 2
    assert np.all([("check(" in a) == ("check(" in b) for a, b in zip(code_lines, english_lines)])


def test_a_training_run_carries_the_learners_language_into_the_training_process():
    lab = Lab()
    with i18n.use("ru"):
        job = lab._job(lab.model, lab.optimizer, 1, seed=0)
    assert job.language == "ru"
    broken = TrainJob(Sequential(Linear(2, 2), LogSoftMax()), SGD(), NLLCriterion(), np.zeros((4, 2)),
                      np.zeros(3, dtype=int), None, None, 1, 2, 0, "ru")  # 4 inputs, 3 targets
    with pytest.raises(ValueError, match="^fit: обучающая выборка: в X примеров 4, а в y — 3"):
        run(broken)  # in the training process no session says the language: the job does
