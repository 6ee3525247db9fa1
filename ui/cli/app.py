"""The `qa` command line: a thin layer over `Assistant`.

Exit status: 0 success, 1 some files failed to ingest (the rest was indexed), 2 usage or
configuration error. Errors are one line on stderr; `--verbose` adds the traceback.
(`qa serve` is added by `ui.cli.serve`.)
"""

from __future__ import annotations

import inspect
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.console import Console
from rich.live import Live
from rich.measure import Measurement
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from index.errors import QAError
from index.models import ArticleInfo, FileReport, IngestProgress, IngestReport
from qa.api import Assistant, build_embedder
import ui.cli.feedback_command as feedback_command
import ui.cli.timeline_command as timeline_command
import ui.cli.watch_command as watch_command
import ui.cli.web_commands as web_commands
from qa.config import write_threshold
from qa.evaluation import report as reporting
from qa.evaluation.session import evaluate
from qa.evaluation.questions import FORMATS
from qa.models import Answer
from ui.cli.console import EXIT_FAILED_FILES, State, emit_json, err, fail, out, run

app = typer.Typer(help="Ask questions about your news articles and get grounded, cited answers, offline.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (default: ./config.yaml).",
                                                 envvar="QA_CONFIG", show_default=False)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details and tracebacks.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = State(config, verbose)


# -- ingest ----------------------------------------------------------------------------
@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(
        help="Files or folders (.txt .md .html .json .jsonl), or article URLs (http, https).",
        show_default=False)] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove indexed articles whose file is gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another ingest on this data "
                                        "directory to finish (default: refuse at once).")] = 0.0,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="An RSS or Atom feed (URL or file): index its "
                                                   "entries and remember it for `qa refresh`. Repeatable.",
                                                   show_default=False)] = None,
    sitemap: Annotated[list[str] | None, typer.Option("--sitemap", help="A sitemap or news sitemap URL: index its "
                                                      "pages and remember it for `qa refresh`. Repeatable.",
                                                      show_default=False)] = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow private, loopback and link-local "
                                                "addresses for these URLs (and later refreshes of these "
                                                "sources).")] = False,
) -> None:
    """Index articles from files, folders, web pages, feeds and sitemaps.

    Unchanged ones are skipped, changed ones replaced. One ingest at a time per data directory:
    a second one is refused (or waits, with --wait).
    """
    files, urls = web_commands.split_sources(paths or [])
    if not (files or urls or feed or sitemap):
        fail("nothing to ingest: name files, folders or URLs, or use --feed / --sitemap")
    web = [] if not (urls or feed or sitemap) else run(ctx, lambda: web_commands.ingest_web(
        ctx.obj.assistant(), urls, feed or [], sitemap or [], allow_private=allow_private, quiet=as_json,
        wait=wait))
    report = None
    if files:
        report = run(ctx, lambda: _ingest_with_progress(ctx.obj.assistant(), [Path(p) for p in files], prune,
                                                        quiet=as_json, wait=wait))
    if as_json:
        emit_json({**(report.to_dict() if report else {}), **({"web": [r.to_dict() for r in web]} if web else {})})
    else:
        web_commands.print_source_reports(web)
        if report is not None:
            _print_report(report, False)
    if (report is not None and report.failed) or any(r.failed for r in web):
        raise typer.Exit(EXIT_FAILED_FILES)


