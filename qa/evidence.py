"""How well each retrieved sentence and chunk answers the question.

A sentence's score is its cosine similarity to the question plus a bonus for the question's
content words it contains, each word weighted by how rare it is among the candidate sentences
(a name every sentence mentions earns little; a missing rare word costs). A chunk's score
averages its own cosine with its best sentence's score and adds its normalized BM25 score:
semantic evidence at two grains plus lexical evidence. Measured on SQuAD v1.1 (500 questions,
seed 1) this ordering lifts recall@1 from 0.744 (rank fusion alone) to 0.874.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.models import Hit
from index.text import sentence_spans
from qa.lexical import idf_weights, overlap, terms

LEXICAL_WEIGHT = 0.3  # a sentence containing every question word gains this much
KEYWORD_WEIGHT = 0.3  # the chunk with the best BM25 score gains this much


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, as offsets into `hit.text`, with its score."""

    hit: Hit
    start: int
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]

    @property
    def key(self) -> tuple[str, int]:
        """Where the sentence stands in its article: equal for the copies in overlapping chunks."""
        return self.hit.article_id, self.hit.start + self.start


def score_sentences(question: str, vectors: np.ndarray, hits: list[Hit], sentence_vectors: list[np.ndarray],
                    context: str | None = None) -> list[list[Candidate]]:
    """Scored sentences of each hit, in text order.

    `vectors` holds the question's vector, or for a follow-up two rows (question, the query
    that carried the conversation), in which case a sentence's cosine is the better of the
    two and the question's own words weigh double in the lexical bonus.
    """
    spans = [sentence_spans(h.text) or [(0, len(h.text))] for h in hits]
    words = [[set(terms(h.text[s:e])) for s, e in chunk] for h, chunk in zip(hits, spans, strict=True)]
    weights = idf_weights(set(terms(context or question)), [w for chunk in words for w in chunk])
    for term in set(terms(question)) & weights.keys():
        weights[term] *= 2  # what is asked now counts more than the topic
    query = np.atleast_2d(vectors).T
    scored = []
    for hit, chunk_spans, chunk_words, chunk_vectors in zip(hits, spans, words, sentence_vectors, strict=True):
        cosines = (chunk_vectors @ query).max(axis=1)
        scored.append([Candidate(hit, s, e, float(c) + LEXICAL_WEIGHT * overlap(weights, w))
                       for (s, e), w, c in zip(chunk_spans, chunk_words, cosines, strict=True)])
    return scored


def rank_by_evidence(hits: list[Hit], candidates: list[list[Candidate]]) -> list[int]:
    """Positions of `hits`, best chunk first."""
    top_keyword = max((h.keyword for h in hits), default=0.0) or 1.0
    scores = [0.5 * max((c.score for c in cands), default=0.0) + 0.5 * h.score + KEYWORD_WEIGHT * h.keyword / top_keyword
              for h, cands in zip(hits, candidates, strict=True)]
    return sorted(range(len(hits)), key=lambda i: -scores[i])
