"""Build: the data, the layer stack, the criterion and the optimizer; presets, code, export and import."""
from dataclasses import replace

import streamlit as st

from engine.data import described
from i18n import domain
from lab import network, uploads
from lab.advice import advice
from lab.layers import ACTIVATIONS, KINDS, describe
from lab.links import is_local, link, shareable
from lab.origin import Origin
from lab.presets import PRESETS
from lab.quoting import short
from lab.transfer import MAX_JSON_BYTES, MAX_NPZ_BYTES, config_json
from ui import classroom as lecture
from ui.actions import act, error_for, lab, plain, plain_name, sync
from ui.uploader import file_uploader
from viz.stage_strip import short_label
from viz.summary import SUMMARY_COLUMNS, summary_table

_, ngettext = domain("pages")
lab_ = domain("lab")[0]  # the presets' titles and lessons and the layers' descriptions are the lab's words
L = lab()
KEPT = "kept"  # the preset selector's entry for the kept link, import or upload (lab.kept)
IMPORTS = "_import_files"  # session key: {"import_config" | "import_weights": (name, bytes)} chosen for Import
st.title(_("Build a network"))


# --- callbacks: each edits a copy of the config; a failure leaves the lab untouched ---

def on_preset():
    name = st.session_state.preset
    if name == KEPT:
        act("preset", L.back)
    else:
        act("preset", L.load_preset, name)


def on_dataset():
    act("dataset", L.switch_dataset, st.session_state.dataset)


def on_setting(name):
    act(name, lambda: L.apply(network.set_value(L.config, name, st.session_state[name])),
        kept=getattr(L.config, name))


def on_criterion():
    act("criterion", L.apply, replace(L.config, criterion=st.session_state.criterion))


def on_optimizer():
    act("optimizer", L.apply, replace(L.config, optimizer=st.session_state.optimizer))


def stack():
    """The layer kinds in order: which layer position i meant when a row's widgets were drawn."""
    return tuple(spec["kind"] for spec in L.config.layers)


def drawn_for(drawn):
    """L.config, if it still has the stack the clicked row was drawn for (else a double click or a
    quick second edit would reach the layer that has moved into that position)."""
    if stack() != drawn:
        raise ValueError(_("the layers changed before this click arrived, so it was not applied; "
                           "the rows now show the current stack"))
    return L.config


def on_arg(i, name, drawn):
    key = f"layer_{i}_{name}"
    kept = L.config.layers[i][name] if stack() == drawn else None
    act(key, lambda: L.apply(network.set_layer_arg(drawn_for(drawn), i, name, st.session_state[key])),
        kept=kept)


def on_edit(key, edit, *args, drawn=None):
    act(key, lambda: L.apply(edit(L.config if drawn is None else drawn_for(drawn), *args)))


def on_upload(name, content):
    act("csv_upload", L.upload, name, content)


def on_import_file(key, name, content):
    """Keep a chosen import file's bytes (capped by its uploader) until Import; the uploader drops it."""
    st.session_state.setdefault(IMPORTS, {})[key] = (name, bytes(content))


def on_import():
    chosen = st.session_state.get(IMPORTS, {})
    if len(chosen) < 2:
        st.session_state.setdefault("_errors", {})["import"] = _("choose both files: the .json and the .npz")
        return
    (name, config), (_weights_name, weights) = st.session_state.pop(IMPORTS)["import_config"], chosen["import_weights"]
    act("import", L.import_files, config, weights, name)


def shape_text(shape):
    """A per-sample shape as it reads beside a layer: "10 features", "images (4, 8, 8)"."""
    if len(shape) == 1:
        return ngettext("{n} feature", "{n} features", shape[0]).format(n=shape[0])
    return _("images {shape}").format(shape=shape)


def received(shape, batch):
    """What the first layer receives: "rows (8, 64)" or "images (8, 1, 8, 8)"."""
    sizes = ", ".join(map(str, (batch,) + tuple(shape)))
    return (_("rows ({sizes})") if len(shape) == 1 else _("images ({sizes})")).format(sizes=sizes)


