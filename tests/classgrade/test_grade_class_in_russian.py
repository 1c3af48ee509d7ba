"""grade-class --lang ru and grade --format in Russian: the reports, the rubric's tests and the JUnit texts in
Russian, the gradebook's columns, statuses and every key and id as in English."""
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from junitparser import JUnitXml

import i18n
from classgrade.batch import main, summary
from classgrade.submission import Graded
from engine.grade.report import Report
from engine.grade.verdict import Result
from tests.grade.homeworks import HOMEWORK, NEWER
from tests.grade.test_grader_in_russian import without_the_mistakes_catalogue
from tests.i18n.prose import english_words

ROOT = Path(__file__).resolve().parents[2]
GOOD = HOMEWORK.read_text() + "\n\n" + NEWER.read_text()
BUGGY = GOOD.replace("self.gradb[...] = grad_output.sum(axis=0)", "self.gradb[...] = grad_output.mean(axis=0)")


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """{lang: OUT} of the same two submissions graded in English and in Russian, and the Russian run's stderr."""
    tmp = tmp_path_factory.mktemp("class")
    (tmp / "subs").mkdir()
    (tmp / "subs" / "correct.py").write_text(GOOD)
    (tmp / "subs" / "buggy.py").write_text(BUGGY)
    found, logs = {}, {}
    for lang in ("en", "ru"):
        log = io.StringIO()
        sys_stderr, sys.stderr = sys.stderr, log
        try:
            assert main([str(tmp / "subs"), "--out", str(tmp / lang), "--jobs", "2", "--timeout", "60",
                         "--sandbox", "none", "--lang", lang]) == 0
        finally:
            sys.stderr = sys_stderr
        found[lang], logs[lang] = tmp / lang, log.getvalue()
    return found, logs


def test_grade_class_lang_ru_writes_the_students_report_in_russian(batches):
    report = (batches[0]["ru"] / "buggy" / "report.md").read_text(encoding="utf-8")
    assert "НЕ ПРОЙДЕНО Linear: градиент по b\n" in report and "диагноз: ваши числа совпадают" in report
    assert "\n3 проверки не пройдены, 0 модулей отсутствуют, 115 проверок пройдено\n" in report
    assert [line for line in without_the_mistakes_catalogue(report).splitlines() if english_words(line)] == []
    assert report.rstrip().endswith("песочница: нет (недоступно: файловая система только для чтения вне рабочей "
                                    "папки; отключение сети; своё пространство PID (каждый порождённый процесс "
                                    "завершается вместе с работой))")


def test_grade_class_lang_ru_prints_its_summary_in_russian(batches):
    log = batches[1]["ru"]
    assert "проверены 2 работы за " in log and "(песочница: нет)" in log and "0 работ завершились ошибкой" in log
    assert "баллы: в среднем " in log and "самые долгие: " in log and "записаны " in log
    assert "graded" not in log and "slowest" not in log


def test_the_gradebook_keeps_its_english_columns_statuses_and_ids(batches):
    en, ru = (pd.read_csv(batches[0][lang] / "gradebook.csv").set_index("id") for lang in ("en", "ru"))
    assert list(en.columns) == list(ru.columns)
    ids = [column for column in en.columns if column not in ("seconds", "first_failure")]
    assert en[ids].astype(str).equals(ru[ids].astype(str))
    assert ru.loc["buggy", "Linear"] == "fail" and ru.loc["correct", "Linear"] == "pass"


