"""Article -> chunks of whole sentences, with overlap, carrying exact offsets."""

from __future__ import annotations

from index.models import Article, Chunk
from index.text import sentence_spans


class SentenceChunker:
    """Packs consecutive sentences into chunks of at most `size` characters.

    Consecutive chunks share trailing sentences worth up to `overlap` characters, so an answer
    that straddles a boundary is whole in at least one chunk. A single sentence longer than
    `size` is cut at word boundaries rather than dropped or truncated.
    """

    def __init__(self, size: int = 1000, overlap: int = 200) -> None:
        if size < 50:
            raise ValueError(f"chunk size must be at least 50 characters, got {size}")
        if not 0 <= overlap < size:
            raise ValueError(f"chunk overlap must be in [0, size), got {overlap} with size {size}")
        self.size = size
        self.overlap = overlap

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        spans = [piece for span in sentence_spans(text) for piece in self._fit(text, span)]
        chunks: list[Chunk] = []
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= self.size:
                j += 1
            start, end = spans[i][0], spans[j][1]
            chunks.append(Chunk(article.id, len(chunks), text[start:end], start, end))
            if j + 1 >= len(spans):
                break
            # Step back over trailing sentences that fit in the overlap, but only as far as the
            # next chunk can still take the first new sentence: every chunk adds new text.
            k = j + 1
            while (k - 1 > i and end - spans[k - 1][0] <= self.overlap
                   and spans[j + 1][1] - spans[k - 1][0] <= self.size):
                k -= 1
            i = k
        return chunks

    def _fit(self, text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
        """Cut a sentence longer than `size` at the last space before the limit."""
        start, end = span
        pieces: list[tuple[int, int]] = []
        while end - start > self.size:
            cut = text.rfind(" ", start, start + self.size)
            if cut <= start:
                cut = start + self.size
            pieces.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        pieces.append((start, end))
        return pieces
