"""Scored sentences -> a grounded, extractive answer with citations, or an abstention.

The answer is the best sentence(s) of the retrieved chunks (see `qa.evidence` for the
scores), copied verbatim with `[n]` markers. When even the best sentence scores under the
configured threshold the answer says plainly that the articles do not answer the question,
and lists the closest passages instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.models import Hit
from qa.evidence import Candidate
from qa.models import Answer, Citation

NEAR_BEST = 0.1  # extra sentences must score within this of the best one
SELECTION_LATE_WEIGHT = 0.5  # times the chunk's late-interaction score, when choosing what to quote

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

    def answer(self, question: str, hits: list[Hit], candidates: list[list[Candidate]],
               late: Sequence[float] | None = None) -> Answer:
        """Answer `question` from the scored sentences of `hits` (best chunks first).

        `late` holds each hit's late-interaction score (`index.token_vectors.late_score`). It
        picks which sentence to quote among those with enough evidence, favouring the chunk
        whose words match the question's one by one; whether to answer at all depends on the
        evidence score alone, the one the threshold was calibrated on.
        """
        if not hits:
            return Answer(question, EMPTY_INDEX, [], abstained=True)
        boost = [SELECTION_LATE_WEIGHT * s for s in late] if late is not None else [0.0] * len(hits)
        selection = {id(c): c.score + b for cands, b in zip(candidates, boost, strict=True) for c in cands}
        ranked: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for c in sorted((c for cands in candidates for c in cands), key=lambda c: -selection[id(c)]):
            if c.key not in seen:  # a sentence in two overlapping chunks counts once
                seen.add(c.key)
                ranked.append(c)
        best = max((c.score for c in ranked), default=None)
        if best is None or best < self.threshold:
            closest = _distinct_chunks(ranked)[: self.sources_on_abstain]
            citations = [_cite(n, c) for n, c in enumerate(closest, start=1)]
            return Answer(question, NOT_IN_ARTICLES + " The closest passages are listed as sources.",
                          citations, abstained=True, evidence=best)
        quotable = [c for c in ranked if c.score >= self.threshold]
        lead = selection[id(quotable[0])]
        chosen = [c for c in quotable[: self.max_sentences] if selection[id(c)] >= lead - NEAR_BEST]
        # Sentences of one article read best in the article's own order.
        first = chosen[0].hit.article_id
        chosen.sort(key=lambda c: (c.hit.article_id != first, c.key))
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