def number_field(arg, key, on_change, args, label=None):
    """A number input without widget limits: an out-of-range value reaches the lab, which refuses it
    with the range beside the field; the label states the range."""
    st.number_input(label or arg.field(), step=int(arg.step) if arg.integer else arg.step, format=None if arg.integer else "%g", key=key,
                    on_change=on_change, args=args)


# --- presets and data ---

left, right = st.columns(2, gap="large")
with left:
    st.subheader(_("Preset"))
    origin = L.origin if L.origin is not None else Origin("preset", "handout", PRESETS["handout"].config)
    selected = KEPT if origin.kind != "preset" else origin.name
    sync("preset", selected)
    # Each format_func below reads labels translated now: AppTest calls it again outside the run.
    presets = {name: lab_(L.kept.title if name == KEPT else PRESETS[name].title)
               for name in ([KEPT] if L.kept is not None else []) + list(PRESETS)}
    st.selectbox(_("Preset"), list(presets), key="preset", format_func=presets.get,
                 on_change=on_preset)
    error_for("preset")
    if selected == KEPT:
        st.info(plain(origin.about), icon="🔗")
    else:
        st.info(lab_(PRESETS[selected].teaches), icon="💡")
    if L.config != origin.config:
        st.caption(_("Your network has changed since {since}.").format(since=plain(origin.since)))
        st.button(origin.back if selected == KEPT else _("Load “{preset}” again").format(
            preset=lab_(PRESETS[selected].title)),
                  key="preset_reload", on_click=on_preset)

with right:
    st.subheader(_("Data"))
    sync("dataset", L.config.dataset)
    st.selectbox(_("Dataset"), L.dataset_names, key="dataset", format_func=short, on_change=on_dataset)
    error_for("dataset")
    st.caption(plain(described(L.data)))
    if L.notice:
        st.info(_("Adjusted for {dataset}: {notice}.").format(dataset=plain_name(L.config.dataset),
                                                               notice=plain(L.notice)), icon="🔧")
    file_uploader(_("Or upload a CSV in the Kaggle MNIST / Fashion-MNIST layout (a `label` column, then pixel "
                    "columns)"), "csv_upload", ["csv"], uploads.MAX_BYTES, on_upload)
    error_for("csv_upload")
    st.caption(_("A reload (F5) keeps a network on built-in data, held in the page's address, but loses an "
                 "upload and any trained or imported weights."))
    for column, arg in zip(st.columns(3), (network.BATCH_SIZE, network.TEST_SIZE, network.SEED)):
        sync(arg.name, getattr(L.config, arg.name))
        with column:
            number_field(arg, arg.name, on_setting, (arg.name,), label=arg.field(title=True))
            error_for(arg.name)
    data = L.data
    st.caption(ngettext("{train} training and {test} test sample, {features}, {target}. The first layer receives "
                        "{received}.", "{train} training and {test} test samples, {features}, {target}. The first "
                        "layer receives {received}.", len(data.X_test)).format(
        train=len(data.X_train), test=len(data.X_test),
        features=ngettext("{n} feature", "{n} features", data.n_features).format(n=data.n_features),
        target=(ngettext("{n} class", "{n} classes", data.n_classes).format(n=data.n_classes) if data.n_classes
                else _("regression")),
        received=received(L.inputs, L.config.batch_size)))


# --- the layer stack ---

st.subheader(_("Layers"))
shapes = network.shapes(L.config, L.inputs)
drawn = stack()  # every row's callbacks check that the stack is still this one
for i, spec in enumerate(L.config.layers):
    kind = KINDS[spec["kind"]]
    name_col, args_col, buttons_col = st.columns([3, 3, 2], vertical_alignment="center")
    name_col.markdown(f"**{i}** · `{describe(spec, shapes[i])}` → {shape_text(shapes[i + 1])}  \n"
                      f"<small>{lab_(kind.about)}</small>", unsafe_allow_html=True)
    with args_col:
        for arg in kind.args:
            key = f"layer_{i}_{arg.name}"
            sync(key, spec[arg.name])
            number_field(arg, key, on_arg, (i, arg.name, drawn))
            error_for(key)
    up, down, remove = buttons_col.columns(3)  # no tooltips: they would cover the messages after a click
    up.button("↑", key=f"layer_{i}_up", disabled=i == 0,
              on_click=on_edit, args=("layers", network.move_layer, i, -1), kwargs={"drawn": drawn})
    down.button("↓", key=f"layer_{i}_down", disabled=i == len(shapes) - 2,
                on_click=on_edit, args=("layers", network.move_layer, i, 1), kwargs={"drawn": drawn})
    remove.button("✕", key=f"layer_{i}_remove",
                  on_click=on_edit, args=("layers", network.remove_layer, i), kwargs={"drawn": drawn})
