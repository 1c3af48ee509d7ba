"""Lab: one learner's workbench (config, data, model, optimizer, the recorded iteration, the stage).

Every action works on copies and commits only when it succeeded, so a ValueError leaves
the learner's last working model, trace and data exactly as they were.
"""
import copy
from dataclasses import replace

import numpy as np

from engine import BatchNormalization
from engine.data import DATASETS, load, one_hot
from engine.trace import trace_iteration
from engine.training import fit

from .transfer import model_with_weights, read_arrays, read_config
from .advice import advice
from .budget import check_budget
from .uploads import PREFIX, Upload
from .network import (NetworkConfig, build_criterion, build_model, build_optimizer, check_config,
                      with_activation)

COMPARED = ("ReLU", "LeakyReLU", "ELU", "SoftPlus")


def load_dataset(name, seed=0, test_size=0.25):
    """A built-in dataset of engine.data (the app wraps this in st.cache_data)."""
    return load(name, seed=seed, test_size=test_size)


def structure(config):
    """What fixes the weights: a change here builds a fresh model."""
    return (config.dataset, config.seed, config.test_size, config.layers)


class BatchCursor:
    """Walks the training set in seeded random order, batch_size samples at a time, epoch after epoch."""

    def __init__(self, n_samples, batch_size, seed):
        self.n, self.batch_size = n_samples, batch_size
        self.rng = np.random.default_rng(seed)
        self.order, self.position, self.epoch, self.iteration = self.rng.permutation(n_samples), 0, 1, 0

    def next(self):
        """The indices of the next batch (the last batch of an epoch may be smaller)."""
        if self.position >= self.n:
            self.order, self.position, self.epoch = self.rng.permutation(self.n), 0, self.epoch + 1
        idx = self.order[self.position:self.position + self.batch_size]
        self.position += len(idx)
        self.iteration += 1
        return idx


