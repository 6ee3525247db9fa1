"""The admin password, shared by the Articles tab and the JSON API's admin endpoints.

Administration exists only when the password's environment variable (`server.admin_password_env`)
is set. Every admin action checks the password again, in constant time; wrong passwords are
answered ever more slowly (0.5 s, doubling with each other wrong password of the last minute,
at most 8 s), whichever face they come through.
"""

from __future__ import annotations

import hmac
import threading
import time

FAILURE_WINDOW_S = 60.0


class AdminAuth:
    """Checks the admin password and counts the wrong ones."""

    def __init__(self, password: str | None, *, env: str = "QA_ADMIN_PASSWORD") -> None:
        self._password = password or None
        self.env = env
        self._failures: list[float] = []  # times of recent wrong passwords
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._password is not None

    def matches(self, given: str | None) -> bool:
        """True for the right password (constant-time); never for anything when disabled."""
        if self._password is None or not given:
            return False
        return hmac.compare_digest(given.encode(), self._password.encode())

    def penalty(self) -> float:
        """Seconds to wait before answering this wrong password: 0.5 s, doubling with each
        other wrong password of the last minute, at most 8 s."""
        now = time.monotonic()
        with self._lock:
            self._failures = [t for t in self._failures if now - t < FAILURE_WINDOW_S] + [now]
            return min(0.5 * 2 ** (len(self._failures) - 1), 8.0)

    def disabled_message(self) -> str:
        return (f"administration is disabled: start the server with the environment variable {self.env} "
                f"set to an admin password")