error_for("layers")
if L.unfinished:
    st.warning(_("**Not finished yet:** {problem} The Step page records an iteration again once this is fixed.").format(
        problem=L.unfinished), icon="🧱")

if st.session_state.get("_stack_size") != len(L.config.layers) or "add_position" not in st.session_state:
    st.session_state["_stack_size"] = len(L.config.layers)
    sync("add_position", len(L.config.layers))  # new layers go at the end unless the learner says otherwise
kind_col, position_col, add_col = st.columns([3, 3, 2], vertical_alignment="bottom")
kind_col.selectbox(_("Add a layer"), list(KINDS), key="add_kind")
position_col.number_input(_("at position"), min_value=0, max_value=len(L.config.layers), key="add_position")
add_col.button(_("Add layer"), key="add_layer", on_click=lambda: on_edit(
    "add_layer", network.add_layer, st.session_state.add_kind, st.session_state.add_position, L.outputs))
error_for("add_layer")
st.caption(ngettext("A Linear added after the last one starts with {n} output, as the data needs; the sizes of the "
                     "others follow from the layer before (a Conv2d's input channels too).",
                     "A Linear added after the last one starts with {n} outputs, as the data needs; the sizes of the "
                     "others follow from the layer before (a Conv2d's input channels too).", L.outputs).format(
    n=L.outputs)
           + (" " + _("Images reach the network as (N, 1, H, W) when it starts with Conv2d or MaxPool2d; put a "
                      "Flatten before the first Linear.") if L.data.image_shape is not None else ""))


# --- criterion, optimizer and weights ---

st.subheader(_("Criterion and optimizer"))
c1, c2 = st.columns(2)
sync("criterion", L.config.criterion)
with c1:
    st.selectbox(_("Criterion"), network.CRITERIA, key="criterion", on_change=on_criterion)
    error_for("criterion")
sync("optimizer", L.config.optimizer)
with c2:
    st.selectbox(_("Optimizer"), network.OPTIMIZERS, key="optimizer", on_change=on_optimizer,
                 format_func={"SGD": _("SGD with momentum"), "Adam": "Adam"}.get)
    error_for("optimizer")
settings = [network.SETTINGS[name] for name in network.OPTIMIZER_SETTINGS[L.config.optimizer]]
for column, arg in zip(st.columns(len(settings)), settings):
    sync(arg.name, getattr(L.config, arg.name))
    with column:
        number_field(arg, arg.name, on_setting, (arg.name,), label=arg.field(title=True))
        error_for(arg.name)
if L.config.optimizer == "Adam":
    st.caption(_("Adam keeps per weight a running mean m of its gradient and v of the squared gradient, and "
                 "steps by lr · m̂ / (√v̂ + ε) with the bias corrections m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ): "
                 "about lr per weight at first, whatever the gradient's scale. Its usual learning rate is "
                 "0.001; switching keeps the weights and records the same iteration with Adam's first step."))
seed = L.config.effective_weight_seed
with st.container(horizontal=True, vertical_alignment="center"):
    st.button(_("New weights (seed {seed})").format(seed=(seed + 1) % 2**31), key="new_weights",
              on_click=lambda: act("new_weights", L.new_weights))
    st.button(_("Reset weights"), key="reset_weights", on_click=lambda: act("reset_weights", L.reset_weights))
    st.caption((_("The weights come from seed {seed} (the data seed).") if L.config.weight_seed is None
                else _("The weights come from seed {seed}.")).format(seed=seed) + " "
               + _("*New weights* draws them from the next seed, with the same data and batches; *Reset "
                   "weights* draws this seed's initial weights again, without training or momentum."))
