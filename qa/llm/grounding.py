"""Check a generated answer sentence by sentence against the numbered sources it cites.

A language model given numbered sources writes sentences with `[n]` markers. Each sentence is
kept only when what it cites supports it:

- its citations point at sources that exist (a marker `[7]` with five sources is dropped);
- it cites at least one source;
- every number it states occurs in a cited source (the most common invented detail);
- alignment: it is matched to the window of one to three consecutive sentences of a cited
  source that supports it best (cosine of the embedding model already loaded, the window's
  vector being the normalised mean of its sentences' vectors, plus a small share of shared
  words to break near ties), and that cosine is at least `min_similarity`; a sentence joining
  two or three sentences of the source is closest in meaning to one of them, so the window
  then widens to the sentences around it that hold at least two more of its words;
- exact checks against that window, not the whole passage (`qa.llm.claim_checks`): its
  figures, dates and names are in it; it adds no negation, certainty ("all", "confirmed",
  "will" where the window hedges) or cause the window does not carry, and drops no negation
  or hedge the window carries; at least `min_lexical` of its content words are in it, and it
  adds no run of words found nowhere in the cited text;
- a sentence with markers in different places ("A [1], while B [2].") is checked part by
  part, each against what its own marker cites, so that a figure of one source does not pass
  beside a claim of another; one with its markers together ("A and B [1][2].") is checked
  against each cited source's window, then, failing that, against their windows read as one;
- when a `verifier` is given (a trained pairwise model): it reads (window, sentence), or each
  part with its window, and the sentence is kept only when p(supported) >= `min_support` too.

Unsupported sentences are removed, or kept and marked when `unsupported="mark"`; the result
records each sentence's verdict, the window it was aligned to and why, so the answer can show
what was removed. Without a verifier the check is one embedding call for the answer's
sentences, one for each new source's sentences (cached per source text), and pure Python over
a few sentences: milliseconds (`make bench`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import numpy as np

from index.loading.text import sentence_spans
from qa.answering.lexical import terms
from qa.answering.sentence_roles import is_instruction
from qa.llm import claim_checks
from qa.llm.claim_checks import Context, Facts, Thresholds

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_RUN = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")  # not inside a code: "IPX8", "A320"

# Columns of a verifier's answer.
SUPPORTED, CONTRADICTED, NOT_STATED = 0, 1, 2
MAX_WINDOW = 3  # sentences
_PARTIAL_SHARE, _PARTIAL_SLACK = 0.8, 0.2
_MIN_PART_WORDS = 2  # content words a part of a sentence needs to be checked on its own
_WIDEN = 2  # words of the sentence a wider window must hold besides those of the window it widens
_WIDEN_FACTS = 2  # names, figures and dates of the sentence a wider window must add to be tried
_MISSING_FACT = re.compile(r"(?:figure|date|name) .+ not in ")


class Verifier(Protocol):
    """A pairwise model: for each (premise window text, claim) pair, the probabilities of
    [supported, contradicted, not stated], shape (n, 3), rows summing to 1."""

    def supports(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray: ...


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
    similarity: float  # cosine to the window it was aligned to
    lexical: float  # share of its content words found in that window
    reason: str = ""  # why it is not supported ("" when it is): the first of `reasons`
    dropped_citations: tuple[int, ...] = ()  # markers that pointed at no source
    # (source n, start, end): the aligned window first, then each other cited source's best window.
    support: tuple[tuple[int, int, int], ...] = ()
    reasons: tuple[str, ...] = ()  # every reason found, most telling first
    verdict: tuple[float, float, float] | None = None  # the verifier's [supported, contradicted, not stated]


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


@dataclass(frozen=True)
class _Passage:
    """A source's fact sentences, read once and cached: spans, words, windows and their vectors.
    The facts the exact checks read are taken of a sentence only when a window holding it is
    chosen (most sentences of five sources never are)."""

    sentences: list[str]
    spans: list[tuple[int, int]]
    sentence_words: list[frozenset[str]]
    windows: list[tuple[int, int]]  # (first, last) sentence index, inclusive
    window_vectors: np.ndarray  # unit rows, one per window
    window_words: list[frozenset[str]]
    words: frozenset[str]
    known_names: frozenset[str]  # words the passage shows to be names, lower-cased (`claim_checks.known_names`)
    values: frozenset[float]  # the figures it states, each also without its scale (`_values`)
    _facts: dict[int, Facts] = field(default_factory=dict)

    def facts(self, first: int, last: int) -> Facts:
        """The facts of sentences `first` to `last` (inclusive), read as one window."""
        for i in range(first, last + 1):
            if i not in self._facts:
                self._facts[i] = claim_checks.facts(self.sentences[i])
        return claim_checks.joined([self._facts[i] for i in range(first, last + 1)])


@dataclass(frozen=True)
class _Premise:
    """What a verifier reads: the aligned window's text, how reasons name it, and the claim (the
    sentence, or the part of it that cites that source)."""

    text: str
    label: str  # "[2]"
    claim: str


@dataclass(frozen=True)
class _Alignment:
    """A sentence's best window in one source."""

    source: Source
    passage: _Passage
    window: tuple[int, int]
    cosine: float
    score: float
    core: tuple[int, int] | None = None  # the window before it was widened, where it was

    @property
    def span(self) -> tuple[int, int, int]:
        first, last = self.window
        return self.source.n, self.passage.spans[first][0], self.passage.spans[last][1]

    @property
    def facts(self) -> Facts:
        first, last = self.window
        return self.passage.facts(first, last)

    @property
    def text(self) -> str:
        start, end = self.span[1:]
        return self.source.text[start:end]


