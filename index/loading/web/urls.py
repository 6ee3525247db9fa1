"""Canonical URLs: one spelling per article, so that the same page reached several ways is one.

    >>> canonicalize("HTTPS://Example.org:443/a/b?utm_source=rss&b=2&a=1#comments")
    'https://example.org/a/b?a=1&b=2'

Lowercased scheme and host (IDNA for international names), no default port, no fragment, no
tracking parameters (`utm_*`, click ids, newsletter ids, `ref`-style referrer tags), the rest
of the query sorted. The path is kept as it is (case and trailing slash matter to servers).
Only http and https are accepted, and no URL with a control character inside (a line break, a
tab, NUL...): `urlsplit` would silently drop some of them, and a line break in a URL is an
attempt at header injection, never a link.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from index.errors import BlockedURLError

SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {"\r": "line break", "\n": "line break", "\t": "tab", "\x00": "NUL", "\x7f": "DEL"}

# Query parameters that only say where a reader came from; never part of what a page is.
# Bare `ref` is included: news platforms (Ghost, Substack, Medium) use it as a referrer tag.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp",
    "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid", "rb_clickid", "s_cid",
    "ref", "ref_src", "ref_url", "referrer", "cmpid", "ocid", "smid", "smtyp",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "xtor",
    "sr_share", "__twitter_impression",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "hsa_")


def is_tracking(name: str) -> bool:
    """True for a query parameter that only tracks the reader (`utm_source`, `fbclid`, `ref`...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str, base: str | None = None) -> str:
    """The canonical spelling of `url` (made absolute against `base` first, when given).

    Raises:
        BlockedURLError: Not an http(s) URL with a host, or a control character in it.
    """
    raw = (url or "").strip()
    if base:
        raw = urljoin(base, raw)
    control = _CONTROL.search(raw)
    if control:
        char = control.group()
        name = _CONTROL_NAMES.get(char, f"U+{ord(char):04X}")
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        raise BlockedURLError(f"not a valid URL: it contains a control character ({name}): {shown!r}")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        raise BlockedURLError(f"only http and https URLs can be fetched, not {shown!r}")
    host = _host(parts.hostname or "", raw)
    try:
        port = parts.port
    except ValueError:
        raise BlockedURLError(f"{raw!r} has an invalid port") from None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    query = urlencode(sorted(pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def _host(host: str, raw: str) -> str:
    if not host:
        raise BlockedURLError(f"{raw!r} has no host name")
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    except ValueError:
        pass
    if not re.fullmatch(r"[a-z0-9.-]+", host):
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BlockedURLError(f"{raw!r} has an invalid host name") from None
    return host


def host_key(url: str) -> str:
    """`scheme://host[:port]` of a canonical URL: the unit of robots.txt and politeness."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def hostname(url: str) -> str:
    """The bare host name or address of `url` (no brackets, no port)."""
    return (urlsplit(url).hostname or "").lower()
