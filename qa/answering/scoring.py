"""Retrieved chunks -> one typed object per chunk holding its scored sentences.

A sentence's evidence is its cosine similarity to the question plus a bonus for the question's
content words it contains, each word weighted by how rare it is among the candidate sentences
(a name every sentence mentions earns little; a missing rare word costs; a sentence opening
with "It"/"They"... counts the words of the sentence it refers back to), plus a small bonus
when it holds the kind of answer asked for (a date for "when"). Each sentence also has a role
(`qa.answering.sentence_roles`): headings, captions, questions and list introductions help rank their
chunk but are never quoted.

A chunk's score averages its own cosine with its best sentence's evidence, adds its normalized
BM25 score, its late-interaction score (`index.embedding.token_vectors`) and, when the question names a
time ("this week"), a bonus for being published inside that window. Weights: `qa.answering.weights`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from index.models import Hit
from index.loading.text import sentence_spans
from index.embedding.token_vectors import late_score, token_matches
from qa.answering.answer_type import holds_type
from qa.answering.lexical import idf_weights, overlap, terms
from qa.answering.retrieve import Candidate
from qa.answering.sentence_roles import QUOTABLE, Part, classify_all
from qa.answering.temporal import Window
from qa.answering.weights import DEFAULT_WEIGHTS, Weights

REFERRING = frozenset("it its he his him she her they their them this these those there such".split())


@dataclass(frozen=True)
class Query:
    """A question ready to score against: as asked, as understood, and its embeddings.

    `question` is what is answered (a follow-up resolved by the conversation, a time word
    removed); `retrieval` is what was searched with (it may carry the previous question).
    `vectors` has one row for `question`, and a second for `retrieval` when they differ.
    """

    asked: str
    question: str
    retrieval: str
    vectors: np.ndarray
    tokens: np.ndarray  # projected content-token vectors of `retrieval` (late interaction)
    kind: str | None = None  # the kind of answer asked for, `qa.answering.answer_type.expected_type`
    window: Window | None = None
    context: str = ""  # a follow-up's conversation: the last question and its answer's lead
    as_of: str | None = None  # the ISO day the question is asked on: "now" means then (`updates`)
    # How many of the last `tokens` are `question`'s own (0: all of them): a follow-up is searched
    # as "previous question + this one", and only this one's words are asked now.
    own_tokens: int = 0

    @property
    def known(self) -> str:
        """What the asker already knows: the question and, for a follow-up, the conversation.
        A candidate answer found in it is not new ("who is the product lead on it?" after an
        answer naming the Kestrel is not answered by "Kestrel")."""
        return f"{self.context} {self.question}" if self.context else self.question


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a chunk, as offsets into `hit.text` (its quotable part), with its scores."""

    hit: Hit
    start: int
    end: int
    role: str
    cosine: float
    lexical: float  # IDF-weighted share of the question's words it holds (with what it refers to)
    type_match: bool  # holds a new span of the kind of answer asked for
    evidence: float  # cosine + weights.lexical x lexical + weights.answer_type x type_match
    novelty: float  # share of its content words that are not the question's: 0 restates the question
    late: float = 0.0  # late interaction with this sentence's own tokens (the chunk's, if unknown)
    covered: tuple[int, ...] = ()  # which of the chunk's stored sentences it spans
    # Per question token, its best cosine to this sentence's own tokens (`late` is their mean);
    # None when the sentence's tokens are unknown. Compared across candidates by the judge.
    token_match: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        return self.hit.text[self.start:self.end]

    @property
    def key(self) -> tuple[str, int]:
        """Where the sentence stands in its article: equal for the copies in overlapping chunks."""
        return self.hit.article_id, self.hit.start + self.start

    @property
    def quotable(self) -> bool:
        return self.role in QUOTABLE


@dataclass
class ScoredChunk:
    """A retrieved chunk, its sentences scored, and its own ranking signals."""

    hit: Hit
    sentences: list[ScoredSentence]
    late: float  # late-interaction score, `index.embedding.token_vectors.late_score`
    keyword: float  # BM25 score over the best BM25 score among the candidates, in [0, 1]
    missing: float  # IDF-weighted share of the question's words found nowhere in the chunk or title
    in_window: bool  # published inside the window a time word named
    score: float = 0.0  # the ranking score
    rank: int = 0  # 0 for the best chunk
    codes: np.ndarray | None = field(default=None, repr=False)  # the chunk's stored token codes
    spans: list[tuple[int, int]] = field(default_factory=list, repr=False)  # its stored sentences

    @property
    def best(self) -> ScoredSentence | None:
        """The quotable sentence with the most evidence."""
        return max((s for s in self.sentences if s.quotable), key=lambda s: s.evidence, default=None)

    @property
    def top_evidence(self) -> float:
        """The best evidence of any sentence, quotable or not (a heading still locates the chunk)."""
        return max((s.evidence for s in self.sentences), default=0.0)


