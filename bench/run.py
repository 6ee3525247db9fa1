"""`make bench`: speed and memory of the project on this machine, printed as one table.

    python -m bench.run [--quick] [--only ingest,big_ingest,latency,grounding,llm,filters,update,http,load,cold,memory,
                                          web_refresh,extraction,documents]

Each row is one measure, with the issue's target where it has one. The table is printed and
written to `bench/results/` (Markdown and JSON, named by date and host). Indexes of 1k, 10k and
100k chunks are built once from the public evaluation data and cached in `bench/.cache/`.
`--quick` skips the 100k index (its first build takes several minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False"),
                      ("GRADIO_ANALYTICS_ENABLED", "False"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)

from bench.corpus import CACHE, EVAL_DIR, build_index  # noqa: E402
from qa.api import Assistant, build_embedder  # noqa: E402
from qa.config import Settings, load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
QA = str(Path(sys.executable).with_name("qa"))
logger = logging.getLogger("bench")


@dataclass
class Row:
    measure: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    def cells(self) -> list[str]:
        value = "-" if self.value is None else (f"{self.value:.2f}" if abs(self.value) < 100 else f"{self.value:.0f}")
        met = "" if self.met is None else ("yes" if self.met else "**no**")
        return [self.measure, value, self.unit, self.target, met, self.note]


class Bench:
    def __init__(self, settings: Settings, questions: int, quick: bool) -> None:
        self.settings = settings
        self.embedder = build_embedder(settings)
        self.questions = questions
        self.quick = quick
        self.rows: list[Row] = []
        self.model_cache = settings.embedding.models_dir()
        # v2: indexes keep token vectors; an older cached index would re-embed them per question.
        self.cache = CACHE / (self.embedder.space.replace(" ", "").replace("(", "-").replace(")", "") + "-v2")

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(row.cells()), flush=True)

    # -- corpora -------------------------------------------------------------------------
    def settings_for(self, data_dir: Path) -> Settings:
        return self.settings.model_copy(update={"data": self.settings.data.model_copy(update={"dir": data_dir})})

    def index(self, chunks: int) -> Path:
        data_dir = self.cache / f"{chunks // 1000}k"
        info = build_index(data_dir, chunks, self.embedder, settings_for=self.settings_for)
        if not info.get("cached"):
            self.add(Row(f"build {chunks // 1000}k-chunk index (once, cached)", info["seconds"], "s",
                         note=f"{info['chunks']:.0f} chunks, sentence vectors memoized across editions"))
        return data_dir

    def sample_questions(self, n: int, seed: int = 0) -> list[str]:
        from qa.evaluation.datasets import load_dataset

        questions = load_dataset(EVAL_DIR / "squad-v1.1-dev.json").questions
        return [q.text for q in random.Random(seed).sample(questions, n)]

    # -- measures ------------------------------------------------------------------------
    def ingest(self) -> None:
        """Ingest throughput: the pipeline, the raw model, and the LangChain tutorial recipe."""
        from qa.evaluation.datasets import load_dataset

        articles = load_dataset(EVAL_DIR / "squad-v1.1-dev.json").articles[:24]
        pipeline = raw = 0.0
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(2):  # best of two, alternating, for both: the machine is noisy
                assistant = Assistant(self.settings_for(Path(tmp) / f"pipeline{run}"), embedder=self.embedder)
                started = time.perf_counter()
                added, _ = assistant.ingest_articles(articles)
                pipeline = max(pipeline, added / (time.perf_counter() - started))
                stored = [document for _, document, _ in assistant.store.stored_chunks()]
                started = time.perf_counter()
                self.embedder.encode(stored)
                raw = max(raw, len(stored) / (time.perf_counter() - started))
            files = _small_files(articles, Path(tmp) / "files")
            assistant = Assistant(self.settings_for(Path(tmp) / "from-files"), embedder=self.embedder)
            started = time.perf_counter()
            from_files = assistant.ingest([Path(tmp) / "files"]).chunks_added / (time.perf_counter() - started)
            recipe, recipe_chunks = _recipe_ingest(articles, Path(tmp) / "recipe", self.embedder.batch_size)
        backend = self.embedder.backend
        self.add(Row(f"ingest, project pipeline ({backend}), best of 2", pipeline, "chunks/s",
                     note=f"{added} chunks of <= {self.settings.chunking.size} chars, {len(articles)} SQuAD articles"))
        self.add(Row(f"embedding model alone ({backend}), same chunks, best of 2", raw, "chunks/s"))
        self.add(Row("pipeline / raw model", pipeline / raw, "x", ">= 0.85", pipeline / raw >= 0.85))
        self.add(Row(f"ingest from files, one short article per file ({backend})", from_files, "chunks/s",
                     note=f"{files} files of 3 paragraphs, `qa ingest FOLDER`'s path"))
        self.add(Row("ingest, LangChain recipe (splitter 1000/200, torch, Chroma)", recipe, "chunks/s",
                     note=f"{recipe_chunks} chunks"))
        self.add(Row("pipeline / LangChain recipe", pipeline / recipe, "x", ">= 2.0", pipeline / recipe >= 2.0))

    def latency(self) -> None:
        """Question latency in process (retrieval + answer), at 1k, 10k and 100k chunks."""
        questions = self.sample_questions(self.questions)
        targets = {10_000: 30.0, 100_000: 60.0}
        for size in (1_000, 10_000) if self.quick else (1_000, 10_000, 100_000):
            assistant = Assistant(self.settings_for(self.index(size)), embedder=self.embedder)
            times = _timed(lambda q: assistant.ask(q), questions)
            p50, p95 = _pct(times, 50), _pct(times, 95)
            target = targets.get(size)
            label = f"{assistant.store.count() / 1000:.0f}k"
            self.add(Row(f"question p50, in process, {label} chunks", p50, "ms"))
            self.add(Row(f"question p95, in process, {label} chunks", p95, "ms",
                         f"<= {target:.0f}" if target else "", p95 <= target if target else None))

    def grounding(self) -> None:
        """The grounding check of a generated answer (`qa.llm.grounding`): 5 sentences over 5 sources,
        the sources' vectors not cached (each question brings new passages)."""
        from index.loading.text import split_sentences
        from qa.llm.grounding import GroundingChecker, Source

        assistant = Assistant(self.settings_for(self.index(1_000)), embedder=self.embedder)
        times = []
        for question in self.sample_questions(min(self.questions, 100), seed=1):
            chunks = assistant.rank(question).chunks[:5]
            sources = [Source(n, c.hit.text, c.hit.title) for n, c in enumerate(chunks, start=1)]
            sentences = [(n, sentence) for n, c in enumerate(chunks, start=1) for sentence in split_sentences(c.hit.text)]
            answer = " ".join(f"{sentence.rstrip('.')} [{n}]." for n, sentence in sentences[:5])
            checker = GroundingChecker(self.embedder.encode)
            started = time.perf_counter()
            checker.check(answer, sources)
            times.append((time.perf_counter() - started) * 1000)
        self.add(Row("grounding check, 5-sentence answer over 5 sources, p50", _pct(times, 50), "ms"))
        self.add(Row("grounding check, 5-sentence answer over 5 sources, p95", _pct(times, 95), "ms", "<= 50",
                     _pct(times, 95) <= 50))

    def llm(self) -> None:
        """Generated answers against a scripted OpenAI-compatible server that waits `delay` before
        its first token: what the project adds on top of the model (retrieval, prompt, HTTP,
        streaming) until the first token reaches the caller, and the whole answer's overhead
        (the grounding check included) beyond the model's own time."""
        from bench.scripted_llm import Reply, ScriptedLLM

        delay, tokens, gap = 0.2, 40, 0.005
        reply = " ".join(["word"] * (tokens - 1)) + " [1]."
        with ScriptedLLM(lambda request: Reply(reply, delay_s=delay, token_delay_s=gap)) as server:
            settings = self.settings_for(self.index(1_000))
            settings.answer.mode = "llm"
            settings.llm.base_url, settings.llm.model = server.base_url, "scripted"
            assistant = Assistant(settings, embedder=self.embedder)
            first, total = [], []
            for question in self.sample_questions(min(self.questions, 50), seed=2):
                started = time.perf_counter()
                seen = None
                for event in assistant.stream(question):
                    if seen is None and isinstance(event, str):
                        seen = time.perf_counter()
                done = time.perf_counter()
                first.append((seen - started - delay) * 1000)
                total.append((done - started - delay - gap * (tokens - 1)) * 1000)
        self.add(Row("LLM time to first token beyond the model's, p50", _pct(first, 50), "ms",
                     note=f"scripted server, first token after {delay * 1000:.0f} ms"))
        self.add(Row("LLM time to first token beyond the model's, p95", _pct(first, 95), "ms", "<= 300",
                     _pct(first, 95) <= 300))
        self.add(Row("LLM whole answer beyond the model's, p95", _pct(total, 95), "ms",
                     note=f"{tokens} streamed tokens; retrieval, prompt, HTTP, grounding check"))

    def big_ingest(self) -> None:
        """Big inputs: the same N articles as one JSONL dump and as N small files, each ingested
        by `qa ingest` in a fresh process and data dir: peak RSS (it must not grow with N) and
        the JSONL's throughput relative to the files'."""
        sizes = (1_000, 4_000) if self.quick else (1_000, 4_000, 16_000)
        with tempfile.TemporaryDirectory(prefix="qa-big-") as tmp:
            work = Path(tmp)
            for n in sizes:
                dump, folder = _big_corpus(work / f"n{n}", n)
                results = {}
                for label, source in (("JSONL", dump), ("files", folder)):
                    seconds, peak, chunks = _ingest_peak(source, work / f"data-{label}-{n}", self.model_cache)
                    results[label] = (seconds, peak, chunks)
                    self.add(Row(f"ingest {n} articles as {label}: peak RSS", peak, "MB", "<= 1500", peak <= 1500,
                                 note=f"{chunks} chunks in {seconds:.0f} s ({chunks / seconds:.0f} chunks/s)"))
                ratio = results["files"][0] / results["JSONL"][0]
                self.add(Row(f"ingest {n} articles: JSONL throughput / files throughput", ratio, "x", ">= 0.85",
                             ratio >= 0.85))

    def update(self) -> None:
        """Adding one article to, and deleting it from, the largest index: what an upload costs."""
        from index.models import Article

        size = 10_000 if self.quick else 100_000
        assistant = Assistant(self.settings_for(self.index(size)), embedder=self.embedder)
        article = Article(id="bench-update", title="Harbour reopens", source="bench", date="2024-03-01",
                          text="The harbour of Lowtown reopened on Friday after a storm closed it for a week. "
                               "Fishermen said the damage to the piers was smaller than feared.")
        label = f"{assistant.store.count() / 1000:.0f}k"
        started = time.perf_counter()
        assistant.ingest_articles([article])
        added = time.perf_counter() - started
        started = time.perf_counter()
        assistant.delete_article(article.id)
        deleted = time.perf_counter() - started
        self.add(Row(f"add one article to the {label}-chunk index", added, "s", note="keyword index updated in place"))
        self.add(Row(f"delete one article from the {label}-chunk index", deleted, "s"))

    def filters(self) -> None:
        """Date-filtered questions: Chroma's metadata filter against the project's strategy."""
        size = 10_000 if self.quick else 100_000
        assistant = Assistant(self.settings_for(self.index(size)), embedder=self.embedder)
        questions = self.sample_questions(min(self.questions, 100), seed=1)
        store, vector = assistant.store, assistant.embedder.encode(questions)
        label = f"{assistant.store.count() / 1000:.0f}k"
        k = assistant.settings.retrieval.candidates
        plain = _timed(lambda i: store.search(vector[i].tolist(), k), range(len(questions)))
        self.add(Row(f"dense search p95, no filter, {label} chunks", _pct(plain, 95), "ms"))
        from index.storage.store import date_where

        for name, since, until in (("one year", "2022-01-01", "2022-12-31"), ("one month", "2022-03-01", "2022-03-31")):
            share = store.date_share(since, until)
            where = date_where(since, until)
            chroma = _timed(lambda i: store.search(vector[i].tolist(), k, where), range(len(questions)))
            ours = _timed(lambda i: store.search_dated(vector[i], k, since, until), range(len(questions)))
            self.add(Row(f"dense search p95, {name} ({share:.1%} of chunks), Chroma where", _pct(chroma, 95), "ms"))
            self.add(Row(f"dense search p95, {name} ({share:.1%} of chunks), project", _pct(ours, 95), "ms",
                         note=f"{_pct(ours, 95) / max(_pct(plain, 95), 1e-9):.1f}x unfiltered"))

    def http(self) -> None:
        """`POST /api/ask` latency at 10k chunks, through a real `qa serve`."""
        import httpx

        questions = self.sample_questions(self.questions, seed=2)
        with _server(self.index(10_000)) as (url, _, _):
            with httpx.Client(base_url=url, timeout=30) as client:
                def ask(q: str) -> None:
                    response = client.post("/api/ask", json={"question": q})
                    response.raise_for_status()
                times = _timed(ask, questions)
        p95 = _pct(times, 95)
        self.add(Row("POST /api/ask p50, 10k chunks", _pct(times, 50), "ms"))
        self.add(Row("POST /api/ask p95, 10k chunks", p95, "ms", "<= 100", p95 <= 100))

    def load(self) -> None:
        """Load: 20 concurrent clients for 60 s (20 s with --quick) asking through a real `qa serve`
        on the 1k-chunk index, first `POST /api/ask`, then the Gradio chat (gradio_client, /chat).
        The chat answers `server.concurrency` questions at once (default 4), the rest wait in
        Gradio's queue: its latency includes that wait."""
        from bench.load import gradio_asker, http_asker, run_load

        clients, seconds = 20, 20.0 if self.quick else 60.0
        questions = self.sample_questions(3_000, seed=4)
        with _server(self.index(1_000)) as (url, pid, _):
            for label, make_asker in (("POST /api/ask", http_asker(url)), ("Gradio chat /chat", gradio_asker(url))):
                summary = run_load(make_asker, questions, clients=clients, duration_s=seconds, grace_s=30)
                if summary.failures:
                    logger.warning("%s under load: %s\nserver log (tail):\n%s", label, summary.top_errors(),
                                   _log_tail(pid))
                name = f"load, {label}, {clients} clients x {seconds:.0f} s, 1k chunks"
                self.add(Row(f"{name}: requests", summary.requests, "requests",
                             note=f"{summary.duration_s:.1f} s incl. the last in-flight answers"))
                self.add(Row(f"{name}: failed requests", summary.failures, "requests", "0", summary.failures == 0,
                             note=summary.top_errors()))
                self.add(Row(f"{name}: throughput", summary.throughput, "req/s", note="answered requests"))
                self.add(Row(f"{name}: p50", summary.p50_ms, "ms"))
                self.add(Row(f"{name}: p95", summary.p95_ms, "ms",
                             note=f"p99 {summary.p99_ms:.0f} ms" if summary.p99_ms is not None else ""))

    def cold(self) -> None:
        """Seconds from process start to the first answer: `qa ask`, and `qa serve` + first request."""
        data_dir = self.index(10_000)
        env = _env(data_dir)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run([QA, "ask", "Which NFL team represented the AFC at Super Bowl 50?"],
                                  env=env, cwd=ROOT, capture_output=True, text=True)
            runs.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise RuntimeError(done.stdout + done.stderr)
        backend = self.embedder.backend
        cli = statistics.median(runs)
        target = "<= 5" if backend.startswith("onnx") else ""
        self.add(Row(f"cold start to first answer, `qa ask` ({backend}), median of 3", cli, "s", target,
                     cli <= 5 if target else None))
        with _server(data_dir) as (_, _, first_answer):
            pass
        self.add(Row(f"cold start to first answer, `qa serve` ({backend})", first_answer, "s"))

    def memory(self) -> None:
        """Peak RSS of `qa serve` with the 100k index, after questions through the API."""
        import httpx

        size = 10_000 if self.quick else 100_000
        questions = self.sample_questions(min(self.questions, 100), seed=3)
        with _server(self.index(size)) as (url, pid, _):
            with httpx.Client(base_url=url, timeout=30) as client:
                for q in questions:
                    client.post("/api/ask", json={"question": q}).raise_for_status()
                client.post("/api/ask", json={"question": "What happened?", "since": "2022-01-01",
                                              "until": "2022-03-31"}).raise_for_status()
            peak = _peak_rss_mb(pid)
        self.add(Row(f"server peak RSS, {size // 1000}k chunks", peak, "MB", note=f"after {len(questions)} questions"))

    def web_refresh(self) -> None:
        """A feed of 100 articles on a fake site on loopback: its first ingest, then refreshes of
        the unchanged feed, answered 304 and served again with 200: seconds, pages fetched and
        texts embedded (must be 0)."""
        from bench.fake_site import FakeSite
        from index.loading.web.feeds import html_to_text  # noqa: F401 - the feed module loads before timing

        n = 100
        embedded = 0
        encode_tokens, encode = self.embedder.encode_tokens, self.embedder.encode

        def count_tokens(texts: list[str]):  # noqa: ANN202
            nonlocal embedded
            embedded += len(texts)
            return encode_tokens(texts)

        def count(texts: list[str]):  # noqa: ANN202
            nonlocal embedded
            embedded += len(texts)
            return encode(texts)

        with tempfile.TemporaryDirectory(prefix="qa-web-") as tmp, FakeSite() as site:
            settings = self.settings_for(Path(tmp) / "data")
            settings.web.allow_hosts = ["127.0.0.1"]
            assistant = Assistant(settings, embedder=self.embedder)
            site.page("/rss.xml", _feed(site, n), content_type="application/rss+xml", etag='"v1"')
            started = time.perf_counter()
            first = assistant.web.ingest_feed(site.url("/rss.xml"))
            seconds = time.perf_counter() - started
            self.add(Row(f"web: first ingest of a feed of {n} articles (fetch, extract, embed)", seconds, "s",
                         note=f"{first.count('indexed')} indexed, {first.chunks_added} chunks, "
                              f"{first.requests} requests"))
            self.embedder.encode_tokens, self.embedder.encode = count_tokens, count  # type: ignore[method-assign]
            try:
                for label, etag in (("answered 304", '"v1"'), ("served 200, entries unchanged", '"v2"')):
                    site.routes["/rss.xml"].etag = etag
                    site.reset_counts()
                    embedded = 0
                    started = time.perf_counter()
                    report = assistant.web.refresh(site.url("/rss.xml")).sources[0]
                    seconds = time.perf_counter() - started
                    pages = sum(hits for path, hits in site.hits.items() if path.startswith("/news/"))
                    self.add(Row(f"web: refresh of {n} unchanged entries, {label}", seconds * 1000, "ms", "< 1000",
                                 seconds < 1,
                                 note=f"{report.status}, {report.count('unchanged')} unchanged, {pages} pages "
                                      f"fetched, {sum(site.hits.values())} requests"))
                    self.add(Row(f"web: texts embedded by that refresh ({label})", embedded, "texts", "0",
                                 embedded == 0))
            finally:
                del self.embedder.encode_tokens, self.embedder.encode
            assistant.web.close()

    def extraction(self) -> None:
        """Article extraction (trafilatura) on the saved pages of bench/pages/: precision and recall
        of the extracted words against each page's expected main text."""
        from bench.extraction import score_pages

        scores, precision, recall = score_pages()
        for score in scores:
            self.add(Row(f"extraction, {score.name}: word precision", score.precision, "",
                         note=f"recall {score.recall:.3f}; {score.extracted} words extracted, {score.expected} expected"))
        self.add(Row(f"extraction, {len(scores)} pages: word precision", precision, "", ">= 0.93", precision >= 0.93))
        self.add(Row(f"extraction, {len(scores)} pages: word recall", recall, "", ">= 0.98", recall >= 0.98))

    def documents(self) -> None:
        """PDF and Word files of known text (bench/documents.py): word precision and recall of the
        loaders, and ingest time per character against the same articles as .txt files."""
        from bench.documents import documents, measure_speed, score_all

        docs = documents()
        scores, precision, recall = score_all(docs)
        for score in scores:
            self.add(Row(f"documents, {score.name}: word precision", score.precision, "",
                         note=f"recall {score.recall:.3f}, word-pair recall {score.pair_recall:.3f}; {score.layout}"))
        self.add(Row(f"documents, {len(scores)} files: word precision", precision, "", ">= 0.95", precision >= 0.95))
        self.add(Row(f"documents, {len(scores)} files: word recall", recall, "", ">= 0.95", recall >= 0.95))
        speed = measure_speed(docs, self.settings_for, self.embedder)
        self.add(Row("documents: ingest time per character, PDF/Word files / the same text as .txt", speed.ratio, "x",
                     "<= 2.0", speed.ratio <= 2.0, note=f"{speed.characters} characters, best of 5; loaders alone "
                                                         f"{speed.load_ratio:.0f}x"))


