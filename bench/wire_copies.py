"""Wire copies (`index.storage.stories`): the threshold, the clusters of RealTimeQA 2024, and the
effect of collapsing copies on `qa eval`'s measures.

    python -m bench.wire_copies threshold      # same-story precision/recall per threshold
    python -m bench.wire_copies clusters       # RealTimeQA's clusters and a sample of merged pairs
    python -m bench.wire_copies eval --workdir /tmp/rtqa   # questions with copies collapsed and not
    python -m bench.wire_copies latency        # question p50/p95 at 10k chunks, collapsing on and off

threshold: near-duplicates are real RealTimeQA articles lightly edited by rule (headline changed,
a paragraph dropped, an agency credit line added, words swapped, all of these together; and, apart,
the article cut to its first 60%); distinct pairs are two different articles the search returned
for the same question (mostly distinct reporting of one event; the few that are in fact the same
article republished are listed, to be judged by hand). For each threshold: the share of edited
copies found (recall), the distinct pairs merged, and the precision at this mix.

clusters: every RealTimeQA article through a `StoryIndex` at `--threshold` (default: the one
config.yaml ships): clusters, their sizes, up to 50 merged pairs (both titles, the first 200
characters of each) and the closest pairs not merged, written to
`bench/results/<date>-wire-copies-sample.md` for checking by hand.

eval: the RealTimeQA questions through the chat's own path (`Assistant.trace`) over one index
(built in `--workdir` on first use, then reused), with `stories.enabled` true and false: answer
hit, recall@5, and the distinct articles and stories among the top 5 passages. RealTimeQA holds
few copies; `--add-copies N` also indexes an edited copy of N of its articles (another workdir).

latency: `make bench`'s 10k-chunk index, SQuAD questions asked in turns of an assistant that
collapses copies and one that does not: p50 and p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import itertools
import json
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
    os.environ.setdefault(_name, _value)

from index.loading.text import normalize_text  # noqa: E402
from index.models import Article  # noqa: E402
from index.storage.stories import MIN_WORDS, SHINGLE_WORDS, StoryIndex, signature, similarity, story_words  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
EVAL_DIR = Path(os.environ.get("BENCH_EVAL_DIR", ROOT.parent / "shared" / "eval"))
REALTIMEQA = EVAL_DIR / "realtimeqa-2024"
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)
CREDIT_HEAD = "WASHINGTON (AP) — "
CREDIT_TAIL = ("Copyright 2024 The Associated Press. All rights reserved. This material may not be published, "
               "broadcast, rewritten or redistributed without permission.")


# -- the data --------------------------------------------------------------------------------
def search_results() -> dict[str, list[Article]]:
    """RealTimeQA's search results per question: the articles with text, each URL once per question."""
    per_question: dict[str, list[Article]] = {}
    for path in sorted(REALTIMEQA.glob("*_gcs.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                seen: dict[str, Article] = {}
                for result in record.get("search_result", []):
                    text, url = normalize_text(result.get("text") or ""), result.get("url") or ""
                    if text and url and url not in seen:
                        seen[url] = Article(id=url, title=normalize_text(result.get("title") or "") or url,
                                            text=text, source=url, url=url)
                per_question[str(record["question_id"])] = list(seen.values())
    return per_question


def corpus() -> list[Article]:
    """Every RealTimeQA article once, as `qa eval` reads them."""
    from qa.evaluation.natural import load_realtimeqa

    return load_realtimeqa(REALTIMEQA).articles


# -- edited copies -----------------------------------------------------------------------------
def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def drop_paragraph(text: str, rng: random.Random) -> str:
    parts = paragraphs(text)
    del parts[rng.randrange(len(parts))]
    return "\n\n".join(parts)


def add_credit(text: str) -> str:
    return f"{CREDIT_HEAD}{text}\n\n{CREDIT_TAIL}"


def swap_words(text: str, rng: random.Random, share: float) -> str:
    """Replace `share` of the words by another word of the text (an editor's word choices)."""
    words = text.split(" ")
    for at in rng.sample(range(len(words)), max(1, int(len(words) * share))):
        words[at] = rng.choice(words)
    return " ".join(words)


def truncate(text: str) -> str:
    parts = paragraphs(text)
    return "\n\n".join(parts[:max(1, int(len(parts) * 0.6))])


EDITS = {
    "headline changed": lambda a, rng: (f"{a.title} | Updated", a.text),
    "paragraph dropped": lambda a, rng: (a.title, drop_paragraph(a.text, rng)),
    "credit line added": lambda a, rng: (a.title, add_credit(a.text)),
    "3% words swapped": lambda a, rng: (a.title, swap_words(a.text, rng, 0.03)),
    "all four together": lambda a, rng: (f"{a.title} | Updated",
                                         swap_words(add_credit(drop_paragraph(a.text, rng)), rng, 0.02)),
}
TRIMMED = "cut to its first 60% (apart)"


def edited_pairs(articles: list[Article], n: int, seed: int) -> dict[str, list[tuple[Article, Article]]]:
    """`n` articles of at least 3 paragraphs and `MIN_WORDS` words, each with one copy per edit."""
    rng = random.Random(seed)
    fit = [a for a in articles if len(paragraphs(a.text)) >= 3 and len(story_words(a.text)) >= MIN_WORDS]
    chosen = rng.sample(fit, min(n, len(fit)))
    pairs: dict[str, list[tuple[Article, Article]]] = {name: [] for name in [*EDITS, TRIMMED]}
    for article in chosen:
        for name, edit in EDITS.items():
            title, text = edit(article, rng)
            pairs[name].append((article, replace(article, id=article.id + "#copy", title=title, text=text)))
        pairs[TRIMMED].append((article, replace(article, id=article.id + "#cut", text=truncate(article.text))))
    return pairs


def distinct_pairs(per_question: dict[str, list[Article]], limit: int, seed: int) -> list[tuple[Article, Article]]:
    """Two different search results of one question (both long enough to be compared), each
    unordered pair of URLs once."""
    seen: set[tuple[str, str]] = set()
    pairs = []
    for results in per_question.values():
        long_enough = [a for a in results if len(story_words(a.text)) >= MIN_WORDS]
        for a, b in itertools.combinations(long_enough, 2):
            key = tuple(sorted((a.id, b.id)))
            if a.id != b.id and key not in seen:
                seen.add(key)  # type: ignore[arg-type]
                pairs.append((a, b))
    random.Random(seed).shuffle(pairs)
    return pairs[:limit]


def pair_scores(pairs: list[tuple[Article, Article]], num_perm: int, size: int) -> list[float]:
    memo: dict[tuple[str, str], object] = {}

    def sig(article: Article):  # noqa: ANN202
        key = (article.id, article.text[:64] + str(len(article.text)))
        if key not in memo:
            memo[key] = signature(article.text, num_perm=num_perm, size=size)
        return memo[key]

    # An article under MIN_WORDS words has no signature: never merged, as in the index.
    return [similarity(x, y) if (x := sig(a)) is not None and (y := sig(b)) is not None else 0.0
            for a, b in pairs]  # type: ignore[arg-type]


def threshold_table(args: argparse.Namespace) -> None:
    articles = corpus()
    copies = edited_pairs(articles, args.articles, args.seed)
    distinct = distinct_pairs(search_results(), args.distinct, args.seed)
    lines = [f"# Wire copies: same-story threshold ({dt.date.today().isoformat()})", "",
             f"`python -m bench.wire_copies threshold --articles {args.articles} --distinct {args.distinct}` "
             f"(seed {args.seed}): {len(copies['headline changed'])} RealTimeQA articles, each with one edited "
             f"copy per edit; {len(distinct)} pairs of distinct search results of one question. A pair is one "
             f"story when the MinHash estimate of its shingles' Jaccard similarity is at least the threshold.", ""]
    light = [p for name in EDITS for p in copies[name]]
    for size, num_perm in ((3, 128), (4, 128), (5, 128), (5, 256)):
        started = time.perf_counter()
        scores = {name: pair_scores(pairs, num_perm, size) for name, pairs in copies.items()}
        negative = pair_scores(distinct, num_perm, size)
        light_scores = [s for name in EDITS for s in scores[name]]
        lines += [f"## {size}-word shingles, {num_perm} permutations ({time.perf_counter() - started:.0f} s)", "",
                  "| threshold | " + " | ".join(f"recall: {name}" for name in [*EDITS, TRIMMED])
                  + " | recall, light edits | distinct pairs merged | precision (light edits vs distinct) |",
                  "|---" * (len(EDITS) + 5) + "|"]
        for t in THRESHOLDS:
            recalls = [sum(s >= t for s in scores[name]) / len(scores[name]) for name in [*EDITS, TRIMMED]]
            found = sum(s >= t for s in light_scores)
            false = sum(s >= t for s in negative)
            precision = found / (found + false) if found + false else 1.0
            lines.append(f"| {t:.2f} | " + " | ".join(f"{r:.3f}" for r in recalls)
                         + f" | {found / len(light_scores):.3f} | {false} of {len(negative)} | {precision:.4f} |")
        if (size, num_perm) == (SHINGLE_WORDS, 128):
            over = sorted(((s, a, b) for s, (a, b) in zip(negative, distinct, strict=True) if s >= min(THRESHOLDS)),
                          key=lambda x: -x[0])
            lines += ["", f"Distinct pairs scoring at least {min(THRESHOLDS)} (judge by hand: some are one article "
                          "republished under another URL):", ""]
            lines += [f"- {s:.2f}: “{a.title[:80]}” ({a.url}) / “{b.title[:80]}” ({b.url})" for s, a, b in over]
        lines.append("")
    write(lines, args.out or RESULTS / f"{dt.date.today().isoformat()}-wire-copies-threshold.md")


# -- RealTimeQA's clusters -------------------------------------------------------------------
def clusters(args: argparse.Namespace) -> None:
    import tempfile

    articles = corpus()
    by_id = {a.id: a for a in articles}
    with tempfile.TemporaryDirectory() as tmp:
        stories = StoryIndex(Path(tmp) / "stories.sqlite", threshold=args.threshold)
        started = time.perf_counter()
        stories.add_many(articles)
        seconds = time.perf_counter() - started
        groups = stories.clusters()
        stories.close()
    sizes: dict[int, int] = {}
    for group in groups:
        sizes[len(group)] = sizes.get(len(group), 0) + 1
    merged = [(a, b) for group in groups for a, b in itertools.combinations(group, 2)]
    sample = random.Random(args.seed).sample(merged, min(50, len(merged)))
    in_clusters = sum(len(g) for g in groups)
    lines = [f"# Wire copies in RealTimeQA 2024 ({dt.date.today().isoformat()})", "",
             f"`python -m bench.wire_copies clusters --threshold {args.threshold}`: {len(articles)} articles "
             f"placed in {seconds:.1f} s; {len(articles) - in_clusters + len(groups)} stories, of which "
             f"{len(groups)} have more than one copy ({in_clusters} articles); cluster sizes: "
             + ", ".join(f"{n} of {size}" for size, n in sorted(sizes.items())) + f"; {len(merged)} merged pairs, "
             f"{len(sample)} shown (seed {args.seed}). Judge each: the same story (copy or update of one "
             "article), or not.", ""]
    for n, (a_id, b_id) in enumerate(sample, start=1):
        lines += [f"## {n}. same story?", "", *_pair(by_id[a_id], by_id[b_id])]
    near = near_misses(articles, args.threshold)
    lines += [f"# The closest pairs not merged (estimated Jaccard {NEAR} to {args.threshold})", "",
              "What a lower threshold would merge: judge them too.", ""]
    for n, (score, a, b) in enumerate(near, start=1):
        lines += [f"## {n}. {score:.2f}: same story?", "", *_pair(a, b)]
    write(lines, args.out or RESULTS / f"{dt.date.today().isoformat()}-wire-copies-sample.md")


NEAR = 0.3  # the lowest estimated Jaccard listed among the pairs not merged


def near_misses(articles: list[Article], threshold: float) -> list[tuple[float, Article, Article]]:
    """Every pair of articles whose estimated Jaccard similarity is in [NEAR, threshold), highest first
    (all pairs compared: a few million signature comparisons)."""
    import numpy as np

    signed = [(a, m) for a in articles if (m := signature(a.text)) is not None]
    values = np.stack([m.hashvalues for _, m in signed])
    found = []
    for i in range(len(signed) - 1):
        scores = (values[i + 1:] == values[i]).mean(axis=1)
        for j in np.flatnonzero((scores >= NEAR) & (scores < threshold)):
            found.append((float(scores[j]), signed[i][0], signed[i + 1 + j][0]))
    return sorted(found, key=lambda x: -x[0])


def _pair(a: Article, b: Article) -> list[str]:
    return [f"- A: **{a.title}** ({a.date}) {a.url}", f"  > {_first(a.text)}",
            f"- B: **{b.title}** ({b.date}) {b.url}", f"  > {_first(b.text)}", ""]


def wire_copies(articles: list[Article], n: int, seed: int) -> list[Article]:
    """An edited copy ("all four together") of `n` articles drawn at random, as another outlet's."""
    if n <= 0:
        return []
    pairs = edited_pairs(articles, n, seed)["all four together"]
    return [replace(copy, id=f"{article.id}#wire-copy", source=f"{article.id}#wire-copy", url=None,
                    title=f"{article.title} (wire copy)") for article, copy in pairs]


def _first(text: str, chars: int = 200) -> str:
    return " ".join(text[:chars].split())


# -- qa eval with copies collapsed and not -----------------------------------------------------
def evaluate(args: argparse.Namespace) -> None:
    from qa.api import Assistant, build_embedder
    from qa.config import load_settings
    from qa.evaluation.natural import load_realtimeqa
    from qa.evaluation.runner import QuestionResult, judge_ranking, score

    data = load_realtimeqa(REALTIMEQA)
    settings = load_settings(args.config)
    settings.data.dir = args.workdir
    settings.store.collection = "evaluation"  # as `qa eval` names it
    embedder = build_embedder(settings)
    questions = data.sample(args.limit, args.seed)
    articles = data.articles + wire_copies(data.articles, args.add_copies, args.seed)
    rows = []
    for enabled in (False, True):
        settings.stories.enabled = enabled
        assistant = Assistant(settings, embedder=embedder)
        if not enabled:  # idempotent: what the workdir already holds is not embedded again
            print(f"indexing {len(articles)} articles into {args.workdir}", file=sys.stderr, flush=True)
            assistant.ingest_articles(articles)
        stories = assistant.store.stories
        results, articles5, stories5 = [], [], []
        for n, question in enumerate(questions, start=1):
            trace = assistant.trace(question.text, list(question.history), as_of=question.as_of, retrieve_k=10)
            ranking, rank = judge_ranking(question, "realtimeqa", [(h.article_id, h.text) for h in trace.hits])
            answer = trace.answer
            results.append(QuestionResult(question, ranking, rank, answer.text, answer.abstained, answer.evidence,
                                          answer.timings_ms["retrieve"], answer.timings_ms["answer"],
                                          answer.outcome))
            top = [h.article_id for h in trace.hits[:5]]
            articles5.append(len(set(top)))
            stories5.append(len(set(stories.stories_of(top).values())))
            if n % 25 == 0:
                print(f"  copies {'collapsed' if enabled else 'kept'}: {n}/{len(questions)}", file=sys.stderr, flush=True)
        metrics, _ = score(results, "realtimeqa")
        rows.append((enabled, metrics, sum(articles5) / len(articles5), sum(stories5) / len(stories5),
                     len(stories.clusters()), len(stories)))
    added = (f" --add-copies {args.add_copies}`: RealTimeQA's {len(data.articles)} articles and an edited copy "
             f"(headline changed, a paragraph dropped, a credit line added, 2% of words swapped) of {args.add_copies} "
             "of them" if args.add_copies else f"`: {len(data.articles)} articles")
    lines = [f"# Wire copies: RealTimeQA 2024 questions, copies collapsed or not ({dt.date.today().isoformat()})", "",
             f"`python -m bench.wire_copies eval{added}; {len(questions)} questions; {rows[-1][4]} stories of "
             f"several copies among {rows[-1][5]} articles; the same index both times.", "",
             "| stories.enabled | answer hit | recall@1 | recall@5 | recall@10 | quote holds | distinct articles in top 5 "
             "| distinct stories in top 5 | p50 ms | p95 ms |", "|---" * 10 + "|"]
    for enabled, m, a5, s5, _, _ in rows:
        lines.append(f"| {str(enabled).lower()} | {m['answer_hit']:.3f} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | "
                     f"{m['recall@10']:.3f} | {m['quote_holds']:.3f} | {a5:.3f} | {s5:.3f} | "
                     f"{m['latency_p50_ms']:.0f} | {m['latency_p95_ms']:.0f} |")
    write(lines, args.out or RESULTS / f"{dt.date.today().isoformat()}-wire-copies-eval.md")


# -- question latency with and without collapsing --------------------------------------------
def latency(args: argparse.Namespace) -> None:
    """`make bench`'s 10k-chunk index (built once, cached in bench/.cache/) and SQuAD questions,
    asked of two assistants on it, one collapsing copies and one not, in turns."""
    from bench.run import Bench, _pct
    from qa.api import Assistant
    from qa.config import load_settings

    bench = Bench(load_settings(args.config), args.questions, quick=True)
    data_dir = bench.index(10_000)
    questions = bench.sample_questions(args.questions)
    assistants = {}
    for enabled in (True, False):
        settings = bench.settings_for(data_dir).model_copy(deep=True)
        settings.stories.enabled = enabled
        started = time.perf_counter()
        assistants[enabled] = Assistant(settings, embedder=bench.embedder)
        print(f"opened (stories.enabled {enabled}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    for question in questions[:5]:  # warm both
        for assistant in assistants.values():
            assistant.ask(question)
    times: dict[bool, list[float]] = {True: [], False: []}
    for n, question in enumerate(questions):
        for enabled in ((True, False) if n % 2 else (False, True)):  # alternate who goes first
            started = time.perf_counter()
            assistants[enabled].ask(question)
            times[enabled].append((time.perf_counter() - started) * 1000)
    store = assistants[True].store
    lines = [f"# Wire copies: question latency at 10k chunks ({dt.date.today().isoformat()})", "",
             f"`python -m bench.wire_copies latency --questions {args.questions}`: {store.count()} chunks, "
             f"{len(store.stories)} articles, {len(store.stories.clusters())} stories of several copies; SQuAD "
             "questions asked in process, each of both assistants in turns.", "",
             "| stories.enabled | p50 ms | p95 ms | target |", "|---|---|---|---|"]
    for enabled in (True, False):
        lines.append(f"| {str(enabled).lower()} | {_pct(times[enabled], 50):.1f} | {_pct(times[enabled], 95):.1f} | "
                     f"{'<= 60 (p95)' if enabled else ''} |")
    write(lines, args.out or RESULTS / f"{dt.date.today().isoformat()}-wire-copies-latency.md")


def write(lines: list[str], path: Path) -> None:
    text = "\n".join(lines) + "\n"
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"written to {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    from index.storage.stories import DEFAULT_THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("threshold", help="same-story precision and recall per threshold")
    one.add_argument("--articles", type=int, default=300, help="articles edited into copies")
    one.add_argument("--distinct", type=int, default=3000, help="distinct same-question pairs")
    two = commands.add_parser("clusters", help="RealTimeQA's clusters and a sample of merged pairs")
    two.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    three = commands.add_parser("eval", help="questions with copies collapsed and not")
    three.add_argument("--workdir", type=Path, required=True, help="the index (built here on first use)")
    three.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    three.add_argument("--limit", type=int, default=None, help="questions drawn at random (default: all)")
    three.add_argument("--add-copies", type=int, default=0,
                       help="also index an edited copy of this many articles (use another workdir)")
    four = commands.add_parser("latency", help="question p50/p95 at 10k chunks, collapsing on and off")
    four.add_argument("--questions", type=int, default=200)
    four.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    for sub in (one, two, three, four):
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--out", type=Path, default=None, help="Markdown file written (default: bench/results/)")
    args = parser.parse_args(argv)
    {"threshold": threshold_table, "clusters": clusters, "eval": evaluate, "latency": latency}[args.command](args)


if __name__ == "__main__":
    main()
