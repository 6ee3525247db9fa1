"""A small load generator: N concurrent clients asking questions for a fixed time.

    summary = run_load(http_asker(url), questions, clients=20, duration_s=60)

Each client is a thread with its own asker (a callable `ask(question)` that returns when the
answer is complete and raises when there is none), made before the clock starts so that
connecting is not measured. Clients start requests until the deadline; requests still in flight
then are waited for up to `grace_s` and counted; any still running after that count as failures
(their latency, a lower bound, is the time they had run). Loopback only: the askers refuse any
host but 127.0.0.1, ::1 and localhost.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

Ask = Callable[[str], Any]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class NoAnswer(Exception):
    """A response that came back without an answer."""


@dataclass(frozen=True)
class Outcome:
    latency_ms: float
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class LoadSummary:
    clients: int
    requests: int
    failures: int
    duration_s: float
    throughput: float  # answered requests per second of the run
    p50_ms: float | None  # latency of the answered requests (None when none was)
    p95_ms: float | None
    p99_ms: float | None
    errors: dict[str, int] = field(default_factory=dict)  # failure kind -> count

    def top_errors(self, n: int = 3) -> str:
        return "; ".join(f"{count}x {kind}" for kind, count in Counter(self.errors).most_common(n))


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (numpy's "inverted_cdf", the same rule as bench.run._pct); None
    for no values."""
    if not values:
        return None
    return float(np.percentile(values, p, method="inverted_cdf"))


def summarize(outcomes: Sequence[Outcome], duration_s: float, clients: int) -> LoadSummary:
    answered = [o.latency_ms for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    return LoadSummary(
        clients=clients, requests=len(outcomes), failures=len(failed), duration_s=duration_s,
        throughput=len(answered) / duration_s if duration_s > 0 else 0.0,
        p50_ms=percentile(answered, 50), p95_ms=percentile(answered, 95), p99_ms=percentile(answered, 99),
        errors=dict(Counter(o.error for o in failed)))


def describe(exc: BaseException) -> str:
    """A failure's kind, short enough to count: the exception's type and the start of its message."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message[:120]}" if message else type(exc).__name__


def run_load(make_asker: Callable[[], Ask], questions: Sequence[str], *, clients: int, duration_s: float,
             grace_s: float = 30.0, clock: Callable[[], float] = time.perf_counter) -> LoadSummary:
    """`clients` threads, each with its own `make_asker()`, ask `questions` (in turn, shared) for
    `duration_s`; returns within about `duration_s + grace_s` whatever the server does."""
    if not questions:
        raise ValueError("no questions")
    if clients < 1 or duration_s <= 0 or grace_s < 0:
        raise ValueError("clients >= 1, duration_s > 0 and grace_s >= 0 are needed")
    askers = []
    try:
        for _ in range(clients):
            askers.append(make_asker())
        return _run(askers, questions, duration_s, grace_s, clock)
    finally:
        for asker in askers:
            close = getattr(asker, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001, S110 - a client that fails to close changes no figure
                    pass


def _run(askers: list[Ask], questions: Sequence[str], duration_s: float, grace_s: float,
         clock: Callable[[], float]) -> LoadSummary:
    lock = threading.Lock()
    outcomes: list[Outcome] = []
    in_flight: dict[int, float] = {}  # worker -> when its current request started
    turn = itertools.count()
    closed = False
    start = clock()
    deadline = start + duration_s

    def worker(n: int, ask: Ask) -> None:
        while True:
            with lock:
                now = clock()
                if closed or now >= deadline:
                    return
                question = questions[next(turn) % len(questions)]
                in_flight[n] = now
            try:
                ask(question)
                ok, error = True, ""
            except BaseException as exc:  # noqa: BLE001 - every failure is counted, none stops the run
                ok, error = False, describe(exc)
            with lock:
                if closed:  # finished after the grace period: already counted as a failure
                    return
                started = in_flight.pop(n)
                outcomes.append(Outcome((clock() - started) * 1000, ok, error))

    threads = [threading.Thread(target=worker, args=(n, ask), name=f"load-{n}", daemon=True)
               for n, ask in enumerate(askers)]
    for thread in threads:
        thread.start()
    cutoff = deadline + grace_s
    for thread in threads:
        thread.join(timeout=max(0.0, cutoff - clock()))
    with lock:
        closed = True
        end = clock()
        for started in in_flight.values():
            outcomes.append(Outcome((end - started) * 1000, False, f"no response within the {grace_s:g} s grace"))
        in_flight.clear()
        # The run lasts until its last request ended (or the grace ran out), not just to the deadline.
        return summarize(list(outcomes), end - start, len(askers))


# -- askers ------------------------------------------------------------------------------

def _loopback(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"load is generated on loopback only, not {host!r}")
    return url.rstrip("/")


class HttpAsker:
    """`POST /api/ask` with `{"question": ...}`; an answer is a 200 with a non-empty `answer`."""

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        import httpx

        self.client = httpx.Client(base_url=_loopback(url), timeout=timeout_s, trust_env=False)

    def __call__(self, question: str) -> str:
        response = self.client.post("/api/ask", json={"question": question})
        if response.status_code != 200:
            raise NoAnswer(f"HTTP {response.status_code}: {response.text[:200]}")
        answer = response.json().get("answer") if "json" in response.headers.get("content-type", "") else None
        if not isinstance(answer, str) or not answer.strip():
            raise NoAnswer("a 200 without an answer")
        return answer

    def close(self) -> None:
        self.client.close()


class GradioAsker:
    """The chat through `gradio_client` (`/chat`, streamed; `predict` waits for the last message)."""

    def __init__(self, url: str, api_name: str = "/chat") -> None:
        from gradio_client import Client

        self.client = Client(_loopback(url) + "/", verbose=False)
        self.api_name = api_name

    def __call__(self, question: str) -> str:
        result = self.client.predict(question, api_name=self.api_name)
        answer = chat_text(result)
        if not answer.strip():
            raise NoAnswer(f"no answer in {result!r:.200}")
        return answer

    def close(self) -> None:
        self.client.close()


def chat_text(result: Any) -> str:
    """The text of a Gradio chat endpoint's result: a string, a message dict, or a list/tuple of them."""
    if isinstance(result, str):
        return result
    if isinstance(result, dict):
        return chat_text(result.get("content", result.get("text", "")))
    if isinstance(result, (list, tuple)):
        return " ".join(t for t in (chat_text(r) for r in result) if t)
    return ""


def http_asker(url: str, timeout_s: float = 60.0) -> Callable[[], Ask]:
    return lambda: HttpAsker(url, timeout_s)


def gradio_asker(url: str) -> Callable[[], Ask]:
    return lambda: GradioAsker(url)