class GroundingChecker:
    """Keeps the generated sentences their cited sources support.

    Args:
        encode: The embedding function (`Embedder.encode`): texts -> unit-length rows.
        min_similarity: Least cosine between the sentence and its aligned window.
        min_lexical: Least share of the sentence's content words present in its aligned window.
        unsupported: "remove" drops unsupported sentences; "mark" keeps them, flagged.
        verifier: A pairwise model (`Verifier`) asked about each sentence the rules pass; None: rules only.
        min_support: Least p(supported) from the verifier.
        lexical_weight: Weight of the share of shared words in the alignment score (a tiebreak
            next to the cosine; names, figures and dates are left out of it so that a window
            is never chosen for holding a swapped one).
        max_new_run: Most consecutive content words found nowhere in the cited text.
    """

    def __init__(self, encode, *, min_similarity: float = 0.55, min_lexical: float = 0.5,  # noqa: ANN001
                 unsupported: Literal["remove", "mark"] = "remove", verifier: Verifier | None = None,
                 min_support: float = 0.5, lexical_weight: float = 0.1, max_new_run: int = 2) -> None:
        if unsupported not in ("remove", "mark"):
            raise ValueError(f"unsupported must be 'remove' or 'mark', not {unsupported!r}")
        if not 0.0 <= min_support <= 1.0:
            raise ValueError(f"min_support must be in [0, 1], not {min_support!r}")
        self.encode = encode
        self.min_similarity = min_similarity
        self.min_lexical = min_lexical
        self.unsupported = unsupported
        self.verifier = verifier
        self.min_support = min_support
        self.lexical_weight = lexical_weight
        self.thresholds = Thresholds(min_share=min_lexical, max_new_run=max_new_run)
        self._passages: dict[str, _Passage] = {}

    def check(self, answer: str, sources: Sequence[Source]) -> GroundedText:
        by_n = {s.n: s for s in sources}
        pieces = _pieces(answer)
        if not pieces:
            return GroundedText("")
        plain = [_strip_markers(p) for p in pieces]
        # A sentence with markers in several places ("A [1], while B [2].") is checked part by
        # part, each against what its own marker cites; one with its markers together ("A and
        # B [1][2].") against its cited sources' windows read as one.
        parts = [_parts(piece, by_n) for piece in pieces]
        part_texts = [text for found in parts for text, _ in found]
        vectors = list(self.encode(plain + part_texts))
        part_vectors = iter(vectors[len(plain):])
        checked = []
        for piece, text, vector, found in zip(pieces, plain, vectors[:len(plain)], parts, strict=True):
            numbers = [int(n) for group in _MARKER.findall(piece) for n in re.split(r"\s*[,;]\s*", group)]
            cited = tuple(dict.fromkeys(n for n in numbers if n in by_n))
            dropped = tuple(dict.fromkeys(n for n in numbers if n not in by_n))
            if found:
                verdicts = [self._verdict(piece, part, next(part_vectors), [by_n[n] for n in part_cited], part_cited,
                                          dropped, part=True) for part, part_cited in found]
                checked.append(_combined(verdicts, cited))
            else:
                checked.append(self._verdict(piece, text, vector, [by_n[n] for n in cited], cited, dropped))
        checked = self._verify(checked)
        shown = []
        for verdict in checked:
            if verdict.supported:
                shown.append(_without(verdict.text, verdict.dropped_citations))
            elif self.unsupported == "mark":
                shown.append(f"{_without(verdict.text, verdict.dropped_citations)} [unsupported: {verdict.reason}]")
        return GroundedText(" ".join(shown), checked)

    def _verdict(self, piece: str, text: str, vector: np.ndarray, cited: list[Source], numbers: tuple[int, ...],
                 dropped: tuple[int, ...], part: bool = False) -> tuple[CheckedSentence, tuple[_Premise, ...]]:
        """The rules' verdict on one sentence (or, `part`, the part `text` of it that cites `cited`),
        and what a verifier should read."""
        if not cited:
            reason = "cites no source" if not dropped else f"cites no existing source ({_numbers(dropped)})"
            return CheckedSentence(piece, (), False, 0.0, 0.0, reason, dropped, reasons=(reason,)), ()
        claim = claim_checks.facts(text)
        passages = [self._passage(s.text) for s in cited]
        known = frozenset().union(*(p.known_names for p in passages))
        claim_names = claim_checks.names(text, known)
        align_words = _alignment_words(claim, claim_names)
        alignments = [a for a in (self._align(vector, align_words, s, p) for s, p in zip(cited, passages, strict=True))
                      if a is not None]
        # Reasons name the cited source as "the cited source" where the check reads every cited
        # text, and as "[n]" where it reads one window of it, or a part of the sentence citing it.
        cited_sources = ("[" + ", ".join(map(str, numbers)) + "]" if part
                         else "the cited source" if len(numbers) == 1 else "the cited sources")
        missing_numbers = _missing_numbers(text, passages)
        reasons = [f"{missing_numbers[0]} is not in {cited_sources}"] if missing_numbers else []
        if not alignments:  # nothing in them but instructions
            reasons.append(f"not close to what {cited_sources} say{'s' if len(numbers) == 1 or part else ''} "
                           "(similarity -1.00)")
            return CheckedSentence(piece, numbers, False, -1.0, 0.0, reasons[0], dropped, (), tuple(reasons)), ()
        alignments.sort(key=lambda a: -a.score)
        best = alignments[0]
        claim_words = claim.words
        held = (sum(w in best.facts.word_set for w in claim_words) / len(claim_words)) if claim_words else 1.0
        # A sentence restating part of a long one is far from it in meaning though every word is
        # there: with (nearly) all its words in the window the exact checks judge it, above a lower floor.
        floor = self.min_similarity - (_PARTIAL_SLACK if held >= _PARTIAL_SHARE else 0.0)
        if best.cosine < floor:
            reasons.append(f"not close to what {cited_sources} say{'s' if len(numbers) == 1 or part else ''} "
                           f"(similarity {best.cosine:.2f})")
        rules = claim_checks.check(claim, claim_names, self._context(best), self.thresholds)
        if rules and (wider := self._widened_for_facts(best, claim, claim_names, rules)) is not None:
            best, rules = wider, []
        if any(r.startswith("name ") for r in rules):  # a name of the next sentence, said of the same thing
            rules = claim_checks.check(claim, claim_names, replace(self._context(best), names_beside=True),
                                       self.thresholds)
        window, premise = best.facts, _Premise(best.text, f"[{best.source.n}]", text)
        if rules and len(alignments) > 1:
            # A sentence citing several sources may join what each says: read their windows as one.
            joined = claim_checks.joined([a.facts for a in alignments])
            label = "[" + ", ".join(str(a.source.n) for a in alignments) + "]"
            context = Context(label, len(alignments), joined, frozenset(),
                              frozenset().union(*(a.passage.words for a in alignments)))
            if not claim_checks.check(claim, claim_names, context, self.thresholds):
                rules, window, premise = [], joined, _Premise(" ".join(a.text for a in alignments), label, text)
        reasons += [r for r in rules if not (missing_numbers and r.startswith("figure "))]
        lexical = (sum(w in window.word_set for w in claim_words) / len(claim_words)) if claim_words else 1.0
        support = (best.span, *(a.span for a in alignments[1:]))
        return CheckedSentence(piece, numbers, not reasons, round(best.cosine, 4), round(lexical, 4),
                               reasons[0] if reasons else "", dropped, support, tuple(reasons)), (premise,)

    def _verify(self, verdicts: list[tuple[CheckedSentence, tuple[_Premise, ...]]]) -> list[CheckedSentence]:
        """The verifier's reading of each (aligned window, sentence) the rules pass, in one call; a
        sentence checked part by part is kept only when it supports every part."""
        checked = [sentence for sentence, _ in verdicts]
        asked = [(i, premise) for i, (sentence, premises) in enumerate(verdicts) if sentence.supported
                 for premise in premises]
        if self.verifier is None or not asked:
            return checked
        pairs = [(premise.text, premise.claim) for _, premise in asked]
        probabilities = np.asarray(self.verifier.supports(pairs), dtype=float)
        if probabilities.shape != (len(pairs), 3):
            raise ValueError(f"verifier.supports gave shape {probabilities.shape}, not ({len(pairs)}, 3)")
        decided: set[int] = set()
        for (i, premise), row in zip(asked, probabilities, strict=True):
            if i in decided:
                continue  # an earlier part already removed it
            verdict = (float(row[SUPPORTED]), float(row[CONTRADICTED]), float(row[NOT_STATED]))
            sentence = checked[i]
            reason = ""
            if verdict[SUPPORTED] < self.min_support:
                reason = (f"contradicted by {premise.label}: '{_shortened(premise.text)}'"
                          if int(np.argmax(row)) == CONTRADICTED else f"not stated in {premise.label}")
                decided.add(i)
            elif sentence.verdict is not None and sentence.verdict[SUPPORTED] <= verdict[SUPPORTED]:
                continue  # the part it supports least gives the sentence's verdict
            checked[i] = replace(sentence, supported=not reason, reason=reason, reasons=(reason,) if reason else (),
                                 verdict=verdict)
        return checked

    def _align(self, vector: np.ndarray, words: frozenset[str], source: Source, passage: _Passage) -> _Alignment | None:
        """The window of `source` that supports the sentence best: cosine, plus a small share of
        the sentence's words it holds. A window of several sentences counts only when its first
        and its last sentence each hold some of those words the rest does not: else the
        sentence's meaning alone chose it, and a swapped name pulls the cosine towards the
        sentence that holds that name."""
        if not passage.windows:
            return None
        cosines = passage.window_vectors @ vector
        sentence_words = passage.sentence_words
        best: _Alignment | None = None
        valid: list[tuple[int, int, frozenset[str], float]] = []
        for index, ((first, last), cosine) in enumerate(zip(passage.windows, cosines, strict=True)):
            held = words & passage.window_words[index]
            if last > first and (held <= frozenset().union(*sentence_words[first + 1:last + 1])
                                 or held <= frozenset().union(*sentence_words[first:last])):
                continue
            valid.append((first, last, held, float(cosine)))
            share = len(held) / len(words) if words else 0.0
            score = float(cosine) + self.lexical_weight * share - 0.01 * (last - first)
            if best is None or score > best.score:
                best = _Alignment(source, passage, (first, last), float(cosine), score)
        if best is None:
            return None
        # A sentence joining two or three sentences of the source ("combined") is closest in
        # meaning to one of them: the window widens to the sentences around it that hold more
        # of its words (each end of the wider window holding some the rest does not).
        first, last = best.window
        held = next(h for a, b, h, _ in valid if (a, b) == (first, last))
        wider = [(len(h), -(b - a), a, b, c) for a, b, h, c in valid
                 if a <= first and b >= last and len(h) >= len(held) + _WIDEN]
        if wider:
            _, _, first, last, cosine = max(wider)
            best = replace(best, window=(first, last), cosine=max(best.cosine, cosine), core=best.window)
        return best

    def _widened_for_facts(self, best: _Alignment, claim: Facts, claim_names: Sequence[claim_checks.Name],
                           rules: Sequence[str]) -> _Alignment | None:
        """A wider window (up to `MAX_WINDOW` sentences, around the aligned one) that the sentence
        passes, where the sentences it adds hold at least `_WIDEN_FACTS` of the names, figures and
        dates the sentence states and the window lacks: a sentence combining two or three of the
        source's ("... passed the budget 5-2, with Gary Pruitt and Helen Vasquez voting no").
        Names and figures do not choose a window (a swapped one would pull it), so a combined
        sentence can be aligned to the part its other words match; one swapped name or figure
        from the next sentence is a single fact, and never widens it."""
        passage, (first, last) = best.passage, best.window
        if sum(bool(_MISSING_FACT.match(r)) for r in rules) < _WIDEN_FACTS:
            return None  # names the window refers to ("her" for Brandt) are not missing
        missing = _stated_facts(claim, claim_names) - _stated_facts(best.facts, claim_names)
        for a, b in sorted(passage.windows, key=lambda w: w[1] - w[0]):
            if not (a <= first and b >= last) or (a, b) == (first, last):
                continue
            found = missing & _stated_facts(passage.facts(a, b), claim_names)
            if len(found) < _WIDEN_FACTS:
                continue
            wider = replace(best, window=(a, b), core=None)
            if not claim_checks.check(claim, claim_names, self._context(wider), self.thresholds):
                return wider
        return None

    def _context(self, alignment: _Alignment) -> Context:
        passage = alignment.passage
        first, last = alignment.window
        antecedents = frozenset().union(*passage.sentence_words[max(0, first - 2):first])
        neighbours = tuple(passage.facts(i, i) for i in (first - 1, last + 1) if 0 <= i < len(passage.sentences))
        return Context(f"[{alignment.source.n}]", last - first + 1, alignment.facts, antecedents, passage.words,
                       neighbours, frozenset(claim_checks.words(alignment.source.title)),
                       tuple(passage.facts(i, i) for i in range(first, last + 1)),
                       passage.facts(*alignment.core) if alignment.core else None, passage.known_names,
                       f"{alignment.source.title}\n{alignment.source.text}")

    def _passage(self, text: str) -> _Passage:
        """A source's sentences that state facts, their words and windows (cached:
        sources recur between questions). Sentences addressed to a language model ("ignore
        previous instructions and ...") never count as support: a model that obeys one would
        otherwise be "supported" by the very text that manipulated it."""
        if text not in self._passages:
            if len(self._passages) > 4096:
                self._passages.clear()
            spans = [(a, b) for a, b in (list(sentence_spans(text)) or [(0, len(text))])
                     if not is_instruction(text[a:b])]
            sentences = [text[a:b] for a, b in spans]
            vectors = np.asarray(self.encode(sentences)) if spans else np.zeros((0, 1))
            windows = [(i, j) for i in range(len(spans)) for j in range(i, min(i + MAX_WINDOW, len(spans)))
                       # A window is consecutive sentences: no instruction skipped in between.
                       if all(not text[spans[k][1]:spans[k + 1][0]].strip() for k in range(i, j))]
            window_vectors = np.asarray([vectors[i:j + 1].sum(axis=0) for i, j in windows]) if windows \
                else np.zeros((0, 1))
            if len(window_vectors):
                window_vectors = window_vectors / np.linalg.norm(window_vectors, axis=1, keepdims=True).clip(1e-12)
            words = [frozenset(claim_checks.words(sentence)) for sentence in sentences]
            self._passages[text] = _Passage(sentences, spans, words, windows, window_vectors,
                                            [frozenset().union(*words[i:j + 1]) for i, j in windows],
                                            frozenset().union(*words),
                                            frozenset().union(*(claim_checks.known_names(x) for x in sentences)),
                                            frozenset(v for x in sentences for v in _values(x))
                                            | frozenset(claim_checks.fraction_percents(text)))
        return self._passages[text]


