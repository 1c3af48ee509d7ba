"""Issue 20 for viz: every chart, stage title, summary, by-hand working, derivation and table header speaks the
session's language; in Russian none of them holds English prose (tests/i18n/prose.py), formulas and numbers
stay as they are, and English is unchanged after a Russian call (nothing is installed globally)."""
import re

import numpy as np
import pytest

from engine import (SGD, BatchNormalization, Dropout, ELU, LeakyReLU, Linear, LogSoftMax, NLLCriterion, ReLU,
                    Scaling, Sequential, SoftPlus)
from engine.conv import Conv2d
from engine.data import load
from engine.sequential import layers_of
from engine.trace import Stage, trace_iteration
from engine.training import History
from i18n import use
from tests.i18n.prose import english_words, figure_texts
from tests.viz.cnn import cnn_trace
from viz.activations import activation_curves, preactivation_histogram
from viz.by_hand import by_hand
from viz.channel_view import Position, channel_panels
from viz.data_view import batch_images_figure, prediction_rows, prediction_table
from viz.derivation import jacobian_definition, log_softmax_derivation, softmax_derivation, vjp_formula
from viz.derivation_strip import derivation_strip
from viz.fade import LEVELS, faded, level_name
from viz.gradcheck_view import column_labels, gradcheck_table
from viz.grid import Tile, grid
from viz.heatmap import heatmap
from viz.image_structure import structure_note
from viz.jacobian_view import check_sample_view, layer_sample_jacobians, sample_vjp_check
from viz.latex_sums import terms
from viz.stage_strip import short_label, stage_name, stage_strip
from viz.stage_view import stage_label, stage_panels, stage_summary
from viz.summary import SUMMARY_COLUMNS, summary_table, summary_widths
from viz.training import comparison_table, history_figures, history_table, live_loss_figure

TEXT = re.compile(r"\\text\{((?:[^{}]|\{[^{}]*\})*)\}")


def words_in_latex(latex):
    """The English words of the prose inside a formula's \\text{...}."""
    return [word for part in TEXT.findall(latex) for word in english_words(part.replace(r"\_", "_"))]


def english_in_figure(figure):
    return [word for text in figure_texts(figure.to_plotly_json()) for word in english_words(text)]


@pytest.fixture(scope="module")
def traced():
    rng, data = np.random.default_rng(2), load("spiral")
    model = Sequential(Linear(2, 6, rng=rng), BatchNormalization(0.9), LeakyReLU(0.1), Scaling(6, rng=rng),
                       Dropout(0.3, rng=rng), ELU(0.7), Linear(6, 5, rng=rng), SoftPlus(), Linear(5, 3, rng=rng),
                       ReLU(), Linear(3, 3, rng=rng), LogSoftMax())
    optimizer = SGD(0.05, 0.9)
    x, y = data.X_train[:8], data.y_train[:8]
    traces = [trace_iteration(model, NLLCriterion(), optimizer, x, y) for _ in range(2)]
    return model, traces[-1]


def test_every_stage_title_summary_and_panel_in_russian_has_no_english_words(traced):
    model, trace = traced
    layers = layers_of(model)
    found = []
    with use("ru"):
        for stage in trace.stages:
            found += [(str(stage), w) for w in english_words(stage_label(trace, stage))]
            found += [(str(stage), w) for w in english_words(stage_summary(trace, stage))]
            for hidden in (False, True):
                for panel in stage_panels(trace, stage, layers, hide_results=hidden):
                    for text in (panel.title, panel.caption or ""):
                        found += [(str(stage), w) for w in english_words(text)]
                    found += [(str(stage), w) for w in words_in_latex(panel.latex or "")]
                    if panel.figure is not None:
                        found += [(str(stage), w) for w in english_in_figure(panel.figure)]
        titles = [stage_label(trace, stage) for stage in trace.stages[:2]]
    assert not found, found
    assert titles[0].startswith("Прямой проход · слой 0 · Linear")
    assert stage_label(trace, trace.stages[0]).startswith("Forward · layer 0 · Linear")  # English again after


