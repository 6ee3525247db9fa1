"""Retrieved chunks -> a grounded, extractive answer with citations, or an abstention.

Each sentence of the retrieved chunks is scored by its cosine similarity to the question plus
a bonus for the question's content words it contains, weighted by how rare each word is among
the candidates (a name every sentence mentions earns little; a missing rare word costs). The answer is the best sentence(s),
copied verbatim with `[n]` markers. When even the best sentence scores under the configured
threshold the answer says plainly that the articles do not answer the question, and lists the
closest passages instead of guessing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from index.embed import Embedder
from index.models import Hit
from index.text import sentence_spans
from qa.lexical import idf_weights, overlap, terms
from qa.models import Answer, Citation

LEXICAL_WEIGHT = 0.3  # how much a full match of the question's content words adds to cosine
NEAR_BEST = 0.1  # extra sentences must score within this of the best one
SENTENCE_CACHE = 50_000  # sentence vectors kept in memory (~75 MB at 384 dimensions)

NOT_IN_ARTICLES = "Not in the articles: none of the indexed articles answers this question."
EMPTY_INDEX = "Not in the articles: no articles are indexed yet. Add some with `qa ingest PATH`."


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int  # offsets inside hit.text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]

    @property
    def key(self) -> tuple[str, int]:
        """Where the sentence stands in its article: equal for the copies in overlapping chunks."""
        return self.hit.article_id, self.hit.start + self.start


class ExtractiveAnswerer:
    """Chooses answer sentences from retrieved chunks.

    Args:
        embedder: The process's embedding model (sentence vectors).
        threshold: Minimum evidence score to answer rather than abstain.
        max_sentences: Most sentences quoted in one answer.
        sources_on_abstain: Closest passages listed when abstaining.
    """

    def __init__(self, embedder: Embedder, *, threshold: float = 0.5, max_sentences: int = 2,
                 sources_on_abstain: int = 3) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.sources_on_abstain = sources_on_abstain
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, embedding only those not seen recently (popular passages come back)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing), strict=True):
                self._cache[text] = vector
            while len(self._cache) > SENTENCE_CACHE:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts])

    def candidates(self, question: str, vectors: np.ndarray, hits: list[Hit],
                   context: str | None = None) -> list[Candidate]:
        """Every distinct sentence of `hits`, scored, best first.

        For a follow-up, `context` is the query that carried the conversation and `vectors`
        has two rows (question, context): a sentence's cosine is the better of the two, and
        the question's own words weigh double in the lexical bonus.
        """
        context = context or question
        spans: list[tuple[Hit, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for hit in hits:
            for start, end in sentence_spans(hit.text):
                key = (hit.article_id, hit.start + start)
                if key not in seen:
                    seen.add(key)
                    spans.append((hit, start, end))
        if not spans:
            return []
        texts = [hit.text[s:e] for hit, s, e in spans]
        cosines = (self._sentence_vectors(texts) @ np.atleast_2d(vectors).T).max(axis=1)
        sentence_terms = [set(terms(t)) for t in texts]
        weights = idf_weights(set(terms(context)), sentence_terms)
        for term in set(terms(question)) & weights.keys():
            weights[term] *= 2  # what is asked now counts more than the topic
        scored = [
            Candidate(hit, s, e, float(cos) + LEXICAL_WEIGHT * overlap(weights, words))
            for (hit, s, e), cos, words in zip(spans, cosines, sentence_terms, strict=True)
        ]
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def answer(self, question: str, vectors: np.ndarray, hits: list[Hit],
               context: str | None = None) -> Answer:
        """Answer `question` from `hits`; see `candidates` for `vectors` and `context`."""
        if not hits:
            return Answer(question, EMPTY_INDEX, [], abstained=True)
        ranked = self.candidates(question, vectors, hits, context)
        best = ranked[0].score if ranked else None
        if best is None or best < self.threshold:
            closest = _distinct_chunks(ranked)[: self.sources_on_abstain]
            citations = [_cite(n, c) for n, c in enumerate(closest, start=1)]
            return Answer(question, NOT_IN_ARTICLES + " The closest passages are listed as sources.",
                          citations, abstained=True, evidence=best)
        chosen = [c for c in ranked[: self.max_sentences] if c.score >= max(self.threshold, best - NEAR_BEST)]
        # Sentences of one article read best in the article's own order.
        lead = chosen[0].hit.article_id
        chosen.sort(key=lambda c: (c.hit.article_id != lead, c.key))
        citations = [_cite(n, c) for n, c in enumerate(chosen, start=1)]
        text = " ".join(f"{c.text} [{cit.n}]" for c, cit in zip(chosen, citations, strict=True))
        return Answer(question, text, citations, abstained=False, evidence=best)


def _distinct_chunks(ranked: list[Candidate]) -> list[Candidate]:
    """The best sentence of each chunk, best first."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for candidate in ranked:
        chunk = (candidate.hit.article_id, candidate.hit.ordinal)
        if chunk not in seen:
            seen.add(chunk)
            out.append(candidate)
    return out


def _cite(n: int, c: Candidate) -> Citation:
    hit = c.hit
    return Citation(n=n, article_id=hit.article_id, title=hit.title, date=hit.date, source=hit.source,
                    quote=c.text, url=hit.url, passage=hit.text, quote_start=c.start, quote_end=c.end,
                    score=round(c.score, 4))