def _parts(piece: str, by_n: dict[int, Source]) -> list[tuple[str, tuple[int, ...]]]:
    """The parts of a sentence whose markers stand in different places, each with the sources
    its marker cites: "Macron announced a coalition [1], while Rutte dismissed troops [2]." ->
    ("Macron announced a coalition", (1,)), ("while Rutte dismissed troops", (2,)). A part of
    fewer than two words, or citing no existing source, joins the part after it (the last, the
    one before); words after the last marker join the last part. [] when fewer than two parts
    remain, or all cite the same: the sentence is checked whole."""
    runs = list(_MARKER_RUN.finditer(piece))
    if len(runs) < 2:
        return []
    parts: list[tuple[str, tuple[int, ...]]] = []
    start = 0
    for run in runs:
        numbers = tuple(dict.fromkeys(int(n) for group in _MARKER.findall(run.group(0))
                                      for n in re.split(r"\s*[,;]\s*", group) if int(n) in by_n))
        parts.append((piece[start:run.start()], numbers))
        start = run.end()
    tail = piece[start:]
    if terms(tail):
        parts[-1] = (parts[-1][0] + tail, parts[-1][1])
    merged: list[tuple[str, tuple[int, ...]]] = []
    pending = ("", ())
    for text, numbers in parts:
        text, numbers = pending[0] + text, tuple(dict.fromkeys(pending[1] + numbers))
        if len(terms(text)) < _MIN_PART_WORDS or not numbers:
            pending = (text, numbers)
            continue
        merged.append((text, numbers))
        pending = ("", ())
    if pending[0] and merged:
        text, numbers = merged.pop()
        merged.append((text + pending[0], tuple(dict.fromkeys(numbers + pending[1]))))
    if len(merged) < 2 or len({frozenset(numbers) for _, numbers in merged}) < 2:
        return []
    return [(re.sub(r"\s+", " ", text).strip(" ,;:\u2013\u2014-"), numbers) for text, numbers in merged]


