"""Answers -> safe Markdown for the chat. Article text is always escaped: shown, never run."""

from __future__ import annotations

import html
import re

from index.loading.text import sentence_spans
from index.models import public_source
from qa.models import Answer, Citation, Copy

# About how much of the passage a source card shows on each side of the quote. The context is cut
# at sentence boundaries when whole sentences fit, else at a word boundary (marked "…").
CONTEXT_CHARS = 240

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


def _one_line(text: str) -> str:
    # One line of context: a paragraph break would end the blockquote mid-passage.
    return " ".join(text.split())


def _lead(text: str, limit: int = CONTEXT_CHARS) -> tuple[str, bool]:
    """The end of `text` (what precedes the quote) in at most about `limit` characters: the whole
    sentences that fit, else the last words that fit. Returns (context, cut mid-sentence)."""
    kept = ""
    for start, end in reversed(sentence_spans(text)):
        candidate = _one_line(text[start:])
        if len(candidate) > limit:
            break
        kept = candidate
    if kept or not text.strip():
        return kept, False
    return _words_from_end(_one_line(text), limit), True


def _tail(text: str, limit: int = CONTEXT_CHARS) -> tuple[str, bool]:
    """The start of `text` (what follows the quote): the whole sentences that fit in about `limit`
    characters, else the first words that fit. Returns (context, cut mid-sentence)."""
    kept = ""
    for start, end in sentence_spans(text):
        candidate = _one_line(text[:end])
        if len(candidate) > limit:
            break
        kept = candidate
    if kept or not text.strip():
        return kept, False
    return _words_from_start(_one_line(text), limit), True


def _words_from_start(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[:cut] if cut > 0 else text[:limit]  # one word longer than the limit: cut inside it


def _words_from_end(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.find(" ", len(text) - limit - 1)
    return text[cut + 1:] if 0 <= cut < len(text) - 1 else text[-limit:]


def render_citation(c: Citation, *, highlight: bool = True, collapsed: bool = False) -> str:
    """One source card: title, date, page, source, and the quote inside its passage, highlighted when it
    is evidence (`highlight`; not for the closest passages of an abstention). `collapsed` (the
    widget): a <details> card, one line (title and date) until opened."""
    date = (f" · {c.date}" if c.date else "") + (f" · p. {c.page}" if c.page else "")  # page: PDF sources
    quote = escape_md(c.quote)
    context = f"<mark>{quote}</mark>" if highlight else quote
    if c.passage and 0 <= c.quote_start < c.quote_end <= len(c.passage):
        (before, cut_before), (after, cut_after) = _lead(c.passage[: c.quote_start]), _tail(c.passage[c.quote_end:])
        if before:
            context = ("…" if cut_before else "") + escape_md(before) + " " + context
        if after:
            context += " " + escape_md(after) + ("…" if cut_after else "")
    body = f"Source: {source_link(c)}  \n> {context}"
    if c.also_in:  # wire copies of the same story, folded away under the passage
        body += f"\n\n{render_copies(c)}"
    if collapsed:
        # An HTML block: its first line is raw HTML (so only HTML-escaped), the blank line after
        # it lets the card's body be Markdown again (CommonMark HTML block rule 6).
        summary = f"<strong>[{c.n}] {html.escape(c.title, quote=False)}</strong>{html.escape(date, quote=False)}"
        return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
    return f"**[{c.n}] {escape_md(c.title)}**{escape_md(date)}  \n{body}"


def render_copies(c: Citation) -> str:
    """The line "Also published by N outlets" and, when opened, the copies' titles linked to them:
    one line of HTML, every text in it escaped (an HTML block: nothing in it is read as Markdown)."""
    n = len(c.also_in)
    items = "".join(f"<li>{_copy_link(copy)}{html.escape(f' · {copy.date}' if copy.date else '', quote=False)}</li>"
                    for copy in c.also_in)
    return (f'<details class="also-in"><summary>Also published by {n} outlet{"s" if n != 1 else ""}</summary>'
            f"<ul>{items}</ul></details>")


def _copy_link(copy: Copy) -> str:
    title = html.escape(" ".join((copy.title or public_source(copy.source)).split()), quote=False)
    url = copy.url or copy.source
    if url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}">{title}</a>'
    return f"{title} ({html.escape(public_source(copy.source), quote=False)})"


def render_answer(answer: Answer, *, text: str | None = None, with_sources: bool = True,
                  collapsed: bool = False) -> str:
    """The chat message for one answer: the text (or a prefix of it, while streaming), then its
    source cards (`collapsed`: one line each until opened, for the widget). An abstention is
    marked as such and its cards are the closest passages, with nothing highlighted: they are
    not evidence."""
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
    if with_sources:  # sources that state other values of what was asked, cited below
        lines.extend(f"⚖️ **{_marker_safe(c.text)}**" for c in answer.conflicts)
    if with_sources and answer.unsupported:
        lines.append(render_unsupported(answer))
    if with_sources and answer.mode == "llm" and not answer.abstained:
        lines.append("_Written by a language model from the sources below; each sentence was checked "
                     "against the sources it cites._")
    if with_sources and answer.citations:
        lines.append(f"**{title}**")
        lines.extend(render_citation(c, highlight=not answer.abstained, collapsed=collapsed)
                     for c in answer.citations)
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
