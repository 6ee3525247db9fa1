"""One writer per index: an inter-process lock on the data directory.

Ingest, delete and reindex take it; questions never do (readers see the index as it was, or
as it is after a write's batch). A second writer waits up to its timeout, then fails with a
message naming the process that holds the lock, instead of interleaving writes.

`fcntl.flock` is released by the kernel when the holder dies, even by SIGKILL, so a crashed
ingest never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from index.errors import IndexBusyError

LOCK_NAME = "writer.lock"


@contextlib.contextmanager
def writer_lock(data_dir: Path, *, timeout_s: float = 0.0, poll_s: float = 0.2) -> Iterator[None]:
    """Hold the data directory's writer lock for the block.

    Args:
        data_dir: The index's data directory.
        timeout_s: Seconds to wait for another writer to finish (0: do not wait).

    Raises:
        IndexBusyError: Another process holds the lock past `timeout_s`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(_busy_message(path, timeout_s)) from None
                time.sleep(poll_s)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {' '.join(os.path.basename(a) for a in sys.argv[:3])}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def _busy_message(path: Path, waited: float) -> str:
    try:
        holder = path.read_text(encoding="utf-8").strip()
    except OSError:
        holder = ""
    pid, _, command = holder.partition(" ")
    who = f"process {pid} ({command})" if pid.isdigit() else "another process"
    waited_text = f" after waiting {waited:.0f} s" if waited else ""
    return (f"the index is being written by {who}{waited_text}: one ingest, delete or reindex at a time "
            f"per data directory; wait for it to finish, then run this again")
