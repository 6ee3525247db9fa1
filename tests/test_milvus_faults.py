"""Faults with real processes (`store.backend: milvus`): one `milvus-lite server`, two `qa serve`
replicas and `qa ingest`, each its own process with its own data dir, sharing the engine and one
record database.

- what `qa ingest` writes is answered by both replicas within 2 s;
- the engine stopped: every request that needs it gets a 503 JSON naming its address (the chat a
  sentence saying so); the engine back: both replicas answer again, never restarted;
- a replica SIGKILLed while questions keep coming leaves the other answering every one;
- an ingest interrupted by an engine restart, run again, leaves exactly the chunks of a clean
  ingest of the same files: no duplicates, none missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from index.embedding.embed import Embedder
from index.storage.milvus.lite_server import LiteServer
from qa.api import Assistant
from qa.config import Settings
from tests.support import KEPT_ENV, MODEL_CACHE, OFFLINE_ENV, QA_SCRIPT, ROOT, child_process, free_port
from tests.test_big_input import filing_code, write_dump

pytestmark = [pytest.mark.milvus, pytest.mark.slow]

ADMIN_PASSWORD = "fault-test-admin"
TITLE = "Vellmar harbour reopens"
ARTICLE = (f"Title: {TITLE}\nDate: 2024-03-02\n\n"
           "The harbour of Vellmar reopened on Saturday after the winter storms. "
           "The night ferry to Vellmar resumes on 14 March, the port authority said. "
           "Repairs to the north pier cost 3.2 million euros.\n")
QUESTION = "When does the night ferry to Vellmar resume?"
EXPECTED = "14 March"


def milvus_env(data_dir: Path, uri: str, collection: str, records: Path) -> dict[str, str]:
    """A `qa` child's environment: offline, the network guard, Milvus mode, its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_") or k in KEPT_ENV}
    env.update(OFFLINE_ENV)
    env.update({"QA_DATA__DIR": str(data_dir), "QA_EMBEDDING__CACHE_DIR": str(MODEL_CACHE),
                "QA_STORE__BACKEND": "milvus", "QA_STORE__URI": uri, "QA_STORE__COLLECTION": collection,
                "QA_STORE__RECORDS_URL": f"sqlite:///{records}", "QA_WEB__BACKGROUND_REFRESH": "false",
                "QA_ADMIN_PASSWORD": ADMIN_PASSWORD, "QA_WEB__ALLOW_HOSTS": "[127.0.0.1]"})
    return env


def milvus_settings(data_dir: Path, uri: str, collection: str, records: Path) -> Settings:
    store = Settings().store.model_copy(update={"backend": "milvus", "uri": uri, "collection": collection,
                                                "records_url": f"sqlite:///{records}"})
    return Settings().model_copy(update={"data": Settings().data.model_copy(update={"dir": data_dir}),
                                         "store": store})


@dataclass
class Replica:
    url: str
    process: subprocess.Popen


@dataclass
class Cluster:
    engine: LiteServer
    replicas: list[Replica]
    folder: Path
    collection: str
    records: Path
    ingests: list[Path] = field(default_factory=list)

    def env(self, data_dir: Path) -> dict[str, str]:
        return milvus_env(data_dir, self.engine.uri, self.collection, self.records)

    def ingest(self, *paths: Path) -> subprocess.CompletedProcess:
        data_dir = self.folder / f"ingest-{len(self.ingests)}"
        self.ingests.append(data_dir)
        return subprocess.run([QA_SCRIPT, "ingest", "--json", *map(str, paths)], env=self.env(data_dir), cwd=ROOT,
                              capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One engine and two `qa serve` replicas for the module (starting a replica costs seconds)."""
    folder = tmp_path_factory.mktemp("milvus-faults")
    collection = f"faults_{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        engine = stack.enter_context(LiteServer(folder / "engine"))
        built = Cluster(engine, [], folder, collection, folder / "records.sqlite")
        for name in ("a", "b"):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            process = stack.enter_context(child_process(
                [QA_SCRIPT, "serve", "--port", str(port)], ready_url=f"{url}/api/health",
                log_path=folder / f"replica-{name}.log", env=built.env(folder / f"replica-{name}"),
                cwd=ROOT, start_s=180, stop_s=3))
            built.replicas.append(Replica(url, process))
        yield built


@contextlib.contextmanager
def news_site(folder: Path) -> Iterator[str]:
    """A loopback web site serving one article page (for the admin route that fetches and stores)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"<p>{line}</p>" for line in ARTICLE.splitlines()[3:] * 3)
    (folder / "vellmar.html").write_text(f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
                                         f"<time datetime='2024-03-02'>2 March 2024</time>{body}</article></body></html>",
                                         encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/vellmar.html"
    finally:
        server.shutdown()
        server.server_close()


def ask(url: str, question: str = QUESTION, timeout: float = 30) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question}, timeout=timeout)


