"""The admin password, shared by the Articles tab and the JSON API's admin endpoints.

Administration exists only when the password's environment variable (`server.admin_password_env`)
is set. Every admin action checks the password again, in constant time, through
`AdminAuth.verify`, which both faces call with the client's address (`ui.ratelimit.client_address`:
the peer, or X-Forwarded-For from one of `server.trusted_proxies`); the JSON API's calls come from
`ui.gate`, before the request's body is read, the Articles tab's from `ui.admin.Admin.check`.
Wrong passwords cost time, per address, and loopback is not exempt here (unlike the rate limit):

- The first wrong password of a minute from an address is a typo and costs nothing; each further
  one makes that address wait before its next password is checked: 1 s, 2 s, 4 s, then 8 s at
  most. An attempt that comes sooner is refused at once (429, with Retry-After) without checking
  its password. A check is one atomic step, so many guesses sent at once from one address get no
  more checks than guesses sent one after the other.
- When `BUSY_FAILURES` wrong passwords came in the last minute from all addresses together
  (someone is guessing from many addresses), an address with a wrong password in the last minute
  is refused until that failure is a minute old.
- An address without a wrong password in the last minute is always checked, at once: guessing
  from other addresses never locks the right password out. (Behind a proxy missing from
  `server.trusted_proxies` every client has the proxy's address, and shares its waits.)
- A missing password is no guess: answered 401, not counted. A right password clears the
  address's record.

Nothing sleeps: no request or worker thread is held per wrong guess; the answers say how long
to wait. Memory is bounded: `MAX_TRACKED` addresses, a few times per address. The counts live in
the server process (with `server.workers` > 1, each worker keeps its own).
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from ui.ratelimit import MAX_TRACKED, client_address, networks

FAILURE_WINDOW_S = 60.0
WAITS_S = (0.0, 1.0, 2.0, 4.0, 8.0)  # after the 1st, 2nd, ... wrong password of a minute; then the last
BUSY_FAILURES = 30  # wrong passwords a minute, all addresses together, that mean someone is guessing


class AdminDenied(Exception):
    """Not admitted: 403 administration disabled, 401 wrong or missing password, 429 refused
    without a check. `retry_after`: whole seconds before this address's next password is checked."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class AdminAuth:
    """Checks the admin password and counts the wrong ones, per client address and in all."""

    def __init__(self, password: str | None, *, env: str = "QA_ADMIN_PASSWORD",
                 trusted_proxies: list[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._password = password or None
        self.env = env
        self.trusted = networks(trusted_proxies or [])
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}  # address -> times of its recent wrong passwords
        self._not_before: dict[str, float] = {}  # address -> when its next password may be checked
        self._all_failures: deque[float] = deque(maxlen=BUSY_FAILURES)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._password is not None

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The address the waits are counted for (the rate limiter's rule, `server.trusted_proxies`)."""
        return client_address(peer, forwarded_for, self.trusted)

    def matches(self, given: str | None) -> bool:
        """True for the right password (constant-time); never for anything when disabled.
        Counts nothing: admit requests with `verify`."""
        if self._password is None or not given:
            return False
        return hmac.compare_digest(given.encode(), self._password.encode())

    def verify(self, given: str | None, client: str) -> None:
        """Admit `client` with password `given`, or raise `AdminDenied` (see the module's rules)."""
        if not self.enabled:
            raise AdminDenied(403, self.disabled_message())
        if not given:
            raise AdminDenied(401, "wrong or missing admin password")
        now = self.clock()
        with self._lock:  # the refusal, the check and the count are one step
            wait = self._refusal(client, now)
            if wait is not None:
                raise AdminDenied(429, f"too many wrong admin passwords from {client}; try again in {wait} s",
                                  retry_after=wait)
            if self.matches(given):
                self._failures.pop(client, None)
                self._not_before.pop(client, None)
                return
            wait = self._count_failure(client, now)
        raise AdminDenied(401, "wrong or missing admin password", retry_after=wait or None)

    def _refusal(self, client: str, now: float) -> int | None:
        """Seconds `client` must still wait, or None when its password may be checked now."""
        failures = self._failures.get(client)
        if not failures or now - failures[-1] >= FAILURE_WINDOW_S:
            return None
        not_before = self._not_before.get(client, 0.0)
        busy = len(self._all_failures) == BUSY_FAILURES and now - self._all_failures[0] < FAILURE_WINDOW_S
        if busy:  # many guesses everywhere: an address that failed waits out its window
            not_before = max(not_before, failures[-1] + FAILURE_WINDOW_S)
        return math.ceil(not_before - now) if now < not_before else None

    def _count_failure(self, client: str, now: float) -> int:
        """Count a wrong password from `client`; returns the seconds before its next check."""
        failures = self._failures.get(client)
        if failures is None:
            if len(self._failures) >= MAX_TRACKED:
                self._forget_idle(now)
            failures = self._failures[client] = deque(maxlen=len(WAITS_S))
        while failures and now - failures[0] >= FAILURE_WINDOW_S:
            failures.popleft()
        failures.append(now)
        self._all_failures.append(now)
        # At most len(WAITS_S) are kept: the wait stays at its cap however many come.
        wait = WAITS_S[len(failures) - 1]
        self._not_before[client] = now + wait
        return math.ceil(wait)

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, f in self._failures.items() if now - f[-1] >= FAILURE_WINDOW_S]:
            del self._failures[address]
            self._not_before.pop(address, None)
        while len(self._failures) >= MAX_TRACKED:  # all recent: drop the oldest-seen
            address = next(iter(self._failures))
            del self._failures[address]
            self._not_before.pop(address, None)

    def disabled_message(self) -> str:
        return (f"administration is disabled: start the server with the environment variable {self.env} "
                f"set to an admin password")
