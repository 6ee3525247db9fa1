"""The browser chat: Gradio's ChatInterface over `Assistant.ask`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from index.errors import QAError
from qa.api import Assistant
from ui.render import escape_md, render_answer

EMPTY_INDEX_HELP = (
    "No articles are indexed yet. Add some with `qa ingest PATH` (files or folders of .txt, .md, "
    ".html, .json or .jsonl), then reload this page."
)


def example_questions(assistant: Assistant, limit: int = 3) -> list[str]:
    """Starter questions built from the newest indexed articles."""
    return [f"What is “{a.title}” about?" for a in assistant.articles()[:limit]]


def build_chat(assistant: Assistant, *, title: str = "Ask the articles") -> gr.Blocks:
    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        yield "Searching the articles…"
        try:
            answer = assistant.ask(message, _plain_history(history))
        except QAError as exc:
            yield f"⚠️ {escape_md(str(exc))}"
            return
        yield render_answer(answer)

    has_articles = assistant.has_articles()
    description = ("Answers are sentences quoted from the indexed articles, with their sources."
                   if has_articles else EMPTY_INDEX_HELP)
    return gr.ChatInterface(
        respond,
        api_name="chat",
        title=title,
        description=description,
        examples=example_questions(assistant) or None,
        run_examples_on_click=True,
        flagging_mode="never",
        analytics_enabled=False,
        fill_height=True,
    )


def _plain_history(history: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Keep user turns' text; the assistant's rendered Markdown is not evidence."""
    return [{"role": m["role"], "content": m["content"]} for m in history or []
            if isinstance(m, dict) and isinstance(m.get("content"), str)]
