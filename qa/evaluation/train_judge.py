"""Train the answer judge (`qa.answering.judge`) on data the project has, split by article.

    python -m qa.evaluation.train_judge [--eval-dir ../shared/eval] [--out qa/answering/judge.json]

(`make train-judge`.) Deterministic (fixed seeds, Newton's method); a few minutes on 2 cores.

Training data, never the articles anything is measured on:
- SQuAD v1.1 dev articles that are not in the SQuAD 2.0 file, sorted by title, every other one
  (8 articles); the other 8 and all of SQuAD 2.0 stay held out.
- The same 8 articles with the answer sentences of a third of their questions removed: those
  questions become hard negatives, on topic with their detail missing (the answer must then
  occur nowhere in the redacted article, or the question is dropped).
- The natural training sets, `tests/data/natural/{tune,train-a,train-b,train-c}` (written for this
  project; their articles share nothing with the test and holdout sets), indexed together, so
  that each question has the others' articles as distractors.

Each question runs through the answer path with the evidence rule (`answer.judge: false`); each
shortlisted sentence of the top chunks (`qa.answering.judge.shortlist`) is a row labelled 1 when it holds a gold answer (0 for all
rows of a question with no answer). Each source weighs the same in the fit. The bar `answer_at`
is the probability under which at most `--max-unanswered` of the answerable SQuAD training
questions whose answer was among the candidates would fall.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.models import Article
from index.loading.text import sentence_spans
from qa.api import Assistant, build_embedder
from qa.config import Settings, load_settings
from qa.evaluation.datasets import load_squad
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.metrics import contains_answer
from qa.evaluation.natural import load_natural
from qa.evaluation.runner import build_index
from qa.answering.judge import FEATURES, JUDGE_PATH, Judge, candidates, feature_matrix, shortlist

logger = logging.getLogger(__name__)

SEED = 20261126
REDACTED_SHARE = 1 / 3
ROOT = Path(__file__).resolve().parents[2]


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 50,
                 sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """L2-regularized logistic regression by Newton's method: (coef, intercept, mean, scale).

    Inputs are standardized first, so `l2` treats every feature alike. Deterministic.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    weights = np.ones(len(x)) if sample_weight is None else sample_weight
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (weights * (p - y)) + penalty * w
        hessian = (z * (weights * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1]), mean, scale


@dataclass
class Rows:
    """Feature rows of one source: x, labels, the question each row belongs to."""

    name: str
    x: np.ndarray
    y: np.ndarray
    question: np.ndarray
    answerable: np.ndarray  # per row: its question has an answer


def squad_split(eval_dir: Path) -> tuple[list[str], list[str]]:
    """(training titles, held-out titles) of SQuAD v1.1 dev, none of them in SQuAD 2.0."""
    v1 = [d["title"] for d in json.loads((eval_dir / "squad-v1.1-dev.json").read_text(encoding="utf-8"))["data"]]
    v2 = {d["title"] for d in json.loads((eval_dir / "squad-v2.0-dev.json").read_text(encoding="utf-8"))["data"]}
    titles = sorted(t for t in v1 if t not in v2)
    return titles[0::2], titles[1::2]


def redact(dataset: Dataset, titles: list[str], rng: random.Random) -> Dataset:
    """The articles with the sentences holding the answers of a third of their questions
    removed; those questions, now unanswerable, are the dataset's questions."""
    articles, questions = [], []
    for article in (a for a in dataset.articles if a.id in titles):
        asked = [q for q in dataset.questions if q.article_id == article.id]
        chosen = rng.sample(asked, int(len(asked) * REDACTED_SHARE))
        spans = sentence_spans(article.text)
        drop = {span for q in chosen for span in spans
                if any(g.lower() in article.text[span[0]:span[1]].lower() for g in q.golds)}
        text = "".join(article.text[s:e] + ("\n\n" if "\n\n" in article.text[e:e + 3] else " ")
                       for s, e in spans if (s, e) not in drop).strip()
        articles.append(Article(id=article.id, title=article.title, text=text, source=article.source))
        for q in chosen:
            if not any(contains_answer(text, [g]) for g in q.golds):
                questions.append(EvalQuestion(id=f"{q.id}-redacted", text=q.text, answerable=False,
                                              article_id=q.article_id))
    return Dataset("squad-redacted", "squad", articles, questions)