def test_the_stage_strip_names_stages_in_russian_and_keeps_their_code_names(traced):
    _, trace = traced
    with use("ru"):
        strip, name = stage_strip(trace.stages, 0), stage_name(Stage("backward", 2))
        code = short_label(Stage("backward", 2))
    assert "прямой 0" in strip and "лосс" in strip and name == "обратный 2"
    assert code == "backward 2"  # what lab.jump_to reads, in every language
    assert stage_name(Stage("backward", 2)) == "backward 2"


def test_every_by_hand_working_at_every_faded_level_in_russian(traced):
    """The sentences around the formulas are Russian; the formulas and the numbers are the English ones."""
    model, trace = traced
    layers, found, shown = layers_of(model), [], 0
    for stage in trace.stages:
        in_english = by_hand(trace, stage, layers)
        with use("ru"):
            russian = by_hand(trace, stage, layers)
            levels = [level_name(level) for level in LEVELS]
            for worked in russian:
                found += [(str(stage), worked.what, w) for w in english_words(worked.what)]
                for level in LEVELS:
                    found += [(str(stage), level, w) for w in words_in_latex(faded(worked.latex, level))]
        for en, ru in zip(in_english, russian):
            assert (en.computed, en.engine, en.tensor, en.index) == (ru.computed, ru.engine, ru.tensor, ru.index)
            assert TEXT.sub("", en.latex) == TEXT.sub("", ru.latex)  # only the words differ
            shown += 1
    assert not found, found
    assert shown > len(trace.stages) and levels == ["Разобранный пример", "Без последнего шага", "Сами"]


def test_long_sums_say_how_they_are_written_with_russian_plurals():
    values = np.zeros(21)
    with use("ru"):
        zero = terms(values)
        nonzero = terms(np.r_[np.ones(2), np.zeros(23)])
        grouped = terms(np.arange(1.0, 42.0))
    assert "(все 21 слагаемое равны 0)" in zero
    assert "(2 ненулевых слагаемых из 25)" in nonzero
    assert "(суммы 41 слагаемого по 6 подряд)" in grouped


@pytest.mark.parametrize("count, said", [(1, "⚠ 1 ячейка NaN/inf"), (2, "⚠ 2 ячейки NaN/inf"),
                                         (5, "⚠ 5 ячеек NaN/inf"), (21, "⚠ 21 ячейка NaN/inf")])
def test_heatmaps_count_non_finite_cells_in_russian_plurals(count, said):
    a = np.ones((3, 10))
    a.flat[:count] = np.nan
    with use("ru"):
        figure = heatmap(a, "x")
        tiled = grid([(Tile("t", "x", a, ("sample", "feature")), False)])
    assert said in figure.layout.title.text
    assert figure.layout.xaxis.title.text == "признак" and figure.layout.yaxis.title.text == "пример"
    assert not english_in_figure(figure) and not english_in_figure(tiled)


def test_the_jacobians_page_derivation_and_figures_in_russian(traced):
    model, trace = traced
    x, g = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, -0.3])
    with use("ru"):
        latex = log_softmax_derivation(x, g) + softmax_derivation(x, g) + [
            jacobian_definition(3, 6, 1, 8), vjp_formula(True), vjp_formula(False)]
        strip = derivation_strip("LogSoftMax", x, g)
        layer, record = model.modules[1], trace.backward_record(1)
        sj = layer_sample_jacobians(layer, trace.forward_record(1).input, 0, grad_output=record.grad_output)
        table, _ = sample_vjp_check(sj, record.grad_output, record.grad_input)
        with pytest.raises(ValueError) as error:
            check_sample_view(layer, trace.forward_record(1).input, record.grad_input.shape, 10)
        conv = Conv2d(1, 2, 3, rng=np.random.default_rng(0))
        note = structure_note(conv, np.eye(4))
    assert not [w for part in latex for w in words_in_latex(part)]
    assert r"\text{строка } j = \text{выход}" in latex[-3]
    assert not english_in_figure(strip) and not english_words(sj.note)
    assert list(table.columns) == ["вход i", "grad_output · J", "записанный grad_input", "абс. ошибка"]
    assert "лимит на одного студента" in str(error.value) and not english_words(str(error.value))
    assert note.startswith("**Почему он ленточный.**") and not english_words(note)