def test_gradescope_results_keep_their_keys_and_ids_with_russian_text(batches):
    en, ru = (json.loads((batches[0][lang] / "buggy" / "results.json").read_text(encoding="utf-8"))
              for lang in ("en", "ru"))
    assert set(en) == set(ru) == {"score", "output", "tests"} and en["score"] == ru["score"]
    assert [set(test) for test in en["tests"]] == [set(test) for test in ru["tests"]]
    for key in ("number", "score", "max_score", "status", "output_format", "visibility"):
        assert [test[key] for test in en["tests"]] == [test[key] for test in ru["tests"]], key
    tests = {test["name"]: test for test in ru["tests"]}
    assert tests["Linear"]["status"] == "failed"
    assert tests["Linear"]["output"].startswith("не пройдено: НЕ ПРОЙДЕНО Linear: градиент по b\n    подробности: "
                                                "градиент по b: отличается в элементе [0]")
    assert tests["ReLU"]["output"].startswith("пройдено: пройдено ") and "проверок из" in tests["ReLU"]["output"]
    assert "Conv2d (дополнительно)" in tests and "обучение (дополнительно)" in tests
    shown = without_the_mistakes_catalogue("\n".join([ru["output"]] + [t["name"] + "\n" + t["output"] for t in ru["tests"]]))
    assert [line for line in shown.splitlines() if english_words(line)] == []
    assert ru["output"].startswith("3 проверки не пройдены, ") and "песочница: нет (недоступно: " in ru["output"]


def test_junit_keeps_its_names_and_ids_with_russian_failure_text(batches):
    def cases(lang):
        return [(case.classname, case.name) for suite in JUnitXml.fromfile(str(batches[0][lang] / "junit.xml"))
                for case in suite]
    assert cases("en") == cases("ru") and ("buggy.Linear", "grad b") in cases("ru")
    root = ET.parse(batches[0]["ru"] / "junit.xml").getroot()
    failure = root.find(".//testcase[@classname='buggy.Linear'][@name='grad b']/failure")
    assert failure.get("message").startswith("градиент по b: отличается в элементе [0]")
    assert failure.text.startswith("НЕ ПРОЙДЕНО Linear: градиент по b\n    подробности: ")


def test_a_module_whose_run_died_is_an_error_whatever_the_language_of_its_detail():
    died = Result("ReLU", "the module runs", "fail", ended="died",
                  detail="программа убита сигналом SIGSEGV; шло: ReLU forward. Причина: os._exit, сбой или "
                         "ограничение памяти")
    raised = Result("ELU", "the module runs", "fail", detail="выброшено исключение ValueError: нет")
    modules = Graded("ann", Report("snake", [died, raised])).modules()
    assert modules["ReLU"][0] == "error" and modules["ELU"][0] == "fail"


@pytest.mark.parametrize("n, graded, errors", [(1, "проверена 1 работа", "1 работа завершилась ошибкой"),
                                               (3, "проверены 3 работы", "3 работы завершились ошибкой"),
                                               (5, "проверено 5 работ", "5 работ завершились ошибкой")])
def test_the_class_summary_counts_in_russian_plural_forms(tmp_path, n, graded, errors):
    students = [Graded(f"s{i}", error="не завершилась за 1 с", elapsed=1.0) for i in range(n)]
    table = pd.DataFrame({"score": [0.0] * n, "max_score": [16.0] * n})
    log = io.StringIO()
    with i18n.use("ru"):
        summary(students, table, pd.DataFrame(), 2.0, tmp_path, log)
    lines = log.getvalue().splitlines()
    assert lines[0] == f"{graded} за 2.0 с (песочница: нет)"
    assert lines[1] == "баллы: в среднем 0.00 из 16, 0 работ с полным баллом"
    assert lines[2].startswith(f"{errors}: s0")
    assert lines[-2] == "у 0 пар работ общий код выше порога (similarity.csv)"


def test_grade_format_gradescope_lang_ru_prints_russian_text_under_english_keys(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text(BUGGY)
    done = subprocess.run([sys.executable, "-c", "import sys; from ui.cli import main; sys.exit(main())", "grade",
                           str(path), "--format", "gradescope", "--lang", "ru"], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT)
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    assert set(found) == {"score", "output", "tests"}
    assert found["output"].startswith("3 проверки не пройдены, 0 модулей отсутствуют, 115 проверок пройдено\n")
    assert found["output"].endswith("песочница: нет (недоступно: изоляция (запущено как собственная проверка "
                                    "студента))")
    linear = next(test for test in found["tests"] if test["name"] == "Linear")
    assert linear["status"] == "failed" and "НЕ ПРОЙДЕНО Linear: градиент по b" in linear["output"]
