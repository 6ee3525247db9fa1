"""PDF and Word files of known text: extraction quality and ingest speed (`make bench`, or on its
own `python -m bench.documents`).

The documents are made in `bench.document_files`, as publishing tools make them: PDFs with
fpdf2 (a news article in one column; one in two balanced columns, drawn a column at a time; one
in two columns drawn row by row across the page, as some producers order them; one with a
table; one with footnotes; a multi-page one with a running header and "Page N of M" footers; a
multi-page, justified one hyphenated at line ends; a feature with standfirst, byline, caption and
a subheading) and a Word file with python-docx (headings, bulleted and numbered lists, a table).
Each keeps the text a reader sees as the article (headline, body, table cells, footnotes; not
running headers, footers, page numbers or note markers) in `Document.paragraphs`. The text is in
`bench.document_texts`; every file carries its title and creation date as metadata.

Quality is scored as the web extractor's is (`bench.extraction`: lowercased words compared as
multisets: precision, the share of extracted words that belong to the article; recall, the share
of the article's words extracted), plus word-pair recall: the share of the article's adjacent
word pairs that are adjacent in the extraction, which drops when words come out in the wrong
order (two columns read across) where bag-of-words scores do not; and how many of the known
paragraphs (a heading, a list item, a table row and a footnote are one each) come out whole, as
a line of their own: paragraph breaks in the right places, nothing run together.

Speed: the same articles ingested (loaded, chunked, embedded, stored) from these files and from
.txt files holding their known text, in one run, best of five each: characters per second and
the ratio; and the loaders alone, per file, against reading the .txt files.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.document_files import Document, documents
from bench.extraction import words

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
_WORD = re.compile(r"\w+", re.UNICODE)


# -- scoring --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentScore:
    name: str
    layout: str
    precision: float
    recall: float
    pair_recall: float  # adjacent word pairs of the known text found adjacent in the extraction
    extracted: int  # words
    expected: int
    overlap: int
    title_ok: bool  # the title and date from the file's metadata
    paragraphs_kept: int  # known paragraphs found whole as lines of the extraction
    paragraphs: int
    missing: list[str] = field(default_factory=list)  # a few expected words not extracted
    extra: list[str] = field(default_factory=list)  # a few extracted words not expected


def _blocks(text: str) -> set[str]:
    """The extraction's lines (a PDF paragraph is one line; a Word heading, list item or table row
    is one), without list markers and with table cells joined by spaces, as the known text has them."""
    return {line.removeprefix("- ").replace(" | ", " ") for line in text.split("\n") if line.strip()}


def _pairs(text: str) -> Counter[tuple[str, str]]:
    tokens = [w.lower() for w in _WORD.findall(text)]
    return Counter(zip(tokens, tokens[1:]))


def score_document(document: Document, folder: Path) -> DocumentScore:
    """Write the file, read it with the project's loader, and compare with the known text."""
    from index.loading.load import load_file

    path = folder / f"{document.name}{document.suffix}"
    path.write_bytes(document.data)
    article = load_file(path).articles[0]
    got, expected = words(article.text), words(document.text)
    overlap = sum((got & expected).values())
    want_pairs = _pairs(document.text)
    pair_overlap = sum((_pairs(article.text) & want_pairs).values())
    return DocumentScore(
        document.name, document.layout, overlap / max(sum(got.values()), 1), overlap / max(sum(expected.values()), 1),
        pair_overlap / max(sum(want_pairs.values()), 1), sum(got.values()), sum(expected.values()), overlap,
        (article.title, article.date) == (document.title, document.date),
        len(set(document.paragraphs) & _blocks(article.text)), len(document.paragraphs),
        sorted((expected - got).elements())[:8], sorted((got - expected).elements())[:8])


# -- speed ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Speed:
    characters: int  # of the known text, the same for both forms
    documents_s: float  # best of the runs: ingest from the PDF and Word files
    text_s: float  # from .txt files of the same articles
    load_documents_us: float  # the loaders alone, per file read, mean
    load_text_us: float

    @property
    def ratio(self) -> float:
        """How many times longer a character takes from these documents than from plain text."""
        return self.documents_s / self.text_s

    @property
    def load_ratio(self) -> float:
        return self.load_documents_us / self.load_text_us


def _as_text_file(document: Document) -> str:
    body = "\n\n".join(document.paragraphs[1:])
    return f"Title: {document.title}\nDate: {document.date}\n\n{body}\n"


