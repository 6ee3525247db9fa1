"""One writer per index: an inter-process lock on the data directory.

Ingest, delete and reindex take it; questions never do (readers see the index as it was, or
as it is after a write's batch). A second writer waits up to its timeout, then fails with a
message naming the process that holds the lock, instead of interleaving writes.

The locks are `filelock` file locks (`file_lock` below, also used for the server's refresh lock
and the one-time model export): on Linux an `flock` on `<data dir>/writer.lock`, which the
kernel releases when the holder dies, even by SIGKILL, so a crashed ingest never leaves a stale
lock behind. The holder writes its pid and command into the file once it holds the lock; a
refused writer reads them back for its message (waiters never truncate the file).

Each `writer_lock` call opens the file anew, so two calls conflict even within one process
(in one thread or in two), as two processes do; the lock is not re-entrant. It may be released
from another thread than the one that took it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import IndexBusyError

if TYPE_CHECKING:
    from filelock import BaseFileLock

LOCK_NAME = "writer.lock"


def file_lock(path: Path, *, note: str | None = None, poll_s: float = 0.05) -> BaseFileLock:
    """A new exclusive inter-process lock on `path` (`filelock.FileLock`; not yet taken).

    Take it with `acquire()` (waits without limit), `acquire(timeout=s)` or
    `acquire(blocking=False)`; both raise `filelock.Timeout` when another holder keeps it.
    Every call returns a new lock with its own open file, so two locks on one path exclude
    each other within one process as across processes. It is shared by the threads of the
    process (`thread_local=False`): any thread may release it.

    Args:
        path: The lock file; created when missing, left in place on release.
        note: Written into the lock file once the lock is held (who holds it).
        poll_s: Seconds between two tries while waiting.
    """
    from filelock import FileLock  # imported on first use: questions never take a lock

    def write_note(fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode("utf-8"), 0)

    # fallback_to_soft=False: a soft (existence) lock would outlive a killed holder.
    return FileLock(path, thread_local=False, poll_interval=poll_s, fallback_to_soft=False,
                    on_acquired=write_note if note is not None else None)


@contextlib.contextmanager
def writer_lock(data_dir: Path, *, timeout_s: float = 0.0, poll_s: float = 0.2) -> Iterator[None]:
    """Hold the data directory's writer lock for the block.

    Args:
        data_dir: The index's data directory.
        timeout_s: Seconds to wait for another writer to finish (0: do not wait).
        poll_s: Seconds between two tries while waiting.

    Raises:
        IndexBusyError: Another process (or another `writer_lock`) holds the lock past `timeout_s`.
    """
    from filelock import Timeout

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    holder = f"{os.getpid()} {' '.join(os.path.basename(a) for a in sys.argv[:3])}\n"
    lock = file_lock(path, note=holder, poll_s=poll_s)
    try:
        lock.acquire(timeout=max(timeout_s, 0.0))  # 0: one try (a negative timeout would wait forever)
    except Timeout:
        raise IndexBusyError(_busy_message(path, timeout_s)) from None
    try:
        yield
    finally:
        lock.release()


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
