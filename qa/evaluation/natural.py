"""Questions people type: natural question sets and RealTimeQA's weekly news quizzes.

Natural sets (`tests/data/natural/*/`): a `questions.jsonl` of
`{"question", "answers": [...], "history"?: [...], "as_of"?, "kind"?, "id"?}` beside an
`articles` folder (any format `qa ingest` reads) or an `articles.jsonl`; `answers: []` means
the articles do not answer it and the right outcome is not to answer.

RealTimeQA (`../shared/eval/realtimeqa-2024/`, its native files): every article a search
returned for the chosen weeks is the corpus; a question's gold is the text of its right choice,
and a question whose right choice occurs in no article is one to abstain on; the question's
date is the as-of date for its time words.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from index.loading.dates import parse_date
from index.errors import QAError
from index.loading.load import iter_files, load_file
from index.models import Article
from index.loading.text import normalize_text
from qa.evaluation.questions import Dataset, EvalQuestion


def _jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise QAError(f"{path}:{n}: not JSON ({exc.msg})") from exc


def load_natural(path: Path) -> Dataset:
    """A natural question set: `path` is its folder (questions.jsonl + articles/) or the
    questions file itself, with `articles/` or `articles.jsonl` beside it."""
    questions_path = path / "questions.jsonl" if path.is_dir() else path
    folder = questions_path.parent
    source = next((p for p in (folder / "articles", folder / "articles.jsonl") if p.exists()), None)
    if source is None:
        raise QAError(f"{questions_path}: no articles/ folder or articles.jsonl beside it")
    articles: list[Article] = []
    for file, _ in iter_files([source]):
        loaded = load_file(file)
        articles.extend(loaded.articles)
    if not articles:
        raise QAError(f"{source}: no articles")
    questions = []
    for n, record in enumerate(_jsonl(questions_path), start=1):
        answers = tuple(a for a in record.get("answers", []) if isinstance(a, str) and a.strip())
        history = tuple({"role": m["role"], "content": m["content"]} for m in record.get("history") or [])
        questions.append(EvalQuestion(id=str(record.get("id", n)), text=record["question"].strip(),
                                      answerable=bool(answers), golds=answers, history=history,
                                      as_of=record.get("as_of"), kind=record.get("kind", "")))
    name = folder.name if folder.name not in ("", ".") else questions_path.stem
    return Dataset(f"natural-{name}", "natural", articles, questions)


def load_realtimeqa(path: Path) -> Dataset:
    """RealTimeQA's native files: a folder of weeks (`YYYYMMDD_qa.jsonl.gz` and
    `YYYYMMDD_gcs.jsonl.gz`), or one week's `_qa` file."""
    weeks = sorted(path.glob("*_qa.jsonl*")) if path.is_dir() else [path]
    if not weeks:
        raise QAError(f"{path}: no RealTimeQA *_qa.jsonl[.gz] files")
    articles: dict[str, Article] = {}
    raw: list[dict] = []
    for qa_file in weeks:
        gcs_file = qa_file.with_name(qa_file.name.replace("_qa.", "_gcs."))
        if not gcs_file.exists():
            raise QAError(f"{qa_file}: its search results {gcs_file.name} are missing")
        for record in _jsonl(gcs_file):
            for result in record.get("search_result", []):
                text = normalize_text(result.get("text") or "")
                url = result.get("url") or ""
                if not text or not url or url in articles:
                    continue
                title = normalize_text(result.get("title") or "") or url
                articles[url] = Article(id=url, title=title, text=text, source=url, url=url,
                                        date=parse_date(result.get("publish_date")))
        raw.extend(_jsonl(qa_file))
    corpus = [a.text.lower() for a in articles.values()]
    questions = []
    for record in raw:
        gold = record["choices"][int(record["answer"][0])].strip()
        present = any(gold.lower() in text for text in corpus)
        questions.append(EvalQuestion(id=str(record["question_id"]), text=record["question_sentence"].strip(),
                                      answerable=present, golds=(gold,), as_of=parse_date(record["question_date"]),
                                      kind="realtimeqa"))
    name = path.name if path.is_dir() else re.sub(r"_qa\.jsonl(\.gz)?$", "", path.name)
    return Dataset(f"realtimeqa-{name}", "realtimeqa", list(articles.values()), questions)
