"""The suite runs with the network closed except loopback, here and in child processes."""

from __future__ import annotations

import socket
import subprocess
import sys

import netguard
import pytest


def test_guard_is_installed_in_the_test_process() -> None:
    assert netguard.installed()


@pytest.mark.parametrize("address", [("127.0.0.1", 80), ("127.8.9.1", 1), ("::1", 80, 0, 0), ("localhost", 80)])
def test_loopback_is_allowed(address: tuple) -> None:
    assert netguard.is_allowed(address, socket.AF_INET)


@pytest.mark.parametrize("address", [("93.184.216.34", 443), ("10.0.0.1", 80), ("huggingface.co", 443),
                                     ("2606:4700::1", 443, 0, 0)])
def test_everything_else_is_refused(address: tuple) -> None:
    assert not netguard.is_allowed(address, socket.AF_INET)


def test_refusal_happens_before_any_packet() -> None:
    # A name lookup is refused at once; nothing is resolved or sent.
    with pytest.raises(netguard.BlockedNetworkError):
        socket.getaddrinfo("huggingface.co", 443)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(netguard.BlockedNetworkError):
        sock.connect(("198.51.100.7", 9))  # TEST-NET-2, refused by the guard before connect(2)


@pytest.mark.slow
def test_child_processes_are_guarded_too() -> None:
    code = "import netguard, socket; print(netguard.installed())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
