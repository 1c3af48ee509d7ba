"""Training a Lab: fit its model on copies, and the activation comparison (mixed into lab.session.Lab)."""
import copy

from .fitting import targets
from .network import build_model, build_optimizer, with_activation
from .shapes import as_input, input_shape
from .trainer import TrainJob, run_jobs

COMPARED = ("ReLU", "LeakyReLU", "ELU", "SoftPlus")


class Training:
    """Lab's training: train() and compare() run TrainJobs of its data, criterion and batch size."""

    def train(self, epochs, callback=None, runner=run_jobs):
        """fit on copies; commit the trained weights unless the loss went non-finite. Returns the History.

        runner(jobs, callback(run, progress)) runs the fit: here (lab.trainer.run_jobs), or in the
        server's training process (lab.trainer.Trainer.run), which gives back the trained copies.
        """
        self.require_trace("training")
        job = self._job(copy.deepcopy(self.model), copy.deepcopy(self.optimizer), epochs,
                        seed=self.config.seed + self.trained_epochs)
        (outcome,) = runner([job], callback and (lambda run, progress: callback(progress)))
        history = self.history = outcome.history
        if history.stopped_reason == "non-finite loss":
            return history  # the last working model stays; the page says where it broke
        self.trained_epochs += history.epochs_run
        self.model, self.optimizer = outcome.model, outcome.optimizer
        self.new_iteration()  # stepping continues from the trained weights
        return history

    def compare(self, epochs, callback=None, activations=COMPARED, runner=run_jobs):
        """The same stack with each activation, fresh weights from the same seed, same batches (runner: see train)."""
        self.require_trace("the comparison")
        if not any(spec["kind"] in COMPARED for spec in self.config.layers):
            raise ValueError("the network has no activation layer to swap: add ReLU, LeakyReLU, ELU "
                             "or SoftPlus between two Linear layers")
        names, jobs = list(activations), []
        for name in names:
            config = with_activation(self.config, name)
            jobs.append(self._job(build_model(config, input_shape(config, self.data)), build_optimizer(config), epochs,
                                  seed=self.config.seed))
        outcomes = runner(jobs, callback and (lambda run, progress: callback(progress, names[run])))
        self.comparison = {name: outcome.history for name, outcome in zip(names, outcomes)}  # to a stop
        return self.comparison

    def _job(self, model, optimizer, epochs, seed):
        """A TrainJob of model and optimizer on this Lab's data, criterion and batch size."""
        data, config = self.data, self.config
        return TrainJob(model, optimizer, self.criterion, as_input(config, data, data.X_train),
                        targets(data, config, data.y_train), as_input(config, data, data.X_test),
                        targets(data, config, data.y_test), epochs, config.batch_size, seed)
