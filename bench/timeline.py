"""How long a story's timeline takes on real news, and how full it is.

    python -m bench.timeline [--limit N] [--seed 0]

Every RealTimeQA 2024 question (`../shared/eval/realtimeqa-2024`) is taken as a timeline topic over
the articles the quiz's web searches returned (all weeks: one index, built once and cached in
`bench/.cache/` by `bench.conflicts.realtimeqa_assistant`), read against the question's own date.
Each topic is timed twice, in one run, alternating: as asked (a time word in it, "this week", sets
the period) and with an explicit period, the 14 days up to the question's date (the date-filtered
search). Extractive mode: no language model. Prints a table (p50/p95 of the whole call and of its
retrieval; lines and sources per timeline; share of empty ones) and writes it to
`bench/results/<date>-<host>-timeline.{md,json}`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False"),
                      ("GRADIO_ANALYTICS_ENABLED", "False"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)

from bench.conflicts import realtimeqa_assistant  # noqa: E402
from qa.api import build_embedder  # noqa: E402
from qa.config import load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PERIOD_DAYS = 14


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="topics drawn at random (default: all questions)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(None)
    settings.answer.mode = "extractive"
    embedder = build_embedder(settings)
    assistant, questions = realtimeqa_assistant(settings, embedder)
    topics = [q for q in questions if q.as_of]
    if args.limit:
        topics = random.Random(args.seed).sample(topics, min(args.limit, len(topics)))
    assistant.timeline(topics[0].text, as_of=topics[0].as_of)  # warm: caches, first ONNX call
    runs: dict[str, dict[str, list[float]]] = {"as asked": {}, f"last {PERIOD_DAYS} days": {}}
    for i, question in enumerate(topics):
        as_of = dt.date.fromisoformat(question.as_of)
        since = (as_of - dt.timedelta(days=PERIOD_DAYS - 1)).isoformat()
        calls = [("as asked", {}), (f"last {PERIOD_DAYS} days", {"since": since, "until": as_of.isoformat()})]
        for label, dates in (calls if i % 2 == 0 else calls[::-1]):
            started = time.perf_counter()
            timeline = assistant.timeline(question.text, as_of=as_of, **dates)
            total = (time.perf_counter() - started) * 1000
            run = runs[label]
            for key, value in (("total", total), ("retrieve", timeline.timings_ms["retrieve"]),
                               ("select", timeline.timings_ms["select"]), ("lines", len(timeline.entries)),
                               ("sources", len(timeline.sources)), ("empty", float(not timeline.entries)),
                               ("period", float(timeline.period is not None)),
                               ("copies", float(sum(len(c.also_in) for c in timeline.sources)))):
                run.setdefault(key, []).append(value)
    rows = []
    for label, run in runs.items():
        rows += [
            (f"timeline p50, {label}", _pct(run["total"], 50), "ms"),
            (f"timeline p95, {label}", _pct(run["total"], 95), "ms"),
            (f"  retrieve and score p50 / p95, {label}", f"{_pct(run['retrieve'], 50):.0f} / "
                                                         f"{_pct(run['retrieve'], 95):.0f}", "ms"),
            (f"  select p50, {label}", _pct(run["select"], 50), "ms"),
            (f"  lines per timeline, mean (median), {label}",
             f"{statistics.mean(run['lines']):.1f} ({statistics.median(run['lines']):.0f})", ""),
            (f"  sources per timeline, mean, {label}", statistics.mean(run["sources"]), ""),
            (f"  wire copies collapsed per timeline, mean, {label}", statistics.mean(run["copies"]), ""),
            (f"  empty timelines, {label}", 100 * statistics.mean(run["empty"]), "%"),
        ]
    rows.append(("topics whose words set a period (as asked)", 100 * statistics.mean(runs["as asked"]["period"]), "%"))
    header = (f"Timelines over RealTimeQA 2024 ({assistant.store.count()} chunks, {len(assistant.articles())} "
              f"articles), {len(topics)} topics, {platform.node()}, {os.cpu_count()} CPUs, "
              f"{embedder.backend}")
    lines = [header, "", "| measure | value | unit |", "|---|---|---|"]
    for measure, value, unit in rows:
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        lines.append(f"| {measure} | {shown} | {unit} |")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{dt.datetime.now():%Y-%m-%d-%H%M}-{platform.node()}-timeline"
    (RESULTS / f"{name}.md").write_text(text + f"\n\nCommand: python -m bench.timeline {' '.join(argv or [])}\n",
                                        encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps({"header": header, "rows": rows}, indent=1), encoding="utf-8")
    print(f"\nwrote {RESULTS / name}.md")


if __name__ == "__main__":
    main(sys.argv[1:])
