"""fit / predict / evaluate: the handout's training loop with a History and a progress callback."""
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from i18n import domain

from .batches import batch_generator
from .sequential import layers_of, variables_of

_, ngettext = domain("engine")

STOP = "stop"  # a callback returning this string ends training after the current iteration


@dataclass(frozen=True)
class Progress:
    """What the callback receives after each iteration; epoch and iteration count from 1."""

    epoch: int          # 1..epochs
    iteration: int      # global, 1..n_iterations
    loss: float         # this batch's loss
    n_iterations: int   # epochs * ceil(N / batch_size), for a progress bar: iteration / n_iterations
    epochs: int


@dataclass
class History:
    """Losses of a fit: per iteration, and per epoch (train: batch-size-weighted mean over the epoch)."""

    iteration_loss: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)  # empty for regression
    val_loss: list = field(default_factory=list)        # empty without validation data
    val_accuracy: list = field(default_factory=list)
    stopped_reason: str = None   # None (ran every epoch), "callback" or "non-finite loss"
    stopped_epoch: int = None    # epoch and global iteration (from 1) where training stopped
    stopped_iteration: int = None
    nonfinite_layer: str = None  # after a non-finite loss: "layer i (repr)", the first with NaN/inf output

    @property
    def epochs_run(self):
        return len(self.train_loss)

    def __repr__(self):
        last = f", last train loss {self.train_loss[-1]:.4g}" if self.train_loss else ""
        stop = f", stopped: {self.stopped_reason} at iteration {self.stopped_iteration}" \
            if self.stopped_reason else ""
        return f"History({self.epochs_run} epochs, {len(self.iteration_loss)} iterations{last}{stop})"


# --- train/evaluate modes of every module, saved and restored ---

@contextmanager
def mode(model, training):
    """Run a block with model.train() (training=True) or model.evaluate(); restore every module's mode."""
    saved = [(module, module.training) for module in model.walk()]
    _set_mode(model, training)
    try:
        yield model
    finally:
        for module, was_training in saved:  # parents first, so each child ends with its own mode
            _set_mode(module, was_training)


def _set_mode(module, training):
    if training:
        module.train()
    else:
        module.evaluate()


# --- labels and checks ---

def class_labels(y, n_outputs):
    """Integer labels (N,) of y, from labels (N,) or one-hot (N, K); None when y is a regression target."""
    y = np.asarray(y)
    if y.ndim == 1 and (y.dtype.kind in "iu" or (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0))):
        return y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] == n_outputs > 1 and np.all((y == 0) | (y == 1)) \
            and np.all(y.sum(axis=1) == 1):
        return y.argmax(axis=1)
    return None


def accuracy(output, labels):
    """mean(argmax_k output[i, k] == labels[i]);  output (N, K), labels (N,)."""
    return float(np.mean(np.argmax(output, axis=1) == labels))