def _ingest_with_progress(assistant: Assistant, paths: list[Path], prune: bool, quiet: bool,
                          rebuild: bool = False, wait: float = 0.0) -> IngestReport:
    # The bar measures bytes, so it moves inside a big JSONL dump too; the rate is articles/s.
    progress = Progress(TextColumn("[bold]Ingesting"), BarColumn(), TaskProgressColumn(),
                        TextColumn("{task.fields[articles]} articles, {task.fields[rate]}/s"),
                        TimeRemainingColumn(), TextColumn("{task.description}"),
                        console=err, transient=True, disable=quiet or not err.is_terminal)
    started = time.monotonic()
    with progress:
        task = progress.add_task("", total=None, articles=0, rate="-")

        def on_progress(done: IngestProgress) -> None:
            rate = done.articles / max(time.monotonic() - started, 1e-6)
            progress.update(task, total=max(done.bytes_total, 1), completed=done.bytes,
                            articles=done.articles, rate=f"{rate:.0f}")

        def on_file(report: FileReport) -> None:
            progress.update(task, description=escape(Path(report.path).name))

        if rebuild:
            return assistant.reindex(on_file=on_file, on_progress=on_progress, wait_s=wait)
        return assistant.ingest(paths, prune=prune, on_file=on_file, on_progress=on_progress, wait_s=wait)


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
        return
    colors = {"indexed": "green", "updated": "cyan", "unchanged": "dim", "skipped": "yellow", "failed": "red"}
    for f in report.files:
        detail = f.reason
        if f.status in ("indexed", "updated"):
            detail = f"{f.articles} article(s), {f.chunks_added} chunk(s) added, {f.chunks_deleted} removed"
        line = f"[{colors[f.status]}]{f.status:<9}[/] {escape(f.path)}" + (f"  {escape(detail)}" if detail else "")
        out.print(line)
        for warning in f.warnings:
            out.print(f"          [yellow]warning:[/] {escape(warning)}")
    for article_id in report.pruned:
        out.print(f"[magenta]{'pruned':<9}[/] {escape(article_id)}")
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("indexed", "updated", "unchanged", "skipped", "failed"))
    if report.files and report.count("unchanged") == len(report.files) and not report.pruned:
        out.print(f"Nothing to do: all {len(report.files)} file(s) are already indexed and unchanged.")
    out.print(f"Summary: {counts}; {report.chunks_added} chunk(s) added, {report.chunks_deleted} removed"
              + (f", {len(report.pruned)} article(s) pruned." if report.pruned else "."))


# -- ask and chat ----------------------------------------------------------------------
@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    since: Annotated[str | None, typer.Option(help="Only articles published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only articles published on or before YYYY-MM-DD.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Read 'today', 'this week', 'recently'... "
                                              "against this YYYY-MM-DD (default: today).")] = None,
) -> None:
    """Answer one question from the indexed articles, with numbered sources."""
    answer = run(ctx, lambda: ctx.obj.assistant().ask(question, since=since, until=until, as_of=as_of))
    if as_json:
        emit_json(answer.to_dict())
    else:
        print_answer(answer)


def print_answer(answer: Answer) -> None:
    style = {"not_in_articles": "yellow", "uncertain": "magenta"}.get(answer.outcome)
    out.print((f"[{style}]" if style else "") + escape(answer.text) + ("[/]" if style else ""))
    if answer.outcome == "uncertain":
        out.print("[magenta](uncertain: this may not answer the question)[/]")
    if answer.notice:
        out.print(f"[dim]{escape(answer.notice)}[/]")
    for conflict in answer.conflicts:  # "Sources differ: 20 [2] (Nov 7), 19 [1] (Nov 6)"
        out.print(f"[bold yellow]{escape(conflict.text)}[/]")
    for u in answer.unsupported:
        verb = "removed" if u.removed else "marked"
        out.print(f"[dim]{verb}, not supported by its sources ({escape(u.reason)}): {escape(u.text)}[/]")
    if answer.citations:
        out.print("\nClosest sources:" if answer.abstained else "\nSources:")
    for c in answer.citations:
        date = f" ({c.date})" if c.date else ""
        page = f", p. {c.page}" if c.page else ""  # PDF sources
        out.print(f"[bold][{c.n}][/] {escape(c.title)}{escape(date)}{page} - {escape(c.source)}")
        out.print(f'    "{escape(c.quote)}"')
        if c.also_in:  # wire copies of the same story
            n = len(c.also_in)
            out.print(f"[dim]    also published by {n} outlet{'s' if n != 1 else ''}: "
                      + escape("; ".join(f"{copy.title} - {copy.source}" for copy in c.also_in)) + "[/]")