def collect(assistant: Assistant, dataset: Dataset, questions: list[EvalQuestion]) -> Rows:
    """Feature rows of the shortlisted candidate sentences of every question (what the judge
    weighs at answer time, `Decider.decide`)."""
    xs, ys, qs, answerable = [], [], [], []
    top_k = assistant.settings.retrieval.top_k
    for n, question in enumerate(questions):
        trace = assistant.trace(question.text, list(question.history), as_of=question.as_of)
        chunks = trace.chunks[:top_k]
        pairs = shortlist(candidates(chunks), assistant.weights.selection_late)
        if not pairs:
            continue
        xs.append(feature_matrix(trace.query, chunks, pairs))
        ys.extend(float(question.answerable and contains_answer(s.text, question.golds)) for s, _ in pairs)
        qs.extend([n] * len(pairs))
        answerable.extend([question.answerable] * len(pairs))
    return Rows(dataset.name, np.vstack(xs), np.asarray(ys), np.asarray(qs), np.asarray(answerable))


def answer_bar(judge: Judge, rows: Rows, max_unanswered: float) -> float:
    """The highest probability bar under which at most `max_unanswered` of the answerable
    questions with their answer among the candidates would fall."""
    p = judge.probabilities(rows.x)
    asks, held = FEATURES.index("asks_type"), FEATURES.index("type_match")
    best = []
    for q in np.unique(rows.question[rows.answerable]):
        mask = rows.question == q
        if rows.y[mask].any():
            # As `Decider.decide`: only a sentence holding the kind asked for can answer.
            eligible = (rows.x[mask, asks] == 0) | (rows.x[mask, held] == 1)
            best.append(float(p[mask][eligible].max()) if eligible.any() else -1.0)
    best.sort()
    allowed = int(max_unanswered * len(best))
    return float(np.floor(best[min(allowed, len(best) - 1)] * 10_000) / 10_000)


NATURAL_SETS = ("tune", "train-a", "train-b", "train-c")


def natural_training(dirs: list[Path]) -> Dataset:
    """The natural training sets as one dataset: all their articles in one index."""
    sets = [load_natural(d) for d in dirs]
    return Dataset("natural-train", "natural", [a for s in sets for a in s.articles],
                   [q for s in sets for q in s.questions])


def train(settings: Settings, eval_dir: Path, natural_dirs: list[Path], workdir: Path, *, l2: float = 1.0,
          max_unanswered: float = 0.10) -> tuple[Judge, dict]:
    settings = settings.model_copy(deep=True)
    settings.answer.judge = False  # features come from the rule's path, with nothing learned in it
    embedder = build_embedder(settings)
    train_titles, held_out = squad_split(eval_dir)
    squad = load_squad(eval_dir / "squad-v1.1-dev.json")
    squad_train = Dataset("squad-train", "squad", [a for a in squad.articles if a.id in train_titles],
                          [q for q in squad.questions if q.article_id in train_titles])
    redacted = redact(squad, train_titles, random.Random(SEED))
    natural = natural_training(natural_dirs)
    sources = []
    for n, dataset in enumerate((squad_train, redacted, natural)):
        assistant, _ = build_index(dataset, settings, embedder, workdir / f"source-{n}")
        sources.append(collect(assistant, dataset, dataset.questions))
        logger.info("%s: %d questions, %d rows", dataset.name, len(dataset.questions), len(sources[-1].y))
    x = np.vstack([r.x for r in sources])
    y = np.concatenate([r.y for r in sources])
    weight = np.concatenate([np.full(len(r.y), len(y) / (len(sources) * len(r.y))) for r in sources])
    coef, intercept, mean, scale = fit_logistic(x, y, l2=l2, sample_weight=weight)
    info = {"command": "make train-judge", "seed": SEED, "l2": l2, "max_unanswered": max_unanswered,
            "squad_v1_train_articles": train_titles, "squad_v1_held_out_articles": held_out,
            "sources": {r.name: {"rows": int(len(r.y)), "positives": int(r.y.sum()),
                                 "questions": int(len(np.unique(r.question)))} for r in sources},
            "natural": [str(d.relative_to(ROOT)) if d.is_relative_to(ROOT) else str(d) for d in natural_dirs]}
    judge = Judge(coef, intercept, mean, scale, 0.5, info)
    bar = answer_bar(judge, sources[0], max_unanswered)
    judge = Judge(coef, intercept, mean, scale, bar, info)
    return judge, {r.name: r for r in sources}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--natural", type=Path, nargs="+",
                        default=[ROOT / "tests" / "data" / "natural" / name for name in NATURAL_SETS])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=JUDGE_PATH)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--max-unanswered", type=float, default=0.10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="qa-train-") as tmp:
        judge, _ = train(load_settings(args.config), args.eval_dir, args.natural, Path(tmp), l2=args.l2,
                         max_unanswered=args.max_unanswered)
    judge.save(args.out)
    width = max(len(f) for f in FEATURES)
    for name, value in sorted(zip(FEATURES, judge.coef, strict=True), key=lambda kv: -abs(kv[1])):
        print(f"{name.ljust(width)}  {value:+.3f}")
    print(f"answer_at {judge.answer_at:.4f}; wrote {args.out}")


if __name__ == "__main__":
    main()