def _combined(verdicts: list[tuple[CheckedSentence, tuple[_Premise, ...]]],
              cited: tuple[int, ...]) -> tuple[CheckedSentence, tuple[_Premise, ...]]:
    """One sentence's verdict from its parts' verdicts: supported when every part is."""
    sentences = [sentence for sentence, _ in verdicts]
    reasons = tuple(dict.fromkeys(r for sentence in sentences for r in sentence.reasons))
    support = tuple(dict.fromkeys(span for sentence in sentences for span in sentence.support))
    first = sentences[0]
    return (replace(first, cited=cited, supported=all(s.supported for s in sentences),
                    similarity=min(s.similarity for s in sentences), lexical=min(s.lexical for s in sentences),
                    reason=reasons[0] if reasons else "", support=support, reasons=reasons),
            tuple(premise for _, premises in verdicts for premise in premises))


def _missing_numbers(text: str, passages: Sequence[_Passage]) -> list[str]:
    """The numbers written in digits in `text` that no cited passage states, in digits or in
    words ("12 homes" for "Twelve homes"), whole ("2" is not in "20") or with a scale ("4.5"
    is in "4.5 million")."""
    stated = frozenset().union(*(p.values for p in passages))
    missing = []
    for number in _NUMBER.findall(text):
        values = _values(number)
        if values and not any(v in stated for v in values):
            missing.append(number)
    return missing


