"""The learner's network in the page's address: ?net= holds the share link's token (lab.links), so a reload
(F5) or the same address opened again brings back the same network, data, seeds and first batch.

Only the configuration travels: trained or imported weights and an uploaded CSV are lost on a reload
(the Train and Build pages say so). A network on an upload, which no link can carry, leaves the
address without ?net=, so that a reload does not bring back an older network.
"""
import streamlit as st

from lab.links import BUG, LEVEL, PARAM, STAGE, config_token, shareable
from lab.network import NetworkConfig

TOKEN = "_address_token"  # session key: (config, its token or None), so an unchanged config costs one ==


def token_of(config):
    """config's link token, or None when no link can carry it; computed once per configuration."""
    cached = st.session_state.get(TOKEN)
    if cached is None or cached[0] != config:
        cached = st.session_state[TOKEN] = (config, config_token(config) if shareable(config) is None else None)
    return cached[1]


def address_token():
    """The address's ?net= token, or None. An address with two (?net=A&net=B) opens the first, A, which is
    the one the address keeps (keep_in_address drops the others)."""
    tokens = st.query_params.get_all(PARAM)
    return tokens[0] if tokens else None


def keep_in_address(config):
    """Make ?net= hold config's token, changing the address only when it holds another one (or more than
    one). The default network needs none (a bare address opens it); a damaged link's token is removed. A new
    token drops &stage=, &bug= and &level=, which named a stage and a Bug hunt's mistake of the network the
    link opened."""
    token, current = token_of(config), address_token()
    if token != current and config == NetworkConfig():
        token = None
    if st.query_params.get_all(PARAM) == ([] if token is None else [token]):
        return
    others = {key: st.query_params.get_all(key) for key in st.query_params if key not in (PARAM, STAGE, BUG, LEVEL)}
    st.query_params.from_dict({**others, **({PARAM: token} if token is not None else {})})  # one URL change
