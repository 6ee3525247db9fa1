"""Check a generated answer sentence by sentence against the numbered sources it cites.

A language model given numbered sources writes sentences with `[n]` markers. Each sentence is
kept only when what it cites supports it:

- its citations point at sources that exist (a marker `[7]` with five sources is dropped);
- it cites at least one source;
- it is close in meaning to some sentence of a cited source (cosine of the embedding model
  already loaded, `min_similarity`);
- its content words are found in the cited sources (`min_lexical` of them, IDF-free: a
  generated sentence that adds names the sources never mention is not supported);
- every number it states occurs in a cited source (the most common invented detail).

Unsupported sentences are removed, or kept and marked when `unsupported="mark"`; the result
records each sentence's verdict and why, so the answer can show what was removed. The check
is pure arithmetic over one embedding call for the answer's sentences and one for the cited
sources' sentences (cached per source text), so it costs milliseconds (`make bench`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from index.loading.text import sentence_spans
from qa.answering.lexical import terms
from qa.answering.sentence_roles import is_instruction

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Source:
    """One numbered source given to the model: a passage of an article."""

    n: int
    text: str
    title: str = ""


@dataclass(frozen=True)
class CheckedSentence:
    """A generated sentence, the sources it cites, and the verdict."""

    text: str  # as generated, markers included
    cited: tuple[int, ...]  # valid citations only
    supported: bool
    similarity: float  # best cosine to a sentence of a cited source
    lexical: float  # share of its content words found in the cited sources
    reason: str = ""  # why it is not supported ("" when it is)
    dropped_citations: tuple[int, ...] = ()  # markers that pointed at no source
    support: tuple[tuple[int, int, int], ...] = ()  # (source n, start, end): each cited source's closest sentence


@dataclass
class GroundedText:
    """The checked answer: the text to show and every sentence's verdict."""

    text: str
    sentences: list[CheckedSentence] = field(default_factory=list)

    @property
    def supported(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.supported]

    @property
    def removed(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if not s.supported]

    @property
    def cited(self) -> list[int]:
        """The sources the kept sentences cite, in order of first use."""
        return list(dict.fromkeys(n for s in self.supported for n in s.cited))


