"""Evaluation results -> a table for the terminal, report.md, metrics.json and PNG plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from qa.evaluation.metrics import first_relevant_rank, recall_at_k, recall_of_set
from qa.evaluation.runner import METRIC_KEYS, EvalResult


def fmt(value: float | None, key: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"


def table(ours: EvalResult, baseline: EvalResult | None = None) -> str:
    """Metrics side by side, one row per measure."""
    rows = [("measure", "this project", "tutorial recipe" if baseline else "")]
    for key in METRIC_KEYS:
        rows.append((key, fmt(ours.metrics[key], key), fmt(baseline.metrics[key], key) if baseline else ""))
    for key, value in ours.extra.get("stages", {}).items():
        other = baseline.extra["stages"][key] if baseline else None
        rows.append((key, fmt(value, key), fmt(other, key) if baseline else ""))
    rows.append(("ingest chunks/s", f"{ours.ingest['chunks_per_s']:.1f}",
                 f"{baseline.ingest['chunks_per_s']:.1f}" if baseline else ""))
    rows.append(("abstain threshold", fmt(ours.threshold), fmt(baseline.threshold) if baseline else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _summary(result: EvalResult) -> dict[str, Any]:
    return {"dataset": result.dataset, "format": result.format, "questions": result.questions,
            "threshold": None if math.isnan(result.threshold) else result.threshold,
            "metrics": result.metrics, "latency_stages_ms": result.extra.get("stages", {}), "ingest": result.ingest}


def write_report(directory: Path, ours: EvalResult, baseline: EvalResult | None, command: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = {"command": command, "project": _summary(ours)}
    if baseline:
        data["baseline"] = _summary(baseline)
    (directory / "metrics.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    written = [directory / "metrics.json", *_plots(directory, ours, baseline)]
    md = [f"# Evaluation: {ours.dataset}", "", f"`{command}`", "",
          f"{ours.questions} questions, {ours.ingest['articles']} articles, {ours.ingest['chunks']} chunks.", "",
          "```", table(ours, baseline), "```", ""]
    md += [f"![{p.stem}]({p.name})" for p in written if p.suffix == ".png"]
    (directory / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return [directory / "report.md", *written]


def _recall_curve(result: EvalResult, ks: list[int]) -> list[float]:
    if result.format == "beir":
        return [sum(recall_of_set(r.ranking, r.question.relevant, k) for r in result.results) / len(result.results)
                for k in ks]
    ranks = [first_relevant_rank([f == "1" for f in r.ranking]) for r in result.results if r.question.answerable]
    return [recall_at_k(ranks, k) for k in ks]


def _plots(directory: Path, ours: EvalResult, baseline: EvalResult | None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    paths = []
    ks = list(range(1, 101 if ours.format == "beir" else 11))
    fig, ax = plt.subplots(figsize=(6, 4))
    for result, label in ((ours, "this project"), (baseline, "tutorial recipe")):
        if result and result.results:
            ax.plot(ks, _recall_curve(result, ks), marker="." if len(ks) <= 10 else None, label=label)
    ax.set(xlabel="k", ylabel="recall@k", title=f"Retrieval recall@k: {ours.dataset}", ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(directory / "recall_at_k.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    answerable = [r.evidence for r in ours.results if r.question.answerable and r.evidence is not None]
    unanswerable = [r.evidence for r in ours.results if not r.question.answerable and r.evidence is not None]
    if answerable and ours.format == "squad":
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.hist(answerable, bins=40, alpha=0.6, label=f"answerable ({len(answerable)})")
        if unanswerable:
            ax.hist(unanswerable, bins=40, alpha=0.6, label=f"unanswerable ({len(unanswerable)})")
        ax.axvline(ours.threshold, color="black", linestyle="--", label=f"threshold {ours.threshold:.3f}")
        ax.set(xlabel="evidence score of the best sentence", ylabel="questions",
               title=f"Answer evidence: {ours.dataset}")
        ax.legend()
        fig.tight_layout()
        paths.append(directory / "evidence_scores.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