class Lab:
    """The state one learner's pages read and change; kept in st.session_state["lab"]."""

    def __init__(self, config=None, loader=load_dataset):
        self.loader = loader
        self.uploads = {}          # dataset name -> its Upload (the kept rows, compressed)
        self.history = None        # the last training run's History
        self.comparison = {}       # activation name -> History of the comparison run
        self.trained_epochs = 0
        self.notice = None         # what the last action adjusted or reported
        self.apply(config or NetworkConfig())

    # --- data ---

    def dataset_for(self, config):
        if config.dataset in self.uploads:
            return self.uploads[config.dataset].dataset(config.test_size, config.seed)
        if config.dataset.startswith(PREFIX):
            raise ValueError(f"dataset {config.dataset!r} was an upload: upload that CSV first")
        if config.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {config.dataset!r}; known: {', '.join(self.dataset_names)}")
        return self.loader(config.dataset, seed=config.seed, test_size=config.test_size)

    @property
    def dataset_names(self):
        return list(DATASETS) + list(self.uploads)

    def upload(self, filename, content):
        """Read a Kaggle MNIST-layout CSV and switch to it; ValueError (nothing changed) when it is bad."""
        upload = Upload(filename, content)
        self.switch_dataset(upload.name, upload.dataset(self.config.test_size, self.config.seed))
        self.uploads = {upload.name: upload}  # one upload per learner: a new one replaces the last
        if upload.note:
            self.notice = "; ".join(filter(None, [self.notice, upload.note]))

    def switch_dataset(self, name, data=None):
        """Use dataset `name`, fitting the last Linear to its classes (the notice says what changed)."""
        config = replace(self.config, dataset=name)
        data = data if data is not None else self.dataset_for(config)
        config, changes = fit_to_data(config, data)
        self.apply(config, data)
        self.notice = "; ".join(changes) or None

    # --- building and recording ---

    def apply(self, config, data=None, model=None):
        """Switch to config and record its first iteration.

        A new structure (data, seed, split, layers) or a given `model` starts from fresh
        weights; any other change (learning rate, momentum, batch size, criterion, mode)
        records the current iteration again from the weights it started from, so the
        learner sees what the change does to this very step.
        """
        config = check_config(config)
        data = data if data is not None else self.dataset_for(config)
        if config.batch_size > len(data.X_train):
            raise ValueError(f"batch size {config.batch_size} is larger than the "
                             f"{len(data.X_train)} training samples")
        check_budget(config, data)
        fresh = model is not None or getattr(self, "config", None) is None \
            or structure(config) != structure(self.config)
        if fresh:
            model = model if model is not None else build_model(config, data.n_features)
            optimizer = build_optimizer(config)
            cursor = BatchCursor(len(data.X_train), config.batch_size, config.seed)
        else:
            model, optimizer, cursor = self.start
            optimizer, cursor = copy.deepcopy(optimizer), copy.deepcopy(cursor)
            optimizer.config.update(learning_rate=config.learning_rate, momentum=config.momentum)
            if config.batch_size != self.config.batch_size:
                cursor = BatchCursor(len(data.X_train), config.batch_size, config.seed)
        if not config.training:
            check_statistics(model)
        criterion = build_criterion(config)
        try:
            trace, recorded, optimizer, start = self._record(model, criterion, optimizer, data, config,
                                                             cursor)
        except ValueError as error:
            raise explained(error, config, data) from None
        self.config, self.data, self.criterion = config, data, criterion
        self.cursor, self.start = cursor, start
        self.trace, self.model, self.optimizer, self.stage, self.notice = trace, recorded, optimizer, 0, None
        if fresh:
            self.history, self.comparison, self.trained_epochs = None, {}, 0

    def _record(self, model, criterion, optimizer, data, config, cursor):
        """trace_iteration on copies for the cursor's next batch (the cursor advances).

        Returns (trace, model after, optimizer after, start): start = (model, optimizer,
        cursor) as they were before the iteration, never changed afterwards.
        """
        start = (model, optimizer, copy.deepcopy(cursor))
        model, optimizer = copy.deepcopy(model), copy.deepcopy(optimizer)
        model.train() if config.training else model.evaluate()
        idx = cursor.next()
        x, y = data.X_train[idx], targets(data, config, data.y_train[idx])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trace = trace_iteration(model, criterion, optimizer, x, y)
        return trace, model, optimizer, start

    def new_iteration(self):
        """Record the next batch's iteration; the previous update has already been applied."""
        cursor = copy.deepcopy(self.cursor)
        trace, model, optimizer, start = self._record(self.model, self.criterion, self.optimizer,
                                                      self.data, self.config, cursor)
        self.trace, self.model, self.optimizer = trace, model, optimizer
        self.cursor, self.start, self.stage = cursor, start, 0

    def import_files(self, config_content, weights_content):
        """Load an exported configuration (JSON) and its weights (.npz); ValueError leaves all as it was."""
        config = read_config(config_content)
        data = self.dataset_for(config)
        model = model_with_weights(config, data.n_features, read_arrays(weights_content))
        self.apply(config, data, model)

    def reset_weights(self):
        """Fresh weights from the seed and a new first iteration."""
        self.apply(self.config, self.data, build_model(self.config, self.data.n_features))

    # --- stepping through the recorded iteration ---

    @property
    def stages(self):
        return self.trace.stages

    @property
    def current(self):
        return self.trace.stages[self.stage]

    def step(self, delta):
        self.stage = int(np.clip(self.stage + delta, 0, len(self.trace.stages) - 1))

    def jump(self, stage):
        if not 0 <= stage < len(self.trace.stages):
            raise ValueError(f"stage must be in [0, {len(self.trace.stages) - 1}], got {stage}")
        self.stage = stage

    # --- training ---

    def train(self, epochs, callback=None):
        """fit on copies; commit the trained weights unless the loss went non-finite. Returns the History."""
        model, optimizer = copy.deepcopy(self.model), copy.deepcopy(self.optimizer)
        history = self._fit(model, optimizer, epochs, callback, seed=self.config.seed + self.trained_epochs)
        self.history = history
        if history.stopped_reason == "non-finite loss":
            return history  # the last working model stays; the page says where it broke
        self.trained_epochs += history.epochs_run
        self.model, self.optimizer = model, optimizer
        self.new_iteration()  # stepping continues from the trained weights
        return history

    def compare(self, epochs, callback=None, activations=COMPARED):
        """The same stack with each activation, fresh weights from the same seed, same batches."""
        if not any(spec["kind"] in COMPARED for spec in self.config.layers):
            raise ValueError("the network has no activation layer to swap: add ReLU, LeakyReLU, ELU "
                             "or SoftPlus between two Linear layers")
        histories = {}
        for name in activations:
            config = with_activation(self.config, name)
            model, optimizer = build_model(config, self.data.n_features), build_optimizer(config)
            histories[name] = self._fit(model, optimizer, epochs, callback and _tagged(callback, name),
                                        seed=self.config.seed)
            if histories[name].stopped_reason == "callback":
                break
        self.comparison = histories
        return histories

    def _fit(self, model, optimizer, epochs, callback, seed):
        data, config = self.data, self.config
        return fit(model, self.criterion, optimizer, data.X_train, targets(data, config, data.y_train),
                   epochs, config.batch_size, rng=seed, callback=callback, X_val=data.X_test,
                   y_val=targets(data, config, data.y_test))