def answers(response: httpx.Response) -> bool:
    """Whether the response is the Vellmar article's answer, cited."""
    if response.status_code != 200:
        return False
    body = response.json()
    return EXPECTED in body["answer"] and any(c["title"] == TITLE for c in body["citations"])


def test_what_one_process_ingests_both_replicas_answer_within_2_s(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.replicas
    assert not answers(ask(b.url))  # asked before: nothing cached may hide the new article later
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "vellmar.txt").write_text(ARTICLE, encoding="utf-8")
    done = cluster.ingest(tmp_path / "news")
    written = time.monotonic()
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["summary"]["indexed"] == 1
    waited = {}
    for replica in (b, a):
        while not answers(ask(replica.url)):
            assert time.monotonic() - written < 2.0, f"{replica.url} did not answer within 2 s of the ingest"
            time.sleep(0.05)
        waited[replica.url] = time.monotonic() - written
    assert max(waited.values()) <= 2.0, waited
    health = httpx.get(f"{a.url}/api/health", timeout=10).json()
    assert health["engine"] == {"backend": "milvus", "address": cluster.engine.uri, "state": "up"}
    assert health["articles"] == 1


@pytest.fixture
def page(tmp_path: Path) -> Iterator[str]:
    with news_site(tmp_path / "site") as url:
        yield url


def test_the_engine_stopped_every_request_gets_503_naming_it_then_both_recover(cluster: Cluster, page: str) -> None:
    from gradio_client import Client

    pids = [r.process.pid for r in cluster.replicas]
    chat = Client(cluster.replicas[0].url, verbose=False)  # connected while the engine is up
    cluster.engine.stop()
    requests = [("GET", "/api/health", None), ("GET", "/api/articles", None),
                ("POST", "/api/ask", {"question": QUESTION}), ("POST", "/api/ask/stream", {"question": QUESTION}),
                ("POST", "/api/articles/url", {"urls": [page]})]  # admin: fetched, then refused by the engine
    admin = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}
    for replica in cluster.replicas:
        for method, path, body in requests:
            response = httpx.request(method, f"{replica.url}{path}", json=body, headers=admin, timeout=60)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/json" and response.headers["retry-after"]
            error = response.json()
            assert error["ok"] is False and error["status"] == 503
            assert error["engine"] == {"backend": "milvus", "address": cluster.engine.uri, "state": "down"}
            assert cluster.engine.uri in error["error"] and "make milvus" in error["error"]
            assert "Traceback" not in response.text
    said = chat.predict(QUESTION, api_name="/chat")
    assert "cannot be searched right now" in said and cluster.engine.uri in said and "Traceback" not in said

    cluster.engine.start()
    deadline = time.monotonic() + 60
    for replica in cluster.replicas:
        while not answers(last := ask(replica.url)):
            assert time.monotonic() < deadline, \
                f"{replica.url} did not answer again after the engine came back: {last.status_code} {last.text[:300]}"
            time.sleep(0.5)
        health = httpx.get(f"{replica.url}/api/health", timeout=10)
        assert health.status_code == 200 and health.json()["engine"]["state"] == "up"
    assert [r.process.pid for r in cluster.replicas] == pids
    assert all(r.process.poll() is None for r in cluster.replicas)  # recovered, not restarted
    assert EXPECTED in chat.predict(QUESTION, api_name="/chat")
    stored = httpx.post(f"{cluster.replicas[1].url}/api/articles/url", json={"urls": [page]}, headers=admin, timeout=120)
    assert stored.status_code == 200, stored.text


