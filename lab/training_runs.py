"""Training a Lab: fit its model on copies, and the activation comparison (mixed into lab.session.Lab)."""
import copy
import threading

import i18n
from i18n import domain

from .fitting import targets
from .network import build_model, build_optimizer, with_activation
from .shapes import as_input, input_shape
from .training_worker import TrainJob, run_jobs

_, ngettext = domain("lab")

COMPARED = ("ReLU", "LeakyReLU", "ELU", "SoftPlus")


class Training:
    """Lab's training: train() and compare() run TrainJobs of its data, criterion and batch size."""

    @property
    def _training(self):
        """Held while a run of this Lab trains or what it trained is being kept."""
        return self.__dict__.setdefault("_training_lock", threading.Lock())

    def settle(self, timeout):
        """Wait (at most timeout s) until no run of this Lab trains or is being kept: a click during a run
        starts the next rerun at once (Streamlit's fast reruns) while the interrupted one still stops."""
        if self._training.acquire(timeout=timeout):
            self._training.release()

    def train(self, epochs, callback=None, runner=run_jobs):
        """fit on copies; commit the trained weights unless the loss went non-finite. Returns the History.

        runner(jobs, callback(run, progress), keep) runs the fit: here (lab.trainer.run_jobs), or in the
        server's training process (lab.trainer.Trainer.run), which gives back the trained copies, and
        hands keep what a run stopped by an interruption of this thread (Stop) trained: that is kept too.
        """
        with self._training:
            self.require_trace(_("training"))
            job = self._job(copy.deepcopy(self.model), copy.deepcopy(self.optimizer), epochs,
                            seed=self.config.seed + self.trained_epochs)
            (outcome,) = runner([job], callback and (lambda run, progress: callback(progress)),
                                keep=lambda outcomes: self._commit(outcomes[0]))
            return self._commit(outcome)

    def _commit(self, outcome):
        """Take a run's trained model and optimizer (not after a non-finite loss); the History either way."""
        history = self.history = outcome.history
        if history.stopped_reason == "non-finite loss":
            return history  # the last working model stays; the page says where it broke
        self.trained_epochs += history.epochs_run
        self.model, self.optimizer = outcome.model, outcome.optimizer
        self.new_iteration()  # stepping continues from the trained weights
        return history

    def compare(self, epochs, callback=None, activations=COMPARED, runner=run_jobs):
        """The same stack with each activation, fresh weights from the same seed, same batches (runner: see train)."""
        with self._training:
            self.require_trace(_("the comparison"))
            if not any(spec["kind"] in COMPARED for spec in self.config.layers):
                raise ValueError(_("the network has no activation layer to swap: add ReLU, LeakyReLU, ELU "
                                   "or SoftPlus between two Linear layers"))
            names, jobs = list(activations), []
            for name in names:
                config = with_activation(self.config, name)
                model = build_model(config, input_shape(config, self.data))
                jobs.append(self._job(model, build_optimizer(config), epochs, seed=self.config.seed))

            def keep(outcomes):
                self.comparison = {name: outcome.history for name, outcome in zip(names, outcomes)}  # to a stop

            keep(runner(jobs, callback and (lambda run, progress: callback(progress, names[run])), keep=keep))
            return self.comparison

    def _job(self, model, optimizer, epochs, seed):
        """A TrainJob of model and optimizer on this Lab's data, criterion and batch size."""
        data, config = self.data, self.config
        return TrainJob(model, optimizer, self.criterion, as_input(config, data, data.X_train),
                        targets(data, config, data.y_train), as_input(config, data, data.X_test),
                        targets(data, config, data.y_test), epochs, config.batch_size, seed, i18n.current())