def measure_speed(docs: list[Document], settings_for: Callable[[Path], Any], embedder: Any,
                  runs: int = 5, load_repeats: int = 20) -> Speed:
    """Ingest the same articles from the documents and from plain text into fresh indexes,
    alternating, best of `runs` each; and time the loaders alone."""
    from index.loading.load import load_file
    from qa.api import Assistant

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        (root / "text").mkdir()
        for d in docs:
            (root / "docs" / f"{d.name}{d.suffix}").write_bytes(d.data)
            (root / "text" / f"{d.name}.txt").write_text(_as_text_file(d), encoding="utf-8")
        best = {"docs": float("inf"), "text": float("inf")}
        for run in range(runs):
            for kind in ("docs", "text"):
                assistant = Assistant(settings_for(root / f"index-{kind}-{run}"), embedder=embedder)
                started = time.perf_counter()
                report = assistant.ingest([root / kind])
                best[kind] = min(best[kind], time.perf_counter() - started)
                if report.failed:
                    raise RuntimeError(f"ingest failed: {[f.reason for f in report.files if f.status == 'failed']}")
        load = {}
        for kind in ("docs", "text"):
            files = sorted((root / kind).iterdir())
            started = time.perf_counter()
            for _ in range(load_repeats):
                for path in files:
                    load_file(path)
            load[kind] = (time.perf_counter() - started) / (load_repeats * len(files)) * 1e6
    return Speed(sum(len(d.text) for d in docs), best["docs"], best["text"], load["docs"], load["text"])


# -- report ---------------------------------------------------------------------------------------
def score_all(docs: list[Document]) -> tuple[list[DocumentScore], float, float]:
    """Each document's score, and the micro-averaged precision and recall."""
    with tempfile.TemporaryDirectory() as tmp:
        scores = [score_document(d, Path(tmp)) for d in docs]
    overlap = sum(s.overlap for s in scores)
    return (scores, overlap / max(sum(s.extracted for s in scores), 1),
            overlap / max(sum(s.expected for s in scores), 1))


def table(scores: list[DocumentScore], precision: float, recall: float, speed: Speed | None) -> list[str]:
    lines = ["| document | layout | word precision | word recall | word-pair recall | title, date | words | "
             "paragraphs whole |", "|---|---|---|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| {s.name} | {s.layout} | {s.precision:.3f} | {s.recall:.3f} | {s.pair_recall:.3f} | "
                     f"{'yes' if s.title_ok else '**no**'} | {s.extracted} of {s.expected} | "
                     f"{s.paragraphs_kept} of {s.paragraphs} |")
    lines.append(f"| all {len(scores)} | | **{precision:.3f}** | **{recall:.3f}** | | | | |")
    if speed is not None:
        lines += ["", "| ingest (load, chunk, embed, store) | seconds | characters/s |", "|---|---|---|",
                  f"| from the PDF and Word files | {speed.documents_s:.2f} | "
                  f"{speed.characters / speed.documents_s:.0f} |",
                  f"| from .txt files of the same text | {speed.text_s:.2f} | {speed.characters / speed.text_s:.0f} |",
                  f"| ratio (documents / text, target <= 2) | {speed.ratio:.2f} | |",
                  f"| loaders alone: per document vs per .txt file | {speed.load_documents_us / 1000:.1f} ms vs "
                  f"{speed.load_text_us / 1000:.2f} ms | ratio {speed.load_ratio:.0f} |"]
    return lines


def main() -> None:
    import os

    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(name, value)
    from qa.api import build_embedder
    from qa.config import load_settings

    settings = load_settings()
    embedder = build_embedder(settings)
    docs = documents()
    started = time.perf_counter()
    scores, precision, recall = score_all(docs)
    speed = measure_speed(docs, lambda d: settings.model_copy(
        update={"data": settings.data.model_copy(update={"dir": d})}), embedder)
    lines = table(scores, precision, recall, speed)
    for s in scores:
        if s.missing or s.extra:
            lines.append(f"\n{s.name}: missing {s.missing}, extra {s.extra}")
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = RESULTS / f"{stamp}-documents.md"
    out.write_text(f"# PDF and Word extraction {stamp}\n\nMachine: {platform.machine()}, {os.cpu_count()} cores; "
                   f"backend {settings.embedding.backend}; took {time.perf_counter() - started:.0f} s. "
                   f"Command: `python -m bench.documents`.\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
