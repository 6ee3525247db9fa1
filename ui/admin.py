"""The Articles tab: what is indexed, and, with the admin password, upload and delete (web articles
and feeds: `ui.sources`; the password check: `ui.auth`; readers' feedback: `ui.feedback`).

Administration exists only when the password's environment variable is set; every admin
action checks the password again (constant-time), so hiding a button is never the only guard,
with the client's address (from Gradio's request) for the waits after wrong passwords that
`ui.auth` describes: they are told, never slept, so no worker is held per wrong guess.

An upload takes only the bytes a client sent: files Gradio's upload route put in its cache
(`uploads_only` and Gradio's own check refuse any other path, or a URL, before Gradio copies or
fetches anything, and `Admin.upload` checks again after the password). They are copied into
`<data dir>/uploads/` under a name the server makes from the file name (no folders, no dots in
front, safe characters only), so no name sent by a client reaches outside that folder; the stored
path is stable, so uploading a corrected file replaces the old version. An upload waits up to
`UPLOAD_WAIT_S` for another writer (a `qa ingest` on the same data directory) to finish.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from index.errors import QAError
from index.loading.load import SUPPORTED_SUFFIXES
from qa.api import Assistant
from ui.auth import AdminAuth, AdminDenied
from ui.articles import COLUMN_WIDTHS, COLUMNS, EMPTY, article_choices, article_rows
from ui.feedback import build_feedback_panel, feedback_store
from ui.render import escape_md
from ui.sources import build_sources_panel, source_choice_update, source_rows

UPLOAD_WAIT_S = 120.0
NOT_UPLOADED = "Only files sent with the upload are accepted, not paths or URLs."


def safe_name(name: str) -> str:
    """A file name without folders or odd characters, keeping its suffix: whatever a client
    sends ("../../etc/passwd", "/abs/x.txt", "..%2F..%2Fx.txt", "C:\\x.txt"), the result is one
    plain name inside the uploads folder."""
    base = re.split(r"[/\\]|%2f|%5c", name, flags=re.I)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-") or "article"
    return cleaned[:120]


def is_within(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` (links resolved) is inside `folder`; never for a URL."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def uploads_only(files: gr.File) -> gr.File:
    """`files`, taking only files in Gradio's upload cache (where `/gradio_api/upload` puts a
    client's bytes). Gradio copies any other file an event's data names into the cache, or fetches
    a URL, before the handler and its password check run: its own check refuses other local paths
    (`ui.app` turns it on), this refuses URLs too, before any fetch, and `Admin.upload` checks
    again. (Not a subclass: Gradio writes a .pyi stub next to the module of every component class.)"""
    move = files.async_move_resource_to_block_cache

    async def uploaded_only(path: str | Path | None) -> str | None:
        if path is not None and not is_within(path, files.GRADIO_CACHE):
            raise gr.Error(NOT_UPLOADED, print_exception=False)
        return await move(path)

    files.async_move_resource_to_block_cache = uploaded_only
    return files


class Admin:
    """Upload and delete, behind a password (a string, or the server's shared `AdminAuth`).
    `incoming`: the folder uploaded files must come from (default: Gradio's upload cache)."""

    def __init__(self, assistant: Assistant, password: str | AdminAuth, uploads: Path, max_upload_mb: int,
                 upload_types: list[str] | None = None, incoming: Path | None = None) -> None:
        self.types = tuple(upload_types or SUPPORTED_SUFFIXES)
        self.assistant = assistant
        self.auth = password if isinstance(password, AdminAuth) else AdminAuth(password)
        self.uploads = uploads
        self.max_bytes = max_upload_mb * 1024 * 1024
        self.incoming = incoming or Path(get_upload_folder())

    def check(self, given: str | None, request: gr.Request | None = None) -> None:
        """Admit the request or raise `gr.Error` saying why (and how long to wait)."""
        peer = request.client.host if request is not None and request.client else None
        forwarded = request.headers.get("x-forwarded-for") if request is not None else None
        try:
            self.auth.verify(given, self.auth.client_address(peer, forwarded))
        except AdminDenied as denied:
            if denied.status == 401:
                wait = f" Wait {denied.retry_after} s before the next try." if denied.retry_after else ""
                raise gr.Error(f"Wrong or missing admin password.{wait}", print_exception=False) from None
            raise gr.Error(denied.message[0].upper() + denied.message[1:] + ".", print_exception=False) from None

    def upload(self, password: str, files: list[str] | None, request: gr.Request | None = None
               ) -> tuple[str, Any, Any]:
        self.check(password, request)
        if not files:
            raise gr.Error("Choose one or more files to upload.", print_exception=False)
        if not all(is_within(file, self.incoming) for file in files):
            raise gr.Error(NOT_UPLOADED, print_exception=False)
        self.uploads.mkdir(parents=True, exist_ok=True)
        stored, refused = [], []
        for file in files:
            source = Path(file)
            name = safe_name(source.name)
            if Path(name).suffix.lower() not in self.types:
                refused.append(f"{name}: file type not accepted (accepted: {', '.join(self.types)})")
            elif source.stat().st_size > self.max_bytes:
                refused.append(f"{name}: larger than {self.max_bytes // 1024 // 1024} MB")
            else:
                target = self.uploads / name
                shutil.copyfile(source, target)
                stored.append(target)
        try:
            report = self.assistant.ingest(stored, wait_s=UPLOAD_WAIT_S) if stored else None
        except QAError as exc:  # another writer held the index too long: the files stay in uploads/
            raise gr.Error(str(exc), print_exception=False) from exc
        lines = [f"- **failed** {escape_md(line)}" for line in refused]
        for f in report.files if report else []:
            detail = f.reason or f"{f.articles} article(s), {f.chunks_added} chunk(s) added"
            lines.append(f"- **{f.status}** {escape_md(Path(f.path).name)}: {escape_md(detail)}")
        return "\n".join(lines), self._table(), self._choices()

    def delete(self, password: str, article_id: str | None, request: gr.Request | None = None
               ) -> tuple[str, Any, Any]:
        self.check(password, request)
        if not article_id:
            raise gr.Error("Choose the article to delete.", print_exception=False)
        info = next((a for a in self.assistant.articles() if a.id == article_id), None)
        try:
            removed = self.assistant.delete_article(article_id, wait_s=UPLOAD_WAIT_S)
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from exc
        if info and info.path and Path(info.path).parent == self.uploads.resolve():
            Path(info.path).unlink(missing_ok=True)  # or a reindex would bring it back
        return f"Deleted **{escape_md(info.title if info else article_id)}** ({removed} chunks).", \
            self._table(), self._choices()

    def _table(self) -> Any:
        return gr.update(value=article_rows(self.assistant))

    def _choices(self) -> Any:
        return gr.update(choices=article_choices(self.assistant), value=None)


@dataclass
class ArticlesTab:
    """The tab's components that show the index and the web sources, and their current values
    (`values()`, for the page's load event: a reloaded page shows what was added since the
    server started, in the tables and in the dropdowns)."""

    components: list[Any]
    values: Callable[[], list[Any]]


def build_articles_tab(assistant: Assistant, *, password: str | AdminAuth | None, password_env: str,
                       uploads: Path, max_upload_mb: int, upload_types: list[str] | None = None) -> ArticlesTab:
    """Render the tab's content inside the current Blocks; returns what to fill again on load.
    Everyone sees the articles and the web sources; only an administrator changes anything."""
    auth = password if isinstance(password, AdminAuth) else AdminAuth(password, env=password_env)
    table = gr.Dataframe(value=article_rows(assistant), headers=COLUMNS, interactive=False, wrap=True,
                         column_widths=COLUMN_WIDTHS, elem_id="qa-articles", label="Indexed articles")
    # Shown by ui/static/face.css only while the table has no rows: no event has to keep it in step.
    gr.Markdown(EMPTY, elem_id="qa-articles-empty")
    refresh_table = gr.Button("Refresh", size="sm", elem_id="qa-refresh-articles")
    refresh_table.click(lambda: article_rows(assistant), None, table, api_name="articles")
    if not auth.enabled:
        gr.Markdown(f"Administration is disabled. To upload and delete articles, and to add web articles and "
                    f"feeds here, start the server with the environment variable `{password_env}` set to an "
                    f"admin password.")
        panel = build_sources_panel(assistant, None, None, table)
        return ArticlesTab([table, panel.table], lambda: [article_rows(assistant), source_rows(assistant)])
    admin = Admin(assistant, auth, uploads, max_upload_mb, upload_types)
    gr.Markdown("### Administration")
    secret = gr.Textbox(label="Admin password", type="password", elem_id="qa-admin-password")
    with gr.Row():
        with gr.Column():
            files = uploads_only(gr.File(label="Upload articles", file_count="multiple",
                                         file_types=list(admin.types), type="filepath"))
            upload = gr.Button("Upload and index", variant="primary")
        with gr.Column():
            choice = gr.Dropdown(label="Article to delete", choices=article_choices(assistant),
                                 value=None, interactive=True, elem_id="qa-article-choice")
            delete = gr.Button("Delete article", variant="stop")
    status = gr.Markdown()
    upload.click(admin.upload, [secret, files], [status, table, choice], api_name="upload")
    delete.click(admin.delete, [secret, choice], [status, table, choice], api_name="delete")
    # The table's public endpoint ("/articles") keeps returning the rows; the dropdown follows privately.
    refresh_table.click(lambda: gr.update(choices=article_choices(assistant)), None, choice, api_visibility="private")
    panel = build_sources_panel(assistant, admin, secret, table, choice)
    build_feedback_panel(feedback_store(assistant), admin.check, secret)  # readers' ratings, after the password

    def values() -> list[Any]:
        return [article_rows(assistant), gr.update(choices=article_choices(assistant), value=None),
                source_rows(assistant), source_choice_update(assistant)]

    return ArticlesTab([table, choice, panel.table, panel.choice], values)