def test_tables_head_their_columns_in_russian_and_keep_their_keys(traced):
    model, trace = traced
    with use("ru"):
        summary = summary_table(model_config(), 2)
        widths = summary_widths()
        predictions = prediction_table(trace.predictions, trace.target, "NLLCriterion")
        styled = list(prediction_rows(predictions).columns)
        checked = gradcheck_table(model, trace.forward_record(0).input, n_samples=2, max_entries=4)
        labels = column_labels(checked)
    assert list(summary.columns) == ["индекс", "слой", "форма выхода", "параметры"]
    assert summary.iloc[-1, 1] == "всего" and list(widths.values()) == list(SUMMARY_COLUMNS.values())
    assert list(predictions.columns)[:3] == ["sample", "true class", "predicted class"]  # the page reads these
    assert "истинный класс" in styled and "предсказанный класс" in styled and "true class" not in styled
    assert "pass" in checked.columns and labels["pass"] == "пройдено" and labels["max abs error"] == "макс. абс. ошибка"
    assert list(summary_table(model_config(), 2).columns) == list(SUMMARY_COLUMNS)  # English again


def model_config():
    from lab.network import NetworkConfig
    return NetworkConfig()


def test_the_grader_table_is_headed_in_the_language_asked():
    from engine.grade.report import COLUMNS, Report
    from viz.grade_table import grade_table
    report = Report("nn", [])
    with use("ru"):
        russian = grade_table(report)
    assert list(russian.columns)[:4] == ["модуль", "проверка", "статус", "диагноз"]
    assert list(grade_table(report).columns) == list(COLUMNS)


def test_cnn_channels_in_russian():
    layers, trace = cnn_trace()
    found = []
    with use("ru"):
        for stage in trace.stages:
            layer = layers[stage.index] if stage.index is not None else None
            position = Position(0, 1, 1) if isinstance(layer, Conv2d) else None
            for panel in channel_panels(trace, stage, layer, position=position):
                found += english_words(panel.title) + english_in_figure(panel.figure)
    assert not found, found


def test_activations_and_training_figures_in_russian():
    history = History()
    history.iteration_loss = [1.0, 0.5, float("nan")]
    history.train_loss, history.val_loss = [1.0, 0.6], [1.1, 0.7]
    history.train_accuracy, history.val_accuracy = [0.5, 0.7], [0.4, 0.6]
    history.stopped_reason = "non-finite loss"
    history.stopped_epoch, history.stopped_iteration = 2, 3
    with use("ru"):
        figures = [activation_curves(), preactivation_histogram(np.r_[np.linspace(-9, 9, 40), np.nan], "ReLU"),
                   live_loss_figure(history.iteration_loss, 10), *history_figures(history),
                   batch_images_figure(np.zeros((40, 4)), (2, 2))]
        tables = [history_table(history), comparison_table({"ReLU": history})]
    assert not [w for figure in figures for w in english_in_figure(figure)]
    assert not [w for table in tables for column in table.columns for w in english_words(str(column))]
    assert "эпоха" in tables[0].columns


def test_a_stop_by_request_is_said_in_russian():
    from viz.training import stop_text
    history = History(train_loss=[1.0], stopped_reason="callback", stopped_epoch=1, stopped_iteration=4)
    with use("ru"):
        said = stop_text(history)
    assert said == "остановлено (по запросу): эпоха 1, итерация 4"
    assert stop_text(history) == "stopped (callback) at epoch 1, iteration 4"