for key in ("new_weights", "reset_weights"):
    error_for(key)
for tip in advice(L.config, L.inputs, L.data.n_classes, L.data.task):
    if not (L.unfinished and tip.blocking):  # that one is shown at the layer stack
        st.warning(f"**{lab_(tip.suggestion)}** {lab_(tip.reason)}", icon="💡")
if not any(spec["kind"] in ACTIVATIONS for spec in L.config.layers) and len(L.config.layers) > 2:
    st.caption(_("Without an activation between them, stacked Linear layers are one Linear layer."))


# --- summary, code, export and import ---

# One below the other: side by side, an 800-pixel window would cut the table's last columns.
st.subheader(_("Summary"))
st.dataframe(summary_table(L.config, L.inputs, L.config.batch_size), hide_index=True, width="content",
             column_config={name: st.column_config.Column(width=width) for name, width in SUMMARY_COLUMNS.items()})
st.subheader(_("In the handout's style"))
st.code(network.python_code(L.config, L.inputs), language="python", width="content")

st.subheader(_("Export and import"))
state = _("the momentum buffers") if L.config.optimizer == "SGD" else _("Adam's m, v and step count t")
if L.trace is not None:
    st.caption(_("*Weights* holds the weights at the start of the shown iteration (epoch {epoch}, iteration "
                 "{iteration}), before its update, with {state} and the batch order: importing both files records "
                 "this very iteration again, number for number.").format(
        epoch=L.cursor.epoch, iteration=L.cursor.iteration, state=state))
else:
    st.caption(_("*Weights* holds the weights the next recorded iteration starts from (none is recorded while "
                 "the network is unfinished), with {state} and the batch order.").format(state=state))
e1, e2, i1, i2 = st.columns(4)
# Built when clicked (a callable), not on every rerun: no stale file links, no serialising per rerun.
e1.download_button(_("Configuration (.json)"), lambda: config_json(L.config), file_name="network.json",
                   mime="application/json", key="export_config", on_click="ignore")
e2.download_button(_("Weights (.npz)"), L.weights_npz, file_name="weights.npz",  # a download changes nothing:
                   mime="application/octet-stream", key="export_weights", on_click="ignore")  # no rerun
for column, key, label, types, cap in ((i1, "import_config", _("Configuration to import"), ["json"], MAX_JSON_BYTES),
                                       (i2, "import_weights", _("Weights to import"), ["npz"], MAX_NPZ_BYTES)):
    file_uploader(label, key, types, cap, lambda name, content, key=key: on_import_file(key, name, content),
                  container=column)
    if key in st.session_state.get(IMPORTS, {}):
        name, content = st.session_state[IMPORTS][key]
        column.caption(_("Chosen: {name} ({size} KB)").format(name=plain_name(name),
                                                              size=f"{len(content) / 1024:,.1f}"))
st.button(_("Import"), key="import", on_click=on_import)
error_for("import")

st.subheader(_("Share"))
why_not = shareable(L.config)
if why_not:
    st.caption(_("No link for this network: {reason}.").format(reason=why_not))
else:
    st.caption(_("Everyone who opens this link gets this network, data, seed and settings, so the same "
                 "initial weights and the same first batch: a class can look at the same numbers together. "
                 "(Trained weights do not travel in a link: export them above.)"))
    at_stage = L.trace is not None and st.checkbox(
        _("Open at the shown stage ({stage})").format(stage=short_label(L.current)), key="share_stage")
    presenting = st.checkbox(_("Presenter mode, for a projector"), key="share_present",
                             help=_("Large type and heatmaps, one stage filling the screen, no build controls"))
    shared = link(st.context.url, L.config, host=st.context.headers.get("Host"),
                  stage=L.current if at_stage else None, present=presenting)
    st.code(shared, language=None, wrap_lines=True)
    if is_local(shared):
        st.caption(_("This address works on this machine only: students need its network address instead "
                     "(and the app started with `--server.address 0.0.0.0`)."))
    lecture.draw_start()
