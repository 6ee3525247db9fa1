"""`qa eval` on entailment pairs (DocNLI's binary MNLI/FEVER files, SNLI folders), read as claims.

Tiny files written here show the reading and the errors; the grounding check itself runs on
two pairs whose verdict is plain, and on a slice of the real FEVER test file where
../shared/eval has it.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.errors import QAError
from qa.evaluation.datasets import detect_format, load_dataset
from qa.evaluation.nli import detokenize
from tests.support import ROOT
from ui.cli.serve import app

EVAL_DIR = Path(os.environ.get("QA_EVAL_DIR") or ROOT.parent / "shared" / "eval")
FEVER_TEST = EVAL_DIR / "nli" / "fever-nli" / "test.txt.gz"

PREMISE = ("The Harlow Ferry Company , founded in 1921 , runs six boats between Harlow and Brisa . "
           "Its chief executive , Anna Roth , said on Monday that fares would not rise this year .")


@pytest.mark.parametrize("tokens, text", [
    ("Frederick `` Fred '' Seibert ( born September 15 , 1951 ) is a producer .",
     'Frederick "Fred" Seibert (born September 15, 1951) is a producer.'),
    ("It does n't cost $ 5 ; it 's free -LRB- mostly -RRB- .", "It doesn't cost $5; it's free (mostly)."),
    ("Plain text, already printed.", "Plain text, already printed."),
])
def test_treebank_tokens_are_put_back_into_running_text(tokens: str, text: str) -> None:
    assert detokenize(tokens) == text


def binary_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines("\t".join(row) + "\n" for row in rows)
    return path


def test_a_docnli_binary_file_is_read_as_claims(tmp_path: Path) -> None:
    path = binary_file(tmp_path / "test.txt.gz", [
        ("entailment", PREMISE, "Anna Roth runs the Harlow Ferry Company"),
        ("not_entailment", PREMISE, "Anna Roth said fares would rise this year ."),
    ])
    assert detect_format(path) == "nli"
    data = load_dataset(path)
    assert (data.name, data.format, len(data.questions)) == (f"nli-{tmp_path.name}-test", "claims", 2)
    entailed, not_entailed = data.questions
    assert (entailed.answerable, entailed.kind, entailed.text) == (True, "entailment",
                                                                   "Anna Roth runs the Harlow Ferry Company.")
    assert (not_entailed.answerable, not_entailed.kind) == (False, "not_entailment")
    assert not_entailed.text == "Anna Roth said fares would rise this year."
    assert entailed.extra["source"].startswith("The Harlow Ferry Company, founded in 1921, runs six boats")


def test_a_malformed_pair_names_its_line(tmp_path: Path) -> None:
    path = binary_file(tmp_path / "dev.txt.gz", [("entailment", PREMISE, "A claim."), ("maybe", PREMISE, "B.")])
    assert detect_format(path) == "nli"  # guessed from the first line
    with pytest.raises(QAError, match=r"dev.txt.gz:2: not 'entailment\|not_entailment<TAB>premise<TAB>hypothesis'"):
        load_dataset(path)


def snli_folder(path: Path, labels: list[str], premises: list[str], hypotheses: list[str]) -> Path:
    path.mkdir()
    for name, lines in (("labels", labels), ("s1", premises), ("s2", hypotheses)):
        with gzip.open(path / f"{name}.test.gz", "wt", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return path


def test_an_snli_folder_is_read_and_its_unlabelled_pairs_left_out(tmp_path: Path) -> None:
    folder = snli_folder(tmp_path / "snli", ["entailment", "-", "contradiction", "neutral"],
                         ["A man sleeps .", "A dog runs .", "A cat sits .", "Two girls play ."],
                         ["A man rests .", "An animal moves .", "A cat runs .", "Two sisters play ."])
    assert detect_format(folder) == "nli"
    data = load_dataset(folder)
    assert [(q.text, q.answerable, q.kind) for q in data.questions] == [
        ("A man rests.", True, "entailment"), ("A cat runs.", False, "contradiction"),
        ("Two sisters play.", False, "neutral")]
    assert data.questions[1].extra["source"] == "A cat sits."


def test_an_snli_folder_with_lines_missing_is_an_error(tmp_path: Path) -> None:
    folder = snli_folder(tmp_path / "snli", ["entailment", "neutral"], ["A man sleeps .", "A dog runs ."],
                         ["A man rests ."])
    with pytest.raises(QAError, match=r"test has 2 labels, 2 premises, 1 hypotheses"):
        load_dataset(folder)


def run_eval(*args: str) -> dict:
    result = CliRunner().invoke(app, ["eval", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_qa_eval_checks_each_hypothesis_against_its_premise(tmp_path: Path) -> None:
    path = binary_file(tmp_path / "pairs.txt.gz", [
        ("entailment", PREMISE, "Anna Roth , the chief executive , said fares would not rise this year ."),
        ("not_entailment", PREMISE, "Anna Roth said fares would rise this year ."),
        ("not_entailment", PREMISE, "The Harlow Ferry Company runs nine boats between Harlow and Brisa ."),
    ])
    metrics = run_eval("--dataset", str(path))
    assert (metrics["supported_kept"], metrics["unsupported_removed"]) == (1.0, 1.0)
    assert metrics["kept_entailment"] == 1.0 and metrics["removed_not_entailment"] == 1.0


@pytest.mark.skipif(not FEVER_TEST.exists(), reason=f"the public evaluation data is not at {EVAL_DIR} (QA_EVAL_DIR)")
def test_qa_eval_on_a_fever_slice() -> None:
    metrics = run_eval("--dataset", str(FEVER_TEST), "--limit", "40")
    assert 0.0 <= metrics["supported_kept"] <= 1.0 and 0.0 <= metrics["unsupported_removed"] <= 1.0
    assert metrics["balanced_accuracy"] == pytest.approx((metrics["supported_kept"]
                                                          + metrics["unsupported_removed"]) / 2)
