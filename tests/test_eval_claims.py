"""`qa eval` on claim sets, SelQA and adversarial SQuAD.

The claim sets (tests/data/claims) are checked against their spec: counts by label and kind,
every source verbatim in its article, no claim a copy of its source. The measures are worked out
by hand on made-up results; the command runs on a slice of each set (the real data of
../shared/eval for SelQA and adversarial SQuAD, skipped where it is missing). Adversarial SQuAD
swaps a question's paragraph for its adversarial copy and back: a tiny pair of files shows it.
"""

from __future__ import annotations

import collections
import gzip
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.embedding.embed import Embedder
from index.errors import QAError
from index.loading.text import normalize_text, split_sentences
from qa.config import Settings
from qa.evaluation import sentences
from qa.evaluation.claims import (SUPPORTED_KINDS, UNSUPPORTED_KINDS, ClaimResult, grounding_checker, load_claims,
                                  score_claims)
from qa.evaluation.datasets import detect_format, load_dataset
from qa.evaluation.questions import EvalQuestion
from qa.evaluation.runner import QuestionResult
from qa.evaluation.sentences import score_adversarial, score_selqa, sentence_matches
from qa.evaluation.session import evaluate
from tests.support import ROOT
from ui.cli.serve import app

DATA = ROOT / "tests" / "data"
CLAIMS = DATA / "claims"
SPLITS = {"tune": {"natural/tune", "natural/train-a"}, "test": {"natural/holdout", "natural/test"},
          "fresh": {"natural/train-b", "natural/train-c"}, "blind": {"claims-news"}, "blind2": {"claims-news2"},
          "blind3": {"claims-news3"}, "blind4": {"claims-news4"}, "blind5": {"claims-news5"},
          "blind6": {"claims-news6"}, "blind7": {"claims-news7"},
          "blind8": {"claims-news8"}, "blind9": {"claims-news9"}, "blind10": {"claims-news10"}}
EVAL_DIR = Path(os.environ.get("QA_EVAL_DIR") or ROOT.parent / "shared" / "eval")
SELQA_DEV = EVAL_DIR / "selqa" / "selqa-ass-dev.json.gz"
ADDSENT = EVAL_DIR / "squad-adversarial" / "addsent.json.gz"
needs_eval_data = pytest.mark.skipif(not (SELQA_DEV.exists() and ADDSENT.exists()),
                                     reason=f"the public evaluation data is not at {EVAL_DIR} (QA_EVAL_DIR)")


