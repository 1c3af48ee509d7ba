"""Train: fit for some epochs, watch the loss fall, see what the model predicts; compare activations."""
import time

import streamlit as st

from lab import network
from lab.layers import check_value
from lab.training_runs import COMPARED
from lab.trainer import trainer
from lab.training_worker import CAP, STOPPED
from ui.actions import act, error_for, lab, plain_name, plural, sync
from ui.cache import per_iteration
from ui.unfinished import require_trace
from viz.feature_maps import (conv_kernels, conv_layers, feature_maps_caption, first_conv, kernel_figures,
                              kernels_caption)
from viz.predictions import prediction_views
from viz.training import (comparison_figure, comparison_table, history_figures, history_table,
                          live_loss_figure)

L = lab()
require_trace("Train")  # an unfinished network cannot be trained: say why, point to Build
EDITS = {"train_batch_size": network.BATCH_SIZE, "train_learning_rate": network.LEARNING_RATE,
         "train_momentum": network.MOMENTUM, "train_beta1": network.BETA1}  # widget key -> the field it edits
SETTINGS = {key: arg for key, arg in EDITS.items()  # shown: SGD's momentum, or Adam's beta1 in its place
            if key != ("train_beta1" if L.config.optimizer == "SGD" else "train_momentum")}
LIVE_REDRAWS = 50  # the progress bar moves about this many times per run (lab.training_worker.REPORTS reports)
LIVE_BAR_S = 0.5  # ... and at least this often, so a long run's iteration count moves
LIVE_CHART_S = 0.5  # the live loss chart is redrawn at most this often: a figure costs the server far more
st.title("Train")
st.caption(f"Run the handout's loop (zero grads, forward, loss, backward, {L.config.optimizer} update) over many "
           "batches. Training starts from the current weights, and the Step page continues from the trained ones. "
           "A reload (F5) keeps the network but not its trained weights: export them on the Build page.")


# --- callbacks: each edits a copy of the config; a failure leaves the lab untouched ---

def on_setting(key):
    name = EDITS[key].name
    act(key, lambda: L.apply(network.set_value(L.config, name, st.session_state[key])),
        kept=getattr(L.config, name))


def on_epochs():
    """Keep a number of epochs in range; out of range, say so and show the last one again."""
    kept = st.session_state.get("_train_epochs", network.EPOCHS.default)
    if act("train_epochs", check_value, network.EPOCHS, st.session_state.train_epochs, kept=kept) is not None:
        remember("train_epochs")


def remember(key):
    """Copy widget `key`'s value where it survives a visit to another page (Streamlit drops widget state)."""
    st.session_state[f"_{key}"] = st.session_state[key]


def recall(key, default):
    sync(key, st.session_state.get(f"_{key}", default))
    return dict(key=key, on_change=remember, args=(key,))


def settings_line(epochs):
    c = L.config
    return (f"{plural(epochs, 'epoch')} · batch size {c.batch_size} · {network.optimizer_summary(c)} · "
            f"{plain_name(c.dataset)}, seed {c.seed}")


# --- settings ---

# No widget limits: an out-of-range number reaches the lab, which says the range and what was kept.
epochs_col, *setting_cols = st.columns(4)
with epochs_col:
    sync("train_epochs", st.session_state.get("_train_epochs", network.EPOCHS.default))
    st.number_input(network.EPOCHS.field(title=True), step=1, help="passes over the training set",
                    key="train_epochs", on_change=on_epochs)
    error_for("train_epochs")
for column, (key, arg) in zip(setting_cols, SETTINGS.items()):
    sync(key, getattr(L.config, arg.name))
    with column:
        if arg.integer:
            st.number_input(arg.field(title=True), step=1, key=key, on_change=on_setting, args=(key,),
                            help=f"{len(L.data.X_train)} training samples: at most that many per batch")
        else:
            st.number_input(arg.field(title=True), format="%g", step=arg.step, key=key,
                            on_change=on_setting, args=(key,))
        error_for(key)
epochs = int(st.session_state.train_epochs)


# --- training, in the server's training process, drawn live here so the progress bar and the curve move ---