def _feed(site, n: int) -> str:  # noqa: ANN001
    """`n` news articles published on `site` and the RSS 2.0 feed that lists them."""
    import html as html_lib
    from email.utils import format_datetime

    items = []
    for i in range(n):
        day = dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone.utc) + dt.timedelta(days=i)
        title = f"Council report number {i} on the harbour budget"
        paragraphs = [f"The council published report number {i} on Monday, covering the harbour budget for district {i}.",
                      f"It says spending on the piers rose by {i % 17 + 3} percent and asks for {i * 3 + 40} new berths.",
                      f"A public meeting on report {i} will be held at the town hall on the first Thursday of the month."]
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        site.page(f"/news/{i}", f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
                                f"<article><h1>{title}</h1>{body}</article><footer>Copyright</footer></body></html>")
        items.append(f"<item><title>{html_lib.escape(title)}</title><link>{site.url(f'/news/{i}')}</link>"
                     f"<guid>report-{i}</guid><pubDate>{format_datetime(day)}</pubDate>"
                     f"<description>{html_lib.escape(paragraphs[0])}</description></item>")
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Bench feed</title><link>http://x/</link>'
            "<description>d</description>" + "".join(items) + "</channel></rss>")


def _small_files(articles, folder: Path) -> int:  # noqa: ANN001
    """The articles cut into news-sized files of three paragraphs each; returns how many."""
    folder.mkdir(parents=True)
    count = 0
    for article in articles:
        paragraphs = article.text.split("\n\n")
        for start in range(0, len(paragraphs), 3):
            text = "\n\n".join(paragraphs[start:start + 3])
            (folder / f"{count:05d}.txt").write_text(f"{article.title}, part {start // 3 + 1}\n\n{text}",
                                                     encoding="utf-8")
            count += 1
    return count


