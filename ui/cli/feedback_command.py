"""`qa feedback list | export OUT_DIR`: readers' ratings of answers, and the questions they rated
as a natural question set for `qa eval --dataset OUT_DIR`.

The records and the export live in `qa.feedback` (`<data dir>/feedback.sqlite`); this module
prints them. `ui.cli.app` registers the command (`app.command(name="feedback")(feedback)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from qa.feedback import FeedbackStore
from qa.feedback_export import export_feedback, indexed_articles
from ui.cli.console import emit_json, fail, out, run

ACTIONS = ("list", "export")


def feedback(
    ctx: typer.Context,
    action: Annotated[str, typer.Argument(help="list: the latest ratings; export: write the rated questions "
                                          "to OUT_DIR as a question set for `qa eval --dataset OUT_DIR`.",
                                          metavar="list|export", show_default=False)],
    out_dir: Annotated[Path | None, typer.Argument(help="export: a new or empty folder (or a previous export).",
                                                   metavar="OUT_DIR", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (list: the records; export: the "
                                          "report).")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="list: how many, newest first.")] = 20,
    rating: Annotated[str | None, typer.Option("--rating", help="list: only `up` or `down`.",
                                               show_default=False)] = None,
) -> None:
    """Readers' thumbs up and down on answers: list them, or export them as a set for `qa eval`.

    `export` writes the rated questions as a natural question set with the articles they cite:
    thumbs up, the quoted sentences are the golds (or, on "not in the articles", the articles do
    not answer it); thumbs down go to review.jsonl, for a person to give the right answer.
    """
    if action not in ACTIONS:
        fail(f"unknown action {action!r}: use `qa feedback list` or `qa feedback export OUT_DIR`")
    if rating not in (None, "up", "down"):
        fail(f"--rating must be up or down, not {rating!r}")
    settings = run(ctx, lambda: ctx.obj.settings)
    store = FeedbackStore.in_data_dir(settings.data.dir, max_question_chars=settings.answer.max_question_chars)
    if action == "list":
        if out_dir is not None:
            fail("`qa feedback list` takes no folder")
        records = run(ctx, lambda: store.list(limit, rating=rating))
        if as_json:
            emit_json([r.to_dict() for r in records])
            return
        for r in records:
            mark = "[green]up  [/]" if r.rating == "up" else "[red]down[/]"
            note = f"\n      [dim]note:[/] {escape(r.note)}" if r.note else ""
            out.print(f"[dim]{r.id:>5} {escape(r.updated)}[/] {mark} {escape(r.question)}  "
                      f"[dim]({escape(r.outcome.replace('_', ' '))}, {escape(r.face)})[/]{note}")
        total = run(ctx, lambda: store.count(rating))
        out.print(f"{len(records)} of {total} record(s)" + (f" rated {rating}" if rating else "")
                  + f" in {escape(str(store.path))}")
        return
    if out_dir is None:
        fail("`qa feedback export` needs the folder to write: qa feedback export OUT_DIR")
    if rating is not None:
        fail("--rating is for `qa feedback list`; an export takes every rating")
    assistant = run(ctx, ctx.obj.assistant)
    report = run(ctx, lambda: export_feedback(store, out_dir, indexed_articles(assistant.store)))
    if as_json:
        emit_json(report.to_dict())
        return
    out.print(f"Wrote {escape(str(out_dir))}: {report.questions} question(s) ({report.answerable} with the quoted "
              f"answer as gold, {report.unanswerable} the articles do not answer), {report.articles} article(s); "
              f"{report.review} for review in review.jsonl.")
    for reason, count in report.reasons.items():
        out.print(f"  [dim]review: {count} x {escape(reason)}[/]")
    if report.missing_articles:
        out.print(f"  [yellow]{len(report.missing_articles)} cited article(s) are no longer indexed[/]")
    if report.questions:
        out.print(f"Evaluate: qa eval --dataset {escape(str(out_dir))}")
    else:
        out.print("No question has a gold yet: review review.jsonl (see README.md there).")
