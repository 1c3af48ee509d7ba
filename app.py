"""backprop-lens: page config, one Lab per learner, and the navigation over the pages."""
import pandas  # noqa: F401  imported before any page runs: see the note below
import plotly.graph_objects  # noqa: F401
import streamlit as st

from lab.links import BUG, PARAM, STAGE, read_token
from lab.network import optimizer_summary
from lab.session import Lab, load_dataset
from lab.trainer import KEEP_S
from ui.actions import REQUESTED, act, error_for, plain_name, return_to_requested
from ui.address import address_token, keep_in_address
from i18n import domain
from ui import classroom, language, number_field, present, runlog
from ui.sessions import watch

# Pages run in one thread per session. Plotly looks pandas up in sys.modules without importing
# it, so a first `import pandas` in one session could hand another a half-initialised module;
# importing both here, before any page, makes every session wait until they are complete.

RERUN = runlog.start()  # the server time of this rerun, for the load bench's log (ui/runlog.py)
st.set_page_config(page_title="backprop-lens", page_icon="🔬", layout="wide")
language.choose()  # ?lang=, the switch, the browser's language: this session's, for this run (ui/language.py)
_, ngettext = domain("pages")
watch()  # the server's one thread that frees closed sessions (ui/sessions.py)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_dataset(name, seed=0, test_size=0.25):
    """Built-in datasets, shared read-only: st.cache_data hands every caller its own copy."""
    return load_dataset(name, seed=seed, test_size=test_size)


if "lab" not in st.session_state:
    st.session_state.lab = Lab(loader=cached_dataset)  # this learner's model, optimizer and trace
    if PARAM in st.query_params:  # a shared link (Build page) or a reload: open on its network, at its stage
        opened = st.session_state.lab
        act("link", lambda: opened.open_link(read_token(address_token())))
        if opened.origin is not None and opened.origin.kind == "link" and STAGE in st.query_params:
            act("link", opened.jump_to, st.query_params[STAGE])  # an unknown stage: a message, stage 1
    if BUG in st.query_params:  # a teacher's Bug hunt link (&bug=<code>): the class opens on that page
        st.session_state[REQUESTED] = "bug_hunt"

lab = st.session_state.lab
classroom.join_from_address()  # ?class=CODE (a student link, a teacher's projector link): that class, once
lab.settle(KEEP_S + 5)  # a training run interrupted by this click (another page, Stop) is kept first
classroom.publish()  # a teacher's network, stage and iteration (after New iteration, training, ...): the class's
PAGES = [
    st.Page("pages/step.py", title=_("Step through"), icon=":material/footprint:", default=True),
    st.Page("pages/build.py", title=_("Build"), icon=":material/construction:"),
    st.Page("pages/jacobians.py", title=_("Jacobians"), icon=":material/grid_on:"),
    st.Page("pages/activations.py", title=_("Activations"), icon=":material/show_chart:"),
    st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("pages/bug_hunt.py", title=_("Bug hunt"), icon=":material/bug_report:"),
    st.Page("pages/about.py", title=_("About"), icon=":material/info:"),
]
# The pages in the top bar: no sidebar takes the width of an 800-pixel window or a projector.
navigation = st.navigation(present.pages(PAGES), position="top")  # presenter mode: the pages a class looks at
return_to_requested(present.pages(PAGES))
present.style()
error_for("link")
with st.container(key="network_summary", horizontal=True, vertical_alignment="center", wrap=False):
    layers = " → ".join(f"`{line}`" for line in repr(lab.model).split("\n"))  # the learner's network, in one line
    config = lab.config
    st.caption(_("Your network: {layers} · {criterion} · {optimizer} · {dataset}, batch {batch}").format(
        layers=layers, criterion=config.criterion, optimizer=optimizer_summary(config),
        dataset=plain_name(config.dataset), batch=config.batch_size), width="stretch")
    language.switch()  # on every page
    number_field.decimal_comma()  # 0,057 typed into any number field reads 0.057 (ui/number_field.py)
keep_in_address(lab.config)  # a reload opens this network again (the widgets' callbacks have run by now)
with runlog.logged_run(navigation, RERUN):  # only with BACKPROP_LENS_RUN_LOG set (bench/load_bench.py)
    navigation.run()
classroom.publish()  # what the page did (a training run on Train): the class's at once
