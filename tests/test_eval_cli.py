"""`qa eval` on tiny, hand-checked datasets: the metrics must come out exactly as worked out here.

The articles are on unrelated subjects, one chunk each, so which chunk answers which question
is beyond doubt; the arithmetic is in the comments.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.evaluation.questions import EvalQuestion
from qa.evaluation.runner import METRIC_KEYS, QuestionResult, calibrate, score
from ui.cli.serve import app

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


def run_eval(*args: str, config: Path | None = None) -> tuple[str, str]:
    """`qa [--config FILE] eval ARGS`; (stdout, stderr), after checking that it exited 0."""
    prefix = ["--config", str(config)] if config else []
    result = CliRunner().invoke(app, [*prefix, "eval", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


# On the tiny SQuAD file, with the configured threshold and at the calibrated one alike:
# h1 and r1 are retrieved first (rank 1) and their quote holds the gold; r1 is answered, h1 is
# uncertain: the judge answers it, but the verifier does not confirm "Its lighthouse is painted
# bright green ..." for "What colour is the lighthouse of Lowtown harbour?" (0.11, under
# answer.confirm_at 0.2: it misses who "its" is). h2's gold ("Ada Mews") is in no chunk (rank
# None): the judge calls it uncertain (not answered, not abstained, its quote without the
# gold); m1 (Peru) is abstained on, "not in the articles".
SQUAD_METRICS = {
    "recall@1": 2 / 3, "recall@5": 2 / 3, "recall@10": 2 / 3, "mrr": (1 + 0 + 1) / 3,
    "answer_hit": 1 / 3, "quote_holds": 2 / 3,
    "abstain_unanswerable": 1.0, "abstain_answerable": 0.0,
    "not_answered_unanswerable": 1.0, "not_answered_answerable": 2 / 3,
    "uncertain_unanswerable": 0.0, "uncertain_answerable": 2 / 3,
    "trust": 1.0,  # r1 answered, right
    "short_given": 1.0, "short_right": 1.0,  # r1 led by "Glasgow [1].", a gold
    "ndcg@10": None, "recall@100": None,  # BEIR measures
}
LATENCY_KEYS = ("latency_p50_ms", "latency_p95_ms")


def assert_latencies(metrics: dict) -> None:
    """Measured, so bounded: positive, ordered, and far under a second on three one-chunk articles."""
    assert 0 < metrics["latency_p50_ms"] <= metrics["latency_p95_ms"] < 5_000, metrics


def test_squad_metrics_on_a_hand_checked_dataset(tmp_path: Path) -> None:
    out, err = run_eval("--dataset", str(squad_file(tmp_path)), "--json")
    metrics = json.loads(out)  # stdout is the JSON object and nothing else
    assert list(metrics) == list(METRIC_KEYS)
    assert {k: v for k, v in metrics.items() if k not in LATENCY_KEYS} == pytest.approx(SQUAD_METRICS)
    assert_latencies(metrics)
    assert err == ""  # no progress bar, no notices


def test_beir_metrics_on_a_hand_checked_dataset(tmp_path: Path) -> None:
    out, _ = run_eval("--dataset", str(beir_folder(tmp_path)), "--format", "beir", "--json")
    metrics = json.loads(out)
    assert list(metrics) == list(METRIC_KEYS)
    answers = {k: metrics.pop(k) for k in METRIC_KEYS[4:15]}
    assert answers == dict.fromkeys(METRIC_KEYS[4:15])  # BEIR has no answers to score: all null
    # q1: d0 first -> nDCG 1. q2: d1 first (gain 1), d2 somewhere in ranks 2-3 (3 documents):
    #   rank 2: (1 + 1/log2(3)) / (1 + 1/log2(3)) = 1;  rank 3: (1 + 1/log2(4)) / 1.6309 = 0.9197.
    assert metrics.pop("ndcg@10") in (pytest.approx((1 + 1) / 2), pytest.approx((1 + 0.9197) / 2, abs=1e-4))
    assert_latencies(metrics)
    assert {k: v for k, v in metrics.items() if k not in LATENCY_KEYS} == pytest.approx({
        "recall@1": (1 + 1 / 2) / 2,  # q1: 1 of 1; q2: 1 of 2
        "recall@5": 1.0, "recall@10": 1.0, "recall@100": 1.0,  # every relevant document of the 3 retrieved
        "mrr": 1.0,  # both first hits at rank 1
    })


def table_rows(text: str) -> dict[str, list[str]]:
    """The eval table as {measure: [cells]}, after checking its header and rule."""
    lines = text.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["measure", "this project", "tutorial recipe"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    return {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[2:])}


def test_report_baseline_and_calibration(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("answer:\n  # the threshold\n  abstain_threshold: 0.5  # calibrated by qa eval\n",
                      encoding="utf-8")
    report = tmp_path / "report"
    out, err = run_eval("--dataset", str(squad_file(tmp_path)), "--baseline", "--calibrate", "--report", str(report),
                        config=config)
    assert {p.name for p in report.iterdir()} == {"report.md", "metrics.json", "recall_at_k.png",
                                                  "evidence_scores.png"}
    saved = json.loads((report / "metrics.json").read_text())
    assert set(saved) == {"command", "project", "baseline"}
    ours, theirs = saved["project"], saved["baseline"]
    for summary in (ours, theirs):
        assert {k: summary[k] for k in ("dataset", "format", "questions")} == {
            "dataset": "tiny-squad", "format": "squad", "questions": 4}
        assert list(summary["metrics"]) == list(METRIC_KEYS)
        assert_latencies(summary["metrics"])
        assert summary["ingest"]["chunks"] == 3 and summary["ingest"]["chunks_per_s"] > 0
    assert ours["ingest"]["articles"] == 3
    # Calibrated: the lowest evidence of the answerable questions (10% of 3 rounds down to 0 may
    # fall under it), rounded down to 4 places. It is the model's score, hence the tolerance.
    assert ours["threshold"] == pytest.approx(0.7035, abs=0.005)
    assert theirs["threshold"] == pytest.approx(0.5556, abs=0.005)  # the recipe's cosine, calibrated alike
    assert {k: ours["metrics"][k] for k in SQUAD_METRICS} == pytest.approx(SQUAD_METRICS)
    # The tutorial recipe retrieves the same chunks, but quotes the one sentence most similar to
    # the question, which holds the gold for only one of h1 and r1. It abstains under its
    # threshold (on m1 only) and is never uncertain: what it does not answer, it abstains on.
    recipe = {**SQUAD_METRICS, "answer_hit": 1 / 3, "quote_holds": 1 / 3, "uncertain_answerable": 0.0,
              "trust": 1 / 3,  # h1, r1 and h2 answered, one right
              "short_given": 0.0, "short_right": None,  # it gives no short answers
              "not_answered_answerable": SQUAD_METRICS["abstain_answerable"],
              "not_answered_unanswerable": SQUAD_METRICS["abstain_unanswerable"]}
    assert {k: theirs["metrics"][k] for k in SQUAD_METRICS} == pytest.approx(recipe)

    # stderr: the config update, then the files written.
    assert err.splitlines() == [
        f"answer.abstain_threshold: 0.5 -> {ours['threshold']} written to {config}",
        *(f"wrote {report / name}" for name in ("report.md", "metrics.json", "recall_at_k.png",
                                               "evidence_scores.png"))]
    # stdout: the dataset line, then the table, every cell the saved number as printed.
    lines = out.splitlines()
    assert lines[0] == "tiny-squad: 4 questions, 3 articles, 3 chunks"

    def shown(value: float | None, key: str = "") -> str:
        return "-" if value is None else f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"

    expected = {key: [shown(ours["metrics"][key], key), shown(theirs["metrics"][key], key)] for key in METRIC_KEYS}
    expected |= {key: [shown(ours["latency_stages_ms"][key], key), shown(theirs["latency_stages_ms"][key], key)]
                 for key in ("retrieve_p50_ms", "retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms")}
    expected["ingest chunks/s"] = [f"{ours['ingest']['chunks_per_s']:.1f}", f"{theirs['ingest']['chunks_per_s']:.1f}"]
    expected["abstain threshold"] = [shown(ours["threshold"]), shown(theirs["threshold"])]
    rows = table_rows("\n".join(lines[1:]))
    assert list(rows) == list(expected) and rows == expected
    assert rows["recall@1"] == ["0.667", "0.667"] and rows["answer_hit"] == ["0.333", "0.333"]
    assert rows["ndcg@10"] == ["-", "-"]
    # report.md holds the same table, the command and the plots.
    md = (report / "report.md").read_text()
    assert "\n".join(lines[1:]) in md
    assert md.startswith("# Evaluation: tiny-squad\n\n`qa eval")
    assert "4 questions, 3 articles, 3 chunks." in md and "![recall_at_k](recall_at_k.png)" in md
    text = config.read_text()
    assert text == ("answer:\n  # the threshold\n"  # comments kept, the value replaced
                    f"  abstain_threshold: {ours['threshold']}  # calibrated by qa eval\n")


def test_baseline_without_langchain_chroma_says_how_to_install_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """langchain-chroma is a dev dependency: without it `qa eval --baseline` stops at once, naming
    the install command, and the module still imports (`qa eval` alone needs nothing of it)."""
    from qa.evaluation.baseline import BaselineUnavailableError, chroma_store

    monkeypatch.setitem(sys.modules, "langchain_chroma", None)  # any import of it now raises ImportError
    with pytest.raises(BaselineUnavailableError, match=r"pip install langchain-chroma .*make install"):
        chroma_store()
    result = CliRunner().invoke(app, ["eval", "--dataset", str(squad_file(tmp_path)), "--baseline"],
                                catch_exceptions=False)
    assert result.exit_code != 0
    said = " ".join(result.stderr.split())
    assert "needs langchain-chroma" in said and "pip install langchain-chroma" in said
    assert "Indexing" not in result.output  # refused before any work


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


def test_a_wrong_short_answer_before_a_right_quote_counts_against_short_right_not_trust() -> None:
    right, wrong, none = (dataclasses.replace(_result(True, 1, 0.9, answer=f"{lead}the gold answer"), short=short)
                          for lead, short in (("gold [1]. ", "gold"), ("Macron [1]. ", "Macron"), ("", None)))
    near_miss = dataclasses.replace(_result(False, None, 0.8, answer="85,000 [1]. About 85,000 ride"), short="85,000")
    metrics, _ = score([right, wrong, none, near_miss], "squad")
    assert metrics["trust"] == pytest.approx(3 / 4)  # the three quotes hold the gold; the near-miss is answered
    assert metrics["short_given"] == pytest.approx(3 / 4)
    assert metrics["short_right"] == pytest.approx(1 / 3)  # "gold"; not "Macron", nor a figure for a near-miss
    assert score([none], "squad")[0]["short_right"] is None  # no short answer given: nothing to rate