def test_a_replica_killed_under_load_leaves_the_other_answering(cluster: Cluster) -> None:
    victim, survivor = cluster.replicas
    results: list[tuple[str, float, bool | str]] = []  # (replica url, when, answered or the error)
    stop = threading.Event()

    def load(offset: int) -> None:
        turn = offset
        while not stop.is_set():
            url = cluster.replicas[turn % 2].url
            turn += 1
            try:
                outcome: bool | str = answers(ask(url, timeout=30))
            except httpx.TransportError as exc:
                outcome = type(exc).__name__
            results.append((url, time.monotonic(), outcome))

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while sum(1 for u, _, ok in results if u == victim.url and ok is True) < 3:
        assert time.monotonic() < deadline, f"no answers under load: {results}"
        time.sleep(0.1)
    victim.process.kill()  # SIGKILL: no shutdown, requests in flight cut off
    victim.process.wait()
    killed = time.monotonic()
    while sum(1 for u, t, _ in results if u == survivor.url and t > killed + 0.5) < 8:
        assert time.monotonic() < killed + 90, f"the survivor stopped answering: {results[-10:]}"
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    from_survivor = [ok for u, _, ok in results if u == survivor.url]
    assert from_survivor and all(ok is True for ok in from_survivor), from_survivor
    after = [ok for u, t, ok in results if u == victim.url and t > killed + 0.5]
    assert after and all(ok is not True for ok in after)  # the dead one refuses connections
    assert survivor.process.poll() is None


def test_an_ingest_cut_by_an_engine_restart_resumes_to_a_clean_ingests_chunks(tmp_path: Path,
                                                                            embedder: Embedder) -> None:
    dump = write_dump(tmp_path / "dump.jsonl", 300)
    records = tmp_path / "records.sqlite"
    with LiteServer(tmp_path / "engine") as engine:
        env = milvus_env(tmp_path / "writer", engine.uri, "interrupted", records)
        watcher = Assistant(milvus_settings(tmp_path / "watcher", engine.uri, "interrupted", tmp_path / "w.sqlite"),
                            embedder=embedder)
        run = subprocess.Popen([QA_SCRIPT, "ingest", "--json", str(dump)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 240
            while watcher.store.count() < 40:  # some batches stored, most to come
                assert run.poll() is None, f"the ingest ended before it could be cut:\n{run.stdout.read()}"
                assert time.monotonic() < deadline, "the ingest wrote nothing"
                time.sleep(0.1)
            engine.stop()
            out, _ = run.communicate(timeout=240)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
        assert run.returncode == 2, out  # one error line, not a report of files that "failed"
        assert f"cannot reach the Milvus engine at {engine.uri}" in out and "Traceback" not in out

        engine.start()
        cut = watcher.store.count()
        assert 0 < cut
        again = subprocess.run([QA_SCRIPT, "ingest", "--json", str(dump)], env=env, cwd=ROOT, capture_output=True,
                               text=True, timeout=600)
        assert again.returncode == 0, again.stdout + again.stderr
        assert json.loads(again.stdout)["summary"]["failed"] == 0

        clean = Assistant(milvus_settings(tmp_path / "clean", engine.uri, "clean", tmp_path / "clean.sqlite"),
                          embedder=embedder)
        clean.ingest([dump])
        resumed = Assistant(milvus_settings(tmp_path / "writer", engine.uri, "interrupted", records),
                            embedder=embedder)
        got = [chunk_id for chunk_id, _, _ in resumed.store.stored_chunks()]
        expected = [chunk_id for chunk_id, _, _ in clean.store.stored_chunks()]
        assert len(got) == len(set(got)), "duplicate chunk ids in the engine"
        assert set(got) == set(expected) and len(got) == len(expected)
        assert set(resumed.store.records.list_keys()) == set(got)
        assert {a.id: a.chunks for a in resumed.articles()} == {a.id: a.chunks for a in clean.articles()}
        docs = resumed.retriever.invoke(f"Which dispatch has the filing code {filing_code(123)}?", k=3)
        assert "dispatch-123" in {d.metadata["article_id"] for d in docs}
