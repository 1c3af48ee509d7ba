"""The grader in Russian: `grade --lang ru`, LANG=ru_RU.UTF-8 and grade(globals(), lang="ru") give every check name,
detail, diagnosis and summary line in Russian; --json keeps its English keys and ids in both languages."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import i18n
from engine.grade import grade
from engine.grade.report import Report
from engine.grade.verdict import Result
from engine.grade.words import check_name, label_text, status_label
from engine.grade.catalogue import CATALOGUE
from tests.grade.homeworks import HOMEWORK
from tests.i18n.prose import english_words

ROOT = Path(__file__).resolve().parents[2]
BIAS_MEAN = ("self.gradb[...] = grad_output.sum(axis=0)", "self.gradb[...] = grad_output.mean(axis=0)")  # one bug
SUMMARY = "3 проверки не пройдены, 3 модуля отсутствуют, 96 проверок пройдено"


def without_the_mistakes_catalogue(text):
    """text without the catalogue's titles and sentences in English (the mistakes' catalogue translates them)."""
    for mistake in CATALOGUE:
        text = text.replace(mistake.title, "").replace(mistake.sentence, "")
    return text


def buggy_source():
    source = HOMEWORK.read_text()
    assert BIAS_MEAN[0] in source
    return source.replace(*BIAS_MEAN)


@pytest.fixture(scope="module")
def homework(tmp_path_factory):
    path = tmp_path_factory.mktemp("hw") / "homework.py"
    path.write_text(buggy_source())
    return path


def shell(*args, **env):
    """`python -m backprop_lens grade ...` from the project's root, with the shell's language set by env."""
    environ = {key: value for key, value in os.environ.items() if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    environ.update({"LANG": "C.UTF-8", **env})
    return subprocess.run([sys.executable, "-m", "backprop_lens", "grade", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, env=environ)


def namespace():
    found = {}
    exec(compile(buggy_source(), "homework.py", "exec"), found)
    return found


def test_grade_lang_ru_prints_the_checks_their_diagnosis_and_the_summary_in_russian(homework):
    done = shell(homework, "--lang", "ru")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert out.startswith("соглашение: методы из задания (update_output")
    assert "НЕ ПРОЙДЕНО Linear: градиент по b\n" in out
    assert "НЕ ПРОЙДЕНО Linear: градиенты перезаписываются, а не накапливаются\n" in out  # a check's name
    assert "испытание: Linear(5, 3), вход (7, 5) float64" in out  # the child process wrote these in Russian
    assert "подробности: градиент по b: отличается в элементе [0]: -0.072135619, ожидалось -0.50494933" in out
    assert "диагноз: ваши числа совпадают с тем, что даёт ошибка «" in out and "Верно: dL/db = sum_n g_n" in out
    assert "НЕ ПРОЙДЕНО обучение: сеть из задания обучается так же, как эталонная" in out
    assert "диагноз: ожидаемо, пока не проходит Linear: сначала исправьте его" in out
    assert "ОТСУТСТВУЕТ Conv2d: модуль определён" in out
    assert f"\n{SUMMARY}\nпроверено за " in out
    for english in ("FAIL", "failed", "passed", "missing", "diagnosis:", "detail:", "differs at", "expected"):
        assert english not in out, english
    assert [(line, english_words(line)) for line in without_the_mistakes_catalogue(out).splitlines()
            if english_words(line)] == []


@pytest.mark.parametrize("lang, summary", [("ru_RU.UTF-8", SUMMARY), ("C.UTF-8", "3 failed, 3 missing, 96 passed"),
                                           ("en_US.UTF-8", "3 failed, 3 missing, 96 passed")],
                         ids=["ru_RU", "C", "en_US"])
def test_the_shells_lang_chooses_the_language_and_lang_overrides_it(homework, lang, summary):
    done = shell(homework, LANG=lang)
    assert done.returncode == 1 and f"\n{summary}\n" in done.stdout, done.stdout[-500:]
    if lang.startswith("ru"):
        overridden = shell(homework, "--lang", "en", LANG=lang)
        assert "\n3 failed, 3 missing, 96 passed\n" in overridden.stdout


def test_json_keeps_its_english_keys_and_ids_with_the_human_text_in_russian(homework):
    found = {lang: json.loads(shell(homework, "--json", "--lang", lang).stdout) for lang in ("en", "ru")}
    en, ru = found["en"], found["ru"]
    assert set(en) == set(ru) and en["counts"] == ru["counts"] == {"fail": 3, "missing": 3, "warn": 0, "pass": 96}
    assert [set(r) for r in en["results"]] == [set(r) for r in ru["results"]]
    ids = ("module", "check", "status", "misconception", "index", "mine", "expected", "ended")
    assert [[r[key] for key in ids] for r in en["results"]] == [[r[key] for key in ids] for r in ru["results"]]
    failed = {r["check"]: r for r in ru["results"] if r["status"] == "fail"}
    assert failed["gradients overwritten, not accumulated"]["check_text"] == "градиенты перезаписываются, а не накапливаются"
    assert failed["grad b"]["detail"].startswith("градиент по b: отличается в элементе [0]")
    assert failed["grad b"]["check_text"] == "градиент по b"
    assert failed["grad b"]["diagnosis"].startswith("ваши числа совпадают") and failed["grad b"]["misconception"]
    assert ru["convention"].startswith("методы из задания") and en["convention"].startswith("the handout's methods")
    english = next(r for r in en["results"] if r["check"] == "grad b")
    assert english["check_text"] == "grad b" and english["detail"].startswith("grad b differs at [0]")


def test_a_notebooks_grade_with_lang_ru_keeps_russian_in_its_display_and_sets_no_global_language():
    report = grade(namespace(), lang="ru")
    assert i18n.current() == "en"  # nothing installed globally: the next call speaks English
    assert report.summary() == SUMMARY and SUMMARY in report._repr_html_()
    assert "<th>модуль</th><th>проверка</th><th>статус</th>" in report._repr_html_()
    assert "НЕ ПРОЙДЕНО Linear: градиент по b" in repr(report)
    assert grade(namespace()).summary() == "3 failed, 3 missing, 96 passed"
    with i18n.use("ru"):  # a caller already speaking Russian (the default lang follows it)
        assert grade(namespace()).summary() == SUMMARY


@pytest.mark.parametrize("n, failed, passed", [
    (1, "1 проверка не пройдена", "1 проверка пройдена"), (2, "2 проверки не пройдены", "2 проверки пройдены"),
    (5, "5 проверок не пройдено", "5 проверок пройдено"), (11, "11 проверок не пройдено", "11 проверок пройдено"),
    (21, "21 проверка не пройдена", "21 проверка пройдена"), (22, "22 проверки не пройдены", "22 проверки пройдены")],
    ids=lambda value: str(value) if isinstance(value, int) else "")
def test_the_summary_counts_in_russian_plural_forms(n, failed, passed):
    results = [Result("ReLU", "forward", "fail")] * n + [Result("ReLU", "grad_input", "pass")] * n + \
        [Result("Conv2d", "the module is defined", "missing")] * n + [Result("ELU", "stable forward", "warn")] * n
    report = Report("snake", results, stopped="stopped by Ctrl-C", not_graded=["ELU"] * n, lang="ru")
    missing = {1: "1 модуль отсутствует", 2: "2 модуля отсутствуют", 21: "21 модуль отсутствует",
               22: "22 модуля отсутствуют"}.get(n, f"{n} модулей отсутствуют")
    warned = {1: "1 предупреждение", 2: "2 предупреждения", 21: "21 предупреждение", 22: "22 предупреждения"}.get(
        n, f"{n} предупреждений")
    not_graded = {1: "1 модуль не проверен", 2: "2 модуля не проверены", 21: "21 модуль не проверен",
                  22: "22 модуля не проверены"}.get(n, f"{n} модулей не проверено")
    assert report.summary() == f"{failed}, {missing}, {passed}, {warned}, {not_graded}"
    assert Report("snake", results, lang="en").summary() == f"{n} failed, {n} missing, {n} passed, {n} warned"


def test_the_words_of_ids_follow_the_language_and_keep_code_as_it_is():
    with i18n.use("ru"):
        assert check_name("cell 4 (In [3]) runs") == "ячейка 4 (In [3]) выполняется без ошибок"
        assert label_text("importing homework.py") == "импорт homework.py" and label_text("ReLU forward") == "ReLU forward"
        assert check_name("grad W") == "градиент по W" and status_label("warn") == "ВНИМАНИЕ"
    assert check_name("cell 4 (In [3]) runs") == "cell 4 (In [3]) runs" and status_label("warn") == "WARN"
    assert check_name("grad W") == "grad W"


def test_a_notebook_cell_that_raises_is_reported_in_russian_with_its_english_id(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "raise RuntimeError('boom')",
                                           "metadata": {}, "outputs": [], "execution_count": 3}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    report = grade(str(path), modules=["ReLU"], lang="ru")
    assert [(r.module, r.check) for r in report.failures] == [("notebook", "cell 1 (In [3]) runs")]
    assert report.failures[0].detail.startswith("выброшено исключение RuntimeError: boom (")
    assert "НЕ ПРОЙДЕНО ноутбук: ячейка 1 (In [3]) выполняется без ошибок" in report.text()
    assert re.search(r"подробности: выброшено исключение RuntimeError: boom \(.*строка 1", report.text())


def test_the_command_lines_help_is_in_russian_with_lang_ru(capsys):
    from engine.grade.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help", "--lang", "ru"])
    shown = capsys.readouterr().out
    assert shown.startswith("использование: python -m engine.grade [-h]") and "позиционные аргументы:" in shown
    assert "--lang {en,ru}        язык отчёта: en или ru" in shown and "show this help" not in shown
