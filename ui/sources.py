"""The Articles tab's web part: the feeds and sitemaps with their state, and, for an
administrator, adding article URLs and sources, refreshing one now, and removing one.

Everyone sees the sources table (like the articles table above it); every change needs the admin
password (checked again on each action, with the client's address from Gradio's request: see
`ui.auth`). URLs go through `qa.web_admin.WebAdmin`:
http(s) only, and the configuration's address rule (private and loopback addresses refused
unless `web.allow_private` or `web.allow_hosts` allow them); an action that finds a refresh
running waits for it at most `qa.web_admin.BUSY_WAIT_S`, then says which one runs.

Each action fills again everything it may change: the sources table and the source to
refresh/remove, the articles table and the article to delete (new articles are there without a
reload). "Refresh list" fills the sources table and the source choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import gradio as gr

from index.errors import QAError
from index.loading.web.reports import SourceReport, SourceState
from qa.api import Assistant
from qa.web_admin import WebAdmin
from ui.articles import article_choices, article_rows
from ui.render import escape_md


class PasswordCheck(Protocol):
    """What the panel needs of the tab's administration (`ui.admin.Admin`): the password check,
    raising `gr.Error` when the request is not admitted."""

    def check(self, given: str | None, request: gr.Request | None = None) -> None: ...

SOURCE_COLUMNS = ["Kind", "URL", "Title", "Every (min)", "Last refresh", "Result", "New", "Updated", "Unchanged",
                  "Failed", "Errors", "Next due"]
SOURCE_WIDTHS = ["96px", "240px", "180px", "96px", "150px", "150px", "72px", "88px", "104px", "72px", "180px", "150px"]
EMPTY_SOURCES = ("_None yet: add a feed or sitemap with `qa ingest --feed URL` (or `--sitemap URL`), in `web.feeds` "
                 "of config.yaml, or, as an administrator, below._")


def _when(iso: str | None) -> str:
    return iso.replace("T", " ").replace("+00:00", " UTC") if iso else ""


def source_row(s: SourceState, default_minutes: int) -> list[Any]:
    origin = " (config)" if s.configured else ""
    result = s.last_status or "never refreshed"
    if s.last_status == "failed" and s.last_error:
        result = f"failed: {s.last_error}"
    return [s.kind + origin, s.url, s.title, s.interval_minutes or default_minutes, _when(s.last_refresh), result,
            s.new, s.updated, s.unchanged, s.failed, "\n".join(s.errors[:5]), _when(s.next_due) or "now"]


def source_rows(assistant: Assistant) -> list[list[Any]]:
    web = assistant.web
    return [source_row(s, web.settings.refresh_minutes) for s in web.sources()]


def source_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """The source dropdown's (label, url) pairs."""
    return [(f"{s.title or s.url} ({s.kind})" if s.title else s.url, s.url) for s in assistant.web.sources()]


def source_choice_update(assistant: Assistant, current: str | None = None) -> Any:  # noqa: ANN401
    """The source dropdown filled again, `current` kept while it is still a source."""
    choices = source_choices(assistant)
    return gr.update(choices=choices, value=current if current in {url for _, url in choices} else None)


def report_markdown(report: SourceReport) -> str:
    """One source's (or URL list's) report: a summary line, then a line per page or entry."""
    what = "Article URLs" if report.kind == "urls" else f"{report.kind.capitalize()} {escape_md(report.source)}"
    if report.status == "failed":
        return f"**failed** {what}: {escape_md(report.error)}"
    if report.status == "not_modified":
        return f"{what}: not modified since the last refresh; nothing fetched or indexed."
    counts = ", ".join(f"{n} {status}" for status, n in report.summary().items() if n) or "no entries"
    lines = [f"{what}: **{counts}** ({report.chunks_added} chunk(s) added, {report.seconds:.1f} s)"]
    for item in report.items[:50]:
        if item.status in ("failed", "skipped"):
            detail = item.reason
        elif item.status == "unchanged":
            continue
        else:
            detail = item.title
        lines.append(f"- **{item.status}** {escape_md(item.url)}" + (f": {escape_md(detail)}" if detail else ""))
    return "\n".join(lines)


