"""The browser chat: Gradio's ChatInterface over `Assistant.ask`, as a full page or a widget, with
thumbs up and down under every answer (`ui.feedback`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from index.errors import QAError, StoreUnavailableError
from qa.api import Assistant
from ui.engine import unavailable_line
from ui.feedback import ChatFeedback
from ui.render import escape_md, render_answer, render_draft
from ui.widget import FALLBACK_EXAMPLE, WidgetOptions

EMPTY_INDEX_HELP = (
    "**No articles are indexed yet.** Add some with `qa ingest PATH` (files or folders of .txt, .md, "
    ".html, .json or .jsonl), or upload them in the *Articles* tab, then ask away."
)


def example_questions(assistant: Assistant, limit: int = 3) -> list[str]:
    """Starter questions built from the newest indexed articles (none while the engine is away)."""
    try:
        newest = assistant.newest_articles(limit)
    except StoreUnavailableError:
        return []
    return [f"What is “{a.title}” about?" for a in newest]


def status_line(assistant: Assistant) -> str:
    """What the start screen says above the chat: how much is indexed, or how to add articles."""
    count = assistant.article_count()
    if count == 0:
        return EMPTY_INDEX_HELP
    articles = f"{count} indexed article{'s' if count != 1 else ''}"
    if assistant.generator is not None:
        return (f"Answers are written by a language model from the {articles}; every sentence is checked "
                "against the source it cites. When the articles don't say, the answer says so.")
    return (f"Answers are sentences quoted from the {articles}, "
            "each with its source. When the articles don't say, the answer says so.")


def make_responder(assistant: Assistant, feedback: ChatFeedback | None = None, *, collapsed: bool = False) -> Any:
    """The chat's answer function; with `feedback`, each final answer is kept for rating;
    `collapsed` (the widget): source cards one line each until opened."""
    def respond(message: str, history: list[dict[str, Any]], request: gr.Request | None = None) -> Iterator[str]:
        yield "_Searching the articles…_"
        answer = None
        plain = plain_history(history)
        try:
            for event in assistant.stream(message, plain):
                if isinstance(event, str):  # a language model's draft, not yet checked
                    yield render_draft(event)
                else:
                    answer = event
        except StoreUnavailableError as exc:  # the engine is away: say so; the next question retries it
            yield unavailable_line(exc)
            return
        except QAError as exc:
            yield f"⚠️ {escape_md(str(exc))}"
            return
        if answer is None:
            return
        final = render_answer(answer, collapsed=collapsed)
        if feedback is not None:
            feedback.remember(request, history, plain, answer, final)
        if answer.mode == "llm":  # the checked answer replaces the streamed draft
            yield final
            return
        # An extractive answer is ready at once; stream its sentences, then the source cards.
        sentences = answer.text.split("] ")
        for i in range(1, len(sentences)):
            yield render_answer(answer, text="] ".join(sentences[:i]) + "]", with_sources=False)
        yield final

    return respond


def build_chat(assistant: Assistant, *, compact: bool = False, concurrency: int = 4,
               feedback: ChatFeedback | None = None) -> gr.ChatInterface:
    """The chat, inside the current Blocks (the page puts its own title above it); `compact` is
    the widget: an empty state (title, hint, examples: `ui.widget`, set again per page load),
    collapsed source cards. Thumbs up and down under each answer store a rating (`feedback`, by
    default the data directory's feedback store), and a note after a thumbs down.

    No autoscroll: Gradio's follows the end of a message, which for an answer is the end of its
    last source; `ui/static/face.js` shows each new answer from its start instead. No label
    badge: it floats over the messages and covers their first line."""
    feedback = feedback or ChatFeedback.for_assistant(assistant, face="widget" if compact else "chat")
    examples = example_questions(assistant)
    if compact and not examples:
        # Gradio wires example clicks only for a chat built with examples; the widget's page load
        # replaces these with the page's or the index's, or none.
        examples = [FALLBACK_EXAMPLE]
    chat = gr.ChatInterface(
        make_responder(assistant, feedback, collapsed=compact),
        api_name="chat",
        title=None,
        examples=examples or None,
        run_examples_on_click=True,
        chatbot=gr.Chatbot(label="Answers", show_label=False, height=None, autoscroll=False,
                           placeholder=WidgetOptions().empty_state() if compact else None,
                           elem_id="qa-chatbot", buttons=["copy"], feedback_options=("Like", "Dislike")),
        textbox=gr.Textbox(placeholder=WidgetOptions().labels.placeholder, elem_id="qa-question",
                           show_label=False, submit_btn=True, lines=1, max_lines=6),
        flagging_mode="never",
        analytics_enabled=False,
        concurrency_limit=concurrency,
        fill_height=True,
    )
    feedback.attach(chat.chatbot)
    return chat


def plain_history(history: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Gradio's messages as `{"role", "content"}` text dicts. Content may be a string or a list
    of content blocks (`{"type": "text", "text": ...}`); files and components are dropped."""
    plain = []
    for message in history or []:
        if isinstance(message, dict) and message.get("role") in ("user", "assistant"):
            text = _text_of(message.get("content"))
            if text:
                plain.append({"role": message["role"], "content": text})
    return plain


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content.get("text", "") if isinstance(content.get("text"), str) else ""
    if isinstance(content, (list, tuple)):
        return " ".join(part for part in (_text_of(c) for c in content) if part)
    return ""


def page_values(assistant: Assistant, articles: Any) -> tuple[Any, ...]:  # noqa: ANN401
    """The page's load event: the status line and the Articles tab's values; while the engine is
    away, the line says so and the tab keeps what it shows (no error toast, no blank tables)."""
    try:
        return (status_line(assistant), *articles.values())
    except StoreUnavailableError as exc:
        return (unavailable_line(exc), *[gr.skip() for _ in articles.components])