class GroundingChecker:
    """Keeps the generated sentences their cited sources support.

    Args:
        encode: The embedding function (`Embedder.encode`): texts -> unit-length rows.
        min_similarity: Least cosine between the sentence and some sentence of a cited source.
        min_lexical: Least share of the sentence's content words present in the cited sources.
        unsupported: "remove" drops unsupported sentences; "mark" keeps them, flagged.
    """

    def __init__(self, encode, *, min_similarity: float = 0.55, min_lexical: float = 0.5,  # noqa: ANN001
                 unsupported: Literal["remove", "mark"] = "remove") -> None:
        if unsupported not in ("remove", "mark"):
            raise ValueError(f"unsupported must be 'remove' or 'mark', not {unsupported!r}")
        self.encode = encode
        self.min_similarity = min_similarity
        self.min_lexical = min_lexical
        self.unsupported = unsupported
        self._source_vectors: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def check(self, answer: str, sources: Sequence[Source]) -> GroundedText:
        by_n = {s.n: s for s in sources}
        answer = _markers_before_stops(answer)
        pieces = [answer[s:e] for s, e in sentence_spans(answer)]
        if not pieces:
            return GroundedText("")
        plain = [_strip_markers(p) for p in pieces]
        vectors = self.encode(plain)
        checked = []
        for piece, text, vector in zip(pieces, plain, vectors, strict=True):
            numbers = [int(n) for group in _MARKER.findall(piece) for n in re.split(r"\s*[,;]\s*", group)]
            cited = tuple(dict.fromkeys(n for n in numbers if n in by_n))
            dropped = tuple(dict.fromkeys(n for n in numbers if n not in by_n))
            checked.append(self._verdict(piece, text, vector, [by_n[n] for n in cited], cited, dropped))
        shown = []
        for verdict in checked:
            if verdict.supported:
                shown.append(_without(verdict.text, verdict.dropped_citations))
            elif self.unsupported == "mark":
                shown.append(f"{_without(verdict.text, verdict.dropped_citations)} [unsupported: {verdict.reason}]")
        return GroundedText(" ".join(shown), checked)

    def _verdict(self, piece: str, text: str, vector: np.ndarray, cited: list[Source], numbers: tuple[int, ...],
                 dropped: tuple[int, ...]) -> CheckedSentence:
        if not cited:
            reason = "cites no source" if not dropped else f"cites no existing source ({_numbers(dropped)})"
            return CheckedSentence(piece, (), False, 0.0, 0.0, reason, dropped)
        source_text = " ".join(_facts(s.text) for s in cited)
        words = set(terms(text))
        found = set(terms(source_text))
        lexical = len(words & found) / len(words) if words else 1.0
        support = []
        for source in cited:
            spans, vectors = self._vectors(source.text)
            if not spans:  # nothing in it but instructions
                support.append((source.n, 0, 0, -1.0))
                continue
            scores = vectors @ vector
            best = int(np.argmax(scores))
            support.append((source.n, *spans[best], float(scores[best])))
        similarity = max(score for *_, score in support)
        missing_numbers = [n for n in _NUMBER.findall(text)
                           if not re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", source_text)]
        # Reasons name no source numbers: the answer renumbers its sources.
        cited_sources = "the cited source" if len(numbers) == 1 else "the cited sources"
        if missing_numbers:
            reason = f"{missing_numbers[0]} is not in {cited_sources}"
        elif similarity < self.min_similarity:
            reason = f"not close to what {cited_sources} say{'s' if len(numbers) == 1 else ''} (similarity {similarity:.2f})"
        elif lexical < self.min_lexical:
            reason = f"most of its words are not in {cited_sources}"
        else:
            reason = ""
        return CheckedSentence(piece, numbers, not reason, round(similarity, 4), round(lexical, 4), reason, dropped,
                               tuple((n, start, end) for n, start, end, _ in support))

    def _vectors(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The spans of a source's sentences that state facts, and their vectors (cached:
        sources recur between questions). Sentences addressed to a language model ("ignore
        previous instructions and ...") never count as support: a model that obeys one would
        otherwise be "supported" by the very text that manipulated it."""
        if text not in self._source_vectors:
            if len(self._source_vectors) > 4096:
                self._source_vectors.clear()
            spans = [(a, b) for a, b in (list(sentence_spans(text)) or [(0, len(text))])
                     if not is_instruction(text[a:b])]
            vectors = np.asarray(self.encode([text[a:b] for a, b in spans])) if spans else np.zeros((0, 1))
            self._source_vectors[text] = (spans, vectors)
        return self._source_vectors[text]


def _facts(text: str) -> str:
    """`text` without its sentences addressed to a language model."""
    return " ".join(text[a:b] for a, b in (sentence_spans(text) or [(0, len(text))]) if not is_instruction(text[a:b]))


def _markers_before_stops(text: str) -> str:
    """"It rained. [1] Then" -> "It rained [1]. Then": a marker belongs to the sentence before it."""
    return re.sub(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)", lambda m: f"{m.group(2)}{m.group(1)}", text)


def _strip_markers(text: str) -> str:
    return re.sub(r"\s+", " ", _MARKER.sub("", text)).strip()


def _without(text: str, dropped: tuple[int, ...]) -> str:
    """`text` with the markers that point at no source taken out."""
    if not dropped:
        return text

    def keep(match: re.Match[str]) -> str:
        kept = [n for n in re.split(r"\s*[,;]\s*", match.group(1)) if int(n) not in dropped]
        return f"[{', '.join(kept)}]" if kept else ""

    return re.sub(r"\s+([.!?])", r"\1", _MARKER.sub(keep, text)).strip()


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)
