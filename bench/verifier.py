"""What the verifier costs a question: `make bench`'s 10k-chunk index, SQuAD questions asked in
process of assistants with the verifier off, choosing (reading the judge's best `--tops`
candidates) and confirming the judge's choice (`answer.confirm_at`, `--confirm` bars: one model
call), in turns, so that every configuration sees the same machine load.

    python -m bench.verifier --questions 300 --tops 12,8,6 --confirm 0.2

Prints p50/p95 per configuration, and the share of questions whose outcome or quote differs from
the verifier's full shortlist (what a smaller `answer.verify_top` changes) or, for a confirming
configuration, from the judge alone (what the check changes); written to
bench/results/<date>-verifier-latency.md. The issue's target: question p95 <= 60 ms at 10k chunks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
P95_TARGET_MS = 60


def main(argv: list[str] | None = None) -> None:
    from bench.run import Bench, _pct
    from qa.api import Assistant
    from qa.config import load_settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--tops", default="12,8,6", help="answer.verify_top values measured, comma-separated")
    parser.add_argument("--confirm", default="0.2", help="answer.confirm_at values measured, comma-separated")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file written (default: bench/results/)")
    args = parser.parse_args(argv)

    bench = Bench(load_settings(args.config), args.questions, quick=True)
    data_dir = bench.index(10_000)
    questions = bench.sample_questions(args.questions)
    # (verify_top, confirm_at): (None, None) is the judge alone
    configurations: list[tuple[int | None, float | None]] = [
        (None, None), *((int(t), None) for t in args.tops.split(",") if t),
        *((None, float(c)) for c in args.confirm.split(",") if c)]
    assistants: dict[tuple[int | None, float | None], Assistant] = {}
    for top, confirm in configurations:
        settings = bench.settings_for(data_dir).model_copy(deep=True)
        settings.answer.verifier = top is not None
        settings.answer.confirm_at = confirm
        if top is not None:
            settings.answer.verify_top = top
        assistants[(top, confirm)] = Assistant(settings, embedder=bench.embedder)
    for question in questions[:5]:  # warm every one
        for assistant in assistants.values():
            assistant.ask(question)
    times: dict[tuple[int | None, float | None], list[float]] = {c: [] for c in configurations}
    answers: dict[tuple[int | None, float | None], list[tuple[str, str]]] = {c: [] for c in configurations}
    for n, question in enumerate(questions):
        order = configurations[n % len(configurations):] + configurations[:n % len(configurations)]
        for configuration in order:  # who goes first rotates
            started = time.perf_counter()
            answer = assistants[configuration].ask(question)
            times[configuration].append((time.perf_counter() - started) * 1000)
            answers[configuration].append((answer.outcome, answer.text))
    full = (max((t for t, _ in configurations if t is not None), default=None), None)
    lines = [f"# Verifier: question latency at 10k chunks ({dt.date.today().isoformat()})", "",
             f"`python -m bench.verifier --questions {args.questions} --tops {args.tops} --confirm {args.confirm}`: "
             f"{assistants[(None, None)].store.count()} chunks, {len(questions)} SQuAD questions asked in process of "
             "each configuration in turns.", "",
             "| answer.verifier | verify_top | confirm_at | p50 ms | p95 ms | answers differing (see below) |",
             "|---|---|---|---|---|---|"]
    for top, confirm in configurations:
        base = full if top is not None else (None, None)
        differing = "" if (top, confirm) == base or base[0] is None and top is not None else \
            f"{sum(a != b for a, b in zip(answers[(top, confirm)], answers[base], strict=True)) / len(questions):.3f}"
        lines.append(f"| {'on' if top is not None else 'off'} | {top or '-'} | {confirm if confirm is not None else '-'} "
                     f"| {_pct(times[(top, confirm)], 50):.1f} | {_pct(times[(top, confirm)], 95):.1f} | {differing} |")
    lines += ["", "Answers differing: a smaller verify_top against the largest; a confirm_at against the judge alone "
              "(answers it turns into \"uncertain\")."]
    lines += ["", f"Target: question p95 <= {P95_TARGET_MS} ms at 10k chunks in process."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = args.out or RESULTS / f"{dt.date.today().isoformat()}-verifier-latency.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