def explained(error, config, data):
    """A criterion's shape error, with what to change (lab.advice) when the stack does not fit."""
    if not str(error).startswith(config.criterion):
        return error
    tips = advice(config, data.n_features, data.n_classes, data.task)
    hint = f" {tips[0].suggestion} {tips[0].reason}" if tips else ""
    return ValueError(f"the criterion does not fit the network's output: {error}.{hint}")


def check_statistics(model):
    """Evaluate mode needs every BatchNormalization's moving statistics; say how to get them."""
    for i, layer in enumerate(model):
        if isinstance(layer, BatchNormalization) and layer.moving_mean is None:
            raise ValueError(
                f"layer {i} ({layer!r}) has no moving statistics yet: evaluate mode normalises with "
                "the averages that training-mode iterations collect. Record one iteration in "
                "training mode (New iteration), then switch to evaluate mode.")


def _tagged(callback, name):
    return lambda progress: callback(progress, name)


def targets(data, config, y):
    """What the criterion compares with: labels, or one-hot rows for MSE on classes."""
    if config.criterion == "MSECriterion" and data.task == "classification":
        return one_hot(y, data.n_classes)
    return y


def fit_to_data(config, data):
    """config with its last Linear sized to the data's classes (1 for regression), and the changes made."""
    changes, layers = [], list(config.layers)
    wanted = 1 if data.task == "regression" else data.n_classes
    linear = [i for i, spec in enumerate(layers) if spec["kind"] == "Linear"]
    if linear and layers[linear[-1]]["n_out"] != wanted:
        layers[linear[-1]] = {**layers[linear[-1]], "n_out": wanted}
        changes.append(f"the last Linear (layer {linear[-1]}) now outputs {wanted} "
                       f"{'value' if wanted == 1 else 'classes'}")
    criterion = config.criterion
    if data.task == "regression" and criterion != "MSECriterion":
        criterion = "MSECriterion"
        changes.append("the criterion is now MSECriterion (the targets are real numbers)")
        while layers and layers[-1]["kind"] in ("SoftMax", "LogSoftMax"):
            changes.append(f"the final {layers.pop()['kind']} was removed")
    if data.task == "classification" and criterion == "MSECriterion" and layers \
            and layers[-1]["kind"] not in ("SoftMax", "LogSoftMax"):
        criterion = "NLLCriterion"
        layers.append({"kind": "LogSoftMax"})
        changes.append("the criterion is now NLLCriterion after a new final LogSoftMax (class labels)")
    return replace(config, layers=tuple(layers), criterion=criterion), changes
