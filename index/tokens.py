"""Words for keyword search and lexical scoring: lower-cased, stop words out, stemmed by the
Snowball English (Porter2) stemmer (PyStemmer).

Shared by the keyword index (here) and answer selection (`qa.answering.lexical`), so that a question's
words and an article's words are cut the same way. The keyword index stores these terms: it
records `TOKENIZER` and is rebuilt from the collection when that differs (`index.storage.keyword`), so
any change to what `terms` returns for some text (the stemmer, its version, the stop words, the
word pattern) must change `TOKENIZER` too.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading

import Stemmer

_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves also did does said says
    tell say according much many whose
    """.split()
)

# Bump when `terms` changes in a way neither the stemmer's version nor the stop words show.
_VERSION = 2  # 1: the hand-written stemmer that kept 6 characters; 2: Snowball English
TOKENIZER = (f"v{_VERSION} snowball-english pystemmer-{Stemmer.version()} "
             f"stopwords-{hashlib.sha256(' '.join(sorted(STOPWORDS)).encode()).hexdigest()[:12]}")

# A PyStemmer stemmer is not thread-safe (it keeps state between calls): one per thread.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
        stemmer.maxCacheSize = 0  # `_term` caches already; without its own cache it is 2x faster
    return stemmer


def stem(word: str) -> str:
    """The Snowball English stem of a lower-cased word ("announcing" -> "announc")."""
    return _stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased content words, in order."""
    return [t for t in map(_term, _WORD.findall(text)) if t is not None]


@functools.lru_cache(maxsize=1 << 18)
def _term(word: str) -> str | None:
    # Cached: words recur (Zipf), and this is most of the keyword index's build time.
    word = word.lower().replace("’", "'").removesuffix("'s")
    return stem(word) if word not in STOPWORDS and len(word) > 1 else None
