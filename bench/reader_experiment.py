"""Would a fine-tuned reader (cross-encoder) help the answer judge? The experiment behind the
README's "A reader ... Two attempts on CPU, neither kept", kept so it can be rerun (on a GPU
machine, or with more training data) instead of rewritten.

    python -m bench.reader_experiment [--eval-dir ../shared/eval] [--epochs 2] [--work /tmp/reader]

1. Shortlists: every question of each set goes through the answer path with the evidence rule
   (as `make train-judge` does); each shortlisted sentence (`qa.answering.judge.shortlist`) is a pair
   (question as resolved, sentence) labelled 1 when it holds a gold answer.
2. Reader: the bundled all-MiniLM-L6-v2 with a one-logit head, word embeddings frozen, trained
   with binary cross-entropy on the 8 held-out SQuAD v1.1 articles, their redacted copies and
   the natural sets train-a/b/c (2 epochs, about 23 minutes on 2 cores). Fixed seeds.
3. Judge + reader: the judge's logistic model refitted with the reader's logit as one more
   feature on data the reader never saw (the judge's SQuAD articles, their redacted copies,
   the natural tune set), with and without that feature, its bar set as `make train-judge` sets it.
4. Printed for the natural test and holdout sets and 1,000 SQuAD 2.0 questions (seed 0), on
   the same shortlists: quote holds (the top candidate holds a gold), unanswerable questions
   under the bar at 10% of answerable ones uncertain, and the AUC of the best score between
   answerable and unanswerable questions.

Needs torch and transformers (the `dev` install has both). Nothing here is used by the product.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.api import Assistant, build_embedder
from qa.config import load_settings
from qa.evaluation.datasets import load_squad
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.metrics import contains_answer
from qa.evaluation.natural import load_natural
from qa.evaluation.runner import build_index
from qa.evaluation.train_judge import SEED, fit_logistic, redact, squad_split
from qa.answering.judge import FEATURES, candidates, feature_matrix, load_judge, shortlist

ROOT = Path(__file__).resolve().parents[1]
NATURAL = ROOT / "tests" / "data" / "natural"


@dataclass
class Shortlist:
    """One question's candidates: the question as answered, their texts, labels, judge features."""

    question: str
    answerable: bool
    texts: list[str]
    y: np.ndarray
    x: np.ndarray
    reader: np.ndarray = field(default_factory=lambda: np.zeros(0))


def shortlists(assistant: Assistant, questions: list[EvalQuestion]) -> list[Shortlist]:
    out = []
    top_k = assistant.settings.retrieval.top_k
    for q in questions:
        trace = assistant.trace(q.text, list(q.history), as_of=q.as_of)
        chunks = trace.chunks[:top_k]
        pairs = shortlist(candidates(chunks), assistant.weights.selection_late)
        if pairs:
            out.append(Shortlist(trace.query.question, q.answerable, [s.text for s, _ in pairs],
                                 np.asarray([float(q.answerable and contains_answer(s.text, q.golds))
                                             for s, _ in pairs]),
                                 feature_matrix(trace.query, chunks, pairs)))
    return out


def collect(eval_dir: Path, work: Path) -> dict[str, list[Shortlist]]:
    settings = load_settings(None)
    settings.answer.judge = False
    embedder = build_embedder(settings)
    squad = load_squad(eval_dir / "squad-v1.1-dev.json")
    judge_titles, reader_titles = squad_split(eval_dir)

    def squad_part(titles: list[str]) -> Dataset:
        return Dataset("squad", "squad", [a for a in squad.articles if a.id in titles],
                       [q for q in squad.questions if q.article_id in titles])

    squad2 = load_squad(eval_dir / "squad-v2.0-dev.json")
    sources = {
        "reader-squad": squad_part(reader_titles), "reader-redacted": redact(squad, reader_titles, random.Random(SEED)),
        "judge-squad": squad_part(judge_titles), "judge-redacted": redact(squad, judge_titles, random.Random(SEED)),
        "squad2": Dataset("squad2", "squad", squad2.articles, random.Random(0).sample(squad2.questions, 1000)),
    }
    for name in ("train-a", "train-b", "train-c", "tune", "test", "holdout"):
        sources[name] = load_natural(NATURAL / name)
    rows = {}
    for n, (name, dataset) in enumerate(sources.items()):
        assistant, _ = build_index(dataset, settings, embedder, work / f"index-{n}")
        rows[name] = shortlists(assistant, dataset.questions)
        logging.info("%s: %d questions, %d pairs", name, len(rows[name]), sum(len(r.texts) for r in rows[name]))
    return rows


