"""Hostile clients of the administration: huge bodies sent without (or with) the password, floods
of wrong passwords, and server files named in a Gradio upload.

A real `qa serve` on loopback where streaming and memory matter (its resident memory sampled from
/proc, `/api/health` timed meanwhile); in process (httpx over ASGI, or Starlette's TestClient
where Gradio's queue must run) where client addresses are simulated with X-Forwarded-For from a
trusted proxy.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.config import Settings
from tests.support import QA_SCRIPT, ROOT, SAMPLE_DIR, child_process, free_port
from ui.app import create_app
from ui.auth import BUSY_FAILURES, AdminAuth, AdminDenied

PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {PASSWORD}"}
GIB = 1 << 30
ADMIN_ROUTES = ["/api/articles/url", "/api/sources", "/api/sources/refresh"]


# -- helpers ---------------------------------------------------------------------------------
class Body:
    """A body of `total` bytes made while it is sent (never held in memory), sent chunked (no
    Content-Length); `sent` counts the bytes handed to the connection."""

    def __init__(self, total: int = GIB, piece: int = 64 * 1024) -> None:
        self.total, self.piece, self.sent = total, b"x" * piece, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.total:
            self.sent += len(self.piece)
            yield self.piece


# Asks /api/health every 100 ms, from a process of its own (the test's busy event loop would
# delay its answers), until stdin closes; prints each answer's seconds (inf: no answer).
HEALTH_POLLER = """
import sys, threading, time, httpx
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
with httpx.Client(timeout=10) as client:
    while True:
        started = time.monotonic()
        try:
            answered = client.get(sys.argv[1] + "/api/health").status_code == 200
        except httpx.HTTPError:
            answered = False
        print(time.monotonic() - started if answered else "inf", flush=True)
        if done.wait(0.1):
            break
