"""Evaluation results -> a table for the terminal, report.md, metrics.json and PNG plots.

SQuAD, BEIR, the natural sets and RealTimeQA share one row per measure of `METRIC_KEYS`; claim
sets, SelQA and adversarial SQuAD show their own measures, and a claim set lists its misses
(supported claims removed, unsupported ones kept) under the table and in report.md."""

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


STANDARD_FORMATS = ("squad", "beir", "natural", "realtimeqa")


def metric_keys(result: EvalResult) -> list[str]:
    """The measures shown for a result: `METRIC_KEYS`, or its format's own, in their order."""
    return list(METRIC_KEYS) if result.format in STANDARD_FORMATS else list(result.metrics)


def table(ours: EvalResult, baseline: EvalResult | None = None, *, misses: bool = True) -> str:
    """Metrics side by side, one row per measure (and, with `misses`, a claim set's misses under them)."""
    rows = [("measure", "this project", "tutorial recipe" if baseline else "")]
    for key in metric_keys(ours):
        rows.append((key, fmt(ours.metrics[key], key), fmt(baseline.metrics[key], key) if baseline else ""))
    for key, value in ours.extra.get("stages", {}).items():
        other = baseline.extra["stages"][key] if baseline else None
        rows.append((key, fmt(value, key), fmt(other, key) if baseline else ""))
    if ours.format != "claims":
        rows.append(("ingest chunks/s", f"{ours.ingest['chunks_per_s']:.1f}",
                     f"{baseline.ingest['chunks_per_s']:.1f}" if baseline else ""))
        rows.append(("abstain threshold", fmt(ours.threshold), fmt(baseline.threshold) if baseline else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if ours.format == "claims" and misses:
        lines += ["", *miss_lines(ours)]
    return "\n".join(lines)


def miss_lines(result: EvalResult, width: int = 110) -> list[str]:
    """A claim set's counts and misses, one line each: id, kind, what the check did, the claim."""
    counts = result.extra.get("counts", {})
    missed = result.extra.get("misses", [])
    lines = [f"claims: {counts.get('n_supported', 0)} supported, {counts.get('n_unsupported', 0)} unsupported; "
             f"misses: {len(missed)}"]
    for miss in missed:
        why = f" ({miss['reason']})" if miss["reason"] else ""
        line = f"  {miss['id']}  {miss['kind']}  {miss['verdict']}{why}: {miss['claim']}"
        lines.append(line if len(line) <= width else line[: width - 3] + "...")
    return lines


def _summary(result: EvalResult) -> dict[str, Any]:
    summary = {"dataset": result.dataset, "format": result.format, "questions": result.questions,
               "threshold": None if math.isnan(result.threshold) else result.threshold,
               "metrics": result.metrics, "latency_stages_ms": result.extra.get("stages", {}), "ingest": result.ingest}
    for key in ("counts", "misses"):
        if key in result.extra:
            summary[key] = result.extra[key]
    return summary


def write_report(directory: Path, ours: EvalResult, baseline: EvalResult | None, command: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = {"command": command, "project": _summary(ours)}
    if baseline:
        data["baseline"] = _summary(baseline)
    (directory / "metrics.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    written = [directory / "metrics.json", *_plots(directory, ours, baseline)]
    what = (f"{ours.questions} claims over {ours.ingest['articles']} articles." if ours.format == "claims" else
            f"{ours.questions} questions, {ours.ingest['articles']} articles, {ours.ingest['chunks']} chunks.")
    md = [f"# Evaluation: {ours.dataset}", "", f"`{command}`", "", what, "",
          "```", table(ours, baseline, misses=False), "```", ""]
    md += [f"![{p.stem}]({p.name})" for p in written if p.suffix == ".png"]
    if ours.format == "claims":
        md += ["", *_misses_md(ours)]
    (directory / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return [directory / "report.md", *written]


def _misses_md(result: EvalResult) -> list[str]:
    missed = result.extra.get("misses", [])
    md = [f"## Misses ({len(missed)})", "",
          "Supported claims the check removed, and unsupported claims it kept.", "",
          "| id | label | kind | verdict | reason | claim |", "|---|---|---|---|---|---|"]
    for miss in missed:
        cells = [miss["id"], miss["label"], miss["kind"], miss["verdict"], miss["reason"] or "", miss["claim"]]
        md.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return md


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

    if ours.format == "claims":
        return _claim_plot(directory, ours, plt)
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


def _claim_plot(directory: Path, ours: EvalResult, plt: Any) -> list[Path]:
    """The share removed of each unsupported kind and kept of each supported kind, as bars."""
    bars = [(key.removeprefix("removed_"), value, "tab:red") for key, value in ours.metrics.items()
            if key.startswith("removed_") and value is not None]
    bars += [(key.removeprefix("kept_"), value, "tab:green") for key, value in ours.metrics.items()
             if key.startswith("kept_") and value is not None]
    if not bars:
        return []
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.barh([b[0] for b in bars], [b[1] for b in bars], color=[b[2] for b in bars])
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share removed (unsupported kinds, red) / kept (supported kinds, green)",
           title=f"Grounding check by kind: {ours.dataset}")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path = directory / "claims_by_kind.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]
