"""Train: fit for some epochs, watch the loss fall, see what the model predicts; compare activations."""
import time

import streamlit as st

from i18n import domain
from lab import network
from lab.layers import check_value
from lab.training_runs import COMPARED
from lab.trainer import trainer
from lab.training_worker import CAP, STOPPED
from ui.actions import act, error_for, lab, plain_name, sync
from ui.cache import per_iteration
from ui.unfinished import require_trace
from viz.feature_maps import (conv_kernels, conv_layers, feature_maps_caption, first_conv, kernel_figures,
                              kernels_caption)
from viz.predictions import prediction_views
from viz.training import (comparison_figure, comparison_table, history_figures, history_table,
                          live_loss_figure)

_, ngettext = domain("pages")
L = lab()
require_trace(_("Train"))  # an unfinished network cannot be trained: say why, point to Build
EDITS = {"train_batch_size": network.BATCH_SIZE, "train_learning_rate": network.LEARNING_RATE,
         "train_momentum": network.MOMENTUM, "train_beta1": network.BETA1}  # widget key -> the field it edits
SETTINGS = {key: arg for key, arg in EDITS.items()  # shown: SGD's momentum, or Adam's beta1 in its place
            if key != ("train_beta1" if L.config.optimizer == "SGD" else "train_momentum")}
LIVE_REDRAWS = 50  # the progress bar moves about this many times per run (lab.training_worker.REPORTS reports)
LIVE_BAR_S = 0.5  # ... and at least this often, so a long run's iteration count moves
LIVE_CHART_S = 0.5  # the live loss chart is redrawn at most this often: a figure costs the server far more
st.title(_("Train"))
st.caption(_("Run the handout's loop (zero grads, forward, loss, backward, {optimizer} update) over many batches. "
             "Training starts from the current weights, and the Step page continues from the trained ones. A reload "
             "(F5) keeps the network but not its trained weights: export them on the Build page.").format(
    optimizer=L.config.optimizer))


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
    return _("{epochs} · batch size {batch} · {optimizer} · {dataset}, seed {seed}").format(
        epochs=epoch_count(epochs), batch=c.batch_size, optimizer=network.optimizer_summary(c),
        dataset=plain_name(c.dataset), seed=c.seed)


def epoch_count(n):
    return ngettext("{n} epoch", "{n} epochs", n).format(n=n)


# --- settings ---

# No widget limits: an out-of-range number reaches the lab, which says the range and what was kept.
epochs_col, *setting_cols = st.columns(4)
with epochs_col:
    sync("train_epochs", st.session_state.get("_train_epochs", network.EPOCHS.default))
    st.number_input(network.EPOCHS.field(title=True), step=1, help=_("passes over the training set"),
                    key="train_epochs", on_change=on_epochs)
    error_for("train_epochs")
for column, (key, arg) in zip(setting_cols, SETTINGS.items()):
    sync(key, getattr(L.config, arg.name))
    with column:
        if arg.integer:
            st.number_input(arg.field(title=True), step=1, key=key, on_change=on_setting, args=(key,),
                            help=ngettext("{n} training sample: at most that many per batch",
                                          "{n} training samples: at most that many per batch",
                                          len(L.data.X_train)).format(n=len(L.data.X_train)))
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
            self.bar.progress(0.0, text=ngettext(
                "waiting for a turn in the training process: {n} run of other learners takes its turn first (a "
                "fraction of a second)", "waiting for a turn in the training process: {n} runs of other learners "
                "take theirs first (a fraction of a second each)", ahead).format(n=ahead))
        elif ahead == 0:
            self.bar.progress(0.0, text=_("starting the training process…"))

    def tick(self, sharing):
        others = ngettext(" · taking turns with {n} run of other learners",
                          " · taking turns with {n} runs of other learners", sharing - 1).format(n=sharing - 1) \
            if sharing > 1 else ""
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
                      _("epoch {epoch} / {epochs}, iteration {iteration} / {iterations}").format(
                          epoch=progress.epoch, epochs=progress.epochs, iteration=progress.iteration,
                          iterations=progress.n_iterations))
            if time.monotonic() - drawn[0] >= LIVE_CHART_S:
                chart.plotly_chart(live_loss_figure(losses, progress.n_iterations),
                                   key=f"train_live_{progress.iteration}")
                drawn[0] = time.monotonic()

    live = LiveBar(bar.progress(0.0, text=_("starting…")), _("starting…"), kept)
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
                      _("{name} (run {run} / {runs}): epoch {epoch} / {epochs}").format(
                          name=name, run=run + 1, runs=len(COMPARED), epoch=progress.epoch, epochs=progress.epochs))

    live = LiveBar(bar.progress(0.0, text=_("starting the comparison…")), _("starting the comparison…"), kept)
    if act("train_compare", L.compare, epochs, callback, runner=live.runner) is not None:
        kept()


