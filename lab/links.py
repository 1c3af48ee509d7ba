"""Links that open the app on a given network: the configuration, compressed, in the URL.

A teacher copies the link from the Build page and hands it out; everyone who opens it gets
the same network, data, seed and therefore the same initial weights and the same first
batch, so a class can look at the same numbers together. Only the configuration travels;
the weights are the seeded ones (export and import the .npz for trained weights).
"""
import base64
import binascii
import zlib
from urllib.parse import urlencode, urlsplit, urlunsplit

from .transfer import MAX_JSON_BYTES, config_json, read_config
from .uploads import PREFIX

PARAM = "net"             # the query parameter: ?net=<token>
MAX_TOKEN_CHARS = 8192    # far above any real configuration (a few hundred characters)


def config_token(config):
    """The configuration as URL-safe text: compact JSON, zlib, base64 without padding."""
    compact = config_json(config).replace("\n", "").replace("  ", "")
    return base64.urlsafe_b64encode(zlib.compress(compact.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def read_token(token):
    """The checked NetworkConfig of a link's token; ValueError saying what is wrong with the link."""
    if not isinstance(token, str) or not token:
        raise ValueError("the link holds no network")
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"the link's network is {len(token)} characters long, over the {MAX_TOKEN_CHARS} limit")
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        content = inflater.decompress(packed, MAX_JSON_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ValueError("the link's network is damaged (copy the whole link again)") from None
    if len(content) > MAX_JSON_BYTES or not inflater.eof:
        raise ValueError("the link's network is damaged or too large (copy the whole link again)")
    try:
        return read_config(content)
    except ValueError as error:
        raise ValueError(f"the link's network cannot be used: {error}") from None


def shareable(config):
    """None when a link can carry this network, else why not."""
    if config.dataset.startswith(PREFIX):
        return ("it trains on an uploaded CSV, which a link cannot carry: share the CSV and the "
                "exported configuration instead")
    return None


def link(page_url, config):
    """The app's root URL (taken from the URL of the page being shown) with ?net=<token>."""
    parts = urlsplit(page_url or "")
    root = parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, root, urlencode({PARAM: config_token(config)}), ""))