@app.command()
def chat(ctx: typer.Context) -> None:
    """Interactive chat in the terminal; follow-up questions use the conversation so far.

    Type /reset to forget the conversation, /quit (or Ctrl-D) to leave.
    """
    assistant = run(ctx, ctx.obj.assistant)
    history: list[dict[str, str]] = []
    interactive = sys.stdin.isatty()
    if interactive:
        out.print("Ask about your articles. /reset forgets the conversation, /quit leaves.")
    while True:
        try:
            question = input("you> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            break
        command = question.strip().lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            break
        if command == "/reset":
            history.clear()
            out.print("(conversation forgotten)")
            continue
        if not command:
            continue
        try:
            answer = _streamed(assistant, question, history, show_draft=interactive)
        except QAError as exc:
            err.print(f"[red]Error:[/red] {escape(str(exc))}")
            continue
        print_answer(answer)
        out.print()
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


def _streamed(assistant: Assistant, question: str, history: list[dict[str, str]], *, show_draft: bool) -> Answer:
    """The answer; a language model's draft is shown as it streams, then replaced by the
    checked answer."""
    events = assistant.stream(question, history)
    if not show_draft or assistant.generator is None:
        return list(events)[-1]  # the stream always ends with the answer
    answer = None
    with Live(console=out, transient=True, auto_refresh=False) as live:
        for event in events:
            if isinstance(event, str):
                live.update(Text(event + "\n(checking each sentence against its sources…)", style="dim"),
                            refresh=True)
            else:
                answer = event
    return answer


# -- the index -------------------------------------------------------------------------
@app.command()
def prepare(ctx: typer.Context) -> None:
    """Prepare the embedding model once, so that the first question or ingest starts at full speed.

    The ONNX export and int8 quantization of the configured model, about 11 s for the bundled one
    (2 cores). `make install` runs it; running it again is instant.
    """
    def body() -> tuple[Any, float]:
        started = time.perf_counter()
        return build_embedder(ctx.obj.settings), time.perf_counter() - started

    embedder, seconds = run(ctx, body)
    out.print(f"Embedding model ready: {escape(embedder.space)}, backend {embedder.backend} ({seconds:.1f} s).")


@app.command()
def stats(ctx: typer.Context,
          as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Show the number of articles and chunks, the model and where the index lives."""
    result = run(ctx, lambda: ctx.obj.assistant().stats())
    if as_json:
        emit_json(result.to_dict())
        return
    for key, value in result.to_dict().items():
        out.print(f"{key:<11} {escape(str(value))}")


@app.command()
def articles(ctx: typer.Context,
             as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False) -> None:
    """List the indexed articles, newest first: date, title, chunks, id and source.

    The id is what `qa delete` takes; the source is the article's URL, or its file relative to the
    folder it was ingested from.
    """
    found = run(ctx, lambda: ctx.obj.assistant().articles())
    if as_json:
        emit_json([a.to_dict() for a in found])
        return
    if found:
        _print_articles(found)
    out.print(f"{len(found)} article(s)")


def _print_articles(found: list[ArticleInfo]) -> None:
    """The articles as a table: date, title, chunks, id and source, one column each. The id (what
    `qa delete` takes) and the source (a URL, or a file) are never cut: a terminal too narrow for
    them and a title of 20 characters gets each article as a title line with its id and source
    below; a pipe gets one line per article."""
    width = out.width if out.is_terminal else 1_000_000
    id_width, source_width = (max(len(getattr(a, name)) for a in found) for name in ("id", "source"))
    fixed = 10 + 6 + id_width + source_width + 4 * 2  # date, chunks, and the gaps between columns
    if width - fixed < 20:
        for a in found:
            out.print(f"{a.date or '-':<10}  [bold]{escape(a.title)}[/]  ({a.chunks} chunks)")
            out.print(f"{'':<10}  id      {escape(a.id)}")
            out.print(f"{'':<10}  source  {escape(a.source)}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("date", no_wrap=True, min_width=10)
    table.add_column("title", max_width=width - fixed)  # wraps on a narrow terminal
    table.add_column("chunks", justify="right", no_wrap=True, min_width=6)
    table.add_column("id", no_wrap=True, min_width=id_width)
    table.add_column("source", no_wrap=True, min_width=source_width)
    for a in found:
        table.add_row(a.date or "-", Text(a.title), str(a.chunks), Text(a.id), Text(a.source))
    if out.is_terminal:
        out.print(table)
    else:  # at its natural width, whatever the console's
        natural = Measurement.get(out, out.options.update_width(width), table).maximum
        Console(highlight=False, soft_wrap=True, width=natural, color_system=None).print(table)


@app.command()
def delete(ctx: typer.Context, article_id: Annotated[str, typer.Argument(help="The article's id (see `qa articles`).")]) -> None:
    """Remove one article from the index."""
    removed = run(ctx, lambda: ctx.obj.assistant().delete_article(article_id))
    out.print(f"Removed {escape(article_id)} ({removed} chunks).")


@app.command()
def reindex(ctx: typer.Context,
            as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False) -> None:
    """Rebuild the whole index with the configured embedding model, from the articles' files."""
    report = run(ctx, lambda: _ingest_with_progress(ctx.obj.assistant(check_model=False), [], False,
                                                    quiet=as_json, rebuild=True))
    _print_report(report, as_json)
    if report.failed:
        raise typer.Exit(EXIT_FAILED_FILES)


# -- evaluation ------------------------------------------------------------------------
@app.command("eval")
def eval_command(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option("--dataset", help="A SQuAD, SelQA, adversarial SQuAD, claims or NLI "
                                                          "file, or a BEIR, natural, RealTimeQA or SNLI folder.")],
    fmt: Annotated[str | None, typer.Option("--format", help=f"{', '.join(FORMATS)} (default: guessed).")] = None,
    limit: Annotated[int | None, typer.Option(help="Questions drawn at random (default: all).", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random draw.")] = 0,
    report: Annotated[Path | None, typer.Option(help="Write report.md, metrics.json and plots here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the headline metrics as one JSON object.")] = False,
    baseline: Annotated[bool, typer.Option("--baseline", help="Also run the plain LangChain tutorial recipe.")] = False,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Pick the abstention threshold (<= 10% wrong "
                                            "abstentions) and write it into the config file.")] = False,
) -> None:
    """Measure retrieval and answers on public QA data in a fresh, isolated index.

    The questions go through the same retrieval and answering code as the chat; claims go
    through the grounding check of generated answers. See README, "Measuring answer quality".
    """
    if fmt not in (None, *FORMATS):
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    settings = run(ctx, lambda: ctx.obj.settings)
    command = "qa eval " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "qa eval"
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=err, transient=True, disable=as_json or not err.is_terminal)
    with progress:
        task = progress.add_task("Reading the dataset", total=None)
        result = run(ctx, lambda: evaluate(
            settings, dataset, fmt, limit=limit, seed=seed, baseline=baseline, calibrate=calibrate,
            on_stage=lambda what, total: progress.update(task, description=what, total=total, completed=0),
            on_progress=lambda done: progress.update(task, completed=done)))
    ours, data, questions, ingest = result.ours, result.dataset, result.questions, result.ingest
    if calibrate:
        config_path = ctx.obj.config or Path("config.yaml")
        previous = run(ctx, lambda: write_threshold(config_path, ours.threshold))
        err.print(f"answer.abstain_threshold: {previous} -> {ours.threshold} written to {config_path}")
    if report:
        for path in reporting.write_report(report, ours, result.baseline, command):
            err.print(f"wrote {path}")
    if as_json:
        emit_json(ours.metrics)
        return
    if data.format == "claims":  # nothing is indexed: each claim is checked against its own source
        out.print(f"{data.name}: {len(questions)} claims")
    else:
        out.print(f"{data.name}: {len(questions)} questions, {ingest['articles']} articles, {ingest['chunks']} chunks")
    out.print(reporting.table(ours, result.baseline))


# -- web sources (ui/cli/web_commands.py) ----------------------------------------------------
app.command(name="refresh")(web_commands.refresh)
app.command(name="sources")(web_commands.sources)

# -- watching a folder (ui/cli/watch_command.py) ----------------------------------------------
app.command(name="watch")(watch_command.watch)

# -- readers' feedback from the chat (ui/cli/feedback_command.py) ------------------------------
app.command(name="feedback")(feedback_command.feedback)

# -- a story's timeline (ui/cli/timeline_command.py) -----------------------------------------
app.command(name="timeline")(timeline_command.timeline)


def flow_help(typer_app: typer.Typer) -> None:
    """Let every command's help flow: typer's rich help keeps a docstring's line breaks, so that at
    any other width than the source's a sentence breaks mid-line (in `qa --help` the first paragraph
    of each command, in `qa COMMAND --help` all of them). Each paragraph becomes one line, which
    the terminal's width wraps. Idempotent; `ui.cli.serve` calls it again once `serve` is added."""
    for info in typer_app.registered_commands:
        text = info.help if info.help is not None else inspect.getdoc(info.callback)
        if text:
            info.help = "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))


flow_help(app)
