"""The command line's console: where output and errors go, the exit statuses, and the one way a
command turns the project's errors into one line on stderr (`run`, `fail`)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from index.errors import QAError
from qa.api import Assistant
from qa.config import Settings, load_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2


class State:
    """Per-invocation context: settings loaded once, assistant built on first use."""

    def __init__(self, config: Path | None, verbose: bool) -> None:
        self.config = config
        self.verbose = verbose
        self._settings: Settings | None = None
        self._assistant: Assistant | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def assistant(self, check_model: bool = True) -> Assistant:
        if self._assistant is None:
            self._assistant = Assistant(self.settings, check_model=check_model)
        return self._assistant


def emit_json(value: Any) -> None:
    """Plain JSON on stdout, no colors, for machines."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(code)


def run(ctx: typer.Context, body: Any) -> Any:
    """Run a command body, turning the project's errors into one line and exit status 2."""
    try:
        return body()
    except QAError as exc:
        if ctx.obj.verbose:
            logging.exception("error")
        fail(str(exc))