def train_reader(rows: list[Shortlist], epochs: float, out: Path, batch: int = 16, lr: float = 5e-5):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from index.embedding.embed import BUNDLED_MODEL, resolve_model_path

    torch.manual_seed(0)
    pairs = list(dict.fromkeys((r.question, t, float(y)) for r in rows for t, y in zip(r.texts, r.y, strict=True)))
    path = resolve_model_path(BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = "word_embeddings" not in name  # half the weights; keeps it small
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    total = int(math.ceil(len(pairs) / batch) * epochs)
    warmup = max(1, int(0.1 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: s / warmup if s < warmup else max(0.0, (total - s) / (total - warmup)))
    rng, step, started = random.Random(0), 0, time.time()
    model.train()
    while step < total:
        order = pairs[:]
        rng.shuffle(order)
        # Batches of similar length (less padding), in random order.
        blocks = [sorted(order[i:i + batch * 50], key=lambda p: len(p[0]) + len(p[1]))
                  for i in range(0, len(order), batch * 50)]
        batches = [block[j:j + batch] for block in blocks for j in range(0, len(block), batch)]
        rng.shuffle(batches)
        for chunk in batches[: total - step]:
            encoded = tokenizer([p[0] for p in chunk], [p[1] for p in chunk], truncation="only_second",
                                max_length=128, padding=True, return_tensors="pt")
            logits = model(**encoded).logits.squeeze(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([p[2] for p in chunk]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 200 == 0:
                logging.info("step %d/%d, loss %.3f, %.0f s", step, total, loss.item(), time.time() - started)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return model.eval(), tokenizer


def score(model, tokenizer, rows: list[Shortlist]) -> None:  # noqa: ANN001
    import torch

    with torch.no_grad():
        for r in rows:
            encoded = tokenizer([r.question] * len(r.texts), r.texts, truncation="only_second", max_length=128,
                                padding=True, return_tensors="pt")
            r.reader = model(**encoded).logits.squeeze(-1).numpy().astype(np.float64).reshape(-1)


def judge_with(train: list[list[Shortlist]], reader: bool):
    """Refit the judge (with the reader's logit as a feature, or without); (probability fn, bar)."""
    def inputs(r: Shortlist) -> np.ndarray:
        return np.hstack([r.x, r.reader[:, None]]) if reader else r.x

    x = np.vstack([inputs(r) for rows in train for r in rows])
    y = np.concatenate([r.y for rows in train for r in rows])
    sizes = [sum(len(r.y) for r in rows) for rows in train]
    weight = np.concatenate([np.full(n, len(y) / (len(train) * n)) for n in sizes])
    coef, intercept, mean, scale = fit_logistic(x, y, sample_weight=weight)

    def probability(r: Shortlist) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(((inputs(r) - mean) / scale) @ coef + intercept)))

    asks, held = FEATURES.index("asks_type"), FEATURES.index("type_match")
    best = sorted(float(probability(r)[(r.x[:, asks] == 0) | (r.x[:, held] == 1)].max(initial=-1.0))
                  for r in train[0] if r.answerable and r.y.any())
    return probability, best[int(0.1 * len(best))]


def report(name: str, label: str, rows: list[Shortlist], probability, bar: float | None) -> None:  # noqa: ANN001
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    holds = np.mean([r.y[int(np.argmax(probability(r)))] > 0 for r in answerable])
    best_a = np.array([probability(r).max() for r in answerable])
    best_u = np.array([probability(r).max() for r in unanswerable])
    line = f"{name:8s} {label:22s} quote holds {holds:.3f}"
    if len(best_u):
        at_10 = np.mean(best_u < np.quantile(best_a, 0.1))
        auc = np.mean([(a > u) + 0.5 * (a == u) for a in best_a for u in best_u])
        line += f"  unanswerable under the 10% point {at_10:.3f}  AUC {auc:.3f}"
        if bar is not None:
            line += f"  at the bar: answerable uncertain {np.mean(best_a < bar):.3f}, unanswerable {np.mean(best_u < bar):.3f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    work = args.work or Path(tempfile.mkdtemp(prefix="reader-"))
    rows = collect(args.eval_dir, work)
    reader_rows = [r for name in ("reader-squad", "reader-redacted", "train-a", "train-b", "train-c") for r in rows[name]]
    model, tokenizer = train_reader(reader_rows, args.epochs, work / "reader")
    measured = ("test", "holdout", "squad2")
    for name in ("judge-squad", "judge-redacted", "tune", *measured):
        score(model, tokenizer, rows[name])
    committed = load_judge()
    judge_train = [rows["judge-squad"], rows["judge-redacted"], rows["tune"]]
    without, bar_without = judge_with(judge_train, reader=False)
    with_reader, bar_with = judge_with(judge_train, reader=True)
    for name in measured:
        if committed is not None:
            report(name, "committed judge", rows[name], lambda r: committed.probabilities(r.x), committed.answer_at)
        report(name, "reader alone", rows[name], lambda r: r.reader, None)
        report(name, "judge refit, no reader", rows[name], without, bar_without)
        report(name, "judge refit + reader", rows[name], with_reader, bar_with)
    print(f"reader weights: {work / 'reader'}")


if __name__ == "__main__":
    main()