def _check_positive(what, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(_("fit: {what} must be an integer >= 1, got {value}").format(what=what, value=repr(value)))


def _check_pair(X, y, what):
    if X is None or y is None:
        raise ValueError(_("fit: give both {what} inputs and targets, got only one").format(what=what))
    if len(X) != len(y):
        raise ValueError(_("fit: {what} X has {n} samples but y has {m} (shapes {x_shape} and {y_shape})").format(
            what=what, n=len(X), m=len(y), x_shape=np.shape(X), y_shape=np.shape(y)))
    if len(X) == 0:
        raise ValueError(_("fit: {what} data is empty").format(what=what))


# --- predict / evaluate ---

def predict(model, X, batch_size=None):
    """Model output in evaluate mode (modes restored afterwards); batch_size splits X into chunks."""
    with mode(model, training=False):
        if batch_size is None:
            return model.forward(X)
        _check_positive("batch_size", batch_size)
        return np.concatenate([model.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


def evaluate(model, criterion, X, y):
    """{"loss": criterion(model(X), y), "accuracy": ...} in evaluate mode; accuracy for classification."""
    output = predict(model, X)
    result = {"loss": float(criterion.forward(output, y))}
    labels = class_labels(y, output.shape[1] if output.ndim == 2 else 0)
    if labels is not None and output.ndim == 2 and output.shape[1] > 1:
        result["accuracy"] = accuracy(output, labels)
    return result


# --- fit ---

def _train_step(model, criterion, optimizer, x_batch, y_batch):
    """One handout iteration: zero grads, forward, loss, backward, update;  returns (loss, output)."""
    model.zero_grad_params()
    output = model.forward(x_batch)
    loss = float(criterion.forward(output, y_batch))
    if not np.isfinite(loss):
        return loss, output  # stop before the update, the parameters keep their last finite values
    grad = criterion.backward(output, y_batch)
    model.backward(x_batch, grad)
    optimizer.step(*variables_of(model))
    return loss, output


def first_nonfinite_output(model):
    """"layer i (repr)" of the first layer whose last output holds NaN or inf, or None."""
    for i, layer in enumerate(layers_of(model)):
        if isinstance(layer.output, np.ndarray) and not np.isfinite(layer.output).all():
            return f"layer {i} ({layer!r})"
    return None


def _close_epoch(history, losses, sizes, hits, model, criterion, X_val, y_val):
    """Append the epoch's weighted mean batch loss, accuracy and validation metrics to history."""
    if not sizes:
        return
    history.train_loss.append(float(np.dot(losses, sizes) / np.sum(sizes)))
    if hits:
        history.train_accuracy.append(float(np.sum(hits) / np.sum(sizes)))
    if X_val is not None:
        metrics = evaluate(model, criterion, X_val, y_val)
        history.val_loss.append(metrics["loss"])
        if "accuracy" in metrics:
            history.val_accuracy.append(metrics["accuracy"])


def _run_epoch(model, criterion, optimizer, batches, history, progress, callback):
    """One pass over the batches; returns (batch losses, batch sizes, argmax hits, last iteration)."""
    losses, sizes, hits = [], [], []
    iteration = progress.iteration
    for x_batch, y_batch in batches:
        iteration += 1
        loss, output = _train_step(model, criterion, optimizer, x_batch, y_batch)
        history.iteration_loss.append(loss)
        if not np.isfinite(loss):
            history.stopped_reason = "non-finite loss"
            history.nonfinite_layer = first_nonfinite_output(model)
            break
        losses.append(loss)
        sizes.append(len(x_batch))
        labels = class_labels(y_batch, output.shape[1] if output.ndim == 2 else 0)
        if labels is not None and output.ndim == 2 and output.shape[1] > 1:
            hits.append(int(np.sum(np.argmax(output, axis=1) == labels)))
        if callback is not None:
            answer = callback(replace(progress, iteration=iteration, loss=loss))
            if isinstance(answer, str) and answer == STOP:
                history.stopped_reason = "callback"
                break
    return losses, sizes, hits, iteration


def fit(model, criterion, optimizer, X, y, epochs, batch_size, rng=None, callback=None,
        X_val=None, y_val=None):
    """Train for `epochs` passes of batch_size samples; returns a History.

    rng: np.random.Generator or int seed for the batch order (None: np.random's global state).
    callback(Progress) after every iteration; returning STOP ("stop") ends training.
    The first non-finite loss ends training without an update; history.stopped_reason says so.
    Every module is in train mode during the loop and gets its previous mode back afterwards.
    """
    _check_positive("epochs", epochs)
    _check_positive("batch_size", batch_size)
    _check_pair(X, y, _("training"))
    if X_val is not None or y_val is not None:
        _check_pair(X_val, y_val, _("validation"))
    if not hasattr(optimizer, "step"):
        raise TypeError(_("fit: optimizer must have .step(variables, gradients), got {value}").format(
            value=repr(optimizer)))
    if isinstance(rng, (int, np.integer)):
        rng = np.random.default_rng(rng)  # one generator, so each epoch gets a new order
    n_iterations = epochs * -(-len(X) // batch_size)
    history, iteration = History(), 0
    # A diverging run overflows; fit reports that itself (stopped_reason), without NumPy warnings.
    with mode(model, training=True), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            progress = Progress(epoch, iteration, float("nan"), n_iterations, epochs)
            batches = batch_generator(X, y, batch_size, rng=rng)
            losses, sizes, hits, iteration = _run_epoch(model, criterion, optimizer, batches, history,
                                                        progress, callback)
            _close_epoch(history, losses, sizes, hits, model, criterion, X_val, y_val)
            if history.stopped_reason:
                history.stopped_epoch, history.stopped_iteration = epoch, iteration
                break
    return history