def _values(text: str) -> set[float]:
    """The values of the figures of `text`, each also without its scale ("4.5 million" -> 4.5e6, 4.5)."""
    found = set()
    for written, value in claim_checks.figures(text):
        found.add(round(value, 6))
        digits = _NUMBER.match(written)
        if digits:
            found.update(round(v, 6) for _, v in claim_checks.figures(digits.group(0)))
    return found


def _stated_facts(facts: Facts, claim_names: Sequence[claim_checks.Name]) -> frozenset[str]:
    """The claim's names (by their last word), and the figures and dates `facts` states, as keys
    that compare a sentence with a window."""
    keys = {f"figure:{round(value, 6)}" for _, value in facts.figures}
    keys |= {f"date:{key}" for _, key in facts.dates}
    keys |= {f"name:{name.terms[-1]}" for name in claim_names if name.terms[-1] in facts.word_set}
    return frozenset(keys)


def _alignment_words(claim: Facts, claim_names: Sequence[claim_checks.Name]) -> frozenset[str]:
    """The sentence's words that choose its window: not its names and dates, which the checks
    test in the window (a window must not win for holding the swapped name)."""
    checked = {t for name in claim_names for t in name.terms}
    checked |= {t for written, _ in claim.dates for t in terms(written)}
    return frozenset(claim.words) - checked


def _pieces(answer: str) -> list[str]:
    """The answer's sentences, each with the markers that follow it: "It rained. [1] Then" ->
    "It rained [1].", and after a closing quote or bracket, where the marker cannot move in,
    "called it "a turning point." [1] Then" -> "called it "a turning point." [1]"."""
    answer = _markers_before_stops(answer)
    pieces: list[str] = []
    for start, end in sentence_spans(answer):
        piece = answer[start:end]
        leading = _LEADING_MARKERS.match(piece)
        if leading and pieces:
            pieces[-1] = f"{pieces[-1]} {leading.group(0).strip()}"
            piece = piece[leading.end():].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _markers_before_stops(text: str) -> str:
    """"It rained. [1] Then" -> "It rained [1]. Then": a marker belongs to the sentence before it.
    After a closing quote or bracket the marker stays, set apart: `_pieces` gives it back."""
    text = re.sub(r"([.!?…][\"'”’)]+)(?=\[\d)", r"\1 ", text)
    return re.sub(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)", lambda m: f"{m.group(2)}{m.group(1)}", text)


def _strip_markers(text: str) -> str:
    return re.sub(r"\s+", " ", _MARKER.sub("", text)).strip()


def _shortened(text: str, limit: int = 120) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


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
