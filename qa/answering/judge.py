"""Does this sentence answer the question? A small learned judge over the scores we already have.

One similarity threshold cannot tell "about the subject" from "holds the asked-for detail". The
judge is a logistic model over 23 features of a candidate sentence and its chunk (evidence,
cosine, lexical coverage, whether the kind of answer asked for is present, late-interaction
alignment, keyword rank, the gaps to the best chunk and sentence, the question's words missing
from the chunk, how much the sentence says beyond the question ...) and of how its match to each
question word compares with the other candidates' (`contrast`). It gives each quotable
sentence a probability that it holds the answer; the best one is quoted, and the probability
decides between "answered" and "uncertain".

It is trained by `make train-judge` (`qa.evaluation.train_judge`) on data the project has, split
by article: SQuAD v1.1 dev articles that are not in the SQuAD 2.0 file (half of them; the other
half is held out), the same articles with the answer sentences of some questions removed (hard
negatives: on topic, detail missing), and the natural tune set in `tests/data/natural/tune`.
The weights are a small JSON file (`qa/answering/judge.json`) loaded at start-up; without it the
evidence threshold decides, as before.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answering.scoring import Query, ScoredChunk, ScoredSentence

logger = logging.getLogger(__name__)

JUDGE_PATH = Path(__file__).with_name("judge.json")
FEATURES = (
    "evidence", "cosine", "lexical", "asks_type", "type_match", "type_missing", "late", "chunk_gap",
    "evidence_gap", "keyword", "chunk_cosine", "chunk_missing", "novelty", "log_length", "is_list",
    "chunk_rank", "sentence_late",
    # How each question word's match in this sentence compares with the other candidates' (`contrast`).
    "token_contrast", "token_unique", "token_contrast_max", "token_weighted", "token_unique_max",
    "token_weighted_gap",
)
CONTRAST = 6  # the last FEATURES, computed across candidates
SHORTLIST = 8  # candidates the judge weighs: the most evidence and token match


def features(query: Query, chunks: Sequence[ScoredChunk], sentence: ScoredSentence, chunk: ScoredChunk,
             best_evidence: float) -> list[float]:
    """The judge's inputs for one candidate sentence of `chunk` that need no other candidate
    (FEATURES but the last `CONTRAST`)."""
    asks = query.kind is not None
    return [
        sentence.evidence,
        sentence.cosine,
        sentence.lexical,
        float(asks),
        float(asks and sentence.type_match),
        float(asks and not sentence.type_match),
        chunk.late,
        chunks[0].score - chunk.score if chunks else 0.0,
        best_evidence - sentence.evidence,
        chunk.keyword,
        chunk.hit.score,
        chunk.missing,
        sentence.novelty,
        math.log1p(len(sentence.text)),
        float(sentence.role == "list"),
        1.0 / (1 + chunk.rank),
        sentence.late,
    ]


def candidates(chunks: Sequence[ScoredChunk]) -> list[tuple[ScoredSentence, ScoredChunk]]:
    """Every quotable sentence once (overlapping chunks repeat sentences), best chunk first."""
    seen: set[tuple[str, int]] = set()
    out = []
    for chunk in chunks:
        for sentence in chunk.sentences:
            if sentence.quotable and sentence.key not in seen:
                seen.add(sentence.key)
                out.append((sentence, chunk))
    return out


def shortlist(pairs: Sequence[tuple[ScoredSentence, ScoredChunk]], late_weight: float = 0.5,
              size: int = SHORTLIST) -> list[tuple[ScoredSentence, ScoredChunk]]:
    """The `size` candidates with the most evidence plus token match, and up to `size // 2` more
    that hold the kind of answer asked for: what the judge weighs. ("How much do the glasses
    weigh?" must weigh "The glasses weigh 49 grams" even when sentences about the glasses
    in general score higher.)"""
    ranked = sorted(pairs, key=lambda pair: -(pair[0].evidence + late_weight * pair[1].late))
    typed = [pair for pair in ranked[size:] if pair[0].type_match][: size // 2]
    return ranked[:size] + typed


def feature_matrix(query: Query, chunks: Sequence[ScoredChunk],
                   pairs: Sequence[tuple[ScoredSentence, ScoredChunk]]) -> np.ndarray:
    best = max((s.evidence for s, _ in pairs), default=0.0)
    own = np.asarray([features(query, chunks, s, c, best) for s, c in pairs], dtype=np.float64).reshape(
        len(pairs), len(FEATURES) - CONTRAST)
    return np.hstack([own, contrast([s for s, _ in pairs], chunks, len(query.tokens), query.own_tokens)])


def contrast(shortlisted: Sequence[ScoredSentence], chunks: Sequence[ScoredChunk], n_tokens: int,
             own_tokens: int = 0) -> np.ndarray:
    """Each shortlisted sentence's question-word matches against the other candidates' (the
    quotable sentences of `chunks`), one row each, in the order of the last CONTRAST FEATURES.
    Only the question's own words count: the last `own_tokens` of the `n_tokens` matched (0: all),
    not a follow-up's previous question, whose words single out the sentence that answered it.

    Similarity cannot tell the sentence holding the asked detail from one on the same subject:
    the subject's words ("Skylark", "strike") match every candidate alike. What tells them apart
    is the word only one candidate matches ("burst" ~ "ruptured"). So each question word's best
    cosine in a sentence (`ScoredSentence.token_match`) is compared with its mean over the
    candidates (contrast), with its best in any other candidate (unique), and the words are
    weighted by how much their matches vary across candidates (weighted). Measured on the natural
    sets (README, "The answer judge's token contrast").
    """
    rows = np.zeros((len(shortlisted), CONTRAST))
    seen: set[tuple[str, int]] = set()
    pool = []
    for chunk in chunks:
        for sentence in chunk.sentences:
            if sentence.quotable and sentence.token_match is not None and sentence.key not in seen:
                seen.add(sentence.key)
                pool.append(sentence.token_match)
    if not pool or n_tokens == 0 or len(shortlisted) == 0:
        return rows
    first = n_tokens - own_tokens if 0 < own_tokens < n_tokens else 0
    everyone = np.stack(pool).astype(np.float64)[:, first:]
    matches = np.stack([s.token_match if s.token_match is not None else np.zeros(n_tokens)
                        for s in shortlisted]).astype(np.float64)[:, first:]
    mean = everyone.mean(axis=0)
    spread = everyone.std(axis=0)
    weights = spread / max(float(spread.sum()), 1e-6)
    ordered = np.sort(everyone, axis=0)
    top, second = ordered[-1], ordered[-2] if len(everyone) > 1 else ordered[-1]
    best_other = np.where(np.isclose(matches, top), second, top)  # the best match in any other candidate
    above_mean, unique = matches - mean, matches - best_other
    weighted = matches @ weights
    rows[:] = np.stack([above_mean.mean(axis=1), unique.mean(axis=1), above_mean.max(axis=1), weighted,
                        unique.max(axis=1), weighted - weighted.max()], axis=1)
    return rows


@dataclass(frozen=True)
class Judge:
    """A fitted logistic model: p = sigmoid(((x - mean) / scale) . coef + intercept).

    `answer_at` is the probability from which the best sentence counts as answering.
    """

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    answer_at: float
    trained_on: dict

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "coef": [round(float(v), 4) for v in self.coef],
                "intercept": round(float(self.intercept), 4), "mean": [round(float(v), 4) for v in self.mean],
                "scale": [round(float(v), 4) for v in self.scale], "answer_at": round(float(self.answer_at), 4),
                "trained_on": self.trained_on}

    @classmethod
    def from_dict(cls, data: dict) -> Judge:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError(f"the judge was trained on features {data.get('features')}, this code computes "
                             f"{list(FEATURES)}: retrain it with `make train-judge`")
        return cls(np.asarray(data["coef"], dtype=np.float64), float(data["intercept"]),
                   np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                   float(data["answer_at"]), dict(data.get("trained_on", {})))

    def save(self, path: Path = JUDGE_PATH) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


def load_judge(path: Path | None = JUDGE_PATH) -> Judge | None:
    """The trained judge, or None (with a warning) when the file is missing or unreadable."""
    if path is None or not Path(path).exists():
        return None
    try:
        return Judge.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("answer judge %s not used (%s); the evidence threshold decides", path, exc)
        return None