def sample_count(n):
    return ngettext("{n} sample", "{n} samples", n).format(n=n)


def cap_text():
    """The cap of a run's compute, as the learner reads it: "5 minutes", "30 s"."""
    cap = trainer().cap_s
    if cap >= 60 and cap % 60 == 0:
        return ngettext("{n} minute", "{n} minutes", int(cap // 60)).format(n=int(cap // 60))
    return _("{seconds} s").format(seconds=f"{cap:g}")


start_col, compare_col = st.columns(2)
with start_col:
    start = st.button(ngettext("Train {n} epoch", "Train {n} epochs", epochs).format(n=epochs), key="train_start",
                      type="primary", help=_("train from the current weights; the Step page continues from the result"))
with compare_col:
    compare = st.button(_("Compare ReLU, LeakyReLU, ELU, SoftPlus"), key="train_compare",
                        help=_("the handout's exercise: the same stack with each activation, fresh weights "
                               "from the same seed, the same batches; your model is not changed"))
st.caption(_("A run gets at most {cap} of the training process's time; a longer one stops there and keeps "
             "what it trained (train again to go on). The process is shared: the runs of all learners take "
             "turns in it, a fraction of a second each, so yours starts at once and may take longer than alone. "
             "*Stop* ends a run at its next iteration and keeps it too.").format(cap=cap_text()))
stop = st.empty()
bar = st.empty()
chart = st.empty()
if start or compare:
    stop.button(_("Stop"), key="train_stop", icon="⏹️", help=_("stop the run at its next iteration; what it trained "
                                                                "is kept, and the Step page continues from it"))
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
        where = (_("the first NaN/inf output came from {layer}").format(layer=history.nonfinite_layer)
                 if history.nonfinite_layer else _("every layer's output was finite: the loss itself overflowed"))
        st.error(_("Training stopped at the first non-finite loss, in epoch {epoch}, iteration {iteration} of this "
                   "run: {where}. The last working model was kept (the weights from before this run); try a smaller "
                   "learning rate or momentum.").format(epoch=history.stopped_epoch,
                                                        iteration=history.stopped_iteration, where=where),
                 icon="💥")
    elif history.train_loss:
        numbers = [_("train loss {value}").format(value=f"{history.train_loss[-1]:.4g}")]
        numbers += [_("test loss {value}").format(value=f"{history.val_loss[-1]:.4g}")] if history.val_loss else []
        numbers += [_("train accuracy {value}").format(value=f"{history.train_accuracy[-1]:.3f}")] \
            if history.train_accuracy else []
        numbers += [_("test accuracy {value}").format(value=f"{history.val_accuracy[-1]:.3f}")] \
            if history.val_accuracy else []
        trained = ngettext("Trained {n} epoch ({total} in total on this page): {numbers}. The Step page continues "
                           "from these weights.", "Trained {n} epochs ({total} in total on this page): {numbers}. "
                           "The Step page continues from these weights.", history.epochs_run).format(
            n=history.epochs_run, total=L.trained_epochs, numbers=", ".join(numbers))
        epoch, iteration = history.stopped_epoch, f"{history.stopped_iteration or 0:,}"
        if history.stopped_reason == CAP:
            st.warning(_("This run reached the cap of {cap} of training per run and stopped in epoch {epoch}, at "
                         "iteration {iteration}, keeping what it trained (the last epoch partly). {trained} Train "
                         "again to go on, or try fewer epochs, a larger batch or fewer units.").format(
                cap=cap_text(), epoch=epoch, iteration=iteration, trained=trained), icon="⏱️")
        elif history.stopped_reason == STOPPED:
            st.info(_("Stopped in epoch {epoch}, at iteration {iteration}, keeping what it trained (the last epoch "
                      "partly). {trained}").format(epoch=epoch, iteration=iteration, trained=trained), icon="⏹️")
        else:
            st.success(trained, icon="✅")
    if st.session_state.get("_train_settings"):
        st.caption(_("Last run: {settings}.").format(settings=st.session_state["_train_settings"]))
    chart.plotly_chart(live_loss_figure(history.iteration_loss), key="train_iteration_loss")
    loss_fig, accuracy_fig = history_figures(history)
    loss_col, accuracy_col = st.columns(2)
    loss_col.plotly_chart(loss_fig, key="train_loss_curves")
    if accuracy_fig is not None:
        accuracy_col.plotly_chart(accuracy_fig, key="train_accuracy_curves")
    with st.expander(_("History, epoch by epoch")):
        st.dataframe(history_table(history), hide_index=True)
else:
    st.info(_("Not trained yet: set the epochs and click Train. The pictures below show the model at its "
              "current (initial) weights."), icon="📈")


# --- what the current model predicts ---

st.subheader(_("What the model predicts now"))
split_col, images_col = st.columns(2)
SPLITS = {"test": _("test set"), "train": _("train set")}
split = split_col.radio(_("Samples"), tuple(SPLITS), horizontal=True, format_func=SPLITS.get,
                        **recall("train_split", "test"))
wrong_first = L.data.image_shape is not None and images_col.toggle(
    _("Misclassified images first"), **recall("train_wrong_first", False))
n_samples = len(L.data.X_test if split == "test" else L.data.X_train)
if L.trained_epochs:
    st.caption(ngettext("The current model after {n} epoch of training, on the {samples} of the {split}.",
                        "The current model after {n} epochs of training, on the {samples} of the {split}.",
                        L.trained_epochs).format(n=L.trained_epochs, samples=sample_count(n_samples),
                                                 split=SPLITS[split]))
else:
    st.caption(_("The current model at its current, untrained weights, on the {samples} of the {split}.").format(
        samples=sample_count(n_samples), split=SPLITS[split]))
try:
    views = per_iteration("_train_predictions", (split, wrong_first), keep=2,
                          compute=lambda: prediction_views(L.model, L.data, split, wrong_first=wrong_first,
                                                                 inputs=L.inputs))
except ValueError as error:  # e.g. the last layer's size does not match the classes
    views = []
    st.warning(_("Cannot draw the predictions: {error}").format(error=error), icon="⚠️")
if not views and L.data.task == "regression":
    st.caption(_("No picture for {n}-D regression inputs: see the loss curves.").format(n=L.data.n_features))
for name, fig in sorted(views, key=lambda view: view[0] == "confusion"):  # the wide image strips first
    target = st.columns(2)[0] if name == "confusion" else st.container()
    target.plotly_chart(fig, key=f"train_{name}")
    if name == "feature_maps":
        target.caption(feature_maps_caption(first_conv(L.model)))


# --- a CNN's kernels, beside the ones from before the last run when this page kept them ---

if conv_layers(L.model):
    st.subheader(_("Learned kernels"))
    kept = st.session_state.get("_train_kernels_before")
    before = kept["kernels"] if kept and kept["history"] is L.history and L.trained_epochs else None
    st.caption(kernels_caption(L.trained_epochs, before is not None))
    for index, fig in per_iteration("_train_kernels", before is not None, lambda: kernel_figures(L.model, before)):
        st.plotly_chart(fig, key=f"train_kernels_{index}", width="content")


# --- the comparison of activations ---

if L.comparison:
    st.subheader(_("Activations compared"))
    st.caption(_("Each run: the same layers with the activation swapped, fresh weights from seed {seed}, the same "
                 "batches.").format(seed=L.config.seed)
               + (" " + _("Settings: {settings}.").format(settings=st.session_state["_compare_settings"])
                  if st.session_state.get("_compare_settings") else ""))
    log_y = st.toggle(_("Log scale for the losses"), **recall("train_compare_log", False))
    metrics = ["train_loss", "val_loss"]
    if L.data.task == "classification":
        metrics += ["train_accuracy", "val_accuracy"]
    for row in range(0, len(metrics), 2):
        for column, metric in zip(st.columns(2), metrics[row:row + 2]):
            column.plotly_chart(comparison_figure(L.comparison, metric, log_y=log_y and "loss" in metric),
                                key=f"train_compare_{metric}")
    st.dataframe(comparison_table(L.comparison), hide_index=True)