def claims(name: str) -> list[dict]:
    return [json.loads(line) for line in (CLAIMS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


# -- the claim sets ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SPLITS))
def test_claim_files_meet_the_spec(name: str) -> None:
    rows = claims(name)
    assert 110 <= len(rows) <= 140
    labels = collections.Counter(r["label"] for r in rows)
    assert labels["supported"] == labels["unsupported"] == len(rows) // 2
    kinds = collections.Counter((r["label"], r["kind"]) for r in rows)
    assert set(kinds) == {("supported", k) for k in SUPPORTED_KINDS} | {("unsupported", k) for k in UNSUPPORTED_KINDS}
    assert all(kinds["unsupported", kind] >= 8 for kind in UNSUPPORTED_KINDS), kinds
    assert [r["id"] for r in rows] == [f"{name}-{n:03d}" for n in range(1, len(rows) + 1)]
    for r in rows:
        assert r["split_dir"] in SPLITS[name], r["id"]
        article = (DATA / r["split_dir"] / "articles" / r["article"]).read_text(encoding="utf-8")
        assert r["source"] in article, f"{r['id']}: the source is not verbatim in {r['article']}"
        assert 2 <= len(split_sentences(r["source"])) <= 6, r["id"]
        assert len(split_sentences(r["claim"])) == 1, f"{r['id']}: one sentence"
        assert r["claim"] not in r["source"], f"{r['id']}: a copy of its source"
        assert r["source"] == r["source"].strip() and r["claim"] == r["claim"].strip()


def test_the_claim_sets_share_no_article() -> None:
    names = ("tune", "test", "fresh", "blind", "blind2", "blind3", "blind4", "blind5", "blind6", "blind7", "blind8",
             "blind9", "blind10")
    articles = {name: {r["article"] for r in claims(name)} for name in names}
    for n, name in enumerate(names):
        earlier = set().union(*(articles[other] for other in names[:n]))
        assert articles[name] and not articles[name] & earlier, name
        own = {folder for folder in SPLITS[name] if folder.startswith("claims-news")}
        for folder in own:  # a set written with its own articles uses every one of them
            assert len(articles[name]) == len(list((DATA / folder / "articles").iterdir())), name


def test_a_claim_set_is_read_as_claims() -> None:
    path = CLAIMS / "test.jsonl"
    assert detect_format(path) == "claims"
    data = load_dataset(path)
    assert (data.name, data.format, len(data.questions)) == ("claims-test", "claims", 128)
    first = data.questions[0]
    row = claims("test")[0]
    assert (first.id, first.text, first.answerable, first.kind) == (row["id"], row["claim"],
                                                                   row["label"] == "supported", row["kind"])
    assert first.extra["source"] == row["source"]
    assert all(q.extra["title"] for q in data.questions)  # every article found, its title read
    assert len(data.articles) == 19


def test_a_malformed_claim_names_its_line(tmp_path: Path) -> None:
    good = {"id": "c1", "source": "It rained. Then it stopped.", "claim": "It rained.", "label": "supported",
            "kind": "shortened"}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (good, {**good, "id": "c2", "label": "maybe"})), encoding="utf-8")
    with pytest.raises(QAError, match=r"bad.jsonl:2: label must be supported or unsupported"):
        load_claims(path)
    path.write_text("\n".join(json.dumps(r) for r in (good, good)), encoding="utf-8")
    with pytest.raises(QAError, match=r"bad.jsonl:2: the id 'c1' is used twice"):
        load_claims(path)


# -- the measures, by hand -----------------------------------------------------------------
def claim_result(label: str, kind: str, kept: bool) -> ClaimResult:
    question = EvalQuestion(id=f"{kind}-{kept}", text="x", answerable=label == "supported", kind=kind)
    return ClaimResult(question, kept, "" if kept else "why", 1, 2.0)


def test_claim_measures_by_hand() -> None:
    results = [claim_result("supported", "paraphrase", True), claim_result("supported", "paraphrase", True),
               claim_result("supported", "combined", False), claim_result("supported", "combined", True),
               claim_result("unsupported", "negation", False), claim_result("unsupported", "negation", True),
               claim_result("unsupported", "figure_swap", False), claim_result("unsupported", "certainty", True)]
    metrics = score_claims(results)
    assert list(metrics) == ["supported_kept", "unsupported_removed", "balanced_accuracy",
                             "removed_negation", "removed_figure_swap", "removed_certainty",  # the spec's order
                             "kept_paraphrase", "kept_combined", "check_p50_ms", "check_p95_ms"]
    assert metrics == pytest.approx({
        "supported_kept": 3 / 4, "unsupported_removed": 2 / 4, "balanced_accuracy": (3 / 4 + 2 / 4) / 2,
        "removed_negation": 1 / 2, "removed_figure_swap": 1.0, "removed_certainty": 0.0,
        "kept_paraphrase": 1.0, "kept_combined": 1 / 2, "check_p50_ms": 2.0, "check_p95_ms": 2.0})


def question_result(q: EvalQuestion, outcome: str, quote: tuple[str, str] | None, rank: int | None = 1,
                    answer: str = "") -> QuestionResult:
    return QuestionResult(q, [], rank, answer, outcome == "not_in_articles", 0.5, 1.0, 1.0, outcome,
                          (quote,) if quote else ())


