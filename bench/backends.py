"""`make bench`'s `backends` table: the same articles and questions in each store backend.

    python -m bench.backends [--sizes 10000,100000] [--questions 60] [--only chroma-embedded,chroma-server,milvus]

For each backend and corpus size: ingest throughput (chunks/s through the project's own
ingestion: chunking, the store's writes, its keyword side and sentence evidence), then one
`qa serve` replica on that index (a process of its own, as in production) answering questions
over HTTP: p50/p95 latency, and the replica's resident memory after them (VmRSS) and at its
peak (VmHWM). The engine's own memory (a Chroma server, `milvus-lite server`) is a note.

Backends: Chroma embedded (the replica opens the writer's data dir), Chroma server (`chroma run`;
the replica has a fresh data dir of its own, like another host) and Milvus (`milvus-lite
server`; a fresh replica data dir too).

Embedding 100k chunks takes hours on 2 cores, and the model's speed is the same in every
backend (the main table measures it), so the vectors are *not* computed per chunk here: 512 real
chunks are embedded once, and every chunk gets one of them, chosen by a hash of its text, with a
little noise and renormalized (token vectors alike, of the true token count). The texts, their
lengths, the BM25 side and the sizes on disk are real; the questions are real and embedded by the
real model in the replica. Written to bench/results/<date>-backends.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import logging
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False"),
                      ("GRADIO_ANALYTICS_ENABLED", "False"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)

from bench.corpus import EVAL_DIR, edition, real_articles  # noqa: E402
from index.embedding.embed import Embedder, Encoder  # noqa: E402
from index.storage.milvus.lite_server import LiteServer, free_port  # noqa: E402
from qa.api import Assistant, build_embedder  # noqa: E402
from qa.config import Settings, load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
QA = str(Path(sys.executable).with_name("qa"))
CHROMA = str(Path(sys.executable).with_name("chroma"))
BACKENDS = ("chroma-embedded", "chroma-server", "milvus")
# The targets for a Milvus-mode replica at 100k chunks.
RSS_TARGET_MB, P95_TARGET_MS = 450, 120
logger = logging.getLogger("bench.backends")


class BankEncoder:
    """Vectors for any text without running the model: one of `bank` (real vectors), picked by a
    hash of the text, plus 5% noise, renormalized; token vectors alike, as many as the real
    tokenizer gives (the answer path locates sentences by those counts)."""

    def __init__(self, inner: Encoder, bank: np.ndarray) -> None:
        self.inner, self.bank, self.dimension = inner, bank, inner.dimension
        # Drawn once: a normal draw per token would cost more than the store's writes.
        self.noise = np.random.default_rng(0).standard_normal((8192, self.dimension)).astype(np.float32)

    def _vectors(self, seed: int, base: np.ndarray, n: int) -> np.ndarray:
        vectors = base + 0.05 * self.noise[(seed % len(self.noise) + np.arange(n)) % len(self.noise)]
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.encode_tokens(texts, batch_size)[0]

    def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
        pooled, tokens = [], []
        for text, count in zip(texts, self.inner.content_token_counts(texts), strict=True):
            seed = int(hashlib.blake2b(text.encode(), digest_size=8).hexdigest(), 16)
            base = self.bank[seed % len(self.bank)]
            pooled.append(self._vectors(seed, base[None, :], 1)[0])
            tokens.append(self._vectors(seed + 1, base[None, :], count))
        return np.stack(pooled) if pooled else np.zeros((0, self.dimension), np.float32), tokens

    def content_token_counts(self, texts: list[str]) -> list[int]:
        return self.inner.content_token_counts(texts)


@dataclass
class Result:
    backend: str
    chunks: int
    ingest_per_s: float
    p50_ms: float
    p95_ms: float
    rss_mb: float
    peak_mb: float
    engine_mb: float | None

    def cells(self) -> list[str]:
        met = ""
        if self.backend == "milvus":
            ok = self.rss_mb <= RSS_TARGET_MB and self.p95_ms <= P95_TARGET_MS
            met = "yes" if ok else "**no**"
        engine = "-" if self.engine_mb is None else f"{self.engine_mb:.0f}"
        return [self.backend, f"{self.chunks / 1000:.0f}k", f"{self.ingest_per_s:.0f}", f"{self.p50_ms:.0f}",
                f"{self.p95_ms:.0f}", f"{self.rss_mb:.0f}", f"{self.peak_mb:.0f}", engine, met]


HEADER = ["backend", "chunks", "ingest chunks/s", "question p50 ms", "question p95 ms", "replica RSS MB",
          "replica peak MB", "engine RSS MB", f"target (milvus: RSS <= {RSS_TARGET_MB}, p95 <= {P95_TARGET_MS})"]


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} for process {pid}")


@contextlib.contextmanager
def _process(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """A child process, always stopped (by its own pid) when the block ends."""
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout_s: float = 900) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"port {port} did not open:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


class Backends:
    def __init__(self, settings: Settings, workdir: Path, questions: int) -> None:
        self.settings, self.workdir, self.questions = settings, workdir, questions
        real = build_embedder(settings)
        articles = real_articles()
        sample = [f"{a.title}\n\n{a.text[:900]}" for a in random.Random(0).sample(articles, 512)]
        bank = real.encode(sample)
        self.embedder = Embedder(real.model_name, backend=real.backend,
                                 encoder=BankEncoder(real._encoder, bank), batch_size=real.batch_size)
        self.articles = articles
        from qa.evaluation.datasets import load_dataset

        pool = load_dataset(EVAL_DIR / "squad-v1.1-dev.json").questions
        self.asked = [q.text for q in random.Random(1).sample(pool, questions + 5)]

    def _settings(self, data_dir: Path, **store: object) -> Settings:
        return self.settings.model_copy(update={
            "data": self.settings.data.model_copy(update={"dir": data_dir}),
            "store": self.settings.store.model_copy(update={"collection": "bench", **store})})

    def _ingest(self, settings: Settings, chunks: int) -> float:
        """Ingest editions of the real articles until `chunks`; chunks/s of the ingest calls."""
        assistant = Assistant(settings, embedder=self.embedder)
        spent, number = 0.0, 0
        while (have := assistant.store.count()) < chunks:
            batch = list(edition(self.articles, number))
            size = settings.chunking.size
            taken, estimate = [], 0
            for article in batch:  # about the chunks still missing (estimated from the lengths)
                if estimate >= chunks - have:
                    break
                taken.append(article)
                estimate += max(1, -(-len(article.text) // size))
            for start in range(0, len(taken), 200):
                began = time.perf_counter()
                assistant.ingest_articles(taken[start:start + 200])
                spent += time.perf_counter() - began
            logger.warning("  %s chunks", assistant.store.count())
            number += 1
        stored = assistant.store.count()
        with contextlib.suppress(AttributeError):
            assistant.store.close()
        return stored / spent

    def _replica(self, env: dict[str, str], log: Path) -> tuple[float, float, float, float]:
        """One `qa serve` on the index: (p50 ms, p95 ms, RSS MB after the questions, peak MB)."""
        import httpx

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with _process([QA, "serve", "--port", str(port)], log, env) as proc:
            # Not /api/health: it lists every article (`Assistant.stats`), which is slow in a big
            # Milvus collection; ready is when it answers a question (the first is unmeasured).
            _wait_listening(port, proc, log)
            times = []
            for i, question in enumerate(self.asked):
                began = time.perf_counter()
                response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=900 if i == 0 else 120)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
                if i >= 5:  # the first five warm lazy paths, unmeasured
                    times.append((time.perf_counter() - began) * 1000)
            return (float(np.percentile(times, 50, method="inverted_cdf")),
                    float(np.percentile(times, 95, method="inverted_cdf")), _rss_mb(proc.pid), _rss_mb(proc.pid, "VmHWM"))

    def _env(self, data_dir: Path, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_STORE__")}
        return {**env, "QA_DATA__DIR": str(data_dir), "QA_STORE__COLLECTION": "bench",
                "QA_WEB__BACKGROUND_REFRESH": "false", "QA_SERVER__RATE_LIMIT": "0", **overrides}

    def run(self, backend: str, chunks: int) -> Result:
        folder = self.workdir / f"{backend}-{chunks}"
        folder.mkdir(parents=True)
        engine_mb = None
        if backend == "chroma-embedded":
            rate = self._ingest(self._settings(folder / "data"), chunks)
            p50, p95, rss, peak = self._replica(self._env(folder / "data"), folder / "replica.log")
            return Result(backend, chunks, rate, p50, p95, rss, peak, None)
        if backend == "chroma-server":
            port = free_port()
            log = folder / "chroma.log"
            with _process([CHROMA, "run", "--path", str(folder / "server"), "--host", "127.0.0.1", "--port",
                           str(port)], log) as server:
                _wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, log)
                rate = self._ingest(self._settings(folder / "writer", mode="server", port=port), chunks)
                p50, p95, rss, peak = self._replica(
                    self._env(folder / "replica", QA_STORE__MODE="server", QA_STORE__PORT=str(port)),
                    folder / "replica.log")
                engine_mb = _rss_mb(server.pid)
            return Result(backend, chunks, rate, p50, p95, rss, peak, engine_mb)
        with LiteServer(folder / "engine") as engine:
            rate = self._ingest(self._settings(folder / "writer", backend="milvus", uri=engine.uri), chunks)
            p50, p95, rss, peak = self._replica(
                self._env(folder / "replica", QA_STORE__BACKEND="milvus", QA_STORE__URI=engine.uri),
                folder / "replica.log")
            engine_mb = _rss_mb(engine.process.pid)
        return Result(backend, chunks, rate, p50, p95, rss, peak, engine_mb)


def write_results(results: list[Result], settings: Settings, seconds: float, command: str, note: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    lines = [f"# Store backends {stamp}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"embedding backend {settings.embedding.backend}; took {seconds / 60:.1f} min. Command: `{command}`.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in results]
    lines += ["", note]
    path = RESULTS / f"{stamp}-{platform.node() or 'host'}-backends.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


NOTE = ("Notes: chunk vectors are not computed per chunk (512 real chunks embedded once, each chunk given one of "
        "them by a hash of its text, with 5% noise; token vectors alike), so ingest chunks/s is the store's write "
        "path (chunking, writes, keyword side, sentence evidence) without the model, which costs the same in every "
        "backend (see the main table). Questions are real SQuAD v1.1 questions, embedded by the real model in the "
        "replica, asked one at a time over HTTP after 5 unmeasured warm-up questions. Replica RSS: the `qa serve` "
        "process after the questions (VmRSS) and its peak (VmHWM). Chroma embedded: the replica opens the writer's "
        "data dir (keyword index and sentence vectors already there); Chroma server and Milvus: a fresh replica data "
        "dir, like another host (Chroma server mode rebuilds its keyword index from the server and computes the "
        "sentence vectors of the chunks it reads with the model). milvus-lite is the development engine: Milvus "
        "Standalone/Distributed were not measured.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes in chunks, comma-separated")
    parser.add_argument("--questions", type=int, default=60, help="measured questions per replica")
    parser.add_argument("--only", default=",".join(BACKENDS), help=f"backends among {', '.join(BACKENDS)}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    chosen = [b.strip() for b in args.only.split(",")]
    for name in chosen:
        if name not in BACKENDS:
            raise SystemExit(f"unknown backend {name!r}; choose among {', '.join(BACKENDS)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    settings = load_settings()
    started = time.perf_counter()
    results = []
    print(" | ".join(HEADER), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        bench = Backends(settings, Path(tmp), args.questions)
        for size in sizes:
            for backend in chosen:
                results.append(bench.run(backend, size))
                print(" | ".join(results[-1].cells()), flush=True)
    command = "python -m bench.backends " + " ".join(argv if argv is not None else sys.argv[1:])
    path = write_results(results, settings, time.perf_counter() - started, command.strip(), NOTE)
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
