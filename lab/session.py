"""Lab: one learner's workbench (config, data, model, optimizer, the recorded iteration, the stage).

Every action works on copies and commits only when it succeeded, so a ValueError leaves
the learner's last working model, trace and data exactly as they were.
"""
import copy
from dataclasses import replace

import numpy as np

from engine.data import DATASETS, load
from engine.trace import trace_iteration
from i18n import domain

from .budget import check_budget
from .cursor import BatchCursor
from .fitting import check_statistics, fit_to_data, targets, unfinished_reason
from .network import (NetworkConfig, build_criterion, build_model, build_optimizer, check_config,
                      optimizer_settings)
from .origin import Origin
from .presets import preset_origin
from .shapes import as_input, input_shape
from .quoting import quoted, short
from .training_runs import Training
from .transfer import expected_members, read_arrays, read_config, read_start, start_npz
from .uploads import PREFIX, Upload

_, ngettext = domain("lab")
FRESH = (None, None, None)  # apply(start=FRESH): new weights from the seed, no momentum, the first batch


def load_dataset(name, seed=0, test_size=0.25):
    """A built-in dataset of engine.data (the app wraps this in st.cache_data)."""
    return load(name, seed=seed, test_size=test_size)


def data_key(config):
    """What fixes the data: the dataset, its seed and its test share."""
    return config.dataset, config.seed, config.test_size


def structure(config):
    """What fixes the weights: a change here builds a fresh model."""
    return (config.dataset, config.seed, config.test_size, config.layers, config.weight_seed)


