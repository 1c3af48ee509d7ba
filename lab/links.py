"""Links that open the app on a given network: the configuration, compressed, in the URL.

A teacher copies the link from the Build page and hands it out; everyone who opens it gets
the same network, data, seed and therefore the same initial weights and the same first
batch, so a class can look at the same numbers together. Only the configuration travels;
the weights are the seeded ones (export and import the .npz for trained weights).
"""
import base64
import binascii
import re
import zlib
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from i18n import domain

from .transfer import MAX_JSON_BYTES, config_json, read_config
from .uploads import PREFIX

_, ngettext = domain("lab")

PARAM = "net"             # the query parameter: ?net=<token>
STAGE = "stage"           # &stage=backward 0: the stage the Step page opens at
PRESENT = "present"       # &present=1: presenter mode, for a projector (ui/present.py)
BUG, LEVEL = "bug", "level"  # &bug=<code>&level=medium: the Bug hunt's planted mistake (lab.hunt.bug_code)
LOCAL = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")  # name or IP, port
MAX_TOKEN_CHARS = 8192    # far above any real configuration (a few hundred characters)


def config_token(config):
    """The configuration as URL-safe text: compact JSON, zlib, base64 without padding."""
    compact = config_json(config).replace("\n", "").replace("  ", "")
    return base64.urlsafe_b64encode(zlib.compress(compact.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def read_token(token):
    """The checked NetworkConfig of a link's token; ValueError saying what is wrong with the link."""
    if not isinstance(token, str) or not token:
        raise ValueError(_("the link holds no network"))
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(_("the link's network is {n} characters long, over the {limit} limit").format(
            n=len(token), limit=MAX_TOKEN_CHARS))
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        content = inflater.decompress(packed, MAX_JSON_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ValueError(_("the link's network is damaged (copy the whole link again)")) from None
    if len(content) > MAX_JSON_BYTES or not inflater.eof:
        raise ValueError(_("the link's network is damaged or too large (copy the whole link again)"))
    try:
        return read_config(content)
    except ValueError as error:
        raise ValueError(_("the link's network cannot be used: {error}").format(error=error)) from None


def shareable(config):
    """None when a link can carry this network, else why not."""
    if config.dataset.startswith(PREFIX):
        return _("it trains on an uploaded CSV, which a link cannot carry: share the CSV and the exported "
                 "configuration instead")
    return None


def link(page_url, config, host=None, stage=None, present=False, hunt=None):
    """The app's root URL with ?net=<token>, &stage=<stage> when given, &present=1 for presenter mode and
    &bug=<code>&level=<level> for hunt = (code, level), which opens the Bug hunt on that mistake: the scheme
    and path of the page being shown (page_url), the host the browser used (its Host header) when it is a
    plain host."""
    parts = urlsplit(page_url or "")
    root = parts.path.rsplit("/", 1)[0] + "/"
    query = {PARAM: config_token(config), **({STAGE: str(stage)} if stage is not None else {}),
             **({PRESENT: "1"} if present else {}), **(dict(zip((BUG, LEVEL), hunt)) if hunt else {})}
    netloc = host if host and HOST.fullmatch(host) else parts.netloc
    return urlunsplit((parts.scheme, netloc, root, urlencode(query, quote_via=quote), ""))


def is_local(url):
    """True when url's host is this machine only (localhost, 127.0.0.1): other machines cannot open it."""
    return (urlsplit(url).hostname or "") in LOCAL
