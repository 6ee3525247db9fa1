"""Public entailment sets read as claims: each hypothesis is a claim citing its premise.

The grounding check is asked what a claim-verification benchmark asks: does this text (the
premise) support that sentence (the hypothesis)? `qa eval --format nli` reads

- the binary files of DocNLI's release (`label<TAB>premise<TAB>hypothesis`, one pair a line, `.txt`
  or `.txt.gz`; labels `entailment` / `not_entailment`): MNLI and FEVER in `../shared/eval/nli/`;
- an SNLI folder (`s1.<split>.gz` premises, `s2.<split>.gz` hypotheses, `labels.<split>.gz`), its
  `test` split (`dev` where there is no test): entailment is supported, neutral and
  contradiction are not.

An entailed hypothesis is a supported claim (`kind` = its label), any other an unsupported one,
so `run_claims` measures them like the hand-written claim sets: supported kept, unsupported
removed, and their mean, the balanced accuracy published checkers report. The texts come
tokenized the Penn Treebank way ("born September 15 , 1951", ``quoted''); they are put back
into running text first, since the check reads sentences as news prints them.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from index.errors import QAError
from qa.evaluation.questions import Dataset, EvalQuestion

BINARY_LABELS = ("entailment", "not_entailment")
SNLI_LABELS = ("entailment", "neutral", "contradiction")

# Penn Treebank tokens back to print: no space before closing punctuation or after an opening
# bracket, `` and '' as quotation marks, "-LRB-" as a bracket.
_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
_BEFORE_CLOSING = re.compile(r"\s+([,.;:!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b)")
_AFTER_OPENING = re.compile(r"([(\[{$])\s+")
_QUOTED = re.compile(r"``\s*(.*?)\s*''")


def detokenize(text: str) -> str:
    """Penn Treebank tokens as running text: "( born September 15 , 1951 )" -> "(born September 15, 1951)"."""
    for token, bracket in _BRACKETS.items():
        text = text.replace(token, bracket)
    text = _QUOTED.sub(r'"\1"', text)
    text = text.replace("``", '"').replace("''", '"')
    text = _AFTER_OPENING.sub(r"\1", _BEFORE_CLOSING.sub(r"\1", text))
    return re.sub(r"\s{2,}", " ", text).strip()


def looks_like_nli(path: Path) -> bool:
    """Whether `path` is a DocNLI binary file or an SNLI folder."""
    if path.is_dir():
        return any(path.glob("s1.*.gz")) and any(path.glob("labels.*.gz"))
    if not path.name.endswith((".txt", ".txt.gz")):
        return False
    first = next(_lines(path), "")
    parts = first.split("\t")
    return len(parts) == 3 and parts[0] in BINARY_LABELS


def load_nli(path: Path) -> Dataset:
    """The pairs of `path` as claims (see the module): `answerable` = entailed, `extra["source"]` = premise."""
    pairs = list(_snli(path) if path.is_dir() else _binary(path))
    if not pairs:
        raise QAError(f"{path}: no premise-hypothesis pairs")
    questions = []
    for n, (label, premise, hypothesis) in enumerate(pairs, start=1):
        claim = detokenize(hypothesis)
        if claim and claim[-1] not in ".!?\"":
            claim += "."  # a claim is a sentence; the check splits text into sentences
        questions.append(EvalQuestion(id=f"{n:05d}", text=claim, answerable=label == "entailment", kind=label,
                                      extra={"source": detokenize(premise), "title": ""}))
    stem = path.name.split(".")[0]
    return Dataset(f"nli-{path.parent.name}-{stem}" if not path.is_dir() else f"nli-{path.name}", "claims", [],
                   questions)


def _lines(path: Path, *, blank: bool = False) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if blank or line.strip():
                yield line.rstrip("\n")


def _binary(path: Path) -> Iterator[tuple[str, str, str]]:
    for n, line in enumerate(_lines(path), start=1):
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in BINARY_LABELS:
            raise QAError(f"{path}:{n}: not 'entailment|not_entailment<TAB>premise<TAB>hypothesis'")
        label, premise, hypothesis = parts
        if premise.strip() and hypothesis.strip():
            yield label, premise, hypothesis


def _snli(path: Path) -> Iterator[tuple[str, str, str]]:
    split = "test" if (path / "s1.test.gz").exists() else "dev"
    files = [path / f"{name}.{split}.gz" for name in ("labels", "s1", "s2")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise QAError(f"{path}: an SNLI folder needs {', '.join(missing)}")
    labels, premises, hypotheses = (list(_lines(f, blank=True)) for f in files)  # line n of each is pair n
    if not len(labels) == len(premises) == len(hypotheses):
        raise QAError(f"{path}: {split} has {len(labels)} labels, {len(premises)} premises, "
                      f"{len(hypotheses)} hypotheses")
    for label, premise, hypothesis in zip(labels, premises, hypotheses, strict=True):
        if label in SNLI_LABELS:  # SNLI marks pairs its annotators disagreed on "-"
            yield label, premise, hypothesis
