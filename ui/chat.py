"""The browser chat: Gradio's ChatInterface over `Assistant.ask`, as a full page or a widget, with
thumbs up and down under every answer (`ui.feedback`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from index.errors import QAError
from qa.api import Assistant
from ui.feedback import ChatFeedback
from ui.render import escape_md, render_answer, render_draft

EMPTY_INDEX_HELP = (
    "**No articles are indexed yet.** Add some with `qa ingest PATH` (files or folders of .txt, .md, "
    ".html, .json or .jsonl), or upload them in the *Articles* tab, then ask away."
)


def example_questions(assistant: Assistant, limit: int = 3) -> list[str]:
    """Starter questions built from the newest indexed articles."""
    return [f"What is “{a.title}” about?" for a in assistant.articles()[:limit]]


def status_line(assistant: Assistant) -> str:
    """What the start screen says above the chat: how much is indexed, or how to add articles."""
    count = len(assistant.articles())
    if count == 0:
        return EMPTY_INDEX_HELP
    articles = f"{count} indexed article{'s' if count != 1 else ''}"
    if assistant.generator is not None:
        return (f"Answers are written by a language model from the {articles}; every sentence is checked "
                "against the source it cites. When the articles don't say, the answer says so.")
    return (f"Answers are sentences quoted from the {articles}, "
            "each with its source. When the articles don't say, the answer says so.")


def make_responder(assistant: Assistant, feedback: ChatFeedback | None = None) -> Any:
    """The chat's answer function; with `feedback`, each final answer is kept for rating."""
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
        except QAError as exc:
            yield f"⚠️ {escape_md(str(exc))}"
            return
        if answer is None:
            return
        final = render_answer(answer)
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
    """The chat, inside the current Blocks; `compact` is the widget: no title, no examples, a
    smaller box. Thumbs up and down under each answer store a rating (`feedback`, by default
    the data directory's feedback store), and a note after a thumbs down."""
    feedback = feedback or ChatFeedback.for_assistant(assistant, face="widget" if compact else "chat")
    chat = gr.ChatInterface(
        make_responder(assistant, feedback),
        api_name="chat",
        title=None if compact else "Ask the articles",
        examples=None if compact else (example_questions(assistant) or None),
        run_examples_on_click=True,
        chatbot=gr.Chatbot(label="Answers", height=None if not compact else 360,
                           elem_id="qa-chatbot", buttons=["copy"], feedback_options=("Like", "Dislike")),
        textbox=gr.Textbox(placeholder="Ask a question about the articles…", elem_id="qa-question",
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
