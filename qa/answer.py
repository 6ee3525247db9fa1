"""Scored sentences -> a grounded, extractive answer with citations, or an abstention.

The answer is the best sentence(s) of the retrieved chunks (see `qa.evidence` for the
scores), copied verbatim with `[n]` markers. When even the best sentence scores under the
configured threshold the answer says plainly that the articles do not answer the question,
and lists the closest passages instead of guessing.
"""

from __future__ import annotations

from index.models import Hit
from qa.evidence import Candidate
from qa.models import Answer, Citation

NEAR_BEST = 0.1  # extra sentences must score within this of the best one

NOT_IN_ARTICLES = "Not in the articles: none of the indexed articles answers this question."
EMPTY_INDEX = "Not in the articles: no articles are indexed yet. Add some with `qa ingest PATH`."


class ExtractiveAnswerer:
    """Chooses answer sentences from retrieved chunks.

    Args:
        threshold: Minimum evidence score to answer rather than abstain.
        max_sentences: Most sentences quoted in one answer.
        sources_on_abstain: Closest passages listed when abstaining.
    """

    def __init__(self, *, threshold: float = 0.6524, max_sentences: int = 2, sources_on_abstain: int = 3) -> None:
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.sources_on_abstain = sources_on_abstain

    def answer(self, question: str, hits: list[Hit], candidates: list[list[Candidate]]) -> Answer:
        """Answer `question` from the scored sentences of `hits` (best chunks first)."""
        if not hits:
            return Answer(question, EMPTY_INDEX, [], abstained=True)
        ranked: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for c in sorted((c for cands in candidates for c in cands), key=lambda c: -c.score):
            if c.key not in seen:  # a sentence in two overlapping chunks counts once
                seen.add(c.key)
                ranked.append(c)
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
