"""How often "Sources differ" fires on real news questions, what it costs, and a sample to judge.

    python -m bench.conflicts [--limit N] [--sample 20] [--seed 0]

Every RealTimeQA 2024 question (`../shared/eval/realtimeqa-2024`) is asked over the articles the
quiz's web searches returned (all weeks: one index, built once and cached in `bench/.cache/`),
through `Assistant.rank` and the extractive answer, and for each the conflict detection
(`qa.answering.conflicts`) is timed on its own and as part of the answer: the answer step with
conflicts off and on, alternating per question, in one run. It prints a table (questions,
how many fired, by kind; added time p50/p95) and writes the fired cases (question, values,
quotes) as a Markdown sample for judging by hand: `bench/results/<date>-conflicts-sample.md`,
and the figures as JSON beside it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False"),
                      ("GRADIO_ANALYTICS_ENABLED", "False"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)

from bench.corpus import CACHE, EVAL_DIR  # noqa: E402
from qa.answering.conflicts import KIND_NAMES, ConflictFinder  # noqa: E402
from qa.api import Assistant, build_embedder  # noqa: E402
from qa.config import Settings, load_settings  # noqa: E402
from qa.evaluation.datasets import load_dataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DATASET = EVAL_DIR / "realtimeqa-2024"
BATCH = 100  # articles per ingestion call: bounded memory, visible progress
logger = logging.getLogger("bench.conflicts")


def realtimeqa_assistant(settings: Settings, embedder) -> tuple[Assistant, list]:  # noqa: ANN001
    """An assistant over every RealTimeQA 2024 article (indexed once into `bench/.cache/`,
    reused after), and the dataset's questions."""
    data = load_dataset(DATASET, "realtimeqa")
    space = embedder.space.replace(" ", "").replace("(", "-").replace(")", "")
    data_dir = CACHE / f"realtimeqa-2024-{space}"
    own = settings.model_copy(deep=True)
    own.data.dir = data_dir
    own.store.collection = "realtimeqa"
    assistant = Assistant(own, embedder=embedder)
    done = data_dir / "complete"
    if not done.exists():
        started = time.perf_counter()
        for first in range(0, len(data.articles), BATCH):
            added, _ = assistant.ingest_articles(data.articles[first:first + BATCH])
            print(f"indexed articles {first + 1}-{min(first + BATCH, len(data.articles))} of {len(data.articles)}: "
                  f"{added} chunks added, {time.perf_counter() - started:.0f} s", flush=True)
        done.write_text(f"{assistant.store.count()} chunks\n", encoding="utf-8")
    return assistant, data.questions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="questions drawn at random (default: all)")
    parser.add_argument("--sample", type=int, default=20, help="fired cases written for judging by hand")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build-only", action="store_true", help="build the cached index and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(None)
    embedder = build_embedder(settings)
    assistant, questions = realtimeqa_assistant(settings, embedder)
    print(f"index: {assistant.store.count()} chunks", flush=True)
    if args.build_only:
        return
    if args.limit:
        questions = random.Random(args.seed).sample(questions, min(args.limit, len(questions)))
    finder = assistant.pipeline.conflicts or ConflictFinder()
    rows = [measure(assistant, finder, q, n) for n, q in enumerate(questions)]
    report(rows, assistant.store.count(), args)


@dataclasses.dataclass
class Measured:
    question: str
    as_of: str | None
    kind: str | None
    outcome: str
    rank_ms: float
    answer_off_ms: float  # the answer step with conflict detection off
    answer_on_ms: float  # ... and on (the same ranking)
    find_ms: float  # conflict detection alone
    answer: str
    conflict: dict | None  # kind, text, values: [{value, n, date, title, quote}]


def measure(assistant: Assistant, finder: ConflictFinder, question, n: int) -> Measured:  # noqa: ANN001
    """One question: ranked once, answered with conflict detection off and on (alternating which
    goes first), and the detection timed alone."""
    started = time.perf_counter()
    ranking = assistant.rank(question.text, as_of=question.as_of)
    rank_ms = (time.perf_counter() - started) * 1000
    timings = {}
    answers = {}
    for on in ((False, True) if n % 2 else (True, False)):
        assistant.pipeline.conflicts = finder if on else None
        started = time.perf_counter()
        answers[on] = assistant.answer_ranking(ranking)
        timings[on] = (time.perf_counter() - started) * 1000
    assistant.pipeline.conflicts = finder
    decision = assistant.decider.decide(ranking.query, ranking.chunks[:assistant.pipeline.limits.top_k])
    started = time.perf_counter()
    finder.find(ranking.query, decision)
    find_ms = (time.perf_counter() - started) * 1000
    answer = answers[True]
    conflict = None
    if answer.conflicts:
        c = answer.conflicts[0]
        by_n = {cite.n: cite for cite in answer.citations}
        conflict = {"kind": c.kind, "text": c.text,
                    "values": [{"value": v.value, "n": v.n, "date": v.date, "title": by_n[v.n].title,
                                "source": by_n[v.n].source, "quote": by_n[v.n].quote} for v in c.values]}
    return Measured(question.text, question.as_of, ranking.query.kind, answer.outcome, rank_ms, timings[False],
                    timings[True], find_ms, answer.text, conflict)


