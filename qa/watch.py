"""A folder kept in step with an assistant's index (`qa watch DIR`, or from Python).

    >>> watcher = folder_watcher(assistant, "news", on_event=print)
    >>> threading.Thread(target=watcher.run, daemon=True).start()
    >>> ...
    >>> watcher.stop()
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.loading.watch import FolderWatcher, StoreSink, WatchEvent, watchfiles_source
from qa.api import Assistant


def folder_watcher(assistant: Assistant, folder: str | Path, *, quiet_s: float = 1.0,
                   on_event: Callable[[WatchEvent], None] | None = None, poll: bool = False,
                   retry_s: float = 2.0) -> FolderWatcher:
    """A `FolderWatcher` that writes through `assistant` (its store, chunker and writer lock).

        >>> watcher = folder_watcher(assistant, "news", on_event=print)
        >>> threading.Thread(target=watcher.run, daemon=True).start()
        >>> ...
        >>> watcher.stop()
    """
    root = Path(folder).expanduser()
    sink = StoreSink(assistant.store, assistant.chunker, root, writing=assistant.writing)
    source = watchfiles_source(root.resolve(), force_polling=poll) if root.is_dir() else None
    return FolderWatcher(root, sink, quiet_s=quiet_s, on_event=on_event, source=source, retry_s=retry_s)