def _big_corpus(folder: Path, n: int) -> tuple[Path, Path]:
    """`n` distinct news-sized articles (SQuAD paragraphs, each made unique) as one JSONL file
    and as `n` text files."""
    data = json.loads((EVAL_DIR / "squad-v1.1-dev.json").read_text(encoding="utf-8"))["data"]
    paragraphs = [p["context"] for article in data for p in article["paragraphs"]]
    files = folder / "files"
    files.mkdir(parents=True)
    dump = folder / "dump.jsonl"
    with dump.open("w", encoding="utf-8") as out:
        for i in range(n):
            title = f"Dispatch {i}"
            text = f"{paragraphs[i % len(paragraphs)]} This is dispatch number {i}."
            out.write(json.dumps({"id": f"dispatch-{i}", "title": title, "date": "2024-01-01", "text": text}) + "\n")
            (files / f"dispatch-{i:06d}.txt").write_text(f"Title: {title}\nDate: 2024-01-01\n\n{text}",
                                                          encoding="utf-8")
    return dump, files


_PEAK = "import resource, sys\nfrom ui.cli import main\ntry:\n    main()\nfinally:\n" \
        "    print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"


def _ingest_peak(source: Path, data_dir: Path, model_cache: Path) -> tuple[float, float, int]:
    """`qa ingest --json SOURCE` in a fresh process with the model already exported:
    (seconds, peak RSS in MB, chunks added)."""
    started = time.perf_counter()
    env = {**_env(data_dir), "QA_EMBEDDING__CACHE_DIR": str(model_cache)}
    done = subprocess.run([sys.executable, "-c", _PEAK, "ingest", "--json", str(source)], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB")), 0)
    if done.returncode != 0:
        raise RuntimeError(f"qa ingest {source} failed:\n{done.stderr[-2000:]}")
    return seconds, peak / 1024, json.loads(done.stdout)["chunks_added"]


def _recipe_ingest(articles, workdir: Path, batch_size: int) -> tuple[float, int]:  # noqa: ANN001
    """The tutorial recipe as written: splitter 1000/200, sentence-transformers on torch, Chroma.

    `HuggingFaceEmbeddings` (langchain-huggingface) cannot be installed next to Gradio here (it
    pins huggingface_hub < 2); this is what it does: SentenceTransformer.encode, batch 32.
    """
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from index.embedding.embed import TorchEncoder
    from index.storage.store import embedded_client

    class SentenceTransformerEmbeddings(Embeddings):
        def __init__(self) -> None:
            self.model = TorchEncoder("all-MiniLM-L6-v2").model

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.model.encode(texts, batch_size=batch_size, show_progress_bar=False).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    embeddings = SentenceTransformerEmbeddings()
    embeddings.embed_documents(["warm up"])
    started = time.perf_counter()
    docs = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        [Document(page_content=a.text, metadata={"source": a.id}) for a in articles])
    store = Chroma(client=embedded_client(workdir), collection_name="recipe", embedding_function=embeddings)
    store.add_documents(docs)
    return len(docs) / (time.perf_counter() - started), len(docs)


