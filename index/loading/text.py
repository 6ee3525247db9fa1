"""Text normalization and sentence spans.

Chunking and answering both need sentences, and both need offsets into the article text so
that a quote can be shown exactly where it stands. Everything here is pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata

# Words that end with a period without ending a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft vs etc inc ltd co corp gen col lt sgt capt cmdr adm gov
    sen rep rev hon pres no nos vol fig approx dept est jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue wed thu fri sat sun u.s u.k u.n e.u e.g i.e a.m p.m ph.d d.c
    """.split()
)

# A candidate end of sentence: terminal punctuation, closing quotes or brackets, then
# whitespace and something that can start a sentence.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9\u00C0-\u024F])")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"[ \t\u00A0\u2000-\u200A\u202F\u205F\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Unicode NFC, unified newlines, single spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "\"'“‘([":
        start -= 1
    word = text[start:dot].lower()
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return True
    return word in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences in `text[start:end]`, whitespace trimmed.

    Sentences end at terminal punctuation followed by a capitalized word or a digit, and at
    paragraph breaks; abbreviations such as "Mr." and initials do not end a sentence.
    """
    end = len(text) if end is None else end
    cuts: list[int] = []
    for match in _PARAGRAPH.finditer(text, start, end):
        cuts.append(match.start())
    for match in _END.finditer(text, start, end):
        punct_end = match.end()
        first_punct = match.start()
        if not _is_abbreviation(text, first_punct):
            cuts.append(punct_end)
    spans: list[tuple[int, int]] = []
    previous = start
    for cut in sorted(set(cuts)) + [end]:
        span = _trim(text, previous, cut)
        if span:
            spans.append(span)
        previous = cut
    return spans


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the paragraphs of `text` (blank-line separated), trimmed."""
    spans, previous = [], 0
    for match in list(_PARAGRAPH.finditer(text)) + [None]:
        cut = match.start() if match else len(text)
        span = _trim(text, previous, cut)
        if span:
            spans.append(span)
        previous = match.end() if match else cut
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings (see `sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]
