"""The benchmark's own logic: editions vary articles without new sentences, the memo embeds each
text once, percentiles and the results table are right. (Its figures come from `make bench`.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bench.run as bench_run
from bench.corpus import MemoEncoder, edition
from bench.run import Row, _pct, write_results
from index.models import Article
from index.loading.text import split_sentences
from qa.config import Settings

ARTICLE = Article(id="a1", title="Harbour", source="test", date="2022-03-01",
                  text="First paragraph here. It has two sentences.\n\nSecond one.\n\nThird paragraph, last.")


def test_edition_zero_is_the_articles_and_others_vary_but_reuse_sentences() -> None:
    assert list(edition([ARTICLE], 0)) == [ARTICLE]
    first, second = next(edition([ARTICLE], 1)), next(edition([ARTICLE], 2))
    assert len({ARTICLE.id, first.id, second.id}) == 3
    assert first.title == "Harbour (edition 1)" and first.date == "2022-04-07"
    assert first.text != ARTICLE.text and second.text != first.text
    assert sorted(split_sentences(first.text)) == sorted(split_sentences(ARTICLE.text))


def test_memo_embeds_each_text_once() -> None:
    class Counting:
        dimension = 2
        seen: list[str] = []

        def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
            self.seen.extend(texts)
            return (np.array([[len(t), 1.0] for t in texts], dtype=np.float32),
                    [np.full((len(t), 2), len(t), dtype=np.float32) for t in texts])

    inner = Counting()
    memo = MemoEncoder(inner)
    first = memo.encode(["a", "bb", "a"], 8)
    again = memo.encode(["bb", "ccc"], 8)
    assert inner.seen == ["a", "bb", "ccc"] and memo.embedded == 3
    assert first[:, 0].tolist() == [1, 2, 1] and again[:, 0].tolist() == [2, 3]
    _, tokens = memo.encode_tokens(["ccc", "a"], 8)
    assert inner.seen == ["a", "bb", "ccc"] and [t.shape for t in tokens] == [(3, 2), (1, 2)]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _pct(values, 50) == 50 and _pct(values, 95) == 95 and _pct(values, 100) == 100
    assert _pct([7.0], 95) == 7.0


def test_results_are_written_as_markdown_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_run, "RESULTS", tmp_path)
    rows = [Row("pipeline / raw model", 0.91, "x", ">= 0.85", True), Row("server peak RSS", 812.4, "MB")]
    path = write_results(rows, Settings(), 65.0)
    table = path.read_text()
    assert "| pipeline / raw model | 0.91 | x | >= 0.85 | yes |  |" in table
    assert "| server peak RSS | 812 | MB |" in table
    assert json.loads(path.with_suffix(".json").read_text())[0]["value"] == 0.91


# --- bench/load.py: the load generator's own logic ------------------------------------------

def test_load_summary_counts_failures_and_takes_percentiles_of_the_answered() -> None:
    from bench.load import Outcome, percentile, summarize

    outcomes = [Outcome(float(ms), True) for ms in range(1, 101)] + \
               [Outcome(1.0, False, "NoAnswer: HTTP 500"), Outcome(2.0, False, "NoAnswer: HTTP 500"),
                Outcome(9999.0, False, "ConnectError")]
    summary = summarize(outcomes, duration_s=4.0, clients=3)
    assert (summary.requests, summary.failures, summary.clients) == (103, 3, 3)
    assert summary.throughput == 25.0  # answered requests per second
    assert (summary.p50_ms, summary.p95_ms, summary.p99_ms) == (50.0, 95.0, 99.0)  # failures left out
    assert summary.errors == {"NoAnswer: HTTP 500": 2, "ConnectError": 1}
    assert summary.top_errors() == "2x NoAnswer: HTTP 500; 1x ConnectError"
    assert percentile([], 50) is None and percentile([3.0], 99) == 3.0
    assert percentile([float(v) for v in range(1, 101)], 95) == _pct([float(v) for v in range(1, 101)], 95)
    empty = summarize([Outcome(5.0, False, "x")], duration_s=1.0, clients=1)
    assert empty.p50_ms is None and empty.throughput == 0.0 and empty.top_errors() == "1x x"


def test_load_runs_clients_concurrently_for_the_duration_and_counts_exceptions() -> None:
    import threading
    import time

    from bench.load import NoAnswer, run_load

    made, asked, closed = [], [], []
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    class Asker:
        def __init__(self) -> None:
            made.append(self)

        def __call__(self, question: str) -> None:
            with lock:
                running[0] += 1
                running[1] = max(running)
            time.sleep(0.01)
            with lock:
                running[0] -= 1
                asked.append(question)
            if question == "bad":
                raise NoAnswer("a 200 without an answer")

        def close(self) -> None:
            closed.append(self)

    started = time.perf_counter()
    summary = run_load(Asker, ["good", "bad", "good", "good"], clients=4, duration_s=0.3, grace_s=1.0)
    took = time.perf_counter() - started
    assert len(made) == 4 and len(closed) == 4  # one asker per client, each closed
    assert 0.3 <= took < 1.5 and 0.3 <= summary.duration_s < 1.5
    assert running[1] == 4  # the clients ask at the same time
    assert summary.requests == len(asked) > 4
    assert summary.failures == asked.count("bad") > 0  # the questions are taken in turn
    assert summary.errors == {"NoAnswer: a 200 without an answer": summary.failures}
    assert summary.p50_ms is not None and summary.p50_ms >= 10


def test_load_waits_for_in_flight_requests_then_gives_up_after_the_grace() -> None:
    import time

    from bench.load import run_load

    # In flight at the deadline, done within the grace: waited for and counted as answered.
    started = time.perf_counter()
    summary = run_load(lambda: lambda q: time.sleep(0.4), ["q"], clients=3, duration_s=0.1, grace_s=5.0)
    assert time.perf_counter() - started < 2.5  # not the whole grace
    assert (summary.requests, summary.failures) == (3, 0) and summary.p50_ms >= 400
    assert summary.duration_s >= 0.4

    # Still running when the grace runs out: counted as a failure, and the run returns on time.
    started = time.perf_counter()
    summary = run_load(lambda: lambda q: time.sleep(3), ["q"], clients=2, duration_s=0.1, grace_s=0.2)
    took = time.perf_counter() - started
    assert took < 1.5  # not until the requests end
    assert (summary.requests, summary.failures) == (2, 2) and summary.p50_ms is None
    assert summary.errors == {"no response within the 0.2 s grace": 2}


def test_load_http_asker_against_a_local_server() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench.load import HttpAsker, run_load

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            status, reply = {"answered": (200, {"answer": "Denver [1]"}), "empty": (200, {"answer": ""}),
                             "broken": (500, {"error": "boom"})}[body["question"]]
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        asker = HttpAsker(url, timeout_s=5)
        assert asker("answered") == "Denver [1]"
        asker.close()
        summary = run_load(lambda: HttpAsker(url, timeout_s=5), ["answered", "empty", "broken"], clients=2,
                           duration_s=0.3, grace_s=2.0)
    finally:
        server.shutdown()
        server.server_close()
    assert seen[0] == ("/api/ask", {"question": "answered"})
    assert summary.failures > 0 and summary.requests > summary.failures
    assert set(summary.errors) == {"NoAnswer: a 200 without an answer", 'NoAnswer: HTTP 500: {"error": "boom"}'}
    with pytest.raises(ValueError, match="loopback"):
        HttpAsker("http://example.com:8000")


def test_load_reads_the_text_of_a_chat_result() -> None:
    from bench.load import chat_text

    assert chat_text("**Answer** [1]") == "**Answer** [1]"
    assert chat_text({"role": "assistant", "content": "yes"}) == "yes"
    assert chat_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}]}, "b"]) == "a b"
    assert chat_text(None) == "" and chat_text([]) == ""


def test_the_reader_experiment_refits_the_judge_with_the_reader_as_a_feature(capsys) -> None:
    """`bench.reader_experiment`'s comparison, on made-up shortlists: a reader logit that marks
    the answering sentence lets the refitted judge quote it, where the judge's features alone
    cannot tell the two sentences apart."""
    from bench.reader_experiment import Shortlist, judge_with, report
    from qa.answering.judge import FEATURES

    rng = np.random.default_rng(0)

    def question(answerable: bool) -> Shortlist:
        x = rng.normal(size=(2, len(FEATURES)))
        x[1] = x[0]  # identical features: only the reader separates them
        y = np.array([0.0, 1.0 if answerable else 0.0])
        reader = np.array([-2.0, 2.0 if answerable else -2.0])
        return Shortlist("q", answerable, ["a", "b"], y, x, reader)

    rows = [question(n % 4 != 0) for n in range(80)]
    plain, _ = judge_with([rows], reader=False)
    with_reader, bar = judge_with([rows], reader=True)
    assert np.allclose(plain(rows[1]), plain(rows[1])[0])  # the features alone: a tie
    assert all(int(np.argmax(with_reader(r))) == 1 for r in rows if r.answerable)
    report("made-up", "judge refit + reader", rows, with_reader, bar)
    line = capsys.readouterr().out
    assert "quote holds 1.000" in line and "AUC 1.000" in line


def test_the_nli_bench_leaves_out_what_the_shipped_verifier_was_trained_on(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights retrained with more NLI pairs (`--nli-per-set 12000`) must be measured without
    them: the pairs left out are rebuilt with the options the weights' record names."""
    import bench.claims_nli as claims_nli
    import qa.evaluation.train_verifier as train_verifier
    from qa.evaluation.verifier_data import YES, Pair

    asked: list[dict] = []

    def training_pairs(eval_dir: Path, **options: int) -> list[Pair]:
        asked.append(options)
        return [Pair("claim: a", "premise a", YES, "fever-nli"), Pair("claim: b", "premise b", YES, "snli"),
                Pair("question: c", "sentence c", YES, "news-cloze")]

    monkeypatch.setattr(train_verifier, "training_pairs", training_pairs)
    record = tmp_path / "verifier.json"
    record.write_text(json.dumps({"news_articles": 700, "nli_per_set": 12000}), encoding="utf-8")
    assert claims_nli.trained_on(tmp_path, record) == {("claim: a", "premise a"), ("claim: b", "premise b")}
    assert asked == [{"news_articles": 700, "nli_per_set": 12000}]
    shipped = json.loads(claims_nli.RECORD.read_text(encoding="utf-8"))
    assert (shipped["news_articles"], shipped["nli_per_set"]) == (1000, 5000)  # what `make train-verifier` uses
