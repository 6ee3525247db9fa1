"""The web part of the CLI: `qa ingest URL | --feed | --sitemap`, `qa refresh`, `qa sources`.

The logic lives in `qa.web.WebSources` (and below it `index.loading.web`); this module parses
arguments, calls it and prints the reports: a line per page or entry, like file ingest, then
one summary line per source. `ui.cli.app` registers `refresh` and `sources` and calls
`ingest_web` from `qa ingest`.

Exit status as everywhere: 0 when nothing failed, 1 when a page, entry or source failed (the
rest is indexed), 2 for usage or configuration errors.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn

from index.loading.web.reports import STATUSES, ItemReport, RefreshReport, SourceReport
from qa.api import Assistant
from ui.cli.console import EXIT_FAILED_FILES, emit_json, err, fail, out, run

COLORS = {"indexed": "green", "updated": "cyan", "unchanged": "dim", "skipped": "yellow", "failed": "red"}


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def split_sources(values: list[str]) -> tuple[list[str], list[str]]:
    """Command-line arguments -> (files and folders, article URLs)."""
    return [v for v in values if not is_url(v)], [v for v in values if is_url(v)]


def ingest_web(assistant: Assistant, urls: list[str], feeds: list[str], sitemaps: list[str], *,
               allow_private: bool, quiet: bool, wait: float = 0.0) -> list[SourceReport]:
    """`qa ingest`'s web part: article URLs, then feeds, then sitemaps; one report each."""
    web = assistant.web
    if wait:
        web.wait_s = wait
    allow = True if allow_private else None  # None: the configuration decides
    reports = []
    with _progress(quiet) as on_item:
        if urls:
            reports.append(web.ingest_urls(urls, allow_private=allow, on_item=on_item))
        for feed in feeds:
            reports.append(web.ingest_feed(feed, allow_private=allow, on_item=on_item))
        for sitemap in sitemaps:
            reports.append(web.ingest_sitemap(sitemap, allow_private=allow, on_item=on_item))
    return reports


class _progress:  # noqa: N801 - a context manager used like a function
    """A transient spinner on stderr counting pages as they are done (terminals only)."""

    def __init__(self, quiet: bool) -> None:

        self.bar = Progress(SpinnerColumn(), TextColumn("[bold]Fetching[/] {task.fields[done]} page(s)  "
                                                        "{task.description}"),
                            console=err, transient=True, disable=quiet or not err.is_terminal)
        self.done = 0

    def __enter__(self) -> Any:
        self.bar.__enter__()
        self.task = self.bar.add_task("", done=0)

        def on_item(item: ItemReport) -> None:
            self.done += 1
            self.bar.update(self.task, done=self.done, description=escape(item.url[-60:]))

        return on_item

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)


def print_source_reports(reports: list[SourceReport]) -> None:
    """A line per page or entry, then one line per source."""

    for report in reports:
        for item in report.items:
            detail = item.reason
            if item.status in ("indexed", "updated"):
                detail = f"{item.chunks_added} chunk(s) added, {item.chunks_deleted} removed"
                if item.title:
                    detail = f"{item.title} ({item.date or 'no date'}); {detail}"
            if item.duplicate_of and item.status != "skipped":  # a skipped item's reason names it
                detail += f"{'; ' if detail else ''}the same article as {item.duplicate_of}"
            out.print(f"[{COLORS[item.status]}]{item.status:<9}[/] {escape(item.url)}"
                      + (f"  {escape(detail)}" if detail else ""))
            for warning in item.warnings:
                out.print(f"          [yellow]warning:[/] {escape(warning)}")
        for warning in report.warnings:
            out.print(f"[yellow]warning:[/] {escape(warning)}")
        out.print(_source_line(report))


def _source_line(report: SourceReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in STATUSES)
    what = "URLs" if report.kind == "urls" else f"{report.kind} {escape(report.source)}"
    if report.title:
        what += f" ({escape(report.title)})"
    timing = f" in {report.seconds:.1f} s, {report.requests} request(s)"
    if report.status == "failed":
        return f"[red]failed[/]    {what}: {escape(report.error)}"
    if report.status == "not_modified":
        return f"[dim]{what}: not modified since the last refresh; nothing fetched or indexed{timing}.[/]"
    return f"[bold]{what}:[/] {counts}; {report.chunks_added} chunk(s) added, {report.chunks_deleted} removed{timing}."


def refresh(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help="One feed or sitemap (URL or file); default: all.")] = None,
    only_due: Annotated[bool, typer.Option("--due", help="Only the sources whose refresh interval has passed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds each stored batch waits for another writer "
                                        "on this data directory (default 60).")] = 0.0,
) -> None:
    """Refresh feeds and sitemaps once (web.feeds and those added by `qa ingest --feed/--sitemap`).

    Only new and changed entries are fetched and indexed; a source answering "not modified"
    costs one request."""

    def body() -> RefreshReport:
        web = ctx.obj.assistant().web
        if wait:
            web.wait_s = wait
        with _progress(as_json) as on_item:
            return web.refresh(source, only_due=only_due, on_item=on_item)

    result = run(ctx, body)
    if as_json:
        emit_json(result.to_dict())
    else:
        print_source_reports(result.sources)
        if not result.sources:
            out.print("No source to refresh" + (" is due." if only_due else ": list feeds in web.feeds or add one "
                                                                            "with `qa ingest --feed URL`."))
    if result.failed:
        raise typer.Exit(EXIT_FAILED_FILES)


def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    remove: Annotated[str | None, typer.Option("--remove", help="Forget this source (URL or file).")] = None,
    delete_articles: Annotated[bool, typer.Option("--delete-articles", help="With --remove: also delete the "
                                                  "articles only that source brought.")] = False,
) -> None:
    """List the feeds and sitemaps that `qa refresh` refreshes, with their state.

    For each: its last refresh (when, new/updated/unchanged/failed entries, errors) and when it
    is due again."""

    if delete_articles and not remove:
        fail("--delete-articles goes with --remove URL")
    if remove:
        removed = run(ctx, lambda: ctx.obj.assistant().web.remove_source(remove, delete_articles=delete_articles))
        out.print(f"Removed source {escape(remove)}" + (f" and {len(removed)} article(s)." if delete_articles else "."))
        return
    found = run(ctx, lambda: ctx.obj.assistant().web.sources())
    if as_json:
        emit_json([s.to_dict() for s in found])
        return
    for s in found:
        every = f"every {s.interval_minutes} min" if s.interval_minutes else "default interval"
        origin = "config" if s.configured else "added"
        out.print(f"[bold]{s.kind:<8}[/] {escape(s.url)}  [dim]{escape(s.title)} ({origin}, {every})[/]")
        dedup = f" ({s.deduplicated} deduplicated against another URL)" if s.deduplicated else ""
        if s.last_refresh:
            style = {"failed": "red", "not_modified": "dim"}.get(s.last_status or "", "green")
            out.print(f"          last refresh {s.last_refresh}: [{style}]{s.last_status}[/]; {s.new} new, "
                      f"{s.updated} updated, {s.unchanged} unchanged, {s.failed} failed; {s.entries} entries "
                      f"known{dedup}; next due {s.next_due}")
        else:
            out.print("          never refreshed: due now")
        for error in s.errors[:5]:
            out.print(f"          [red]error:[/] {escape(error)}")
    out.print(f"{len(found)} source(s)")
