"""Answers -> safe Markdown for the chat. Article text is always escaped: shown, never run."""

from __future__ import annotations

import html
import re

from qa.models import Answer, Citation

# Characters that are Markdown anywhere in a line; list and heading markers only matter at
# the start of a line, so a hyphen inside "long-range" stays as it is.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_MD_LINE_START = re.compile(r"^(\s*)([-+>#]|\d+[.)])(?=\s)", re.M)


def escape_md(text: str) -> str:
    """Escape HTML and Markdown so that article text renders as plain text."""
    escaped = _MD_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", escaped)


def _marker_safe(text: str) -> str:
    """Escape answer text but keep its `[n]` citation markers readable."""
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_md(text))


def source_link(c: Citation) -> str:
    if c.url and c.url.startswith(("http://", "https://")):
        return f"[{escape_md(c.url)}]({html.escape(c.url, quote=True)})"
    return escape_md(c.source)


def render_citation(c: Citation) -> str:
    """One source card: title, date, source, and the quote highlighted inside its passage."""
    head = f"**[{c.n}] {escape_md(c.title)}**" + (f" · {escape_md(c.date)}" if c.date else "")
    before = c.passage[: c.quote_start] if c.passage else ""
    after = c.passage[c.quote_end:] if c.passage else ""
    context = (f"…{escape_md(before[-200:])}" if before.strip() else "") + f"<mark>{escape_md(c.quote)}</mark>" \
        + (f"{escape_md(after[:200])}…" if after.strip() else "")
    return f"{head}  \nSource: {source_link(c)}  \n> {context}"


def render_answer(answer: Answer) -> str:
    """The chat message for one answer: the text, then its source cards."""
    if answer.abstained:
        lines = [f"⚠️ *{_marker_safe(answer.text)}*"]
        title = "Closest sources"
    else:
        lines = [_marker_safe(answer.text)]
        title = "Sources"
    if answer.citations:
        lines.append(f"\n**{title}**")
        lines.extend(render_citation(c) for c in answer.citations)
    return "\n\n".join(lines)
