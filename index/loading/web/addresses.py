"""Which addresses the fetcher may connect to: public ones, and private, loopback or link-local
ones only when allowed (`web.allow_private`, or `web.allow_hosts`: names, addresses or CIDR
networks, each optionally with a port). Pure: no network, no HTTP library."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from index.errors import BlockedURLError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allow_rule(entry: str) -> tuple[str | Network, int | None]:
    """One `allow_hosts` entry: (host name or network, port or None for every port).

    `news.intranet`, `10.0.0.7`, `10.20.0.0/16`, `fd00::7` allow every port; `news.intranet:8080`,
    `10.0.0.7:8080`, `[fd00::7]:8080` only that one.

    Raises:
        ValueError: The entry is not one of these forms; the message says why.
    """
    text = entry.strip().lower()
    host, port = text, None
    if text.startswith("["):  # [v6] or [v6]:port
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{entry!r} is not [IPv6 address]:port")
        port = rest[1:] if rest else None
    elif text.count(":") == 1:  # several colons: a bare IPv6 address or network, no port
        host, port = text.split(":")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"{entry!r} has an invalid port (a number from 1 to 65535)")
    if not host:
        raise ValueError(f"{entry!r} names no host")
    try:
        return ipaddress.ip_network(host, strict=False), int(port) if port else None
    except ValueError:
        if ":" in host or "/" in host:
            raise ValueError(f"{entry!r} is not a valid address or network") from None
        return host.rstrip("."), int(port) if port else None


class AddressPolicy:
    """Which addresses may be connected to: public ones, and private ones only when allowed."""

    def __init__(self, allow_private: bool = False, allow_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.rules = [allow_rule(entry) for entry in allow_hosts]

    def check(self, host: str, address: str, port: int | None = None) -> None:
        """Raise `BlockedURLError` when `host`, resolved to `address`, may not be connected to
        (on `port`; None: a rule limited to one port does not apply)."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        kind = _non_public(ip)
        if kind is None or self.allow_private:
            return
        name = host.strip("[]").lower().rstrip(".")
        ports = {allowed for rule, allowed in self.rules
                 if (rule == name if isinstance(rule, str) else ip in rule)}
        if None in ports or port in ports:
            return
        shown = str(ip) if name == str(ip) else f"{host} ({ip})"
        if ports:
            listed = ", ".join(str(p) for p in sorted(p for p in ports if p is not None))
            raise BlockedURLError(f"blocked: {shown} is a {kind} address allowed by web.allow_hosts on port "
                                  f"{listed} only, not on port {port}")
        raise BlockedURLError(f"blocked: {shown} is a {kind} address (allowed only with web.allow_private "
                              f"or when listed in web.allow_hosts)")


def _non_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address `ip` is, or None for a public one."""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved (non-public)"
    return None
