"""The Step page's *your tensors*: the upload's callback, the tensors kept per iteration, the focus on the worst entry."""
import streamlit as st

from i18n import domain
from lab.exercise import fingerprint, iteration_npz
from lab.mine import max_bytes, read_mine
from ui import focus
from ui.actions import act, error_for, lab
from ui.uploader import file_uploader
from viz.mine_view import matrix_entry, tensor_id

_, ngettext = domain("ui")
KEY, STORE = "step_mine_upload", "_step_mine"


def on_upload(name, content):
    """Uploader callback: read the file as data for the shown iteration; a refusal keeps the last good one."""
    mine = act(KEY, read_mine, content, lab().trace)
    if mine is not None:
        st.session_state[STORE] = mine


def current():
    """The uploaded Mine when it belongs to the shown iteration; a new iteration or network drops it."""
    mine = st.session_state.get(STORE)
    if mine is None:
        return None
    if mine.fingerprint != fingerprint(lab().trace):
        del st.session_state[STORE]
        return None
    return mine


def focus_worst(mine, finding):
    """Work out by hand the entry that differs most, unless the learner chose one at this stage."""
    if focus.current() is not None or finding is None:
        return
    target = tensor_id(finding.key)
    if target is None or target not in {t.id for t in focus.tensors() if t.result}:
        return
    engine = dict((key, e) for key, _, e in mine.shown(lab().trace, lab().current))[finding.key]
    focus.choose(target, *matrix_entry(mine.arrays[finding.key], mine.worst_entry(finding.key, engine)))


def draw_check(trace, model, code):
    """The expander that exports this iteration (iteration.npz and the check code) and takes mine.npz."""
    with st.expander(_("Check your own framework against this iteration"), icon=":material/fact_check:"):
        st.caption(_("Every tensor of this iteration in one .npz (inputs, outputs, gradients, parameters before "
                     "and after the step, velocities), and code that rebuilds each of your layers with these "
                     "weights and checks its forward, backward, parameter gradients, the loss and the optimizer "
                     "step, number by number. Save the file beside your notebook and run the code with your "
                     "classes."))
        st.download_button("iteration.npz", lambda: iteration_npz(trace, model), file_name="iteration.npz",
                           mime="application/octet-stream", key="step_export_iteration",
                           icon=":material/download:")
        st.code(code, language="python")
        st.markdown(_("**Or see your numbers here, beside these.** Grade your framework and replay this "
                      "iteration with it, on your machine: `python -m backprop_lens grade homework.py --iteration "
                      "iteration.npz --save mine.npz`. Upload *mine.npz*: every stage then shows your tensors "
                      "beside the engine's, the strip marks the first stage that differs in red, and the entry "
                      "that differs most is worked out by hand. The file is read as numbers only; no code of "
                      "yours runs here."))
        file_uploader(_("Your tensors (mine.npz)"), KEY, ["npz"], max_bytes(trace), on_upload)
        error_for(KEY)
        if st.session_state.get(STORE) is not None:
            st.button(_("Hide your tensors"), key="step_mine_forget", icon=":material/visibility_off:",
                      on_click=lambda: st.session_state.pop(STORE, None))