def _timed(fn: Callable, items) -> list[float]:  # noqa: ANN001
    items = list(items)
    for item in items[:5]:  # warm caches and lazy paths, unmeasured
        fn(item)
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty sample (numpy's "inverted_cdf" method)."""
    return float(np.percentile(values, p, method="inverted_cdf"))


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "QA_DATA__DIR": str(data_dir)}


@contextlib.contextmanager
def _server(data_dir: Path) -> Iterator[tuple[str, int, float]]:
    """Start `qa serve` on the index; yield (url, pid, seconds from start to its first answer)."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen([QA, "serve", "--port", str(port)], env=_env(data_dir), cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    if httpx.post(f"{url}/api/ask", json={"question": "Who won?"}, timeout=10).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.perf_counter() - started > 300:
                    log.seek(0)
                    raise RuntimeError(f"qa serve did not answer:\n{log.read()}")
                time.sleep(0.05)
            yield url, proc.pid, time.perf_counter() - started
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _log_tail(pid: int, chars: int = 4000) -> str:
    """The end of a running `qa serve`'s log (its stdout is the log file `_server` gave it)."""
    try:
        return Path(f"/proc/{pid}/fd/1").read_text(errors="replace")[-chars:]
    except OSError as exc:
        return f"(unreadable: {exc})"


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


def write_results(rows: list[Row], settings: Settings, seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    name = f"{stamp}-{platform.node() or 'host'}"
    header = ["measure", "value", "unit", "target", "met", "note"]
    lines = [f"# Benchmark {stamp}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"backend {settings.embedding.backend}; took {seconds / 60:.1f} min. Command: `make bench`.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps([row.__dict__ for row in rows], indent=1), encoding="utf-8")
    return RESULTS / f"{name}.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 100k-chunk index")
    parser.add_argument("--only",
                        default="ingest,big_ingest,latency,grounding,llm,filters,update,http,load,cold,memory,"
                                "web_refresh,extraction,documents",
                        help="comma-separated measures to run")
    parser.add_argument("--questions", type=int, default=200, help="questions per latency measure")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    settings = load_settings()
    bench = Bench(settings, args.questions, args.quick)
    started = time.perf_counter()
    print(" | ".join(["measure", "value", "unit", "target", "met", "note"]), flush=True)
    for name in args.only.split(","):
        getattr(bench, name.strip())()
    path = write_results(bench.rows, settings, time.perf_counter() - started)
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
