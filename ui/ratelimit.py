"""Requests per client address, per minute, for the endpoints that cost work (ask, chat, MCP).

A sliding window per address: at most `limit` requests in any 60 s; the next one gets 429 with
`Retry-After` (seconds until the oldest request of the window expires). Addresses in `exempt`
(by default loopback: local tools, benchmarks) are not limited; the admin password's checks
(`ui.auth`) have no such exemption. Behind a reverse proxy every request comes from the proxy:
list it in `trusted_proxies` and the client's address is read from `X-Forwarded-For` (the last
address before the trusted ones), never trusted otherwise.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque

WINDOW_S = 60.0
MAX_TRACKED = 100_000  # addresses remembered at once; idle ones are dropped first


class RateLimiter:
    def __init__(self, limit: int, *, exempt: list[str] | None = None, trusted_proxies: list[str] | None = None,
                 clock=time.monotonic) -> None:  # noqa: ANN001
        self.limit = limit
        self.exempt = networks(exempt or [])
        self.trusted = networks(trusted_proxies or [])
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_address(peer, forwarded_for, self.trusted)

    def retry_after(self, address: str) -> int | None:
        """Count a request from `address`; None when allowed, else the seconds to wait."""
        if self.limit <= 0 or _within(address, self.exempt):
            return None
        now = self.clock()
        with self._lock:
            window = self._seen.get(address)
            if window is None:
                if len(self._seen) >= MAX_TRACKED:
                    self._forget_idle(now)
                window = self._seen[address] = deque()
            while window and now - window[0] >= WINDOW_S:
                window.popleft()
            if len(window) >= self.limit:
                return max(1, math.ceil(WINDOW_S - (now - window[0])))
            window.append(now)
            return None

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, w in self._seen.items() if not w or now - w[-1] >= WINDOW_S]:
            del self._seen[address]
        while len(self._seen) >= MAX_TRACKED:  # all busy: drop the oldest-seen
            del self._seen[next(iter(self._seen))]


def client_address(peer: str | None, forwarded_for: str | None, trusted: list) -> str:  # noqa: ANN001
    """The client's address: the peer, or, when the peer is a trusted proxy, the last address in
    X-Forwarded-For that is not a trusted proxy itself (the admin password's checks use it too)."""
    address = peer or "unknown"
    if forwarded_for and _within(address, trusted):
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            address = hop
            if not _within(hop, trusted):
                break
    return address


def networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _within(address: str, networks: list) -> bool:  # noqa: ANN001
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
