"""Readers' ratings as an evaluation set: the rated questions written as a natural question set
that `qa eval --dataset` reads, the cited articles taken from the index, and what needs a
person's gold in `review.jsonl` beside it (the rules: `qa.feedback`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.models import Article, public_source
from qa.feedback import RATINGS, Feedback, FeedbackError, FeedbackStore

EXPORT_FILES = ("questions.jsonl", "articles.jsonl", "review.jsonl", "README.md")


@dataclass
class ExportReport:
    """What an export wrote: questions with a gold, questions the articles do not answer,
    records left for review (and why), and articles."""

    out_dir: Path
    answerable: int = 0
    unanswerable: int = 0
    review: int = 0
    articles: int = 0
    missing_articles: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # why records went to review.jsonl

    @property
    def questions(self) -> int:
        return self.answerable + self.unanswerable

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "questions": self.questions, "answerable": self.answerable,
                "unanswerable": self.unanswerable, "review": self.review, "articles": self.articles,
                "missing_articles": self.missing_articles, "review_reasons": self.reasons}


REVIEW_DOWN_ANSWERED = "rated down: which sentence answers it, or that the articles do not say, needs a person"
REVIEW_DOWN_ABSTAINED = "rated down on 'not in the articles': the reader says they answer it; the gold needs a person"
REVIEW_DISAGREE = "readers rated the same question both up and down"
REVIEW_GONE = "the quote is no longer in the indexed articles (changed or deleted)"


def export_feedback(store: FeedbackStore, out_dir: str | Path,
                    article: Callable[[str], Article | None]) -> ExportReport:
    """Write the store's rated questions as a natural question set (see `qa.feedback`); `article`
    gives an indexed article by id (`indexed_articles`), or None when it is gone."""
    return export_natural(store.list(limit=None, oldest_first=True), Path(out_dir), article)


def export_natural(records: list[Feedback], out_dir: Path, article: Callable[[str], Article | None]) -> ExportReport:
    """`export_feedback` on `records` (oldest first)."""
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FeedbackError(f"cannot export to {out_dir}: not a folder")
        other = sorted(p.name for p in out_dir.iterdir() if p.name not in EXPORT_FILES)
        if other:
            raise FeedbackError(f"cannot export to {out_dir}: it holds other files ({', '.join(other[:5])}); "
                                f"choose a new or empty folder")
    report = ExportReport(out_dir)
    # One question per conversation and question: the latest rating, unless readers disagree.
    groups: dict[tuple, list[Feedback]] = {}
    for record in records:
        key = (" ".join(record.question.split()).casefold(),
               tuple((m["role"], m["content"]) for m in record.history))
        groups.setdefault(key, []).append(record)
    found: dict[str, Article | None] = {}

    def lookup(article_id: str) -> Article | None:
        if article_id not in found:
            found[article_id] = article(article_id) if article_id else None
            if found[article_id] is None and article_id:
                report.missing_articles.append(article_id)
        return found[article_id]

    questions, review, used = [], [], []
    for group in groups.values():
        latest = group[-1]
        cited = [c for c in latest.citations if lookup(c.article_id) is not None]
        for c in latest.citations:
            if c.article_id not in used and found.get(c.article_id) is not None:
                used.append(c.article_id)
        reason = None
        golds: list[str] = []
        if len({r.rating for r in group}) > 1:
            reason = REVIEW_DISAGREE
        elif latest.rating == "down":
            reason = REVIEW_DOWN_ABSTAINED if latest.outcome == "not_in_articles" else REVIEW_DOWN_ANSWERED
        elif latest.outcome != "not_in_articles":
            golds = list(dict.fromkeys(c.quote for c in cited if c.quote and _words(c.quote) in _words(
                found[c.article_id].text)))
            if not golds:
                reason = REVIEW_GONE
        entry: dict[str, Any] = {"id": f"feedback-{latest.id}", "question": latest.question}
        if latest.history:
            entry["history"] = [dict(m) for m in latest.history]
        if latest.as_of:
            entry["as_of"] = latest.as_of
        if reason is None:
            entry.update(answers=golds, kind="feedback", rated=latest.rating, outcome=latest.outcome,
                         articles=[c.article_id for c in cited], rated_at=latest.updated)
            questions.append(entry)
            if golds:
                report.answerable += 1
            else:
                report.unanswerable += 1
        else:
            entry.update(answers=None, kind="feedback-review", reason=reason,
                         ratings={r: sum(1 for x in group if x.rating == r) for r in RATINGS},
                         answer=latest.answer, outcome=latest.outcome,
                         citations=[c.to_dict() for c in latest.citations],
                         notes=[x.note for x in group if x.note], rated_at=latest.updated)
            review.append(entry)
            report.reasons[reason] = report.reasons.get(reason, 0) + 1
    report.review = len(review)
    report.articles = len(used)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out_dir / "questions.jsonl", questions)
    _write_jsonl(out_dir / "review.jsonl", review)
    _write_jsonl(out_dir / "articles.jsonl", [_article_record(found[a]) for a in used])
    (out_dir / "README.md").write_text(_readme(report), encoding="utf-8")
    return report


def _words(text: str) -> str:
    return " ".join(text.split())


def _article_record(article: Article) -> dict[str, Any]:
    record = {"id": article.id, "title": article.title, "date": article.date, "url": article.url,
              "source": article.source, "text": article.text}
    return {k: v for k, v in record.items() if v is not None}


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def _readme(report: ExportReport) -> str:
    return f"""# Questions readers rated in the chat

Exported by `qa feedback export`; evaluate with `qa eval --dataset {report.out_dir}`.

- `questions.jsonl`: {report.questions} questions. {report.answerable} were rated up on an answer: the sentences
  it quoted are the golds (`answers`). {report.unanswerable} were rated up on "not in the articles":
  `answers: []`, the right outcome is not to answer.
- `articles.jsonl`: the {report.articles} indexed articles these questions (and those under review) cited.
- `review.jsonl`: {report.review} records a person must settle before they can be measured: thumbs down
  (the answer was wrong, so which sentence is right, or whether the articles say it at all, is
  unknown), questions rated both ways, and quotes no longer in the index. Each has the answer
  that was rated, the readers' notes and `"answers": null`: write the gold strings (exact text of
  an article in `articles.jsonl`), or `[]` when the articles do not answer it, and move the line
  to `questions.jsonl`.
"""


# -- articles from the index -------------------------------------------------------------------
def indexed_articles(store: Any) -> Callable[[str], Article | None]:  # noqa: ANN401
    """An article of the index by id (an `index.storage.store.ArticleStore`), its text put back
    together from its stored chunks (each is `text[start:end]` after its title prefix)."""

    def article(article_id: str) -> Article | None:
        parts = sorted(((int(m["start"]), int(m["end"]), doc[int(m.get("prefix", 0)):], m)
                        for _, doc, m in store.stored_chunks(article_id)),
                       key=lambda p: p[0])
        if not parts:
            return None
        text, end = "", 0
        for start, stop, chunk, _ in parts:
            if start > end:  # a gap between chunks is the whitespace between sentences
                text += "\n\n" if start - end > 1 else " "
                end = start
            if stop > end:
                text += chunk[end - start:]
                end = stop
        meta = parts[0][3]
        return Article(id=article_id, title=str(meta.get("title", "")), text=text.strip(),
                       source=public_source(str(meta.get("source", ""))), date=meta.get("date"), url=meta.get("url"))

    return article