class SourcesAdmin:
    """The tab's admin actions; each checks the password, then calls `WebAdmin`."""

    def __init__(self, assistant: Assistant, admin: PasswordCheck) -> None:
        self.assistant = assistant
        self.admin = admin
        self.web = WebAdmin(assistant.web)

    def _run(self, password: str, request: gr.Request | None, action: Any) -> Any:  # noqa: ANN401
        self.admin.check(password, request)
        try:
            return action()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from exc

    def _outputs(self, message: str, chosen: str | None = None, *,
                 articles_deleted: bool = False) -> tuple[str, Any, Any, Any, Any]:
        """The message, then the sources table, the articles table, the article to delete (its
        choice kept unless articles were deleted) and the source (`chosen` when still known)."""
        articles = gr.update(choices=article_choices(self.assistant), **({"value": None} if articles_deleted else {}))
        return (message, gr.update(value=source_rows(self.assistant)), gr.update(value=article_rows(self.assistant)),
                articles, source_choice_update(self.assistant, chosen))

    def add_urls(self, password: str, text: str | None, request: gr.Request | None = None
                 ) -> tuple[str, Any, Any, Any, Any]:
        urls = [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]
        report = self._run(password, request, lambda: self.web.ingest_urls(urls))
        return self._outputs(report_markdown(report))

    def add_source(self, password: str, url: str | None, kind: str, minutes: float | None,
                   request: gr.Request | None = None) -> tuple[str, Any, Any, Any, Any]:
        interval = int(minutes) if minutes else None
        state, created = self._run(password, request,
                                   lambda: self.web.add_source((url or "").strip(), kind or "feed", interval))
        every = f"every {state.interval_minutes or self.web.web.settings.refresh_minutes} min"
        verb = "Added" if created else "Updated"
        return self._outputs(f"{verb} {state.kind} **{escape_md(state.url)}** ({every}); it is read at the next "
                             f"refresh, or now with *Refresh now*.", chosen=state.url)

    def refresh(self, password: str, url: str | None, request: gr.Request | None = None
                ) -> tuple[str, Any, Any, Any, Any]:
        if not url:
            self.admin.check(password, request)
            raise gr.Error("Choose the source to refresh.", print_exception=False)
        report = self._run(password, request, lambda: self.web.refresh(url))
        return self._outputs("\n\n".join(report_markdown(r) for r in report.sources), chosen=url)

    def remove(self, password: str, url: str | None, delete_articles: bool, request: gr.Request | None = None
               ) -> tuple[str, Any, Any, Any, Any]:
        if not url:
            self.admin.check(password, request)
            raise gr.Error("Choose the source to remove.", print_exception=False)
        removed = self._run(password, request,
                            lambda: self.web.remove_source(url, delete_articles=bool(delete_articles)))
        extra = f" and deleted {len(removed)} article(s)" if delete_articles else " (its articles are kept)"
        return self._outputs(f"Removed source **{escape_md(url)}**{extra}.", articles_deleted=bool(removed))


@dataclass
class SourcesPanel:
    """The panel's components that show the sources (filled again on each page load)."""

    table: gr.Dataframe
    choice: gr.Dropdown | None = None  # the source to refresh or remove; administrators only


def build_sources_panel(assistant: Assistant, admin: PasswordCheck | None, secret: gr.Textbox | None,
                        articles: gr.Dataframe, article_choice: gr.Dropdown | None = None) -> SourcesPanel:
    """Render the web sources part inside the current Blocks, below the articles table (and,
    for an administrator, the article to delete: both are filled again after each action)."""
    gr.Markdown("### Web sources")
    table = gr.Dataframe(value=source_rows(assistant), headers=SOURCE_COLUMNS, interactive=False, wrap=True,
                         column_widths=SOURCE_WIDTHS, elem_id="qa-sources",
                         label="Feeds and sitemaps (refreshed in the background when due)")
    # Shown by ui/static/face.css only while the table has no rows: no event has to keep it in step.
    gr.Markdown(EMPTY_SOURCES, elem_id="qa-sources-empty")
    refresh_list = gr.Button("Refresh list", size="sm", elem_id="qa-refresh-sources")
    refresh_list.click(lambda: source_rows(assistant), None, table, api_name="sources")
    if admin is None or secret is None or article_choice is None:
        return SourcesPanel(table)
    actions = SourcesAdmin(assistant, admin)
    default = assistant.web.settings.refresh_minutes
    with gr.Row():
        with gr.Column():
            urls = gr.Textbox(label="Article URLs (one per line)", lines=3, elem_id="qa-article-urls",
                              placeholder="https://example.org/news/harbour-reopens")
            fetch = gr.Button("Fetch and index", variant="primary", elem_id="qa-fetch-urls")
        with gr.Column():
            source_url = gr.Textbox(label="Feed or sitemap URL", elem_id="qa-source-url",
                                    placeholder="https://example.org/rss.xml")
            with gr.Row():
                kind = gr.Radio(["feed", "sitemap"], value="feed", label="Kind", elem_id="qa-source-kind")
                minutes = gr.Number(value=default, minimum=1, maximum=525_600, precision=0,
                                    label="Refresh every (minutes)", elem_id="qa-source-minutes")
            add = gr.Button("Add source", variant="primary", elem_id="qa-add-source")
    with gr.Row():
        chosen = gr.Dropdown(label="Source", choices=source_choices(assistant), value=None, interactive=True,
                             elem_id="qa-source-choice")
        with gr.Column():
            refresh = gr.Button("Refresh now", elem_id="qa-refresh-source")
            delete_articles = gr.Checkbox(label="Also delete the articles only this source brought", value=False)
            remove = gr.Button("Remove source", variant="stop", elem_id="qa-remove-source")
    status = gr.Markdown(elem_id="qa-sources-status")
    outputs = [status, table, articles, article_choice, chosen]
    fetch.click(actions.add_urls, [secret, urls], outputs, api_name="add_urls")
    add.click(actions.add_source, [secret, source_url, kind, minutes], outputs, api_name="add_source")
    refresh.click(actions.refresh, [secret, chosen], outputs, api_name="refresh_source")
    remove.click(actions.remove, [secret, chosen, delete_articles], outputs, api_name="remove_source")
    # The list's public endpoint ("/sources") keeps returning the rows; the dropdown follows privately.
    refresh_list.click(lambda current: source_choice_update(assistant, current), chosen, chosen,
                       api_visibility="private")
    return SourcesPanel(table, chosen)
