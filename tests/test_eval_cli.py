"""`qa eval` on tiny, hand-checked datasets: the metrics must come out exactly as worked out here.

The articles are on unrelated subjects, one chunk each, so which chunk answers which question
is beyond doubt; the arithmetic is in the comments.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.evaluation.datasets import EvalQuestion
from qa.evaluation.runner import METRIC_KEYS, QuestionResult, calibrate, score
from ui.cli import app

ARTICLES = {
    "Lowtown_harbour": ("The harbour of Lowtown reopened on Friday after a storm. "
                        "Its lighthouse is painted bright green and stands on the northern pier."),
    "Quorvane_railway": ("The Quorvane railway opened in 1887 between two mining towns. "
                         "Its steam engines were built in Glasgow by the Neilson company."),
    "Marsh_festival": ("The marsh festival is held every August in the village of Fenby. "
                       "Visitors eat eel pie and watch the reed boat race."),
}


def squad_file(tmp_path: Path) -> Path:
    questions = {
        "Lowtown_harbour": [
            ("h1", "What colour is the lighthouse of Lowtown harbour?", ["bright green", "green"], False),
            ("h2", "Who designed the harbour's lighthouse?", ["Ada Mews"], False),  # not in the text
        ],
        "Quorvane_railway": [("r1", "Where were the Quorvane railway steam engines built?", ["Glasgow"], False)],
        "Marsh_festival": [("m1", "What is the population of Peru?", [], True)],  # unanswerable
    }
    data = {"version": "v2.0", "data": [
        {"title": title, "paragraphs": [{"context": text, "qas": [
            {"id": qid, "question": q, "is_impossible": impossible,
             "answers": [{"text": a, "answer_start": max(text.find(a), 0)} for a in golds]}
            for qid, q, golds, impossible in questions[title]]}]}
        for title, text in ARTICLES.items()]}
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def beir_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as handle:
        for n, (title, text) in enumerate(ARTICLES.items()):
            handle.write(json.dumps({"_id": f"d{n}", "title": title.replace("_", " "), "text": text}) + "\n")
    queries = [("q1", "green lighthouse on the northern pier"), ("q2", "steam engines built in Glasgow")]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps({"_id": i, "text": t}) for i, t in queries),
                                          encoding="utf-8")
    # q1: d0 relevant (2). q2: d1 relevant (1) and d2 relevant (1), though d2 is about eel pie.
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td0\t2\nq2\td1\t1\nq2\td2\t1\n",
                                              encoding="utf-8")
    return folder


def run_eval(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_squad_metrics_on_a_hand_checked_dataset(tmp_path: Path) -> None:
    code, output = run_eval("--dataset", str(squad_file(tmp_path)), "--json")
    assert code == 0, output
    metrics = json.loads(output)
    assert list(metrics) == list(METRIC_KEYS)
    # Answerable: h1 (rank 1), h2 (its gold "Ada Mews" is in no chunk: rank None), r1 (rank 1).
    assert metrics["recall@1"] == pytest.approx(2 / 3)
    assert metrics["recall@5"] == pytest.approx(2 / 3)
    assert metrics["recall@10"] == pytest.approx(2 / 3)
    assert metrics["mrr"] == pytest.approx((1 + 0 + 1) / 3)
    # h1 and r1 are quoted with their sentence; h2's answer cannot contain "Ada Mews". The judge
    # answers r1 ("Glasgow [1]. ...") and may call h1 uncertain in a corpus this small.
    assert metrics["quote_holds"] == pytest.approx(2 / 3)
    assert metrics["answer_hit"] in (pytest.approx(1 / 3), pytest.approx(2 / 3))
    # m1 (Peru) is the one unanswerable question, and is abstained on; h1 and r1 are answered.
    assert metrics["abstain_unanswerable"] == 1.0
    assert metrics["abstain_answerable"] <= 1 / 3
    assert metrics["ndcg@10"] is None and metrics["recall@100"] is None
    assert metrics["latency_p50_ms"] > 0 and metrics["latency_p95_ms"] >= metrics["latency_p50_ms"]


def test_beir_metrics_on_a_hand_checked_dataset(tmp_path: Path) -> None:
    code, output = run_eval("--dataset", str(beir_folder(tmp_path)), "--format", "beir", "--json")
    assert code == 0, output
    metrics = json.loads(output)
    # q1: d0 first -> nDCG 1. q2: d1 first (gain 1), d2 somewhere in ranks 2-3 (3 documents):
    #   rank 2: (1 + 1/log2(3)) / (1 + 1/log2(3)) = 1;  rank 3: (1 + 1/log2(4)) / 1.6309 = 0.9197.
    assert metrics["ndcg@10"] in (pytest.approx((1 + 1) / 2), pytest.approx((1 + 0.9197) / 2, abs=1e-4))
    assert metrics["recall@100"] == 1.0  # every relevant document is among the 3 retrieved
    assert metrics["recall@1"] == pytest.approx((1 + 1 / 2) / 2)  # q1: 1 of 1; q2: 1 of 2
    assert metrics["mrr"] == 1.0
    assert metrics["answer_hit"] is None and metrics["abstain_unanswerable"] is None


def test_report_baseline_and_calibration(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("answer:\n  # the threshold\n  abstain_threshold: 0.5  # calibrated by qa eval\n",
                      encoding="utf-8")
    report = tmp_path / "report"
    code, output = CliRunner().invoke(app, ["--config", str(config), "eval", "--dataset", str(squad_file(tmp_path)),
                                            "--baseline", "--calibrate", "--report", str(report)],
                                      catch_exceptions=False).exit_code, None
    assert code == 0
    assert {p.name for p in report.iterdir()} == {"report.md", "metrics.json", "recall_at_k.png",
                                                  "evidence_scores.png"}
    saved = json.loads((report / "metrics.json").read_text())
    assert set(saved) == {"command", "project", "baseline"}
    assert saved["baseline"]["metrics"]["recall@1"] is not None
    assert "tutorial recipe" in (report / "report.md").read_text()
    text = config.read_text()
    assert "# the threshold" in text and "# calibrated by qa eval" in text  # comments kept
    assert f"abstain_threshold: {saved['project']['threshold']}" in text


def _result(answerable: bool, rank: int | None, evidence: float, abstained: bool = False,
            answer: str = "") -> QuestionResult:
    question = EvalQuestion(id="x", text="q", answerable=answerable, golds=("gold",) if answerable else ())
    ranking = ["1" if rank == i else "0" for i in range(1, 11)]
    return QuestionResult(question, ranking, rank, answer, abstained, evidence, 2.0, 1.0)


def test_score_and_calibrate_by_hand() -> None:
    results = [_result(True, 1, 0.9, answer="the gold answer"), _result(True, 3, 0.7, answer="nothing"),
               _result(True, None, 0.2, abstained=True), _result(False, None, 0.1, abstained=True),
               _result(False, None, 0.8)]
    metrics, stages = score(results, "squad")
    assert metrics["recall@1"] == pytest.approx(1 / 3)  # ranks 1, 3, None
    assert metrics["recall@5"] == pytest.approx(2 / 3)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert metrics["answer_hit"] == pytest.approx(1 / 3)  # only "the gold answer"
    assert metrics["abstain_answerable"] == pytest.approx(1 / 3)
    assert metrics["abstain_unanswerable"] == pytest.approx(1 / 2)
    assert metrics["latency_p50_ms"] == 3.0 and stages["retrieve_p50_ms"] == 2.0
    # Answerable evidence 0.2, 0.7, 0.9: 10% of 3 rounds down to 0 allowed below -> 0.2.
    assert calibrate(results) == 0.2
    many = [_result(True, 1, e / 100) for e in range(100)]  # 0.00 .. 0.99: 10 may fall under
    assert calibrate(many) == 0.1
