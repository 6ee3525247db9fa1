"""What part a sentence plays in its article: a statement that can answer, or furniture.

Articles carry sub-headings ("When will the glasses be available, and how much?"), photo
captions, list introductions ("The recalled meals include:") and questions put to the reader.
They share the question's words, so they score well, but quoting one answers nothing. Here each
stored sentence span is given a role, and what can be quoted is cut to the part that states
something: a heading glued to the paragraph under it is trimmed off, and a list introduction
is quoted together with the list that follows it.

Pure text rules over the spans of `index.loading.text.sentence_spans` (which cut at punctuation and
blank lines, not at single line breaks), so the stored sentence vectors still line up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATEMENT = "statement"
LIST = "list"  # a list introduction with its items, or an inline list: quotable
QUESTION = "question"
HEADING = "heading"
CAPTION = "caption"
LIST_INTRO = "list_intro"
LIST_ITEM = "list_item"  # an item quoted as part of the list introduced before it
INSTRUCTION = "instruction"  # addressed to a language model ("ignore previous instructions..."): never an answer
QUOTABLE = frozenset({STATEMENT, LIST})

MAX_HEADING_WORDS = 14
MAX_LIST_CHARS = 600

_ITEM = re.compile(r"^\s*(?:[-*•–—▪◦]|\d{1,2}[.)]|[a-z][.)])\s+")
_CAPTION = re.compile(r"^\s*(?:photo|photograph|picture|pictured|image|caption|video|illustration|graphic|"
                      r"credit|file photo|above|top|left|right|below)\s*(?:\([^)]*\))?\s*[:|—–-]", re.I)
_CREDIT = re.compile(r"\((?:[^()]{0,60}/[^()]{0,60}|[^()]{0,40}(?:photo|getty|reuters|ap|afp|images|press|"
                     r"agency|courtesy|via)[^()]{0,40})\)\s*$", re.I)
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_MODELS = r"(AI|LLMs?|language models?|chatbots?|AI assistants?|assistants?)"
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?]{0,30}\b(instructions?|prompts?)\b"
    r"|\b(system|developer) (note|instruction|override)s?\b"
    rf"|\b(note|message|instructions?|attention)\s+(to|for)\s+(all\s+|any\s+)?{_MODELS}\b"
    r"|\b(AI( models?| systems?)?|LLMs?|language models?|chatbots?|AI assistants?)\s+"
    r"(reading|processing|summari[sz]ing|answering)\b"
    r"|\b(if you are|you are now|as)\s+(an?\s+)?(AI|LLM|language model|chatbot|AI assistant)\b"
    rf"|^\W*{_MODELS}\s*[:,]",
    re.I,
)


def is_instruction(sentence: str) -> bool:
    """Whether a sentence of an article speaks to a language model rather than states a fact."""
    return bool(_INSTRUCTION.search(sentence))



@dataclass(frozen=True)
class Part:
    """A sentence span's role and the part of it that may be quoted (offsets into the chunk)."""

    role: str
    start: int
    end: int

    @property
    def quotable(self) -> bool:
        return self.role in QUOTABLE


def _is_heading_line(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= MAX_HEADING_WORDS and not _TERMINAL.search(line.rstrip())
            and not line.rstrip().endswith((":", ",", ";")) and not _ITEM.match(line))


def classify(text: str, start: int, end: int, *, next_start: int | None = None) -> Part:
    """The role of the sentence `text[start:end]` and its quotable part.

    `next_start` is where the next sentence begins (None for the last): a span followed by a
    line break with no terminal punctuation is a heading.
    """
    sentence = text[start:end]
    lines = sentence.split("\n")
    # A heading line glued to the paragraph under it (single newline): quote the paragraph only.
    offset = 0
    while len(lines) > 1 and (_is_heading_line(lines[0]) or lines[0].rstrip().endswith("?")) \
            and not _ITEM.match(lines[1]) and not lines[0].rstrip().endswith(":"):
        offset += len(lines[0]) + 1
        lines = lines[1:]
    body_start = start + offset
    while body_start < end and text[body_start].isspace():
        body_start += 1
    body = text[body_start:end]
    stripped = body.strip()
    if not stripped:
        return Part(HEADING, start, end)
    if _CAPTION.match(stripped) or (_CREDIT.search(stripped) and len(stripped) < 300):
        return Part(CAPTION, body_start, end)
    if is_instruction(stripped):  # prompt injection: shown if asked for as context, never the answer
        return Part(INSTRUCTION, body_start, end)
    items = [line for line in body.split("\n")[1:] if line.strip()]
    first_line = body.split("\n")[0].rstrip()
    if items and first_line.endswith(":") and sum(bool(_ITEM.match(i)) for i in items) >= 1:
        return Part(LIST, body_start, end)  # "The recalled meals include:\n- ...": the list answers
    if items and all(_ITEM.match(line) for line in body.split("\n") if line.strip()):
        return Part(LIST, body_start, end)  # list items without their introduction
    if stripped.endswith(":"):
        return Part(LIST_INTRO, body_start, end)
    if stripped.rstrip("\"'”’)]").endswith("?"):
        return Part(QUESTION, body_start, end)
    if "\n" not in stripped and _is_heading_line(stripped) and (next_start is None or "\n" in text[end:next_start]
                                                               or end == len(text)):
        # A short line with no final punctuation on a line of its own; a real sentence at the
        # very end of a chunk that lacks a period is rare enough to accept the miss.
        return Part(HEADING, body_start, end)
    return Part(STATEMENT, body_start, end)


def classify_all(text: str, spans: list[tuple[int, int]]) -> list[Part]:
    """`classify` each span of `text`; a list introduction absorbs the list items after it."""
    parts = [classify(text, s, e, next_start=spans[n + 1][0] if n + 1 < len(spans) else None)
             for n, (s, e) in enumerate(spans)]
    for n, part in enumerate(parts):
        if part.role != LIST_INTRO:
            continue
        # "The recalled meals include:" then items split off as their own spans (or a blank line).
        last = n
        while last + 1 < len(parts) and _ITEM.match(text[spans[last + 1][0]:spans[last + 1][1]]) \
                and spans[last + 1][1] - part.start <= MAX_LIST_CHARS:
            last += 1
        if last > n:
            parts[n] = Part(LIST, part.start, spans[last][1])
            for item in range(n + 1, last + 1):
                parts[item] = Part(LIST_ITEM, spans[item][0], spans[item][1])
    return parts
