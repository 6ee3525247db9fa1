"""Wire copies: one story republished by several outlets, word for word or lightly edited, is one
story cluster.

Each article's body (never its title: outlets rewrite headlines) is cut into shingles of
`SHINGLE_WORDS` consecutive words (lower-cased, punctuation dropped) and summarized by a MinHash
signature (`datasketch`). A new article joins the story of the stored article whose estimated
Jaccard similarity to it is highest, when that is at least `threshold`; `MinHashLSH` finds the
candidates without comparing against every article. The threshold was measured on edited copies
of real RealTimeQA articles against distinct reports of the same events (`bench/wire_copies.py`,
README "Wire copies"). An article of fewer than `MIN_WORDS` words is its own story: so little text
cannot tell a copy from shared boilerplate (five different CNN pages that are only the same
41-word ad-feedback form).

A story's id is the id of its representative, its earliest copy (by publication date, undated
last, then by when it was stored); an article without copies is its own story. Removing the
representative re-points the others to the next earliest. (Which copy a question's passages show
is decided per question: the best scored, `qa.answering.copies`.) An article joins one story and
stories are never merged, so a chain of edits (A ~ B ~ C with A and C apart) stays where it was
first placed; removing an article does not split its story.

Everything lives in one SQLite file beside the store (`<collection>.stories.sqlite` in the data
folder): the article -> story table with each article's signature and the metadata a citation
shows of a copy. Processes sharing the data folder share it; the in-memory LSH is rebuilt from
the stored signatures whenever another process wrote (`version` in the `meta` table).

    >>> stories = StoryIndex(Path("data/articles.stories.sqlite"))
    >>> stories.add_many([article, copy_from_another_outlet])
    >>> stories.story_of(copy_from_another_outlet.id) == article.id
    True
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
import sqlite3
import threading
import time
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.models import Article

if TYPE_CHECKING:  # imported where used: datasketch pulls in scipy (about 0.5 s), which reads never need
    from datasketch import LeanMinHash, MinHash, MinHashLSH

logger = logging.getLogger(__name__)

SHINGLE_WORDS = 5  # words per shingle: measured against 3 and 4 (bench/wire_copies.py)
NUM_PERM = 128  # MinHash permutations: a Jaccard estimate within about +-0.09 (2 sigma) at 0.5
MIN_WORDS = 50  # shorter articles are never merged (see the module)
# Estimated Jaccard from which two articles are one story: at 0.55, 99.7% of lightly edited copies
# of RealTimeQA articles and 1 of 3000 distinct same-question pairs (an updated article) merge;
# at 0.50 a follow-up article reusing background (exact Jaccard 0.44) merged too (bench/results).
DEFAULT_THRESHOLD = 0.55
SCHEMA = 1  # bump when the signature recipe (normalization, hashing) changes: the table is rebuilt
SCHEME = "affine32"  # datasketch's permutation scheme; sketches of two schemes cannot be compared
_WORD = re.compile(r"\w+")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier (the golden ratio's)


def story_words(text: str) -> list[str]:
    """The words two copies are compared by: NFKC, lower case, punctuation and spacing dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingle_hashes(words: Sequence[str], size: int = SHINGLE_WORDS) -> np.ndarray:
    """A stable 32-bit hash of every run of `size` consecutive words (of the whole text when it is
    shorter), each distinct hash once. Vectorized: hashing every shingle's string with SHA-1, as
    datasketch does by default, cost about 10 ms an article."""
    word_hashes = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    runs = max(1, len(words) - size + 1)
    combined = np.zeros(runs, dtype=np.uint64)
    for offset in range(min(size, len(words))):  # a polynomial of the words' hashes, mod 2**64
        combined = combined * _MIX + word_hashes[offset:offset + runs]
    return np.unique(combined >> np.uint64(32))


def signature(text: str, *, num_perm: int = NUM_PERM, size: int = SHINGLE_WORDS,
              min_words: int = MIN_WORDS) -> MinHash | None:
    """The MinHash of `text`'s shingles, or None when it has fewer than `min_words` words."""
    return words_signature(story_words(text), num_perm=num_perm, size=size, min_words=min_words)