class Lab(Training):
    """The state one learner's pages read and change; kept in st.session_state["lab"].

    An *unfinished* network (it builds, but the criterion cannot take its output yet, e.g. a
    last Linear of the wrong size) is kept with its data and fresh model: trace is None and
    `unfinished` says why and what to change, so the learner can build bottom-up.
    """

    def __init__(self, config=None, loader=load_dataset):
        self.loader = loader
        self.uploads = {}          # dataset name -> its Upload (the kept rows, compressed)
        self.history = None        # the last training run's History
        self.comparison = {}       # activation name -> History of the comparison run
        self.trained_epochs = 0
        self.notice = None         # what the last action adjusted or reported
        self.unfinished = None     # why no iteration is recorded (trace None), or None
        self.origin = None         # where the network came from: an Origin
        self.kept = None           # the last Origin that is not a preset (a link, an import, an upload)
        config = config or NetworkConfig()
        self.apply(config, origin=Origin("preset", "handout", config) if config == NetworkConfig() else None)

    # --- data ---

    def dataset_for(self, config):
        """config's Dataset: the current one while data_key(config) is unchanged (nothing is read, parsed or
        split again when the learning rate, momentum, criterion, batch size or mode change), else afresh."""
        if getattr(self, "config", None) is not None and data_key(config) == data_key(self.config):
            return self.data
        if config.dataset in self.uploads:
            return self.uploads[config.dataset].dataset(config.test_size, config.seed)
        if config.dataset.startswith(PREFIX):
            raise ValueError(_("dataset {name} was an upload: upload that CSV first")
                             .format(name=quoted(config.dataset)))
        if config.dataset not in DATASETS:
            raise ValueError(_("unknown dataset {name}; known: {known}").format(
                name=quoted(config.dataset), known=", ".join(map(short, self.dataset_names))))
        return self.loader(config.dataset, seed=config.seed, test_size=config.test_size)

    @property
    def dataset_names(self):
        return list(DATASETS) + list(self.uploads)

    @property
    def inputs(self):
        """One sample's shape as the network receives it: (D,) rows, or (1, H, W) images (lab.shapes)."""
        return input_shape(self.config, self.data)

    @property
    def outputs(self):
        """How many outputs the data wants from the last Linear: its classes, or 1 for regression."""
        return 1 if self.data.task == "regression" else self.data.n_classes

    def upload(self, filename, content):
        """Read a Kaggle MNIST-layout CSV and switch to it; ValueError (nothing changed) when it is bad."""
        upload = Upload(filename, content)
        self.switch_dataset(upload.name, upload.dataset(self.config.test_size, self.config.seed))
        self.uploads = {upload.name: upload}  # one upload per learner: a new one replaces the last
        self._came_from(Origin("upload", upload.filename, self.config))
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

    def apply(self, config, data=None, start=None, origin=None):
        """Switch to config and record its first iteration (or keep it unfinished, see the class).

        A new structure (data, seeds, split, layers) or a given `start` (model, optimizer or None,
        cursor or None) starts from fresh weights, momentum and batches; any other change
        (learning rate, momentum, batch size, criterion, mode) records the current iteration
        again from the weights it started from, so the learner sees what the change does to
        this very step. origin: where the network comes from (a preset, a link, ...), if it does.
        """
        config = check_config(config)
        data = data if data is not None else self.dataset_for(config)
        if config.batch_size > len(data.X_train):
            raise ValueError(ngettext("batch size {size} is larger than the {n} training sample",
                                      "batch size {size} is larger than the {n} training samples",
                                      len(data.X_train)).format(size=config.batch_size, n=len(data.X_train)))
        check_budget(config, data)
        fresh = start is not None or getattr(self, "config", None) is None \
            or structure(config) != structure(self.config)
        if fresh:
            model, optimizer, cursor = start or (None, None, None)
            model = model if model is not None else build_model(config, input_shape(config, data))
            optimizer = optimizer if optimizer is not None else build_optimizer(config)
            cursor = cursor if cursor is not None else BatchCursor(len(data.X_train), config.batch_size,
                                                                    config.seed)
        else:
            model, optimizer, cursor = self.start
            optimizer, cursor = copy.deepcopy(optimizer), copy.deepcopy(cursor)
            if config.optimizer == self.config.optimizer:
                optimizer.config.update(optimizer_settings(config))
            else:  # SGD <-> Adam: the same starting weights, the new optimizer's first step
                optimizer = build_optimizer(config)
            if config.batch_size != self.config.batch_size:
                cursor = BatchCursor(len(data.X_train), config.batch_size, config.seed)
        if not config.training:
            check_statistics(model)
        criterion = build_criterion(config)
        waiting = copy.deepcopy(cursor)  # the cursor before the batch, kept if nothing is recorded
        try:
            trace, recorded, after, start = self._record(model, criterion, optimizer, data, config, cursor)
            unfinished = None
        except ValueError as error:
            if not str(error).startswith(config.criterion):
                raise
            # The stack builds but the criterion cannot take its output yet: keep it, unrecorded.
            unfinished, trace, cursor = unfinished_reason(error, config, data), None, waiting
            recorded, after, start = model, optimizer, (model, optimizer, copy.deepcopy(waiting))
        self.config, self.data, self.criterion = config, data, criterion
        self.cursor, self.start, self.unfinished = cursor, start, unfinished
        self.trace, self.model, self.optimizer, self.stage, self.notice = trace, recorded, after, 0, None
        if fresh:
            self.history, self.comparison, self.trained_epochs = None, {}, 0
        if origin is not None:
            self._came_from(origin)

    def _came_from(self, origin):
        self.origin = origin
        if origin.kind != "preset":
            self.kept = origin

    def _record(self, model, criterion, optimizer, data, config, cursor):
        """trace_iteration on copies for the cursor's next batch (the cursor advances).

        Returns (trace, model after, optimizer after, start): start = (model, optimizer,
        cursor) as they were before the iteration, never changed afterwards.
        """
        start = (model, optimizer, copy.deepcopy(cursor))
        model, optimizer = copy.deepcopy(model), copy.deepcopy(optimizer)
        model.train() if config.training else model.evaluate()
        idx = cursor.next()
        x, y = as_input(config, data, data.X_train[idx]), targets(data, config, data.y_train[idx])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trace = trace_iteration(model, criterion, optimizer, x, y)
        return trace, model, optimizer, start

    def require_trace(self, action):
        """ValueError saying why `action` cannot run while the network is unfinished."""
        if self.trace is None:
            raise ValueError(_("{action} needs a finished network: {why}").format(action=action, why=self.unfinished))

    def new_iteration(self):
        """Record the next batch's iteration; the previous update has already been applied."""
        self.require_trace(_("a new iteration"))
        cursor = copy.deepcopy(self.cursor)
        trace, model, optimizer, start = self._record(self.model, self.criterion, self.optimizer,
                                                      self.data, self.config, cursor)
        self.trace, self.model, self.optimizer = trace, model, optimizer
        self.cursor, self.start, self.stage = cursor, start, 0

    # --- where the network came from, weights, export and import ---

    def load(self, origin):
        """Start afresh on origin's network: a preset's, a link's or an upload's, or an import's with its
        weights, momentum and batches."""
        if origin.arrays is not None:
            self._import(origin.config, origin.arrays, origin)
        else:
            self.apply(origin.config, start=FRESH, origin=origin)

    def load_preset(self, name):
        """Start afresh on preset `name`'s network (an upload preset's on the learner's upload: lab.presets)."""
        self.load(preset_origin(name, self.uploads))

    def open_link(self, config):
        """Open a shared link's network (lab.links.read_token's config)."""
        self.load(Origin("link", "", config))

    def back(self):
        """Back to the kept link's, import's or upload's network, as it came."""
        if self.kept is None:
            raise ValueError(_("there is no shared link, import or upload to go back to"))
        self.load(self.kept)

    def weights_npz(self):
        """The start of the shown iteration as .npz bytes: its weights before the update, BatchNorm
        statistics and Dropout generators, the momentum buffers and the batch cursor."""
        model, optimizer, cursor = self.start
        return start_npz(model, optimizer, cursor, self.trained_epochs)

    def import_files(self, config_content, weights_content, name="network.json"):
        """Load an exported configuration (JSON) and its weights (.npz); ValueError leaves all as it was.

        A file of weights_npz() records the exporter's very iteration again, number for number. Each member's
        header is checked against what config's network expects before any data is read."""
        config = read_config(config_content)
        data = self.dataset_for(config)
        check_budget(config, data)
        arrays = read_arrays(weights_content, expected_members(config, data))
        self._import(config, arrays, Origin("import", name, config, arrays), data)

    def _import(self, config, arrays, origin, data=None):
        data = data if data is not None else self.dataset_for(config)
        model, optimizer, cursor, trained = read_start(config, data, arrays)
        self.apply(config, data, start=(model, optimizer, cursor), origin=origin)
        self.trained_epochs = trained

    def new_weights(self):
        """Weights drawn from the next weights seed (the data and its batches stay the same)."""
        seed = (self.config.effective_weight_seed + 1) % 2**31
        self.apply(replace(self.config, weight_seed=seed))

    def reset_weights(self):
        """The current weights seed's initial weights again, with no momentum and the first batch."""
        self.apply(self.config, self.data, start=(build_model(self.config, self.inputs), None, None))

    # --- stepping through the recorded iteration ---

    @property
    def stages(self):
        return self.trace.stages if self.trace is not None else []

    @property
    def current(self):
        self.require_trace(_("the current stage"))
        return self.trace.stages[self.stage]

    def step(self, delta):
        self.require_trace(_("stepping"))
        self.stage = int(np.clip(self.stage + delta, 0, len(self.trace.stages) - 1))

    def jump(self, stage):
        self.require_trace(_("a stage"))
        if not 0 <= stage < len(self.trace.stages):
            raise ValueError(_("stage must be in [0, {last}], got {stage}").format(last=len(self.trace.stages) - 1,
                                                                                   stage=stage))
        self.stage = stage

    def jump_to(self, name):
        """Jump to the stage named `name` ("backward 0", "loss"); ValueError naming the stages otherwise."""
        self.require_trace(_("the stage {name}").format(name=quoted(name)))
        names = [str(stage) for stage in self.trace.stages]
        if name not in names:
            raise ValueError(_("the link's stage {name} is not a stage of this network ({stages}); showing the first "
                               "stage").format(name=quoted(name), stages=", ".join(names)))
        self.stage = names.index(name)