def test_selqa_measures_by_hand() -> None:
    def q(n: int, answerable: bool) -> EvalQuestion:
        gold = f"Sentence number {n} holds the answer."
        return EvalQuestion(id=f"q{n}", text="?", answerable=answerable, golds=(gold,) if answerable else (),
                            article_id=f"s{n}", extra={"gold_sentences": [gold]})

    gold = lambda n: (f"s{n}", f"Sentence number {n} holds the answer.")  # noqa: E731
    other = lambda n: (f"s{n}", "Another sentence of the section.")  # noqa: E731
    results = [
        question_result(q(1, True), "answered", gold(1)),  # answered, right sentence
        question_result(q(2, True), "answered", other(2)),  # answered, wrong sentence
        question_result(q(3, True), "uncertain", gold(3)),  # right sentence, not triggered
        question_result(q(4, True), "answered", ("s9", "Sentence number 4 holds the answer.")),  # another section's
        question_result(q(5, False), "answered", other(5)),  # answer removed, answered anyway
        question_result(q(6, False), "uncertain", other(6)),  # quoted, not answered
        question_result(q(7, False), "not_in_articles", None, rank=None),
    ]
    metrics = score_selqa(results)
    # Answered: q1 q2 q4 q5, of which q1 is right -> precision 1/4; 4 answerable -> recall 1/4.
    assert metrics["trigger_precision"] == pytest.approx(1 / 4)
    assert metrics["trigger_recall"] == pytest.approx(1 / 4)
    assert metrics["trigger_f1"] == pytest.approx(1 / 4)
    assert metrics["sentence_choice"] == pytest.approx(2 / 4)  # q1 and q3
    assert metrics["answered_answerable"] == pytest.approx(3 / 4)
    assert metrics["answered_unanswerable"] == pytest.approx(1 / 3)
    assert metrics["quoted_unanswerable"] == pytest.approx(2 / 3)
    assert sentence_matches("Sentence number 1 holds", ["Sentence number 1 holds the answer."])  # a cut piece
    assert not sentence_matches("Sentence", ["Sentence number 1 holds the answer."])  # too small a piece


def test_adversarial_measures_by_hand() -> None:
    distractor = "The Champ Bowl 40 took place in Chicago."

    def q(n: int, adversarial: bool) -> EvalQuestion:
        return EvalQuestion(id=f"q{n}", text="Where did Super Bowl 50 take place?", golds=("Santa Clara",),
                            article_id="Super_Bowl_50", kind="adversarial" if adversarial else "original",
                            extra={"distractor": distractor} if adversarial else {})

    right = ("Super_Bowl_50#0", "The game was played at Levi's Stadium in Santa Clara.")
    fooled = ("Super_Bowl_50#0", distractor)
    results = [question_result(q(1, True), "answered", fooled, answer=fooled[1]),
               question_result(q(2, True), "uncertain", fooled, answer=fooled[1]),
               question_result(q(3, True), "answered", right, answer=right[1]),
               question_result(q(4, True), "not_in_articles", None, rank=None),
               question_result(q(5, False), "answered", right, answer=right[1])]
    metrics = score_adversarial(results)
    assert metrics["distractor_quoted"] == pytest.approx(2 / 4)
    assert metrics["distractor_answered"] == pytest.approx(1 / 4)
    assert metrics["recall@1"] == pytest.approx(4 / 5)  # ranks 1, 1, 1, None, 1
    assert metrics["recall@1_adversarial"] == pytest.approx(3 / 4)
    assert metrics["answer_hit"] == pytest.approx(2 / 5)  # q3 and q5 answered with the gold
    assert metrics["answer_hit_adversarial"] == pytest.approx(1 / 4)


# -- the command ---------------------------------------------------------------------------
def run_eval(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def table_rows(text: str) -> dict[str, str]:
    """The eval table's rows as {measure: value}, from the header to the first blank line."""
    lines = text.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["measure", "this project"]
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1]
    return rows


