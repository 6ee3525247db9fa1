"""A `milvus-lite server` child process: the development and test engine of `store.backend: milvus`.

milvus-lite (PyPI) ships a gRPC server that several processes can share. It is for development
only (no authentication, serialized writes, per-segment BM25 statistics); production runs Milvus
Standalone or Distributed with the same client configuration. Tests, benchmarks and `make milvus`
start it through this module so that each knows the process it owns and stops only that one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class LiteServer:
    """One `milvus-lite server` on loopback with its files under `data_dir`.

    Args:
        data_dir: Where the engine keeps its files (kept across `stop()`/`start()`).
        port: The port to listen on (default: a free one).
        host: The address to bind (loopback by default: the server has no authentication).
        log_path: Where its output goes (default: `data_dir/../milvus-<port>.log`).

    Example:
        >>> with LiteServer(tmp / "milvus") as server:
        ...     store = MilvusArticleStore(server.uri, embedder, data_dir=tmp / "data")
    """

    def __init__(self, data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1",
                 log_path: Path | None = None) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path or data_dir.parent / f"milvus-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, wait_s: float = 60.0) -> LiteServer:
        """Start the server and wait until its port answers (raise with its log when it does not)."""
        if self.process is not None and self.process.poll() is None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(self.data_dir),
                   "--host", self.host, "--port", str(self.port)]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + wait_s
        while not _answers(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"milvus-lite server did not start on {self.uri}:\n{self.log_path.read_text()}")
            time.sleep(0.1)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop this server (its own pid only): SIGTERM, then SIGKILL after `timeout_s`."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> LiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
