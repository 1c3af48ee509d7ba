"""engine.training: the course's targets, History, callback, early and non-finite stops, modes."""
import numpy as np
import pytest

from engine import (SGD, BatchNormalization, Dropout, Linear, LogSoftMax, MSECriterion, NLLCriterion,
                    ReLU, Sequential, SoftMax)
from engine import data
from engine.training import STOP, History, Progress, evaluate, fit, mode, predict


def linear_classifier(rng, n_in=2, n_out=2):
    return Sequential(Linear(n_in, n_out, rng=rng), LogSoftMax())


def mlp(rng, n_in, hidden, n_out):
    return Sequential(Linear(n_in, hidden, rng=rng), ReLU(), Linear(hidden, n_out, rng=rng), LogSoftMax())


# --- the course's targets (fixed seeds: deterministic) ---

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_blobs_linear_logsoftmax_reaches_loss_0_1_in_30_epochs(seed):
    """The handout's loop: Linear(2,2)+LogSoftMax, NLL, SGD(1e-2, 0.9), batch 128, 30 epochs."""
    X, y = data.blobs(seed=seed)
    rng = np.random.default_rng(seed)
    model = linear_classifier(rng)
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=30, batch_size=128, rng=rng)
    assert history.stopped_reason is None and history.epochs_run == 30
    assert history.train_loss[-1] <= 0.1
    assert evaluate(model, NLLCriterion(), X, y)["loss"] <= 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_circles_mlp_reaches_loss_0_2(seed):
    """Linear(2,100), ReLU, Linear(100,2), LogSoftMax; NLL; the course's SGD(1e-2, 0.9), batch 128, 50 epochs."""
    X, y = data.circles(seed=seed)
    rng = np.random.default_rng(seed)
    model = mlp(rng, 2, 100, 2)
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=50, batch_size=128, rng=rng)
    assert history.train_loss[-1] <= 0.2
    result = evaluate(model, NLLCriterion(), X, y)
    assert result["loss"] <= 0.2 and result["accuracy"] >= 0.99


@pytest.mark.parametrize("seed", [0, 1])
def test_digits_small_mlp_test_accuracy_0_95(seed):
    """Linear(64,64), ReLU, Linear(64,10), LogSoftMax; NLL; SGD(0.1, 0.9), batch 32, 20 epochs."""
    ds = data.load("digits", seed=seed)
    rng = np.random.default_rng(seed)
    model = mlp(rng, 64, 64, 10)
    history = fit(model, NLLCriterion(), SGD(0.1, 0.9), ds.X_train, ds.y_train, epochs=20, batch_size=32,
                  rng=rng, X_val=ds.X_test, y_val=ds.y_test)
    result = evaluate(model, NLLCriterion(), ds.X_test, ds.y_test)
    assert result["accuracy"] >= 0.95
    assert history.val_accuracy[-1] == result["accuracy"]
    assert history.val_loss[-1] == pytest.approx(result["loss"])


# --- History ---

def small_problem(seed=0, n=100):
    X, y = data.blobs(n_samples=n, seed=seed)
    rng = np.random.default_rng(seed)
    return linear_classifier(rng), X, y, rng


def test_history_counts_and_per_epoch_mean_of_batch_losses():
    model, X, y, rng = small_problem(n=100)
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=3, batch_size=32, rng=rng)
    assert len(history.iteration_loss) == 3 * 4 and history.epochs_run == 3
    sizes = np.array([32, 32, 32, 4])
    for e in range(3):
        batch = np.array(history.iteration_loss[4 * e:4 * e + 4])
        assert history.train_loss[e] == pytest.approx(np.dot(batch, sizes) / 100)
    assert len(history.train_accuracy) == 3 and all(0 <= a <= 1 for a in history.train_accuracy)
    assert history.val_loss == [] and history.val_accuracy == []
    assert history.stopped_reason is None and history.stopped_iteration is None
    assert "3 epochs" in repr(history)


def test_train_accuracy_counts_argmax_hits():
    model, X, y, _ = small_problem()
    # lr 0: the model never changes, so every batch's accuracy is the full-data accuracy
    history = fit(model, NLLCriterion(), SGD(0.0, 0.0), X, y, epochs=2, batch_size=16, rng=0)
    expected = np.mean(predict(model, X).argmax(axis=1) == y)
    assert history.train_accuracy == pytest.approx([expected, expected])
    assert history.train_loss[0] == pytest.approx(evaluate(model, NLLCriterion(), X, y)["loss"])


def test_one_hot_targets_also_give_accuracy():
    model, X, y, rng = small_problem()
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, data.one_hot(y), epochs=2, batch_size=50,
                  rng=rng, X_val=X, y_val=data.one_hot(y))
    assert len(history.train_accuracy) == 2 and len(history.val_accuracy) == 2


