"""Unit tests for index/loading/chunk.py: SentenceChunker invariants (pure, no model, no store)."""

from __future__ import annotations

import random

import pytest

from index.loading.chunk import SentenceChunker
from index.models import Article, Chunk
from index.loading.text import sentence_spans

WORDS = ("troops ukraine macron europe allies summit talks minister paris berlin support "
         "weapons aid conflict leaders meeting agreed said week defence security").split()


def make_article(text: str, article_id: str = "art-1") -> Article:
    return Article(id=article_id, title="Test article", text=text, source="/tmp/test.txt")


def random_text(seed: int, sentences: int = 40, long_every: int = 0) -> str:
    """Deterministic prose: sentences of varied length, in paragraphs; optionally some very
    long sentences (every `long_every`-th) to exercise the word-boundary cut."""
    rng = random.Random(seed)
    paragraphs, current = [], []
    for n in range(sentences):
        length = rng.randint(3, 25)
        if long_every and n % long_every == long_every - 1:
            length = rng.randint(150, 300)
        words = [rng.choice(WORDS) for _ in range(length)]
        current.append(" ".join(words).capitalize() + rng.choice(".!?"))
        if rng.random() < 0.2:
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p)


def check_offsets_and_sizes(article: Article, chunks: list[Chunk], size: int) -> None:
    assert chunks, "a non-empty article yields chunks"
    for ordinal, chunk in enumerate(chunks):
        assert chunk.article_id == article.id
        assert chunk.ordinal == ordinal
        assert chunk.text == article.text[chunk.start:chunk.end]
        assert 0 < len(chunk.text) <= size
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


# (seed, size, overlap); the small sizes make some sentences longer than a chunk.
CASES = [(1, 1000, 200), (2, 300, 100), (3, 120, 0), (4, 500, 499), (5, 50, 20)]


@pytest.mark.parametrize(("seed", "size", "overlap"), CASES)
def test_chunks_are_exact_spans_within_size(seed: int, size: int, overlap: int) -> None:
    article = make_article(random_text(seed))
    check_offsets_and_sizes(article, SentenceChunker(size, overlap).split(article), size)


@pytest.mark.parametrize(("seed", "size", "overlap"), CASES)
def test_every_sentence_is_whole_in_some_chunk(seed: int, size: int, overlap: int) -> None:
    article = make_article(random_text(seed))
    chunks = SentenceChunker(size, overlap).split(article)
    for start, end in sentence_spans(article.text):
        if end - start > size:
            continue  # cut at word boundaries; covered by the long-sentence tests
        assert any(c.start <= start and end <= c.end for c in chunks), article.text[start:end]


@pytest.mark.parametrize(("seed", "size", "overlap"), [(1, 1000, 200), (2, 300, 100), (4, 500, 499), (6, 400, 0)])
def test_consecutive_chunks_overlap_by_whole_sentences_within_budget(seed: int, size: int, overlap: int) -> None:
    article = make_article(random_text(seed))
    spans = sentence_spans(article.text)
    assert max(e - s for s, e in spans) <= size, "precondition: no sentence needs cutting"
    chunks = SentenceChunker(size, overlap).split(article)
    sentence_starts = {s for s, _ in spans}
    sentence_ends = {e for _, e in spans}
    for previous, chunk in zip(chunks, chunks[1:]):
        # Chunks begin and end on sentence boundaries...
        assert chunk.start in sentence_starts and chunk.end in sentence_ends
        if chunk.start < previous.end:
            # ...so a shared part is made of whole sentences, and it fits in `overlap`.
            assert previous.end - chunk.start <= overlap
        else:
            # Without a shared part, nothing but whitespace lies between the two chunks.
            assert article.text[previous.end:chunk.start].strip() == ""


def test_overlap_repeats_trailing_sentences() -> None:
    sentences = [f"Sentence number {n} is here." for n in range(10)]  # 26-27 characters each
    article = make_article(" ".join(sentences))
    chunks = SentenceChunker(size=100, overlap=60).split(article)
    assert len(chunks) > 1
    for previous, chunk in zip(chunks, chunks[1:]):
        shared = article.text[chunk.start:previous.end]
        assert chunk.start < previous.end, "with room for an overlap, consecutive chunks share text"
        assert shared.endswith("is here.") and shared.startswith("Sentence number")
        assert len(shared) <= 60


def test_zero_overlap_tiles_the_text() -> None:
    article = make_article(random_text(7))
    chunks = SentenceChunker(size=200, overlap=0).split(article)
    for previous, chunk in zip(chunks, chunks[1:]):
        assert chunk.start >= previous.end
        assert article.text[previous.end:chunk.start].strip() == ""


def test_short_article_is_one_chunk() -> None:
    article = make_article("One short sentence. Another one.")
    chunks = SentenceChunker().split(article)
    assert [(c.text, c.start, c.end, c.ordinal) for c in chunks] == [(article.text, 0, len(article.text), 0)]


def test_empty_article_has_no_chunks() -> None:
    assert SentenceChunker().split(make_article("   ")) == []


# --- sentences longer than the chunk size -------------------------------------------------------

def covered_non_space(text: str, chunks: list[Chunk]) -> set[int]:
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    return {i for i, ch in enumerate(text) if not ch.isspace()} - covered


def test_long_sentence_is_cut_at_word_boundaries_and_nothing_is_lost() -> None:
    words = [f"word{n:03d}" for n in range(120)]  # 7 characters + a space each
    text = "Short opener. " + " ".join(words) + ". Short closer."
    article = make_article(text)
    chunks = SentenceChunker(size=100, overlap=30).split(article)
    check_offsets_and_sizes(article, chunks, 100)
    assert covered_non_space(text, chunks) == set(), "every non-space character is in a chunk"
    for c in chunks:
        # A cut never falls inside a word.
        assert c.start == 0 or not text[c.start - 1].isalnum()
        assert c.end == len(text) or not text[c.end].isalnum()


def test_word_longer_than_size_is_cut_hard_without_loss() -> None:
    text = "Start. " + "x" * 230 + " end."
    article = make_article(text)
    chunks = SentenceChunker(size=100, overlap=10).split(article)
    check_offsets_and_sizes(article, chunks, 100)
    assert covered_non_space(text, chunks) == set()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_text_with_long_sentences_loses_nothing(seed: int) -> None:
    article = make_article(random_text(seed, sentences=30, long_every=7))
    chunks = SentenceChunker(size=400, overlap=120).split(article)
    check_offsets_and_sizes(article, chunks, 400)
    assert covered_non_space(article.text, chunks) == set()


def test_every_chunk_adds_new_text() -> None:
    short = " ".join(f"Short one number {n}." for n in range(3))  # 3 x 19 characters
    long = "Long " + "word " * 36 + "end."  # 189 characters: fits alone, not with the overlap
    article = make_article(f"{short} {long} Short one number 3. Short one number 4.")
    chunks = SentenceChunker(size=200, overlap=60).split(article)
    for previous, chunk in zip(chunks, chunks[1:]):
        assert chunk.end > previous.end, (
            f"chunk {chunk.ordinal} {chunk.text!r} lies inside chunk {previous.ordinal}")


# --- arguments --------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "overlap"), [(49, 0), (0, 0), (-100, 0), (100, 100), (100, 150), (100, -1)])
def test_invalid_size_or_overlap_raises(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        SentenceChunker(size=size, overlap=overlap)


def test_boundary_arguments_are_accepted() -> None:
    chunker = SentenceChunker(size=50, overlap=49)
    assert (chunker.size, chunker.overlap) == (50, 49)
    assert SentenceChunker(size=50, overlap=0).overlap == 0