def report(rows: list[Measured], chunks: int, args: argparse.Namespace) -> None:
    fired = [r for r in rows if r.conflict]
    kinds = Counter(r.kind for r in rows if r.kind in KIND_NAMES)
    answered_kinds = Counter(r.kind for r in rows if r.kind in KIND_NAMES and r.outcome == "answered")
    fired_kinds = Counter(r.kind for r in fired)
    added = [r.answer_on_ms - r.answer_off_ms for r in rows]
    totals_on = [r.rank_ms + r.answer_on_ms for r in rows]
    totals_off = [r.rank_ms + r.answer_off_ms for r in rows]
    table = [
        ("questions", len(rows), ""),
        ("asking for an amount, count, date, person or place", sum(kinds.values()), _counts(kinds)),
        ("... of those answered", sum(answered_kinds.values()), _counts(answered_kinds)),
        ("conflicts fired", len(fired), _counts(fired_kinds)),
        ("conflict detection alone, p50 / p95 (ms)", f"{_pct([r.find_ms for r in rows], 50):.2f} / "
                                                     f"{_pct([r.find_ms for r in rows], 95):.2f}", ""),
        ("answer step, conflicts off, p50 / p95 (ms)", _pair([r.answer_off_ms for r in rows]), ""),
        ("answer step, conflicts on, p50 / p95 (ms)", _pair([r.answer_on_ms for r in rows]), ""),
        ("added per question (on - off), p50 / p95 (ms)", _pair(added), "same ranking, order alternated"),
        (f"whole question ({chunks} chunks), off, p50 / p95 (ms)", _pair(totals_off), "rank + answer"),
        (f"whole question ({chunks} chunks), on, p50 / p95 (ms)", _pair(totals_on), "target p95 <= 60 at 10k chunks"),
    ]
    lines = ["| measure | value | note |", "| --- | --- | --- |"] + [f"| {a} | {b} | {c} |" for a, b, c in table]
    print("\n".join(lines))
    stamp = dt.datetime.now().strftime("%Y-%m-%d")
    RESULTS.mkdir(parents=True, exist_ok=True)
    sample = random.Random(args.seed).sample(fired, min(args.sample, len(fired)))
    (RESULTS / f"{stamp}-conflicts.json").write_text(json.dumps(
        {"command": "python -m bench.conflicts" + (f" --limit {args.limit}" if args.limit else ""),
         "host": platform.node(), "chunks": chunks, "table": table,
         "rows": [dataclasses.asdict(r) for r in rows]}, indent=1) + "\n", encoding="utf-8")
    out = [f"# Conflicts on RealTimeQA 2024: a sample of {len(sample)} of {len(fired)} fired", "",
           f"`python -m bench.conflicts` over {len(rows)} questions, {chunks} chunks, {stamp}.", "",
           "\n".join(lines), "",
           "Judgement per case: **real disagreement** (the sources state different values of what was asked), "
           "**extraction error** (a value misread: another quantity, a wrong span), or **different things** "
           "(right values, but of different events, places or times).", ""]
    for n, r in enumerate(sample, start=1):
        out += [f"## {n}. {r.question}", "", f"- as of {r.as_of}; kind {r.kind}; {r.conflict['text']}",
                f"- answer: {r.answer}"]
        for v in r.conflict["values"]:
            out.append(f"- **{v['value']}** [{v['n']}] ({v['date']}, {v['title']}): \"{v['quote']}\"")
        out += ["- judgement: ", ""]
    path = RESULTS / f"{stamp}-conflicts-sample.md"
    path.write_text("\n".join(out), encoding="utf-8")
    print(f"sample: {path}")


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _pair(values: list[float]) -> str:
    return f"{_pct(values, 50):.2f} / {_pct(values, 95):.2f}"


if __name__ == "__main__":
    main(sys.argv[1:])
