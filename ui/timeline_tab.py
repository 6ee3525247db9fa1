"""The chat page's Timeline tab: a story (or a question about one), an optional period, and the
story's developments in date order, each cited (`Assistant.timeline`, `ui.timeline_render`)."""

from __future__ import annotations

import gradio as gr

from index.errors import QAError
from qa.api import Assistant
from ui.render import escape_md
from ui.timeline_render import render_timeline

PLACEHOLDER = "What has happened with the bus strike since Monday?"


def build_timeline_tab(assistant: Assistant, *, concurrency: int = 4) -> gr.Markdown:
    """The tab's components, inside the current Blocks; returns the Markdown the timeline is shown in.
    Its event goes through Gradio's queue, so the server's rate limit counts it like a question."""
    with gr.Row(equal_height=True):
        topic = gr.Textbox(label="Story or question", placeholder=PLACEHOLDER, elem_id="qa-timeline-topic",
                           lines=1, max_lines=3, scale=4)
        since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="qa-timeline-since", lines=1, max_lines=1,
                           scale=1)
        until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="qa-timeline-until", lines=1, max_lines=1,
                           scale=1)
    show = gr.Button("Show timeline", variant="primary", elem_id="qa-timeline-show")
    result = gr.Markdown("_One line per dated development, oldest first, each quoted from an article and cited._",
                         elem_id="qa-timeline", sanitize_html=True)

    def timeline(text: str, since_text: str, until_text: str) -> str:
        try:
            found = assistant.timeline(text, since=since_text.strip() or None, until=until_text.strip() or None)
        except QAError as exc:
            return f"⚠️ {escape_md(str(exc))}"
        return render_timeline(found)

    inputs = [topic, since, until]
    show.click(timeline, inputs, result, api_name="timeline", concurrency_limit=concurrency,
               concurrency_id="timeline")
    topic.submit(timeline, inputs, result, api_visibility="private", concurrency_limit=concurrency,
                 concurrency_id="timeline")  # Enter in the box: the same as the button
    return result
