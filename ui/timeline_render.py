"""Timelines -> safe Markdown for the chat page's Timeline tab. Article text is always escaped
(`ui.render.escape_md`): shown, never run."""

from __future__ import annotations

import html
import re

from index.models import public_source
from qa.models import Citation
from qa.timeline import Timeline
from ui.render import escape_md, source_link


def _marker_safe(text: str) -> str:
    """Escape generated text but keep its `[n]` citation markers readable."""
    return re.sub(r"\\\[(\d+)\\\]", r"[\1]", escape_md(text))


def render_timeline(timeline: Timeline) -> str:
    """The Timeline tab's content: a heading with the period, the checked summary (llm mode), one
    list item per dated development (`date · sentence [n]`), then the sources with their other
    outlets, and the undated articles apart."""
    lines = [f"### Timeline: {escape_md(timeline.topic)}"]
    period = _period(timeline)
    if period:
        lines.append(f"_{escape_md(period)}_")
    if timeline.summary:
        lines.append(_marker_safe(timeline.summary))
        lines.append("_Summary written by a language model from the lines below; each sentence was checked "
                     "against the lines it cites._")
    if timeline.unsupported:
        items = "\n".join(f"<li>{escape_md(u.text)} <em>({escape_md(u.reason)})</em></li>"
                          for u in timeline.unsupported)
        verb = "Removed" if any(u.removed for u in timeline.unsupported) else "Marked"
        lines.append(f"<details><summary>{verb}: {len(timeline.unsupported)} summary sentence"
                     f"{'s' if len(timeline.unsupported) > 1 else ''} the sources do not support</summary>"
                     f"<ul>{items}</ul></details>")
    if timeline.notice:
        lines.append(f"ℹ️ _{escape_md(timeline.notice)}_")
    if timeline.entries:
        lines.append("\n".join(f"- **{entry.date}** · {escape_md(entry.sentence)} [{entry.citation.n}]"
                               for entry in timeline.entries))
    undated = {c.n for c in timeline.undated}
    dated = [c for c in timeline.sources if c.n not in undated]
    if dated:
        lines.append("**Sources**")
        lines.extend(_source(c) for c in dated)
    if timeline.undated:
        lines.append("**Undated, so not on the timeline**")
        lines.extend(f"{_source(c)}  \n> {escape_md(c.quote)}" for c in timeline.undated)
    return "\n\n".join(lines)


def _source(c: Citation) -> str:
    date = f" · {c.date}" if c.date else ""
    line = f"**[{c.n}] {escape_md(c.title)}**{escape_md(date)} · {source_link(c)}"
    if c.also_in:
        copies = ", ".join(_copy(copy.title, copy.date, copy.url or copy.source) for copy in c.also_in)
        line += f"  \nAlso published by: {copies}"
    return line


def _copy(title: str, date: str | None, where: str) -> str:
    shown = escape_md(title) + (f" ({escape_md(date)})" if date else "")
    if where.startswith(("http://", "https://")):
        return f"[{shown}]({html.escape(where, quote=True)})"
    return f"{shown} ({escape_md(public_source(where))})"


def _period(timeline: Timeline) -> str:
    if timeline.since and timeline.until:
        span = f"Published {timeline.since} to {timeline.until}"
    elif timeline.since:
        span = f"Published since {timeline.since}"
    elif timeline.until:
        span = f"Published until {timeline.until}"
    else:
        return ""
    return f"{span} (“{timeline.period}”)" if timeline.period else span