def shares(rows: dict[str, str], keys: list[str]) -> None:
    for key in keys:
        assert rows[key] == "-" or 0.0 <= float(rows[key]) <= 1.0, (key, rows[key])


def test_qa_eval_on_a_slice_of_the_claims(tmp_path: Path) -> None:
    out, _ = run_eval("--dataset", str(CLAIMS / "test.jsonl"), "--limit", "16")
    lines = out.splitlines()
    assert lines[0] == "claims-test: 16 claims"
    rows = table_rows("\n".join(lines[1:]))
    headline = ["supported_kept", "unsupported_removed", "balanced_accuracy"]
    assert list(rows)[:3] == headline
    shares(rows, [k for k in rows if not k.endswith("_ms")])
    assert any(k.startswith("removed_") for k in rows) and any(k.startswith("kept_") for k in rows)
    assert re.search(r"^claims: \d+ supported, \d+ unsupported; misses: \d+$", out, re.M)

    report = tmp_path / "report"
    out, err = run_eval("--dataset", str(CLAIMS / "test.jsonl"), "--limit", "16", "--json", "--report", str(report))
    metrics = json.loads(out)
    kept, removed = metrics["supported_kept"], metrics["unsupported_removed"]
    assert metrics["balanced_accuracy"] == pytest.approx((kept + removed) / 2)
    assert {p.name for p in report.iterdir()} == {"report.md", "metrics.json", "claims_by_kind.png"}
    saved = json.loads((report / "metrics.json").read_text())["project"]
    assert saved["metrics"] == metrics and saved["format"] == "claims" and saved["questions"] == 16
    n_sup, n_uns = saved["counts"]["n_supported"], saved["counts"]["n_unsupported"]
    assert n_sup + n_uns == 16
    missed = collections.Counter(m["label"] for m in saved["misses"])
    assert missed["supported"] == round((1 - metrics["supported_kept"]) * n_sup)
    assert missed["unsupported"] == round((1 - metrics["unsupported_removed"]) * n_uns)
    assert all(m["verdict"] == ("removed" if m["label"] == "supported" else "kept") for m in saved["misses"])
    md = (report / "report.md").read_text()
    assert f"## Misses ({len(saved['misses'])})" in md and "16 claims over" in md


def test_claims_refuse_the_tutorial_recipe() -> None:
    result = CliRunner().invoke(app, ["eval", "--dataset", str(CLAIMS / "test.jsonl"), "--calibrate"])
    assert result.exit_code != 0
    assert "--calibrate is for SQuAD" in " ".join(result.stderr.split())