def test_regression_has_no_accuracy():
    X, y = data.regression_curve(n_samples=200)
    rng = np.random.default_rng(0)
    model = Sequential(Linear(1, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng))
    history = fit(model, MSECriterion(), SGD(1e-2, 0.9), X, y, epochs=20, batch_size=20, rng=rng,
                  X_val=X, y_val=y)
    assert history.train_accuracy == [] and history.val_accuracy == [] and len(history.val_loss) == 20
    assert history.train_loss[-1] < history.train_loss[0]
    assert set(evaluate(model, MSECriterion(), X, y)) == {"loss"}


def test_same_seed_same_history():
    runs = []
    for _ in range(2):
        model, X, y, rng = small_problem(seed=4)
        runs.append(fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=2, batch_size=16, rng=7))
    assert runs[0].iteration_loss == runs[1].iteration_loss


def test_int_seed_gives_a_new_batch_order_each_epoch():
    model, X, y, _ = small_problem()
    seen = []
    model.modules[0].register_forward_hook(lambda m, inp, out: seen.append(inp[:, 0].copy()))
    fit(model, NLLCriterion(), SGD(0.0, 0.0), X, y, epochs=2, batch_size=100, rng=3)
    assert sorted(seen[0]) == sorted(seen[1]) and not np.array_equal(seen[0], seen[1])


def test_fit_matches_the_handout_loop():
    model, X, y, _ = small_problem(seed=2)
    twin = linear_classifier(None)
    for (_, value, _), (_, twin_value, _) in zip(model.named_parameters(), twin.named_parameters()):
        twin_value[...] = value
    fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=2, batch_size=32, rng=np.random.default_rng(5))
    order_rng, criterion, optimizer = np.random.default_rng(5), NLLCriterion(), SGD(1e-2, 0.9)
    for _ in range(2):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), 32):
            x_batch, y_batch = X[order[start:start + 32]], y[order[start:start + 32]]
            twin.zero_grad_params()
            predictions = twin.forward(x_batch)
            criterion.forward(predictions, y_batch)
            twin.backward(x_batch, criterion.backward(predictions, y_batch))
            optimizer.step(twin.get_parameters(), twin.get_grad_params())
    for (_, value, _), (_, twin_value, _) in zip(model.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(value, twin_value, rtol=1e-12)


# --- callback and stops ---

def test_callback_once_per_iteration_with_counts():
    model, X, y, rng = small_problem(n=100)
    calls = []
    fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=3, batch_size=40, rng=rng, callback=calls.append)
    assert len(calls) == 9 and all(isinstance(c, Progress) for c in calls)
    assert [c.iteration for c in calls] == list(range(1, 10))
    assert [c.epoch for c in calls] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert {c.n_iterations for c in calls} == {9} and {c.epochs for c in calls} == {3}
    assert all(np.isfinite(c.loss) for c in calls)


def test_callback_stop_ends_training_early():
    model, X, y, rng = small_problem(n=100)
    calls = []

    def callback(progress):
        calls.append(progress)
        return STOP if progress.iteration == 5 else None

    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=10, batch_size=40, rng=rng,
                  callback=callback)
    assert len(calls) == 5 and len(history.iteration_loss) == 5
    assert history.stopped_reason == "callback"
    assert (history.stopped_epoch, history.stopped_iteration) == (2, 5)
    assert history.epochs_run == 2  # the first epoch and the partial second
    assert "stopped: callback" in repr(history)


def test_callback_other_return_values_do_not_stop():
    model, X, y, rng = small_problem(n=100)
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=2, batch_size=50, rng=rng,
                  callback=lambda p: False)
    assert history.stopped_reason is None and len(history.iteration_loss) == 4


def test_non_finite_loss_stops_without_raising_or_updating():
    model, X, y, rng = small_problem(n=100)
    X = X.copy()
    X[60:] = np.inf  # every batch holding one of these rows gives a non-finite loss
    before = [value.copy() for _, value, _ in model.named_parameters()]
    calls = []
    # no errstate here: fit handles the overflow itself, and pytest turns RuntimeWarnings into errors
    history = fit(model, NLLCriterion(), SGD(1e-2, 0.9), X, y, epochs=5, batch_size=100,
                  rng=rng, callback=calls.append)
    assert history.stopped_reason == "non-finite loss"
    assert history.nonfinite_layer == f"layer 0 ({model[0]!r})"
    assert (history.stopped_epoch, history.stopped_iteration) == (1, 1)
    assert len(history.iteration_loss) == 1 and not np.isfinite(history.iteration_loss[0])
    assert history.train_loss == [] and calls == []
    for old, (_, value, _) in zip(before, model.named_parameters()):
        np.testing.assert_array_equal(old, value)


def test_diverging_training_stops_at_the_first_non_finite_loss():
    model, X, y, rng = small_problem(n=100)
    history = fit(model, NLLCriterion(), SGD(1e6, 0.9), X * 1e150, y, epochs=50, batch_size=10, rng=rng)
    assert history.stopped_reason == "non-finite loss"
    assert history.nonfinite_layer.startswith("layer ")
    assert np.all(np.isfinite(history.iteration_loss[:-1])) and not np.isfinite(history.iteration_loss[-1])
    assert history.stopped_iteration == len(history.iteration_loss) < 500