def score_chunks(query: Query, candidates: Sequence[Candidate], weights: Weights = DEFAULT_WEIGHTS
                 ) -> list[ScoredChunk]:
    """Score every sentence of every candidate (a hit with its stored sentence evidence, see
    `retrieve.Candidate`) and rank the chunks, best first. A sentence's own late interaction is
    left at its chunk's; `match_sentence_tokens` refines it for the chunks an answer is chosen from.
    """
    hits = [c.hit for c in candidates]
    layouts = [_layout(h.text) for h in hits]
    context_terms = set(terms(query.retrieval)) | set(terms(query.question))
    idf = idf_weights(context_terms, [w for layout in layouts for w in layout[1]])
    for term in set(terms(query.question)) & idf.keys():
        idf[term] *= weights.follow_up_own_words  # what is asked now counts more than the topic
    own_terms = set(terms(query.question))
    question_rows = np.atleast_2d(query.vectors).T
    top_keyword = max((h.keyword for h in hits), default=0.0) or 1.0
    chunks = []
    for hit, (chunk_spans, chunk_words, chunk_own, parts), candidate in zip(hits, layouts, candidates, strict=True):
        vectors, codes = candidate.sentence_vectors, candidate.token_codes
        cosines = (np.asarray(vectors) @ question_rows).max(axis=1)
        chunk_late = late_score(query.tokens, codes)
        sentences = []
        for n, part in enumerate(parts):
            text = hit.text[part.start:part.end]
            # A list quoted with its introduction spans several stored sentences: take their best.
            covered = [i for i, (s, e) in enumerate(chunk_spans) if s < part.end and e > part.start] or [n]
            cosine = float(max(cosines[i] for i in covered))
            sentence_words = set().union(*(chunk_words[i] for i in covered))
            lexical = overlap(idf, sentence_words)
            type_match = holds_type(text, query.kind, query.known)
            own = set().union(*(chunk_own[i] for i in covered))
            novelty = len(own - own_terms) / len(own) if own else 0.0
            sentences.append(ScoredSentence(hit, part.start, part.end, part.role, cosine, lexical, type_match,
                                            cosine + weights.lexical * lexical + weights.answer_type * type_match,
                                            novelty, chunk_late, tuple(covered)))
        chunk_terms = set().union(*chunk_words) | set(terms(hit.title))
        total = sum(idf.values())
        missing = sum(w for t, w in idf.items() if t not in chunk_terms) / total if total > 0 else 0.0
        in_window = bool(query.window and hit.date and query.window.since <= hit.date <= query.window.until)
        chunks.append(ScoredChunk(hit, sentences, chunk_late, hit.keyword / top_keyword, missing, in_window,
                                  codes=codes, spans=chunk_spans))
    for chunk in chunks:
        chunk.score = (0.5 * chunk.top_evidence + 0.5 * chunk.hit.score + weights.keyword * chunk.keyword
                       + weights.late * chunk.late + weights.recency * chunk.in_window)
    chunks.sort(key=lambda c: -c.score)
    for rank, chunk in enumerate(chunks):
        chunk.rank = rank
    return chunks


def match_sentence_tokens(query: Query, chunks: Sequence[ScoredChunk],
                          count_tokens: Callable[[list[str]], list[int]]) -> None:
    """Give each sentence of `chunks` its own late-interaction score (in place): the question's
    tokens matched against that sentence's tokens alone. `count_tokens` is
    `Embedder.content_token_counts`, which says where each sentence's tokens sit in its chunk's
    stored codes without running the model."""
    for chunk in chunks:
        texts = [chunk.hit.text[s:e] for s, e in chunk.spans]
        own = _split_codes(chunk.codes, count_tokens(texts), len(chunk.spans))
        if own is None:
            continue
        chunk.sentences = [_with_token_match(s, query.tokens, np.concatenate([own[i] for i in s.covered]))
                           if s.covered else s for s in chunk.sentences]


def _with_token_match(sentence: ScoredSentence, query_tokens: np.ndarray, codes: np.ndarray) -> ScoredSentence:
    matches = token_matches(query_tokens, codes)
    late = float(matches.mean()) if matches is not None else 0.0
    return replace(sentence, late=late, token_match=matches)


def _split_codes(codes: np.ndarray | None, counts: Sequence[int] | None, n: int) -> list[np.ndarray] | None:
    """A chunk's token codes cut into its sentences' (they are stored one sentence after another),
    or None when the counts are unknown or do not add up."""
    if codes is None or counts is None or len(counts) != n or sum(counts) != len(codes):
        return None
    return np.split(codes, np.cumsum(counts)[:-1])


@functools.lru_cache(maxsize=4096)  # about 7 KB each (measured): 30 MB at most in a server
def _layout(text: str) -> tuple[list[tuple[int, int]], list[set[str]], list[set[str]], list[Part]]:
    """What does not depend on the question, once per chunk text: its sentences, their words
    (with and without what a referring sentence borrows) and their roles. Cached: the chunks
    that questions retrieve recur."""
    spans = sentence_spans(text) or [(0, len(text))]
    words, owns = _sentence_words(text, spans)
    return spans, words, owns, classify_all(text, spans)


def _sentence_words(text: str, spans: list[tuple[int, int]]) -> tuple[list[set[str]], list[set[str]]]:
    """Each sentence's content words, and its own ones: one that opens by referring back ("Its
    lighthouse is green") also gets the previous sentence's words, which name what it refers to."""
    words: list[set[str]] = []
    owns: list[set[str]] = []
    for n, (start, end) in enumerate(spans):
        own = set(terms(text[start:end]))
        owns.append(own)
        first = text[start:end].split(maxsplit=1)[0].lower().strip("\"'“‘(,") if end > start else ""
        words.append(own | words[n - 1] if n and first in REFERRING else own)
    return words, owns