class LiveBar:
    """The progress bar of a run in the training process: its place in line, its progress, who shares it.

    Each redraw is also where a click (Stop, or anywhere) interrupts this rerun: the run then stops at
    its next iteration and keeps what it trained (lab.trainer). tick and waiting come at least every
    lab.trainer.WAITING_S, whatever the run reports.
    """

    def __init__(self, bar, text, kept):
        self.bar, self.done, self.text, self.kept = bar, 0.0, text, kept  # kept(): after the Lab kept a Stop's run
        self.shown = 0.0

    def due(self, progress):
        """True every ~1/LIVE_REDRAWS of a run, at its end, and LIVE_BAR_S after the last redraw."""
        every = max(1, progress.n_iterations // LIVE_REDRAWS)
        return (progress.iteration % every == 0 or progress.iteration == progress.n_iterations
                or time.monotonic() - self.shown >= LIVE_BAR_S)

    def show(self, done, text):
        self.done, self.text, self.shown = min(1.0, done), text, time.monotonic()
        self.bar.progress(self.done, text=text)

    def waiting(self, ahead):
        if ahead:
            self.bar.progress(0.0, text=f"waiting for a turn in the training process: {plural(ahead, 'run')} of "
                                        "other learners take theirs first (a fraction of a second each)")
        elif ahead == 0:
            self.bar.progress(0.0, text="starting the training process…")

    def tick(self, sharing):
        others = f" · taking turns with {plural(sharing - 1, 'run')} of other learners" if sharing > 1 else ""
        self.bar.progress(self.done, text=self.text + others)

    def runner(self, jobs, callback, keep):
        """A runner for L.train / L.compare: the server's one training process (lab.trainer)."""
        def keeping(outcomes):  # the run was stopped: this rerun ends here, and the Lab keeps the run
            keep(outcomes)
            self.kept()
        return trainer().run(jobs, callback, waiting=self.waiting, tick=self.tick, keep=keeping)


def train_live(bar, chart):
    """lab.train with the bar moved every ~1/LIVE_REDRAWS of the run and the batch-loss curve every LIVE_CHART_S."""
    losses, drawn = [], [0.0]
    before = conv_kernels(L.model)  # a few small copies: the kernels to compare with after the run

    def kept():
        st.session_state["_train_settings"] = settings_line(epochs)
        if L.history.stopped_reason != "non-finite loss":  # that run kept no model: nothing to compare
            st.session_state["_train_kernels_before"] = {"history": L.history, "kernels": before}

    def callback(progress):
        losses.append(progress.loss)
        if live.due(progress):
            live.show(progress.iteration / progress.n_iterations,
                      f"epoch {progress.epoch} / {progress.epochs}, iteration {progress.iteration} / "
                      f"{progress.n_iterations}")
            if time.monotonic() - drawn[0] >= LIVE_CHART_S:
                chart.plotly_chart(live_loss_figure(losses, progress.n_iterations),
                                   key=f"train_live_{progress.iteration}")
                drawn[0] = time.monotonic()

    live = LiveBar(bar.progress(0.0, text="starting…"), "starting…", kept)
    if act("train_start", L.train, epochs, callback, runner=live.runner) is not None:
        kept()


def compare_live(bar):
    """lab.compare with one bar over the four runs."""
    def kept():
        st.session_state["_compare_settings"] = settings_line(epochs)

    def callback(progress, name):
        run = COMPARED.index(name) if name in COMPARED else 0
        if live.due(progress):
            live.show((run + progress.iteration / progress.n_iterations) / len(COMPARED),
                      f"{name} (run {run + 1} / {len(COMPARED)}): epoch {progress.epoch} / {progress.epochs}")

    live = LiveBar(bar.progress(0.0, text="starting the comparison…"), "starting the comparison…", kept)
    if act("train_compare", L.compare, epochs, callback, runner=live.runner) is not None:
        kept()


def cap_text():
    """The cap of a run's compute, as the learner reads it: "5 minutes", "30 s"."""
    cap = trainer().cap_s
    return plural(int(cap // 60), "minute") if cap >= 60 and cap % 60 == 0 else f"{cap:g} s"


start_col, compare_col = st.columns(2)
with start_col:
    start = st.button(f"Train {epochs} epoch{'s' * (epochs != 1)}", key="train_start", type="primary",
                      help="train from the current weights; the Step page continues from the result")
with compare_col:
    compare = st.button("Compare ReLU, LeakyReLU, ELU, SoftPlus", key="train_compare",
                        help="the handout's exercise: the same stack with each activation, fresh weights "
                             "from the same seed, the same batches; your model is not changed")
st.caption(f"A run gets at most {cap_text()} of the training process's time; a longer one stops there and keeps "
           "what it trained (train again to go on). The process is shared: the runs of all learners take "
           "turns in it, a fraction of a second each, so yours starts at once and may take longer than alone. "
           "*Stop* ends a run at its next iteration and keeps it too.")
stop = st.empty()
bar = st.empty()
chart = st.empty()
if start or compare:
    stop.button("Stop", key="train_stop", icon="⏹️", help="stop the run at its next iteration; what it trained is "
                                                          "kept, and the Step page continues from it")
if start:
    train_live(bar, chart)
if compare:
    compare_live(bar)
stop.empty()
with start_col:
    error_for("train_start")
with compare_col:
    error_for("train_compare")  # e.g. no activation to swap


# --- the last run, drawn from lab.history on every rerun ---

history = L.history
if history is not None:
    if history.stopped_reason == "non-finite loss":
        where = (f"the first NaN/inf output came from {history.nonfinite_layer}" if history.nonfinite_layer
                 else "every layer's output was finite: the loss itself overflowed")
        st.error(f"Training stopped at the first non-finite loss, in epoch {history.stopped_epoch}, "
                 f"iteration {history.stopped_iteration} of this run: {where}. The last working model "
                 f"was kept (the weights from before this run); try a smaller learning rate or momentum.",
                 icon="💥")
    elif history.train_loss:
        numbers = [f"train loss {history.train_loss[-1]:.4g}"]
        numbers += [f"test loss {history.val_loss[-1]:.4g}"] if history.val_loss else []
        numbers += [f"train accuracy {history.train_accuracy[-1]:.3f}"] if history.train_accuracy else []
        numbers += [f"test accuracy {history.val_accuracy[-1]:.3f}"] if history.val_accuracy else []
        trained = (f"Trained {plural(history.epochs_run, 'epoch')} ({L.trained_epochs} in total on this page): "
                   f"{', '.join(numbers)}. The Step page continues from these weights.")
        where = f"in epoch {history.stopped_epoch}, at iteration {history.stopped_iteration or 0:,}"
        if history.stopped_reason == CAP:
            st.warning(f"This run reached the cap of {cap_text()} of training per run and stopped {where}, keeping "
                       f"what it trained (the last epoch partly). {trained} Train again to go on, or try fewer "
                       "epochs, a larger batch or fewer units.", icon="⏱️")
        elif history.stopped_reason == STOPPED:
            st.info(f"Stopped {where}, keeping what it trained (the last epoch partly). {trained}", icon="⏹️")
        else:
            st.success(trained, icon="✅")
    if st.session_state.get("_train_settings"):
        st.caption(f"Last run: {st.session_state['_train_settings']}.")
    chart.plotly_chart(live_loss_figure(history.iteration_loss), key="train_iteration_loss")
    loss_fig, accuracy_fig = history_figures(history)
    loss_col, accuracy_col = st.columns(2)
    loss_col.plotly_chart(loss_fig, key="train_loss_curves")
    if accuracy_fig is not None:
        accuracy_col.plotly_chart(accuracy_fig, key="train_accuracy_curves")
    with st.expander("History, epoch by epoch"):
        st.dataframe(history_table(history), hide_index=True)
else:
    st.info("Not trained yet: set the epochs and click Train. The pictures below show the model at its "
            "current (initial) weights.", icon="📈")


# --- what the current model predicts ---

st.subheader("What the model predicts now")
split_col, images_col = st.columns(2)
split = split_col.radio("Samples", ("test", "train"), horizontal=True, format_func=lambda s: f"{s} set",
                        **recall("train_split", "test"))
wrong_first = L.data.image_shape is not None and images_col.toggle(
    "Misclassified images first", **recall("train_wrong_first", False))
trained = (f"after {plural(L.trained_epochs, 'epoch')} of training" if L.trained_epochs
           else "at its current, untrained weights")
n_samples = len(L.data.X_test if split == "test" else L.data.X_train)
st.caption(f"The current model {trained}, on the {n_samples} samples of the {split} set.")
try:
    views = per_iteration("_train_predictions", (split, wrong_first), keep=2,
                          compute=lambda: prediction_views(L.model, L.data, split, wrong_first=wrong_first,
                                                                 inputs=L.inputs))
except ValueError as error:  # e.g. the last layer's size does not match the classes
    views = []
    st.warning(f"Cannot draw the predictions: {error}", icon="⚠️")
if not views and L.data.task == "regression":
    st.caption(f"No picture for {L.data.n_features}-D regression inputs: see the loss curves.")
for name, fig in sorted(views, key=lambda view: view[0] == "confusion"):  # the wide image strips first
    target = st.columns(2)[0] if name == "confusion" else st.container()
    target.plotly_chart(fig, key=f"train_{name}")
    if name == "feature_maps":
        target.caption(feature_maps_caption(first_conv(L.model)))


# --- a CNN's kernels, beside the ones from before the last run when this page kept them ---

if conv_layers(L.model):
    st.subheader("Learned kernels")
    kept = st.session_state.get("_train_kernels_before")
    before = kept["kernels"] if kept and kept["history"] is L.history and L.trained_epochs else None
    st.caption(kernels_caption(L.trained_epochs, before is not None))
    for index, fig in per_iteration("_train_kernels", before is not None, lambda: kernel_figures(L.model, before)):
        st.plotly_chart(fig, key=f"train_kernels_{index}", width="content")


# --- the comparison of activations ---

if L.comparison:
    st.subheader("Activations compared")
    st.caption(f"Each run: the same layers with the activation swapped, fresh weights from seed "
               f"{L.config.seed}, the same batches. "
               + (f"Settings: {st.session_state['_compare_settings']}."
                  if st.session_state.get("_compare_settings") else ""))
    log_y = st.toggle("Log scale for the losses", **recall("train_compare_log", False))
    metrics = ["train_loss", "val_loss"]
    if L.data.task == "classification":
        metrics += ["train_accuracy", "val_accuracy"]
    for row in range(0, len(metrics), 2):
        for column, metric in zip(st.columns(2), metrics[row:row + 2]):
            column.plotly_chart(comparison_figure(L.comparison, metric, log_y=log_y and "loss" in metric),
                                key=f"train_compare_{metric}")
    st.dataframe(comparison_table(L.comparison), hide_index=True)