def words_signature(words: Sequence[str], *, num_perm: int = NUM_PERM, size: int = SHINGLE_WORDS,
                    min_words: int = MIN_WORDS) -> MinHash | None:
    """`signature` of text already cut into `story_words`."""
    from datasketch import MinHash

    if len(words) < min_words:
        return None
    minhash = MinHash(num_perm=num_perm, scheme=SCHEME, hashfunc=int, permutations=_permutations(num_perm))
    minhash.update_batch(shingle_hashes(words, size).tolist())  # already hashed: `int` passes them on
    return minhash


@functools.cache
def _permutations(num_perm: int) -> np.ndarray:
    """datasketch's permutations for `num_perm` (made once: about 2 ms each time otherwise)."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, scheme=SCHEME).permutations


def similarity(a: MinHash, b: MinHash) -> float:
    """The estimated Jaccard similarity of two signatures' shingle sets."""
    return float(a.jaccard(b))


@dataclass(frozen=True)
class StoryMember:
    """One stored copy of a story, with what a citation shows of it."""

    article_id: str
    title: str
    date: str | None
    source: str
    url: str | None


class StoryIndex:
    """Which stored articles are copies of one story (see the module).

    Args:
        path: The SQLite file (created when absent).
        threshold: Estimated Jaccard similarity from which an article joins a story, in (0, 1].
        num_perm: MinHash permutations.
        shingle_words: Words per shingle.
        min_words: Articles shorter than this are never merged.
    """

    def __init__(self, path: Path, *, threshold: float = DEFAULT_THRESHOLD, num_perm: int = NUM_PERM,
                 shingle_words: int = SHINGLE_WORDS, min_words: int = MIN_WORDS) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"story threshold must be in (0, 1], got {threshold!r}")
        self.path = path
        self.threshold = threshold
        self.num_perm, self.shingle_words, self.min_words = num_perm, shingle_words, min_words
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS members (
                article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, seq INTEGER NOT NULL,
                title TEXT NOT NULL, date TEXT, source TEXT NOT NULL, url TEXT,
                text_hash TEXT NOT NULL, signature BLOB);
            CREATE INDEX IF NOT EXISTS members_story ON members (story_id);
            CREATE INDEX IF NOT EXISTS members_seq ON members (seq);
        """)
        # Questions read through a connection of their own: a write holds `_db` for a whole batch
        # (signatures are computed inside its transaction), and WAL lets reads go on meanwhile.
        self._reader = sqlite3.connect(path, check_same_thread=False, timeout=30.0, isolation_level=None)
        self._read_lock = threading.Lock()
        self._lsh: MinHashLSH | None = None  # built on first write, from the stored signatures
        self._signatures: dict[str, MinHash] = {}
        self._lsh_version: str | None = None
        self.stale = self._open_params()

    # -- parameters --------------------------------------------------------------------
    def _params(self) -> dict[str, str | int]:
        return {"schema": SCHEMA, "scheme": SCHEME, "num_perm": self.num_perm, "shingle_words": self.shingle_words,
                "min_words": self.min_words}

    def _open_params(self) -> bool:
        """Record the signature recipe; True when the stored signatures were made by another one
        (the caller rebuilds from the articles). Another threshold only re-clusters."""
        with self._lock:
            stored = self._meta("params")
            params = json.dumps(self._params(), sort_keys=True)
            if stored is not None and stored != params:
                self.clear()
                self._set_meta("params", params)
                return True
            self._set_meta("params", params)
            if self._meta("threshold") not in (None, repr(self.threshold)):
                self.recluster()
            self._set_meta("threshold", repr(self.threshold))
            return False

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- reading -----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._read_all("SELECT COUNT(*) FROM members", ())[0][0])

    def _read_all(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    def story_of(self, article_id: str) -> str:
        """The id of `article_id`'s story: its earliest copy's id (its own id when it has no copies,
        or is not known here)."""
        return self.stories_of([article_id])[article_id]

    def stories_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """`story_of` for several articles in one query."""
        ids = list(dict.fromkeys(article_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            found.update(self._read_all(
                f"SELECT article_id, story_id FROM members WHERE article_id IN ({','.join('?' * len(part))})", part))
        return {i: found.get(i, i) for i in ids}

    def copies(self, article_id: str) -> list[str]:
        """The other articles of `article_id`'s story, earliest first."""
        return [m.article_id for m in self.copy_members(article_id)]

    def copy_members(self, article_id: str) -> list[StoryMember]:
        """The other copies of `article_id`'s story, earliest first, with their titles and sources."""
        rows = self._read_all(
            "SELECT article_id, title, date, source, url FROM members WHERE story_id = "
            "(SELECT story_id FROM members WHERE article_id = ?) AND article_id != ? "
            "ORDER BY date IS NULL, date, seq", (article_id, article_id))
        return [StoryMember(*row) for row in rows]

    def clusters(self) -> list[list[str]]:
        """Every story of more than one article, its copies earliest first (for measuring)."""
        rows = self._read_all(
            "SELECT story_id, article_id FROM members WHERE story_id IN "
            "(SELECT story_id FROM members GROUP BY story_id HAVING COUNT(*) > 1) "
            "ORDER BY story_id, date IS NULL, date, seq", ())
        grouped: dict[str, list[str]] = {}
        for story, article in rows:
            grouped.setdefault(story, []).append(article)
        return list(grouped.values())

    # -- writing -----------------------------------------------------------------------
    def add_many(self, articles: Iterable[Article]) -> None:
        """Place each article in its story (new, or joined); an article already placed with the
        same text, title, date and source is left as it is."""
        with self._writing():
            self._follow_other_writers()
            changed = False
            for article in articles:
                changed |= self._add(article)
            if changed:
                self._bump_version()

    def add(self, article: Article) -> None:
        self.add_many([article])

    def remove(self, article_id: str) -> None:
        """Forget one article; when it represented its story, the next earliest copy does."""
        with self._writing():
            self._follow_other_writers()
            if self._remove(article_id):
                self._bump_version()

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM members")
            self._bump_version()
            self._lsh_version = None

    def rebuild(self, articles: Iterable[Article]) -> None:
        """Forget every story and place `articles` again (the store's articles, when this file
        was missing or made with another recipe)."""
        with self._lock:
            self.clear()
            self.add_many(articles)
            self.stale = False

    def fill_if_missing(self, stored_chunks: int, articles: Callable[[], Iterable[Article]]) -> bool:
        """Rebuild from the store's `articles()` when this file knows no article but the store holds
        `stored_chunks` > 0 (an index made before stories were kept, or a lost file), or its signatures
        were made by another recipe. True when it rebuilt."""
        if stored_chunks and (self.stale or len(self) == 0):
            started = time.perf_counter()
            self.rebuild(articles())
            logger.warning("placed %d stored articles in stories in %.1f s (once: %s was missing or outdated)",
                           len(self), time.perf_counter() - started, self.path.name)
            return True
        return False

    def recluster(self) -> None:
        """Place every stored article again from its stored signature, in the order stored (after
        the threshold changed)."""
        with self._lock:  # re-entrant: held from the read to the commit
            rows = self._db.execute("SELECT article_id, signature FROM members ORDER BY seq").fetchall()
            with self._writing():
                self._db.execute("UPDATE members SET story_id = article_id")
                self._lsh, self._signatures, self._lsh_version = self._new_lsh(), {}, self._meta("version") or ""
                for article_id, blob in rows:
                    if blob is not None:
                        self._join(article_id, self._decode(blob))
                self._bump_version()

    # -- internals ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction, one writer at a time across threads and processes; on failure
        it is rolled back and the in-memory LSH, which may hold what was rolled back, reloaded."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._lsh_version = None
                raise

    def _add(self, article: Article) -> bool:
        # Of the words compared, not the raw text: the text put back from the chunks (`rebuild`)
        # may differ from the ingested one in spacing only, and is then no change.
        words = story_words(article.text)
        text_hash = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
        row = self._db.execute("SELECT text_hash, title, date, source, url FROM members WHERE article_id = ?",
                               (article.id,)).fetchone()
        if row is not None:
            if row == (text_hash, article.title, article.date, article.source, article.url):
                return False
            self._remove(article.id)  # changed: placed again, as a new article
        self._ensure_lsh()  # before this article's row exists: loading it would insert it twice
        minhash = words_signature(words, num_perm=self.num_perm, size=self.shingle_words, min_words=self.min_words)
        seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM members").fetchone()[0]
        self._db.execute(
            "INSERT INTO members (article_id, story_id, seq, title, date, source, url, text_hash, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, article.id, seq, article.title, article.date, article.source, article.url, text_hash,
             None if minhash is None else self._encode(minhash)))
        if minhash is not None:
            self._join(article.id, minhash)
        return True

    def _join(self, article_id: str, minhash: MinHash) -> None:
        """Put a stored article in the story of its most similar copy (if any clears the
        threshold), then make the story's earliest copy its id."""
        lsh = self._ensure_lsh()
        best, best_score = None, self.threshold
        for candidate in lsh.query(minhash):
            other = self._signatures.get(candidate)
            if other is None or candidate == article_id:
                continue
            score = similarity(minhash, other)
            if score >= best_score:
                best, best_score = candidate, score
        lsh.insert(article_id, minhash)
        self._signatures[article_id] = minhash
        if best is None:
            return
        story = self._db.execute("SELECT story_id FROM members WHERE article_id = ?", (best,)).fetchone()[0]
        self._db.execute("UPDATE members SET story_id = ? WHERE article_id = ?", (story, article_id))
        self._repoint(story)

    def _remove(self, article_id: str) -> bool:
        row = self._db.execute("SELECT story_id FROM members WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            return False
        self._db.execute("DELETE FROM members WHERE article_id = ?", (article_id,))
        lsh = self._ensure_lsh()
        if article_id in self._signatures:
            lsh.remove(article_id)
            del self._signatures[article_id]
        self._repoint(row[0])
        return True

    def _repoint(self, story: str) -> None:
        """Give every member of `story` the id of its earliest remaining copy."""
        first = self._db.execute("SELECT article_id FROM members WHERE story_id = ? "
                                 "ORDER BY date IS NULL, date, seq LIMIT 1", (story,)).fetchone()
        if first is not None and first[0] != story:
            self._db.execute("UPDATE members SET story_id = ? WHERE story_id = ?", (first[0], story))

    def _new_lsh(self) -> MinHashLSH:
        from datasketch import MinHashLSH

        return MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)

    def _ensure_lsh(self) -> MinHashLSH:
        if self._lsh is None or self._lsh_version is None:
            self._load_lsh()
        assert self._lsh is not None
        return self._lsh

    def _load_lsh(self) -> None:
        """The LSH and signatures of every stored article, as the file holds them now."""
        self._lsh, self._signatures = self._new_lsh(), {}
        for article_id, blob in self._db.execute("SELECT article_id, signature FROM members "
                                                 "WHERE signature IS NOT NULL"):
            minhash = self._decode(blob)
            self._lsh.insert(article_id, minhash)
            self._signatures[article_id] = minhash
        self._lsh_version = self._meta("version") or ""

    def _follow_other_writers(self) -> None:
        """Inside a write transaction: reload the LSH when another process wrote since it was built."""
        if self._lsh_version is not None and self._lsh_version != (self._meta("version") or ""):
            self._lsh_version = None

    def _bump_version(self) -> None:
        token = uuid.uuid4().hex
        self._set_meta("version", token)
        if self._lsh_version is not None:
            self._lsh_version = token  # this process's LSH holds this write

    def _encode(self, minhash: MinHash) -> bytes:
        return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()

    def _decode(self, blob: bytes) -> LeanMinHash:
        from datasketch import LeanMinHash

        return LeanMinHash(seed=1, hashvalues=np.frombuffer(blob, dtype=np.uint64), scheme=SCHEME)

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._db.close()
            self._reader.close()


def articles_from_chunks(stored: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Article]:
    """The stored articles put back together from their chunks, `(chunk id, document, metadata)` as
    a store's `stored_chunks()` gives them (each document the article's title, a blank line, then
    `text[start:end]`; consecutive chunks overlap), for rebuilding the stories."""
    parts: dict[str, list[tuple[int, int, str, Mapping[str, Any]]]] = {}
    for _, document, meta in stored:
        body = document[int(meta.get("prefix", 0)):]
        parts.setdefault(meta["article_id"], []).append((int(meta["start"]), int(meta["end"]), body, meta))
    articles = []
    for article_id, chunks in parts.items():
        chunks.sort(key=lambda c: c[0])
        text = ""
        for start, end, body, _ in chunks:
            if start >= len(text):
                text = text.ljust(start) + body
            elif end > len(text):
                text += body[len(text) - start:]
        meta = chunks[0][3]
        articles.append(Article(id=article_id, title=meta.get("title", ""), text=text, source=meta.get("source", ""),
                                date=meta.get("date"), url=meta.get("url"), path=meta.get("path")))
    return articles
