"""Public QA and retrieval data -> articles and questions.

SQuAD (v1.1 and 2.0): each `title` is one article made of its paragraphs joined by blank lines;
a question's evidence is its gold article, and a retrieved chunk is relevant when it belongs to
that article and contains a gold answer. BEIR: each corpus record is one article; relevance
comes from the qrels. The natural sets and RealTimeQA are read by `qa.evaluation.natural`, SelQA
and adversarial SQuAD by `qa.evaluation.sentences`, claim sets by `qa.evaluation.claims`, entailment
pairs (read as claims) by `qa.evaluation.nli`.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from index.errors import QAError
from index.models import Article
from index.loading.text import normalize_text
from qa.evaluation.claims import load_claims, looks_like_claims
from qa.evaluation.natural import load_natural, load_realtimeqa
from qa.evaluation.nli import load_nli, looks_like_nli
from qa.evaluation.questions import FORMATS, Dataset, EvalQuestion, Format
from qa.evaluation.sentences import (load_selqa, load_squad_adversarial, looks_like_adversarial, looks_like_selqa,
                                     read_json)


def detect_format(path: Path) -> Format:
    """The format of a dataset file or folder, guessed from its layout and its first records."""
    if path.is_dir() and any(path.glob("*_qa.jsonl*")):
        return "realtimeqa"
    if path.is_dir() and (path / "questions.jsonl").exists():
        return "natural"
    if looks_like_nli(path):
        return "nli"
    if path.is_dir() or path.name.endswith((".jsonl", ".jsonl.gz")):
        first = {} if path.is_dir() else next(_jsonl(path), {})
        if looks_like_claims(first):
            return "claims"
        return "natural" if _looks_natural(path) else "beir"
    if path.name.endswith((".json", ".json.gz")):
        try:
            data = read_json(path)
        except (OSError, ValueError):
            return "squad"  # load_squad says what is wrong with it
        if looks_like_selqa(data):
            return "selqa"
        if looks_like_adversarial(data):
            return "squad-adversarial"
    return "squad"


def _looks_natural(path: Path) -> bool:
    if path.is_dir():
        return False
    first = next(_jsonl(path), {})
    return "question" in first and "answers" in first


def load_dataset(path: str | Path, fmt: Format | None = None) -> Dataset:
    path = Path(path).expanduser()
    if not path.exists():
        raise QAError(f"dataset not found: {path}")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise QAError(f"unknown dataset format {fmt!r}: one of {', '.join(FORMATS)}")
    try:
        if fmt == "natural":
            return load_natural(path)
        if fmt == "realtimeqa":
            return load_realtimeqa(path)
        if fmt == "claims":
            return load_claims(path)
        if fmt == "nli":
            return load_nli(path)
        if fmt == "selqa":
            return load_selqa(path)
        if fmt == "squad-adversarial":
            return load_squad_adversarial(path)
        return load_squad(path) if fmt == "squad" else load_beir(path)
    except (KeyError, TypeError, ValueError) as exc:
        raise QAError(f"{path} is not a {fmt} dataset: {exc.__class__.__name__}: {exc}") from exc


def load_squad(path: Path) -> Dataset:
    data = read_json(path)["data"]
    articles, questions = [], []
    for entry in data:
        title = entry["title"]
        text = "\n\n".join(normalize_text(p["context"]) for p in entry["paragraphs"])
        articles.append(Article(id=title, title=title.replace("_", " "), text=text, source=f"squad:{title}"))
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible", False))
                golds = tuple(a["text"] for a in qa.get("answers", []) if a.get("text", "").strip())
                questions.append(EvalQuestion(id=str(qa["id"]), text=qa["question"].strip(),
                                              answerable=not impossible and bool(golds), golds=golds,
                                              article_id=title))
    return Dataset(Path(path.name.removesuffix(".gz")).stem, "squad", articles, questions)


def _jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_beir(path: Path) -> Dataset:
    corpus = next((path / n for n in ("corpus.jsonl", "corpus.jsonl.gz") if (path / n).exists()), None)
    qrels_path = next((path / "qrels" / n for n in ("test.tsv", "dev.tsv", "train.tsv")
                       if (path / "qrels" / n).exists()), None)
    if corpus is None or qrels_path is None or not (path / "queries.jsonl").exists():
        raise QAError(f"{path}: a BEIR folder needs corpus.jsonl[.gz], queries.jsonl and qrels/*.tsv")
    articles = []
    for doc in _jsonl(corpus):
        text = normalize_text(doc.get("text", ""))
        if text:
            title = normalize_text(doc.get("title") or "") or f"Document {doc['_id']}"
            articles.append(Article(id=str(doc["_id"]), title=title, text=text, source=f"beir:{doc['_id']}"))
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(str(row["query-id"]), {})[str(row["corpus-id"])] = int(row["score"])
    questions = [EvalQuestion(id=str(q["_id"]), text=q["text"].strip(), relevant=qrels[str(q["_id"])])
                 for q in _jsonl(path / "queries.jsonl") if str(q["_id"]) in qrels]
    return Dataset(path.name, "beir", articles, questions)
