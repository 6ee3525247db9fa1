"""Answers -> safe Markdown for the chat. Article text is always escaped: shown, never run."""

from __future__ import annotations

import html
import re

from index.models import public_source
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
    return escape_md(public_source(c.source))


def render_citation(c: Citation) -> str:
    """One source card: title, date, source, and the quote highlighted inside its passage."""
    head = f"**[{c.n}] {escape_md(c.title)}**" + (f" · {escape_md(c.date)}" if c.date else "")
    # One line of context: a paragraph break would end the blockquote mid-passage.
    before = " ".join(c.passage[: c.quote_start].split()) if c.passage else ""
    after = " ".join(c.passage[c.quote_end:].split()) if c.passage else ""
    context = (f"…{escape_md(before[-200:])} " if before else "") + f"<mark>{escape_md(c.quote)}</mark>" \
        + (f" {escape_md(after[:200])}…" if after else "")
    return f"{head}  \nSource: {source_link(c)}  \n> {context}"


def render_answer(answer: Answer, *, text: str | None = None, with_sources: bool = True) -> str:
    """The chat message for one answer: the text (or a prefix of it, while streaming), then its
    source cards. An abstention is marked as such and its cards are the closest passages."""
    body = _marker_safe(answer.text if text is None else text)
    if answer.abstained:
        lines = [f"⚠️ *{body}*"]
        title = "Closest sources (they do not answer the question)"
    elif answer.outcome == "uncertain":
        # Its own wording and mark: the articles are on the subject, the detail may be missing.
        lines = [f"**Uncertain:** {body}", "_This may not answer the question: the articles do not clearly say._"]
        title = "Closest source (it may not answer the question)"
    else:
        lines = [body]
        title = "Sources"
    if answer.notice:
        lines.append(f"ℹ️ _{escape_md(answer.notice)}_")
    if with_sources and answer.unsupported:
        lines.append(render_unsupported(answer))
    if with_sources and answer.mode == "llm" and not answer.abstained:
        lines.append("_Written by a language model from the sources below; each sentence was checked "
                     "against the sources it cites._")
    if with_sources and answer.citations:
        lines.append(f"**{title}**")
        lines.extend(render_citation(c) for c in answer.citations)
    return "\n\n".join(lines)


def render_unsupported(answer: Answer) -> str:
    """The generated sentences the check removed or marked, with why, folded away."""
    verb = "Marked" if not any(u.removed for u in answer.unsupported) else "Removed"
    items = "\n".join(f"<li>{escape_md(u.text)} <em>({escape_md(u.reason)})</em></li>" for u in answer.unsupported)
    return (f"<details><summary>{verb}: {len(answer.unsupported)} generated sentence"
            f"{'s' if len(answer.unsupported) > 1 else ''} the sources do not support</summary><ul>{items}</ul></details>")


def render_draft(text: str) -> str:
    """A generated answer while it streams: the model's words so far, not yet checked."""
    return f"{_marker_safe(text)}\n\n_Checking each sentence against its sources…_"