"""


@dataclass
class Watch:
    """While open: the server's resident memory (VmRSS) sampled every 20 ms, and /api/health
    asked every 100 ms (each answer's seconds in `health_s`)."""

    url: str
    pid: int
    start_mb: float = 0.0
    peak_mb: float = 0.0
    health_s: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024

    def __enter__(self) -> Watch:
        self.start_mb = self.peak_mb = self.rss_mb()
        self._memory = threading.Thread(target=self._sample, daemon=True)
        self._memory.start()
        self._poller = subprocess.Popen([sys.executable, "-c", HEALTH_POLLER, self.url], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self._first = self._poller.stdout.readline()  # polling: the first answer came
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._memory.join(10)
        out, _ = self._poller.communicate("", timeout=30)
        self.health_s = [float(line) for line in (self._first + out).split()]

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.start_mb

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_mb = max(self.peak_mb, self.rss_mb())


def call_gradio(client: httpx.Client | TestClient, api: str, data: list[Any],
                headers: dict[str, str] | None = None) -> tuple[str, Any]:
    """A Gradio endpoint as gradio_client calls it: POST /gradio_api/call/API, then read its
    event stream; returns the last event's name ("complete" or "error") and data."""
    started = client.post(f"/gradio_api/call/{api}", json={"data": data}, headers=headers or {})
    assert started.status_code == 200, started.text
    stream = client.get(f"/gradio_api/call/{api}/{started.json()['event_id']}", headers=headers or {})
    events = [block for block in stream.text.split("\n\n") if block.startswith("event:")]
    name, _, data_line = events[-1].partition("\n")
    return name.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


# -- a real server ---------------------------------------------------------------------------
@dataclass
class Served:
    url: str
    pid: int
    gradio_cache: Path
    uploads: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`qa serve` with the admin password, the sample article, its own Gradio cache and a 1 MB
    upload limit (so that the upload route's limit is cheap to pass)."""
    root = tmp_path_factory.mktemp("hostile-admin")
    port = free_port()
    env = {**os.environ, "QA_DATA__DIR": str(root / "data"), "QA_ADMIN_PASSWORD": PASSWORD,
           "GRADIO_TEMP_DIR": str(root / "gradio"), "QA_SERVER__MAX_UPLOAD_MB": "1",
           "QA_WEB__BACKGROUND_REFRESH": "false"}
    args = [QA_SCRIPT, "serve", "--port", str(port), "--ingest-if-empty", str(SAMPLE_DIR)]
    url = f"http://127.0.0.1:{port}"
    with child_process(args, ready_url=f"{url}/api/health", log_path=root / "serve.log", env=env, cwd=ROOT,
                       start_s=120, stop_s=3) as proc:
        yield Served(url, proc.pid, root / "gradio", root / "data" / "uploads")


def post_big(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, float, Body]:
    body = Body()
    started = time.monotonic()
    with httpx.Client(timeout=60) as client:
        response = client.post(url + path, content=body,
                               headers={"Content-Type": "application/json", **(headers or {})})
    return response, time.monotonic() - started, body


def assert_json_error(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status and fragment in body["error"], body


@pytest.mark.slow
@pytest.mark.parametrize("path", ADMIN_ROUTES)
def test_a_gib_sent_to_an_admin_route_is_refused_before_it_is_read(served: Served, path: str) -> None:
    with Watch(served.url, served.pid) as watch:
        refused, refused_s, refused_body = post_big(served.url, path)
        admitted, admitted_s, admitted_body = post_big(served.url, path, ADMIN)
    print(f"\n{path}: no password -> {refused.status_code} in {refused_s:.2f} s ({refused_body.sent >> 20} MiB "
          f"sent); password -> {admitted.status_code} in {admitted_s:.2f} s ({admitted_body.sent >> 20} MiB sent); "
          f"server memory +{watch.growth_mb:.0f} MB; /api/health at most {max(watch.health_s):.3f} s")
    assert_json_error(refused, 401, "wrong or missing admin password")
    assert_json_error(admitted, 413, "over the limit of 262144 bytes")
    assert refused_s < 5 and admitted_s < 5
    assert refused_body.sent < 64 << 20 and admitted_body.sent < 64 << 20  # the rest was never asked for
    assert watch.growth_mb < 150
    assert max(watch.health_s) < 1


@pytest.mark.slow
def test_a_gib_question_is_refused_past_the_limit(served: Served) -> None:
    with Watch(served.url, served.pid) as watch:
        response, seconds, body = post_big(served.url, "/api/ask")
    print(f"\n/api/ask: {response.status_code} in {seconds:.2f} s ({body.sent >> 20} MiB sent); "
          f"server memory +{watch.growth_mb:.0f} MB")
    assert_json_error(response, 413, "over the limit of 262144 bytes")
    assert seconds < 5 and body.sent < 64 << 20 and watch.growth_mb < 150


# -- server files named in a Gradio upload ---------------------------------------------------
@pytest.mark.slow
def test_an_upload_takes_only_bytes_the_client_sent(served: Served, tmp_path: Path) -> None:
    outside = tmp_path / "secret-notes.txt"
    outside.write_text("Title: Secret\n\nThe vault code is 4711.", encoding="utf-8")
    with httpx.Client(base_url=served.url, timeout=60) as client:
        articles = client.get("/api/articles").json()
        before = files_under(served.gradio_cache) | files_under(served.uploads)
        for server_file in (ROOT / "README.md", outside):
            for password in ("wrong", PASSWORD):  # one wrong password is free: no wait follows
                named = {"path": str(server_file), "meta": {"_type": "gradio.FileData"}}
                for payload in (named, {**named, "is_stream": True}, {**named, "path": f"file://{server_file}"},
                                {**named, "path": "http://127.0.0.1:9/notes.txt"}):  # nor fetched
                    event, data = call_gradio(client, "upload", [password, [payload]])
                    assert event == "error", data
        assert client.get("/api/articles").json() == articles  # nothing indexed
        assert files_under(served.gradio_cache) | files_under(served.uploads) == before  # nothing copied

        # A genuine upload: the bytes go to Gradio's upload route, then the call names the file.
        sent = client.post("/gradio_api/upload", files={"files": ("harbour.md", b"---\ntitle: Harbour reopens\n---\n"
                                                                  b"The harbour of Lowtown reopened on Friday.")})
        assert sent.status_code == 200, sent.text
        uploaded = {"path": sent.json()[0], "meta": {"_type": "gradio.FileData"}}
        event, data = call_gradio(client, "upload", ["wrong", [uploaded]])
        assert event == "error" and "Wrong or missing admin password" in data["error"]
        assert not served.uploads.exists() or not any(served.uploads.iterdir())  # not copied before the check
        event, data = call_gradio(client, "upload", [PASSWORD, [uploaded]])
        assert event == "complete" and "**indexed** harbour.md" in data[0], data
        assert "Harbour reopens" in {a["title"] for a in client.get("/api/articles").json()}


@pytest.mark.slow
@pytest.mark.parametrize("mount", ["", "/embed"])
def test_the_upload_routes_take_up_to_max_upload_mb(served: Served, mount: str) -> None:
    """Over 256 KB (the other routes' limit) but within server.max_upload_mb (1 MB here): taken;
    past it, declared or counted while read: 413 in the JSON shape."""
    with httpx.Client(base_url=served.url, timeout=60) as client:
        fits = client.post(f"{mount}/gradio_api/upload", files={"files": ("big.txt", b"x" * (600 << 10))})
        assert fits.status_code == 200, fits.text
        declared = client.post(f"{mount}/gradio_api/upload", files={"files": ("big.txt", b"x" * (2 << 20))})
        assert_json_error(declared, 413, "the limit is")
        boundary = "b0undary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\n").encode()
        streamed = client.post(f"{mount}/gradio_api/upload", content=itertools.chain([head], Body()),
                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert_json_error(streamed, 413, "over the limit of")


@pytest.mark.slow
def test_a_chat_event_may_carry_a_long_conversation_but_not_more_than_2_mb(served: Served) -> None:
    """Gradio's chat events send the whole conversation: 1 MB of it reaches Gradio (which judges
    the content), 3 MB counted while read is 413 in the JSON shape."""
    def body(size: int) -> Iterator[bytes]:
        yield b'{"data": ["question", [{"role": "user", "content": "'
        yield from Body(size)
        yield b'"}]], "fn_index": 0, "session_hash": "abc"}'

    with httpx.Client(base_url=served.url, timeout=60) as client:
        long = client.post("/gradio_api/queue/join", content=body(1 << 20),
                           headers={"Content-Type": "application/json"})
        assert long.status_code != 413, long.text
        too_long = client.post("/gradio_api/queue/join", content=body(3 << 20),
                               headers={"Content-Type": "application/json"})
        assert_json_error(too_long, 413, "over the limit of 2097152 bytes")


# -- floods of wrong passwords ---------------------------------------------------------------
@pytest.mark.slow
def test_a_thousand_concurrent_wrong_passwords_get_401_or_429_and_health_keeps_answering(served: Served) -> None:
    async def flood(n: int) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=served.url, timeout=60, limits=limits) as client:
            return await asyncio.gather(*[
                client.post("/api/sources/refresh", json={}, headers={"Authorization": f"Bearer guess-{i}"})
                for i in range(n)])

    with Watch(served.url, served.pid) as watch:
        started = time.monotonic()
        responses = asyncio.run(flood(1100))
        seconds = time.monotonic() - started
    statuses = collections.Counter(r.status_code for r in responses)
    waits = sorted({int(r.headers["retry-after"]) for r in responses if "retry-after" in r.headers})
    print(f"\n1,100 concurrent wrong passwords: {dict(statuses)} in {seconds:.1f} s; Retry-After values {waits}; "
          f"/api/health at most {max(watch.health_s):.3f} s over {len(watch.health_s)} checks; "
          f"server memory +{watch.growth_mb:.0f} MB")
    assert set(statuses) <= {401, 429} and statuses[401] <= 5  # checked: the first few; the rest refused unchecked
    assert all(r.json()["ok"] is False for r in responses)
    assert waits and max(waits) <= 8
    assert max(watch.health_s) < 1

    # The flooding address waits out its (capped) wait, if it still runs, then the right password is let in.
    with httpx.Client(base_url=served.url, timeout=30) as client:
        admitted = client.post("/api/sources/refresh", json={}, headers=ADMIN)
        if admitted.status_code == 429:
            assert_json_error(admitted, 429, "too many wrong admin passwords from 127.0.0.1; try again in")
            time.sleep(int(admitted.headers["retry-after"]))
            admitted = client.post("/api/sources/refresh", json={}, headers=ADMIN)
        assert admitted.status_code == 200, admitted.text


@pytest.mark.slow
def test_a_flood_through_the_articles_tab_is_answered_at_once(served: Served) -> None:
    """Wrong guesses through Gradio's queue: none sleeps in a worker, so 100 at once are all
    answered within seconds, with the same rule as the JSON API."""
    async def guess(client: httpx.AsyncClient, password: str) -> str:
        started = await client.post("/gradio_api/call/add_urls", json={"data": [password, "https://example.org/a"]})
        stream = await client.get(f"/gradio_api/call/add_urls/{started.json()['event_id']}")
        return json.loads(stream.text.rstrip().rpartition("data: ")[2])["error"]

    async def flood(n: int) -> list[str]:
        async with httpx.AsyncClient(base_url=served.url, timeout=60, limits=httpx.Limits(max_connections=None)) as c:
            return await asyncio.gather(*[guess(c, f"guess-{i}") for i in range(n)])

    with Watch(served.url, served.pid) as watch:
        started = time.monotonic()
        errors = asyncio.run(flood(100))
        seconds = time.monotonic() - started
    answers = collections.Counter(e.partition(";")[0].partition(" Wait")[0] for e in errors)
    print(f"\n100 concurrent wrong passwords in the Articles tab: {dict(answers)} in {seconds:.1f} s; "
          f"/api/health at most {max(watch.health_s):.3f} s")
    assert set(answers) == {"Wrong or missing admin password.", "Too many wrong admin passwords from 127.0.0.1"}
    assert seconds < 30 and max(watch.health_s) < 1
    with httpx.Client(base_url=served.url, timeout=60) as client:  # the address waits, then gets in
        event, data = call_gradio(client, "refresh_source", [PASSWORD, None])
        if data["error"].startswith("Too many wrong admin passwords"):
            time.sleep(int(data["error"].rpartition("try again in ")[2].split()[0]))
            event, data = call_gradio(client, "refresh_source", [PASSWORD, None])
    assert event == "error" and data["error"] == "Choose the source to refresh."  # the password passed


# -- in process: client addresses behind a trusted proxy -------------------------------------
@pytest.fixture
def proxied(settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    """An assistant whose server trusts the proxy at 127.0.0.1 (the in-process client's address),
    without the rate limit (what is measured here is the password's own rule)."""
    monkeypatch.setenv("QA_ADMIN_PASSWORD", PASSWORD)
    settings.server.trusted_proxies = ["127.0.0.1"]
    settings.server.rate_limit = 0
    settings.web.background_refresh = False
    return Assistant(settings, embedder=embedder)


def from_address(address: str, password: str | None) -> dict[str, str]:
    return {"X-Forwarded-For": address, **({"Authorization": f"Bearer {password}"} if password else {})}


def test_the_right_password_from_another_address_is_let_in_during_a_flood(proxied: Assistant) -> None:
    transport = httpx.ASGITransport(app=create_app(proxied))

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async def refresh(address: str, password: str | None) -> httpx.Response:
                return await client.post("/api/sources/refresh", json={}, headers=from_address(address, password))

            # One address floods: 200 at once. Its first wrong passwords are checked, the rest refused unchecked.
            flood = await asyncio.gather(*[refresh("203.0.113.66", f"guess-{i}") for i in range(200)])
            statuses = collections.Counter(r.status_code for r in flood)
            assert set(statuses) == {401, 429} and statuses[401] == 2, statuses
            assert (await refresh("203.0.113.66", PASSWORD)).status_code == 429  # waiting: not checked
            assert (await refresh("198.51.100.7", PASSWORD)).status_code == 200  # another address: let in

            # Many addresses guess once each: past BUSY_FAILURES a minute, an address that failed
            # waits out its minute, while one that did not is still checked at once.
            for i in range(BUSY_FAILURES):
                assert (await refresh(f"192.0.2.{i}", "guess")).status_code == 401
            busy = await refresh("192.0.2.0", PASSWORD)
            assert_json_error(busy, 429, "too many wrong admin passwords from 192.0.2.0; try again in")
            assert 50 <= int(busy.headers["retry-after"]) <= 60
            assert (await refresh("198.51.100.8", PASSWORD)).status_code == 200
            missing = await refresh("198.51.100.9", None)  # a missing password is no guess
            assert_json_error(missing, 401, "send it as `Authorization: Bearer PASSWORD`")

    asyncio.run(go())


def test_both_faces_share_the_waits_and_see_the_clients_address(proxied: Assistant) -> None:
    """The Articles tab gets the client's address from Gradio's request (behind the trusted
    proxy too) and counts wrong passwords with the JSON API."""
    with TestClient(create_app(proxied), client=("127.0.0.1", 50000)) as client:
        for i in range(2):
            wrong = client.post("/api/sources/refresh", json={}, headers=from_address("203.0.113.66", f"guess-{i}"))
            assert wrong.status_code == 401
        event, data = call_gradio(client, "refresh_source", [PASSWORD, None], from_address("203.0.113.66", None))
        assert event == "error" and data["error"].startswith("Too many wrong admin passwords from 203.0.113.66")
        event, data = call_gradio(client, "refresh_source", [PASSWORD, None], from_address("198.51.100.7", None))
        assert event == "error" and data["error"] == "Choose the source to refresh."  # the password passed
        event, data = call_gradio(client, "add_urls", ["guess", ""], from_address("198.51.100.7", None))
        assert event == "error" and data["error"] == "Wrong or missing admin password."


def test_the_waits_are_capped_however_many_wrong_passwords_come() -> None:
    now = [0.0]
    auth = AdminAuth(PASSWORD, clock=lambda: now[0])
    waits = []
    for _ in range(2000):
        with pytest.raises(AdminDenied) as wrong:
            auth.verify("guess", "198.51.100.7")
        waits.append(wrong.value.retry_after)
        now[0] += 8
    assert waits[:6] == [None, 1, 2, 4, 8, 8] and set(waits[4:]) == {8}
    auth.verify(PASSWORD, "198.51.100.7")  # the wait is over: let in
