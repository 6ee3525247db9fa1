"""`qa watch DIR`: keep a folder and the index in step, a line per event.

The logic lives in `index.loading.watch`, and `qa.watch.folder_watcher` builds a `FolderWatcher`
over an `Assistant`; this module prints what it does. `ui.cli.app` registers the command
(`app.command(name="watch")(watch)`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from index.loading.watch import FolderWatcher, WatchEvent
from qa.watch import folder_watcher
from ui.cli.console import EXIT_FAILED_FILES, err, fail, out, run

COLORS = {"indexed": "green", "updated": "cyan", "unchanged": "dim", "skipped": "yellow", "failed": "red",
          "pruned": "magenta", "waiting": "yellow", "error": "red", "synced": "bold", "watching": "bold",
          "stopped": "bold"}


def watch(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The folder to keep in step (walked recursively).")],
    quiet_period: Annotated[float, typer.Option("--quiet-period", min=0.0, help="Seconds a file must stand "
                                                "still (size and time) before it is read.")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Sync the folder (ingest and prune) and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per line and event.")] = False,
    poll: Annotated[bool, typer.Option("--poll", help="Poll for changes instead of OS notifications "
                                       "(network and container mounts).")] = False,
) -> None:
    """Keep a folder and the index in step, a line per event.

    Syncs it, then indexes new and changed files and prunes deleted ones as they happen. Files still
    being written are read once quiet; hidden, temporary and unsupported files are ignored. Waits
    while another ingest writes. Ctrl-C or SIGTERM stops.
    """

    if not folder.expanduser().is_dir():  # before the model loads
        fail(f"cannot watch {folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    printer = _JsonPrinter() if as_json else _TextPrinter(folder)
    watcher = run(ctx, lambda: folder_watcher(ctx.obj.assistant(), folder, quiet_s=quiet_period,
                                              on_event=printer, poll=poll))
    if once:
        report = run(ctx, watcher.sync)
        if report is not None and report.failed:
            raise typer.Exit(EXIT_FAILED_FILES)
        return
    with _stop_on_signals(watcher, announce=not as_json):
        run(ctx, watcher.run)


@contextlib.contextmanager
def _stop_on_signals(watcher: FolderWatcher, *, announce: bool) -> Iterator[None]:
    """SIGINT and SIGTERM stop the watcher after the batch being stored; a second Ctrl-C
    interrupts at once (an interrupted ingest resumes cleanly on the next start)."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def stop(signum: int, frame: object) -> None:
        if announce and signum == signal.SIGINT:

            err.print("[dim]Stopping... (Ctrl-C again to stop at once)[/]")
        watcher.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _JsonPrinter:
    """One compact JSON object per line, flushed at once (for pipes), with the time."""

    def __call__(self, event: WatchEvent) -> None:
        line = {"time": dt.datetime.now().astimezone().isoformat(timespec="seconds"), **event.to_dict()}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class _TextPrinter:
    """`HH:MM:SS status path  detail`, paths relative to the watched folder. Files the initial
    sync found unchanged are only counted (in its `synced` line)."""

    def __init__(self, folder: Path) -> None:
        self.root = folder.expanduser().resolve()

    def __call__(self, event: WatchEvent) -> None:
        from rich.markup import escape


        if event.initial and event.status == "unchanged":
            return
        detail = event.reason
        if event.status in ("indexed", "updated"):
            detail = (f"{event.articles} article(s), {event.chunks_added} chunk(s) added, "
                      f"{event.chunks_deleted} removed")
        elif event.status == "unchanged":
            detail = f"{event.articles} article(s)"
        elif event.status == "pruned":
            detail = event.article_id
        elif event.status == "stopped":
            detail = "stopped watching"
        where = self._shown(event.path) if event.path else ""
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        out.print(f"[dim]{stamp}[/] [{COLORS.get(event.status, 'default')}]{event.status:<9}[/] {escape(where)}"
                  + (f"  {escape(detail)}" if detail else ""))
        for warning in event.warnings:
            out.print(f"{'':18}[yellow]warning:[/] {escape(warning)}")

    def _shown(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix() if Path(path) != self.root else str(self.root)
        except ValueError:
            return path