# --- modes ---

class NoUpdate:
    """An optimizer that leaves the parameters alone (sgd_momentum expects one level of nesting)."""

    def step(self, variables, gradients):
        pass


def model_with_modes(rng):
    model = Sequential(Linear(4, 8, rng=rng), BatchNormalization(0.5), Dropout(0.5, rng=rng),
                       Sequential(Linear(8, 3, rng=rng), Dropout(0.2, rng=rng)), LogSoftMax())
    return model


def modes(model):
    found = [model.training]
    for child in getattr(model, "modules", ()):
        found.extend(modes(child))
    return found


@pytest.mark.parametrize("pattern", [[True] * 8, [False] * 8,
                                     [True, False, True, False, False, True, False, True]])
def test_predict_evaluate_fit_restore_every_mode(pattern):
    rng = np.random.default_rng(0)
    model = model_with_modes(rng)
    X, y = rng.standard_normal((30, 4)), np.arange(30) % 3
    model.forward(X)  # moving statistics for evaluate mode
    seen = []
    model.modules[2].register_forward_hook(lambda m, inp, out: seen.append(m.training))
    all_modules = [model, *model.modules[:3], model.modules[3], *model.modules[3].modules, model.modules[4]]
    assert len(all_modules) == len(pattern) == 8
    for module, flag in zip(all_modules, pattern):
        module.training = flag
    predict(model, X)
    assert seen == [False] and modes(model) == pattern
    evaluate(model, NLLCriterion(), X, y)
    assert seen == [False, False] and modes(model) == pattern
    fit(model, NLLCriterion(), NoUpdate(), X, y, epochs=1, batch_size=10, rng=rng, X_val=X, y_val=y)
    assert seen[2:] == [True, True, True, False] and modes(model) == pattern


def test_predict_is_deterministic_with_dropout_and_batches_agree():
    rng = np.random.default_rng(1)
    model = model_with_modes(rng)
    X = rng.standard_normal((25, 4))
    model.forward(X)
    full = predict(model, X)
    np.testing.assert_allclose(predict(model, X, batch_size=7), full, rtol=1e-12)
    np.testing.assert_allclose(predict(model, X), full)


def test_mode_context_restores_after_an_error():
    model = model_with_modes(np.random.default_rng(0))
    with pytest.raises(RuntimeError):
        with mode(model, training=False):
            assert not any(modes(model))
            raise RuntimeError
    assert all(modes(model))


def test_evaluate_loss_and_accuracy():
    model = Sequential(SoftMax())
    X = np.log(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]))
    y = np.array([0, 1, 1, 1])
    result = evaluate(Sequential(LogSoftMax()), NLLCriterion(), X, y)
    assert result["accuracy"] == 0.75
    assert result["loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.7])))
    np.testing.assert_allclose(predict(model, X), np.exp(X))


# --- errors ---

@pytest.mark.parametrize("kwargs, words", [
    ({"epochs": 0}, "epochs"), ({"epochs": 1.5}, "epochs"), ({"batch_size": 0}, "batch_size"),
    ({"y": np.zeros(99, int)}, "100 samples but y has 99"),
    ({"X_val": np.zeros((5, 2))}, "both validation"),
    ({"X_val": np.zeros((5, 2)), "y_val": np.zeros(4, int)}, "validation X has 5 samples"),
    ({"X": np.zeros((0, 2)), "y": np.zeros(0, int)}, "empty")])
def test_fit_rejects_bad_arguments(kwargs, words):
    model, X, y, rng = small_problem(n=100)
    arguments = dict(X=X, y=y, epochs=2, batch_size=10)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match="fit") as info:
        fit(model, NLLCriterion(), SGD(), **arguments)
    assert words in str(info.value)


def test_fit_rejects_an_optimizer_without_step():
    model, X, y, _ = small_problem()
    with pytest.raises(TypeError, match="step"):
        fit(model, NLLCriterion(), lambda v, g: None, X, y, epochs=1, batch_size=10)


def test_predict_rejects_bad_batch_size():
    model, X, _, _ = small_problem()
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)


def test_history_default_is_empty():
    history = History()
    assert history.epochs_run == 0 and history.stopped_reason is None and "0 epochs" in repr(history)


def test_fit_trains_a_single_layer_model_bias_included():
    """A bare Linear (no Sequential) gets the lists of lists sgd_momentum expects: b moves too."""
    layer = Linear(2, 3, rng=np.random.default_rng(0))
    W0, b0 = layer.W.copy(), layer.b.copy()
    X, y = np.ones((8, 2)), np.full((8, 3), 5.0)
    history = fit(layer, MSECriterion(), SGD(0.01, 0.9), X, y, epochs=50, batch_size=4, rng=0)
    assert not np.allclose(layer.b, b0) and not np.allclose(layer.W, W0)
    assert history.train_loss[-1] < 0.01 * history.train_loss[0]
