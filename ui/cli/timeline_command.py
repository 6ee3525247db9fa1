"""`qa timeline "TOPIC"`: a story's developments in date order, each quoted and cited
(`Assistant.timeline`). `ui.cli.app` registers the command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from qa.models import Citation
from qa.timeline import MAX_ENTRIES, Timeline
from ui.cli.console import emit_json, out, run


def timeline(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="A story (\"the bus strike\") or a question about one (\"What has "
                                         "happened with the bus strike since Monday?\").", show_default=False)],
    since: Annotated[str | None, typer.Option(help="Only articles published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before YYYY-MM-DD.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Read 'since Monday', 'this week'... against this "
                                              "YYYY-MM-DD (default: today).")] = None,
    limit: Annotated[int, typer.Option(help="The most lines; the most relevant are kept.", min=1,
                                       max=MAX_ENTRIES)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show how a story developed: one line per dated development, oldest first, each quoted from an article and cited.

    A date phrase in the topic ("since Monday", "this week", "since 4 November 2024") sets the period
    unless --since or --until do. Copies of one story from several outlets give one line; undated
    articles are listed apart. With answer.mode: llm a short summary comes first, each sentence checked
    against the lines it cites.
    """
    found = run(ctx, lambda: ctx.obj.assistant().timeline(topic, since=since, until=until, as_of=as_of,
                                                         limit=limit))
    if as_json:
        emit_json(found.to_dict())
    else:
        print_timeline(found)


def print_timeline(found: Timeline) -> None:
    """The timeline for people: a heading, the summary, `DATE  sentence [n]` lines, the sources."""
    period = _period(found)
    out.print(f"[bold]Timeline: {escape(found.topic)}[/]" + (f" [dim]({escape(period)})[/]" if period else ""))
    if found.summary:
        out.print(f"\n{escape(found.summary)}")
        out.print("[dim](written by a language model from the lines below; each sentence checked against them)[/]")
    for u in found.unsupported:
        verb = "removed" if u.removed else "marked"
        out.print(f"[dim]{verb}, not supported by its sources ({escape(u.reason)}): {escape(u.text)}[/]")
    if found.notice:
        out.print(f"[dim]{escape(found.notice)}[/]")
    if found.entries:
        out.print()
    for entry in found.entries:
        out.print(f"{entry.date}  {escape(entry.sentence)} [bold]\\[{entry.citation.n}][/]")
    undated = {c.n for c in found.undated}
    dated = [c for c in found.sources if c.n not in undated]
    if dated:
        out.print("\nSources:")
    for c in dated:
        _print_source(c)
    if found.undated:
        out.print("\nUndated, so not on the timeline:")
        for c in found.undated:
            _print_source(c)
            out.print(f'    "{escape(c.quote)}"')


def _print_source(c: Citation) -> None:
    date = f" ({c.date})" if c.date else ""
    out.print(f"[bold]\\[{c.n}][/] {escape(c.title)}{escape(date)} - {escape(c.source)}")
    for copy in c.also_in:
        when = f" ({copy.date})" if copy.date else ""
        out.print(f"    also in: {escape(copy.title)}{escape(when)} - {escape(copy.source)}")


def _period(found: Timeline) -> str:
    if found.since and found.until:
        span = f"{found.since} to {found.until}"
    elif found.since:
        span = f"since {found.since}"
    elif found.until:
        span = f"until {found.until}"
    else:
        return ""
    return f"{found.period}: {span}" if found.period else span
