"""Refuse every network connection outside the loopback range.

Installed in the test process by conftest and in child processes through `sitecustomize`
(this folder is put on their PYTHONPATH), so the whole suite proves that nothing is
downloaded at run time. The refusal happens before any packet is sent.
"""

from __future__ import annotations

import ipaddress
import socket

_installed = False


class BlockedNetworkError(OSError):
    """A test tried to reach an address outside the loopback range."""


def is_allowed(address: object, family: int | None = None) -> bool:
    """True for Unix sockets, 127.0.0.0/8, ::1 and `localhost`."""
    if family is not None and family == getattr(socket, "AF_UNIX", None):
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS


def install() -> None:
    global _installed
    if _installed:
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if not is_allowed(address, sock.family):
            raise BlockedNetworkError(f"network access outside loopback blocked in tests: {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if host not in (None, "localhost", b"localhost"):
            try:
                if not ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host)).is_loopback:
                    raise BlockedNetworkError(f"name lookup of {host!r} blocked in tests")
            except ValueError:
                raise BlockedNetworkError(f"name lookup of {host!r} blocked in tests") from None
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    _installed = True


def installed() -> bool:
    return _installed
