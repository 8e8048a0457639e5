"""URL normalisation: one form per document, so that a source is stored once.

The same function normalises what is stored and what is looked up, so a consumer who
asks for ``HTTP://Example.com/a/?utm_source=x`` finds the source stored as
``http://example.com/a``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, not a document.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref_src"}
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}


# The same rules as regular expressions, for the table's CHECK constraint: what a
# normalised URL looks like, and what it never contains.
NORMALISED_URL = r"^https?://[^/?#A-Z:]+(:[0-9]+)?(/[^#?]*)?(\?[^#]*)?$"
NOT_NORMALISED_URL = (
    r"(/$|/\?|^http://[^/?]+:80([/?]|$)|^https://[^/?]+:443([/?]|$)|[?&]("
    + "|".join(sorted(TRACKING_PARAMETERS))
    + r"|utm_[^=&]*)(=|&|$))"
)


class InvalidURL(ValueError):
    pass


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Lower-case the scheme and host, drop default ports, fragments, tracking parameters
    and a trailing slash, and sort the remaining query parameters.

    Raises ``InvalidURL`` for anything that is not an absolute http(s) URL.
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"{url!r} is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURL(f"{url!r} is not an absolute http(s) URL.")
    host = parts.hostname.lower()
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)))
    return urlunsplit((scheme, host, path, query, ""))