def test_the_claims_check_is_the_assistants(settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    """The check the claims go through is the one `answer.mode: llm` builds: it keeps a sentence
    of the source and removes one stating a figure the source does not have."""
    from qa.evaluation.claims import check_claim

    checker = grounding_checker(settings, embedder, tmp_path / "work")
    assert type(checker).__module__ == "qa.llm.grounding"
    source = ("About 1,200 bus drivers in Harbor City walked off the job on Monday. "
              "The authority said 42 of its 61 bus routes were cancelled.")

    def claim(text: str, answerable: bool) -> EvalQuestion:
        return EvalQuestion(id="c", text=text, answerable=answerable, extra={"source": source, "title": "Strike"})

    assert check_claim(checker, claim("The authority said 42 of its 61 bus routes were cancelled.", True)).kept
    removed = check_claim(checker, claim("The authority said 57 of its 61 bus routes were cancelled.", False))
    assert not removed.kept and removed.reason


# -- SelQA and adversarial SQuAD -----------------------------------------------------------
@needs_eval_data
def test_formats_are_recognized() -> None:
    assert detect_format(SELQA_DEV) == "selqa"
    assert detect_format(ADDSENT) == "squad-adversarial"
    assert detect_format(EVAL_DIR / "squad-v1.1-dev.json") == "squad"


@needs_eval_data
def test_selqa_unanswerable_half_loses_its_gold_sentences() -> None:
    data = load_dataset(SELQA_DEV)
    texts = {a.id: a.text for a in data.articles}
    unanswerable = [q for q in data.questions if not q.answerable]
    assert len(data.questions) == 785 and len(data.articles) == 680
    assert len(data.questions) // 2 <= len(unanswerable) <= len(data.questions) // 2 + 4
    for q in data.questions:
        golds = [normalize_text(g) for g in q.extra["gold_sentences"]]
        assert golds and q.extra["removed"] == (not q.answerable)
        if q.answerable:
            assert all(g in texts[q.article_id] for g in golds), q.id
        else:
            assert not any(g in texts[q.article_id] for g in golds), q.id
    assert [q.id for q in load_dataset(SELQA_DEV).questions if not q.answerable] == [q.id for q in unanswerable]


def test_a_tiny_selqa_file_end_to_end(tmp_path: Path) -> None:
    """Four questions on four sections: two lose their gold sentence, whatever --seed says; the
    command prints SelQA's measures and writes its report."""
    sections = [
        ("Lowtown", "Harbour", ["The harbour of Lowtown reopened on Friday.", "Its lighthouse is painted bright green."],
         "What colour is the Lowtown lighthouse?", [1]),
        ("Quorvane", "Railway", ["The Quorvane railway opened in 1887.", "Its engines were built in Glasgow."],
         "Where were the Quorvane engines built?", [1]),
        ("Fenby", "Festival", ["The marsh festival is held every August in Fenby.", "Visitors eat eel pie."],
         "When is the Fenby marsh festival held?", [0]),
        ("Ardle", "Bridge", ["The Ardle bridge was finished in 1902.", "It has seven stone arches."],
         "How many arches does the Ardle bridge have?", [1]),
    ]
    records = [{"article": a, "section": s, "candidates": c, "question": q, "answers": g, "is_paraphrase": False,
                "topic": "TEST", "q_types": ["what"]} for a, s, c, q, g in sections]
    path = tmp_path / "tiny-selqa.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    data = load_dataset(path)
    assert data.format == "selqa" and len(data.articles) == 4
    assert sum(not q.answerable for q in data.questions) == 2
    report = tmp_path / "report"
    out, _ = run_eval("--dataset", str(path), "--seed", "7", "--report", str(report))
    assert out.splitlines()[0] == "tiny-selqa: 4 questions, 4 articles, 4 chunks"
    rows = table_rows("\n".join(out.splitlines()[1:]))
    shares(rows, ["sentence_choice", "trigger_precision", "trigger_recall", "trigger_f1", "answered_unanswerable"])
    assert {p.name for p in report.iterdir()} == {"report.md", "metrics.json", "recall_at_k.png"}
    saved = json.loads((report / "metrics.json").read_text())["project"]
    assert saved["format"] == "selqa" and saved["counts"] == {"answerable": 2, "unanswerable": 2}


@needs_eval_data
def test_qa_eval_on_a_selqa_slice() -> None:
    out, _ = run_eval("--dataset", str(SELQA_DEV), "--limit", "20")
    assert out.splitlines()[0].startswith("selqa-ass-dev: 20 questions, 680 articles, ")
    rows = table_rows("\n".join(out.splitlines()[1:]))
    keys = ["sentence_choice", "trigger_precision", "trigger_recall", "trigger_f1", "answered_answerable",
            "answered_unanswerable", "quoted_unanswerable", "recall@1", "recall@5", "mrr"]
    assert list(rows)[:len(keys)] == keys
    shares(rows, keys)


@needs_eval_data
def test_adversarial_squad_names_each_distractor() -> None:
    data = load_dataset(ADDSENT)
    paragraphs = {a.id: a.text for a in data.articles}
    kinds = collections.Counter(q.kind for q in data.questions)
    assert kinds == {"adversarial": 1347, "original": 517}
    for q in data.questions:
        original = paragraphs[q.extra["paragraph"]]
        if q.kind == "adversarial":
            distractor = q.extra["distractor"]
            assert distractor and distractor not in original
            assert q.extra["adversarial_text"] == normalize_text(f"{original} {distractor}")


@needs_eval_data
def test_qa_eval_on_an_adversarial_squad_slice() -> None:
    out, _ = run_eval("--dataset", str(ADDSENT), "--limit", "20")
    assert out.splitlines()[0].startswith("squad-adversarial-addsent: 20 questions, 1039 articles, ")
    rows = table_rows("\n".join(out.splitlines()[1:]))
    keys = ["distractor_quoted", "distractor_answered", "recall@1", "recall@5", "mrr", "answer_hit", "quote_holds",
            "recall@1_adversarial", "answer_hit_adversarial"]
    assert list(rows)[:len(keys)] == keys
    shares(rows, keys)


def test_each_adversarial_question_sees_its_own_distractor(tmp_path: Path, settings: Settings,
                                                          embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny files: while an adversarial question is asked its paragraph ends with its distractor
    (and no other variant's); the original questions, before and after, see the original."""
    folder = tmp_path / "eval"
    (folder / "adv").mkdir(parents=True)
    harbour = "The harbour of Lowtown reopened on Friday. Its lighthouse is painted bright green."
    railway = "The Quorvane railway opened in 1887. Its engines were built in Glasgow."
    original = {"version": "1.1", "data": [
        {"title": "Lowtown", "paragraphs": [{"context": harbour, "qas": [
            {"id": "a" * 24, "question": "What colour is the Lowtown lighthouse?",
             "answers": [{"text": "bright green", "answer_start": harbour.index("bright green")}]}]}]},
        {"title": "Quorvane", "paragraphs": [{"context": railway, "qas": [
            {"id": "b" * 24, "question": "Where were the Quorvane engines built?",
             "answers": [{"text": "Glasgow", "answer_start": railway.index("Glasgow")}]}]}]}]}
    distractors = ["The Highmoor lighthouse is painted dark red.", "The Eastport lighthouse is painted pale blue."]
    adversarial = {"version": "1.1", "data": [
        {"title": "Lowtown", "paragraphs": [
            original["data"][0]["paragraphs"][0],
            *({"context": f"{harbour} {d}", "qas": [{**original["data"][0]["paragraphs"][0]["qas"][0],
                                                     "id": f"{'a' * 24}-high-conf-turk{n}"}]}
              for n, d in enumerate(distractors))]},
        original["data"][1]]}
    (folder / "squad-v1.1-dev.json").write_text(json.dumps(original), encoding="utf-8")
    with gzip.open(folder / "adv" / "addsent.json.gz", "wt", encoding="utf-8") as handle:
        json.dump(adversarial, handle)

    seen: dict[str, str] = {}
    real_ask = sentences.ask

    def spy(assistant, question, judge, depth=10):  # noqa: ANN001, ANN202
        trace = assistant.trace("lighthouse colour Lowtown harbour", retrieve_k=10)
        seen[question.id] = next(h.text for h in trace.hits if h.article_id == "Lowtown#0")
        return real_ask(assistant, question, judge, depth)

    monkeypatch.setattr(sentences, "ask", spy)
    run = evaluate(settings, folder / "adv" / "addsent.json.gz", embedder=embedder)
    assert run.dataset.format == "squad-adversarial" and run.ingest["articles"] == 2
    assert seen == {"a" * 24: harbour, f"{'a' * 24}-high-conf-turk0": f"{harbour} {distractors[0]}",
                    f"{'a' * 24}-high-conf-turk1": f"{harbour} {distractors[1]}", "b" * 24: harbour}
    assert run.ours.extra["counts"] == {"adversarial": 2, "original": 2}
    assert run.ours.metrics["recall@1"] is not None
