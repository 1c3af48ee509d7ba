"""An unfinished network (lab.trace is None): say why and point to the Build page."""
import streamlit as st

from i18n import domain
from ui.actions import lab

_, ngettext = domain("ui")


def unfinished_note():
    """An info box with why the learner's network records no iteration yet, and a link to Build."""
    st.info(_("Your network is not finished yet: {why}").format(why=lab().unfinished), icon="🧱")
    st.page_link("pages/build.py", label=_("Finish it on the Build page"), icon=":material/construction:")


def require_trace(title=None):
    """Stop the page here (after its title and unfinished_note) while the learner's network records no
    iteration."""
    if lab().trace is None:
        if title:
            st.title(title)
        unfinished_note()
        st.stop()
