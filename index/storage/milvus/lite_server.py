"""milvus-lite's engine as a child process: the development and test engine of `store.backend: milvus`.

milvus-lite 2.5 (PyPI) ships Milvus' compiled engine (`milvus_lite/lib/milvus`), which serves
gRPC on a TCP address that several processes can share. (milvus-lite 3 replaced it with a Python
rewrite whose searches walk every row in Python: 4x slower at 100k chunks.) It is for
development only (no authentication, FLAT/IVF_FLAT indexes only, no collection properties);
production runs Milvus Standalone or Distributed with the same client configuration. Tests,
benchmarks and `make milvus` start it through this module so that each knows the process it owns
and stops only that one.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

# The engine's database file in the data dir (milvus-lite wants [A-Za-z0-9._-], at most 36 characters).
DB_FILE = "milvus.db"


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


def engine_command(data_dir: Path, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of milvus-lite's compiled engine serving gRPC on host:port
    with its files in `data_dir` (what `milvus_lite.server.Server` runs, without its file lock,
    which a TCP server does not take)."""
    # Located, not imported: milvus_lite 2.5's __init__ needs pkg_resources (setuptools).
    spec = importlib.util.find_spec("milvus_lite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("milvus-lite is not installed: run `make install`")
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [str(lib), os.environ.get("LD_LIBRARY_PATH")]))}
    return [str(lib / "milvus"), str(data_dir / DB_FILE), f"{host}:{port}", os.environ.get("MILVUS_LOG_LEVEL", "ERROR")], env


class LiteServer:
    """One milvus-lite engine on loopback with its files under `data_dir`.

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
        command, env = engine_command(self.data_dir, self.host, self.port)
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            cwd=self.data_dir)
        deadline = time.monotonic() + wait_s
        while not _answers(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the milvus-lite engine did not start on {self.uri}:\n{self.log_path.read_text()}")
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


def main(argv: list[str] | None = None) -> None:
    """`make milvus`: the engine in the foreground (this process becomes it; Ctrl-C stops it)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m index.storage.milvus.lite_server", description=main.__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="where the engine keeps its files")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback: it has no authentication)")
    parser.add_argument("--port", type=int, default=19530)
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    command, env = engine_command(args.data_dir.resolve(), args.host, args.port)
    print(f"milvus-lite engine on http://{args.host}:{args.port}, files in {args.data_dir}", flush=True)
    os.chdir(args.data_dir)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
