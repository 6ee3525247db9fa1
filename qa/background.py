"""The server's background refresh: feeds and sitemaps refreshed when due, in a daemon thread.

    >>> loop = BackgroundRefresh(assistant.web, check_s=60)
    >>> loop.start()          # `qa serve` does this at startup (web.background_refresh)
    >>> loop.stop()           # and this at shutdown: the source being refreshed is finished first

Every `check_s` seconds the loop looks for the sources whose interval has passed (configured in
`web.feeds` and added by an administrator) and refreshes them one at a time through
`WebSources.refresh`, which stores in batches under the writer lock: questions are never
blocked for longer than one indexing batch. Whether each is still due is read again from the
state store right before it is refreshed (by `refresh(url, only_due=True)`, once it holds the
refresh): a source an administrator refreshed meanwhile, or is refreshing now, is skipped. A
failing source is logged and recorded in its state by `WebSources`; nothing a source does
stops the loop.

One refresher per data directory: with several server processes (`server.workers`) each runs
this loop, but only the one holding `<data dir>/refresh.lock` (a `filelock` lock, `index.lock.file_lock`:
an `flock` on Linux, released by the kernel when its process dies; the holder's pid is written into
the file) refreshes; the others keep trying to take it over at each check.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from index.lock import file_lock
from index.loading.web.refresh import due

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from index.loading.web.reports import SourceReport, SourceState
    from qa.web import WebSources

logger = logging.getLogger(__name__)

LOCK_NAME = "refresh.lock"


class RefreshLock:
    """The data directory's refresh lock, taken without waiting and held until released.

    Two `RefreshLock`s exclude each other, in one process as in two; `release` may be called
    from any thread.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._lock: BaseFileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def try_acquire(self) -> bool:
        """Take the lock when no other process (or other `RefreshLock`) holds it; True when held."""
        from filelock import Timeout

        if self._lock is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = file_lock(self.path, note=f"{os.getpid()}\n")
        try:
            lock.acquire(blocking=False)
        except Timeout:
            return False
        self._lock = lock
        return True

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release(force=True)


class BackgroundRefresh:
    """Refreshes due web sources in a daemon thread until stopped.

    Args:
        web: The assistant's `WebSources` (create it before starting: `assistant.web`).
        check_s: Seconds between two looks for due sources (`web.refresh_check_s`).
        clock: Seconds since the epoch, for deciding what is due (tests move it forward).
        on_source: Called with each source's report (after it was logged).
    """

    def __init__(self, web: WebSources, *, check_s: float = 60.0, clock: Callable[[], float] = time.time,
                 on_source: Callable[[SourceReport], None] | None = None) -> None:
        if check_s <= 0:
            raise ValueError(f"check_s must be positive, not {check_s}")
        self.web = web
        self.check_s = check_s
        self.clock = clock
        self.on_source = on_source
        self.lock = RefreshLock(web.assistant.settings.data.dir)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checks = 0  # looks for due sources so far (tests wait on it)
        self.refreshed = 0  # sources refreshed so far

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="web-refresh", daemon=True)
        self._thread.start()
        logger.info("background refresh started: a look for due sources every %g s", self.check_s)

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop after the source being refreshed (if any); True when the thread has ended."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.warning("background refresh still busy after %g s; leaving it to end with the process",
                               timeout_s)
                return False
        self._thread = None
        self.lock.release()
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the loop outlives any failure; it is logged
                logger.exception("background refresh: a look for due sources failed; trying again in %g s",
                                 self.check_s)
            self._stop.wait(self.check_s)
        self.lock.release()

    def run_once(self) -> int:
        """Refresh every due source, one at a time, when this process holds the refresh lock;
        return how many were refreshed."""
        self.checks += 1
        if not self.lock.try_acquire():
            return 0  # another process refreshes this data directory
        done = 0
        for source in self._due():
            if self._stop.is_set():
                break
            try:
                # Still due? Decided by `refresh` from the state store once it holds the refresh:
                # an administrator's refresh of this source, running now or meanwhile, makes it not.
                report = self.web.refresh(source.url, only_due=True, now=self.clock())
            except Exception:  # noqa: BLE001 - one source never stops the others
                logger.exception("background refresh of %s failed", source.url)
                continue
            if not report.sources:
                continue  # refreshed meanwhile
            for result in report.sources:
                self._log(result)
                if self.on_source is not None:
                    self.on_source(result)
            done += 1
            self.refreshed += 1
        return done

    def _due(self) -> list[SourceState]:
        return due(self.web.sources(), self.web.settings.refresh_minutes, now=self.clock())

    @staticmethod
    def _log(report: SourceReport) -> None:
        if report.status == "failed":
            logger.warning("refresh of %s %s failed: %s", report.kind, report.source, report.error)
            return
        summary = ", ".join(f"{n} {status}" for status, n in report.summary().items() if n)
        logger.info("refreshed %s %s: %s in %.1f s", report.kind, report.source,
                    report.status if report.status == "not_modified" else (summary or "no entries"), report.seconds)
        for line in report.errors():
            logger.warning("refresh of %s: %s", report.source, line)
