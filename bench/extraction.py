"""Extraction quality on saved article pages: precision and recall of the extracted words.

`bench/pages/` holds pages of different layouts (news site with menus, ads, related links and
comments; WordPress blog; wire story; liveblog; cookie banner; AMP; schema.org JSON-LD with a
div layout; a 1990s table layout; a long read with a pull quote; a paywall teaser), each
`NAME.html` beside `NAME.txt`, its main text as a reader sees it (the headline excluded).
Words are compared as multisets of lowercased word tokens: precision is the share of extracted
words that belong to the article, recall the share of the article's words extracted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from index.loading.web.extract import extract_article

PAGES = Path(__file__).resolve().parent / "pages"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class PageScore:
    name: str
    precision: float
    recall: float
    extracted: int  # words
    expected: int
    overlap: int


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in _WORD.findall(text))


def score_page(html_path: Path) -> PageScore:
    expected = words(html_path.with_suffix(".txt").read_text(encoding="utf-8"))
    article = extract_article(html_path.read_bytes(), f"https://pages.example/{html_path.stem}")
    got = words(article.text)
    overlap = sum((got & expected).values())
    return PageScore(html_path.stem, overlap / max(sum(got.values()), 1), overlap / max(sum(expected.values()), 1),
                     sum(got.values()), sum(expected.values()), overlap)


def score_pages(folder: Path = PAGES) -> tuple[list[PageScore], float, float]:
    """Each page's score, and the overall (micro-averaged) precision and recall."""
    scores = [score_page(path) for path in sorted(folder.glob("*.html"))]
    overlap = sum(s.overlap for s in scores)
    precision = overlap / max(sum(s.extracted for s in scores), 1)
    recall = overlap / max(sum(s.expected for s in scores), 1)
    return scores, precision, recall
