"""The grounding check on public entailment pairs it never saw, with and without the verifier.

    python -m bench.claims_nli --pairs 2000

Each hypothesis of FEVER-NLI, MNLI (mismatched) and SNLI's test files is checked as a claim
citing its premise, the way `qa eval --format nli` does, but only on pairs the shipped verifier
was not trained on (`make train-verifier` samples 5,000 pairs of each set's dev and test files,
`--nli-per-set`: they are rebuilt here with the options the weights' `verifier.json` records,
about 30 s, and left out). One run per set with `llm.verifier` on at
`min_support` 0 records both verdicts (the rules', and the verifier's p(supported) for what the
rules keep), so every bar is read off the same run:

- the rules alone (the default, `llm.verifier: false`);
- rules and verifier at each `--bars` value (`llm.min_support`; 0.02 is the config's default);
- the verifier alone at each bar, reading the whole premise (what it was trained on).

Prints supported kept / unsupported removed / balanced accuracy per configuration, writes
bench/results/<date>-claims-nli.md. Published balanced accuracies on such sets, for scale:
trained checkers under 1B parameters 0.66-0.72 (LLM-AggreFact), GPT-4o 0.79.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RECORD = ROOT / "qa" / "answering" / "verifier.json"  # what the shipped verifier was trained on
SETS = {"FEVER-NLI test": "fever-nli/test.txt.gz", "MNLI mismatched (test)": "mnli-binary/test.txt.gz",
        "SNLI test": "snli"}


def read_pairs(path: Path) -> list[tuple[bool, str, str]]:
    """(entailed, premise, hypothesis) as the files write them (tokenized)."""
    if path.is_dir():
        columns = [gzip.open(path / f"{name}.test.gz", "rt", encoding="utf-8").read().splitlines()
                   for name in ("labels", "s1", "s2")]
        return [(label == "entailment", p, h) for label, p, h in zip(*columns, strict=True)
                if label in ("entailment", "neutral", "contradiction")]
    rows = [line.rstrip("\n").split("\t") for line in gzip.open(path, "rt", encoding="utf-8")]
    return [(r[0] == "entailment", r[1], r[2]) for r in rows if len(r) == 3 and r[1].strip() and r[2].strip()]


def trained_on(eval_dir: Path, record: Path = RECORD) -> set[tuple[str, str]]:
    """The (claim input, premise) pairs the shipped verifier was trained on from the NLI sets,
    rebuilt with the options its record (`verifier.json`) names: weights retrained with more
    NLI pairs (`--nli-per-set`) or other articles would otherwise be measured on pairs they saw."""
    from qa.evaluation.train_verifier import training_pairs

    trained = json.loads(record.read_text(encoding="utf-8"))
    pairs = training_pairs(eval_dir, news_articles=int(trained["news_articles"]),
                           nli_per_set=int(trained["nli_per_set"]))
    return {(p.first, p.second) for p in pairs if p.source in ("snli", "mnli-binary", "fever-nli")}


def rates(rows: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    """(supported kept, unsupported removed, balanced accuracy) of (entailed, kept) rows."""
    sup = [kept for entailed, kept in rows if entailed]
    uns = [not kept for entailed, kept in rows if not entailed]
    kept, removed = sum(sup) / max(1, len(sup)), sum(uns) / max(1, len(uns))
    return kept, removed, (kept + removed) / 2


def main(argv: list[str] | None = None) -> None:
    from qa.answering.verifier import load_verifier
    from qa.api import build_embedder
    from qa.config import load_settings
    from qa.evaluation.claims import grounding_checker
    from qa.evaluation.nli import detokenize
    from qa.evaluation.verifier_data import claim_input
    from qa.llm.grounding import SUPPORTED, Source

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=2000, help="pairs drawn from each set (seed 0)")
    parser.add_argument("--bars", default="0.02,0.1,0.3,0.5,0.7", help="min_support values, comma-separated")
    parser.add_argument("--eval-dir", type=Path,
                        default=Path(os.environ.get("QA_EVAL_DIR") or ROOT.parent / "shared" / "eval"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    bars = [float(b) for b in args.bars.split(",")]

    started = time.time()
    seen = trained_on(args.eval_dir)
    settings = load_settings(ROOT / "config.yaml")
    settings.llm.verifier, settings.llm.min_support = True, 0.0
    embedder = build_embedder(settings)
    verifier = load_verifier()
    lines = [f"# The grounding check on public entailment pairs ({dt.date.today()})", "",
             f"`python -m bench.claims_nli --pairs {args.pairs} --bars {args.bars}`; pairs the verifier was "
             f"not trained on ({len(seen):,} left out over the three sets), drawn with seed 0. "
             "Cells: supported kept / unsupported removed / balanced accuracy.", "",
             "| set | pairs | rules (default) | " + " | ".join(f"rules + verifier {b}" for b in bars)
             + " | " + " | ".join(f"verifier alone {b}" for b in bars) + " |",
             "|---|---|---|" + "---|" * (2 * len(bars))]
    with tempfile.TemporaryDirectory() as tmp:
        checker = grounding_checker(settings, embedder, Path(tmp) / "project")
        for name, relative in SETS.items():
            pairs = [(e, p, h) for e, p, h in read_pairs(args.eval_dir / "nli" / relative)
                     if (claim_input(h), p[:1500]) not in seen]
            pairs = random.Random(0).sample(pairs, min(args.pairs, len(pairs)))
            judged = []  # (entailed, rules keep, verifier p on the aligned windows, verifier p alone)
            for entailed, premise, hypothesis in pairs:
                claim = detokenize(hypothesis)
                claim += "" if claim[-1:] in ".!?\"" else "."
                sentences = checker.check(f"{claim} [1]", [Source(1, detokenize(premise), "")]).sentences
                rules = bool(sentences) and all(s.supported for s in sentences)
                windows = min((s.verdict[SUPPORTED] for s in sentences if s.verdict is not None), default=0.0)
                alone = float(verifier.supports([(premise[:1500], hypothesis)])[0][SUPPORTED])  # as trained
                judged.append((entailed, rules, windows, alone))
            cells = [rates([(e, r) for e, r, _, _ in judged])]
            cells += [rates([(e, r and w >= b) for e, r, w, _ in judged]) for b in bars]
            cells += [rates([(e, a >= b) for e, _, _, a in judged]) for b in bars]
            lines.append(f"| {name} | {len(judged)} | "
                         + " | ".join(f"{k:.3f} / {r:.3f} / **{b:.3f}**" for k, r, b in cells) + " |")
            print(lines[-1], flush=True)
    lines += ["", f"{time.time() - started:.0f} s in all."]
    out = args.out or RESULTS / f"{dt.datetime.now():%Y-%m-%d-%H%M}-claims-nli.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
