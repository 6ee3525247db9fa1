"""Article -> chunks of whole paragraphs or sentences, with overlap, carrying exact offsets."""

from __future__ import annotations

from index.models import Article, Chunk
from index.loading.text import paragraph_spans, sentence_spans


class SentenceChunker:
    """Cuts articles into chunks of whole paragraphs, or of whole sentences of a long paragraph.

    Consecutive paragraphs are packed together while they fit in `size` characters, so a
    chunk never ends mid-paragraph when it need not: a paragraph is the unit a reporter wrote
    about one thing. A paragraph longer than `size` is cut between sentences, and its
    consecutive chunks share trailing sentences worth up to `overlap` characters, so an answer
    that straddles a cut is whole in at least one chunk. A single sentence longer than `size`
    is cut at word boundaries rather than dropped or truncated.
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
        spans: list[tuple[int, int]] = []
        packable = False  # the last span is whole paragraphs, so the next short one may join it
        for para_start, para_end in paragraph_spans(text):
            if para_end - para_start <= self.size:
                if packable and para_end - spans[-1][0] <= self.size:
                    spans[-1] = (spans[-1][0], para_end)
                else:
                    spans.append((para_start, para_end))
                packable = True
            else:
                sentences = [piece for span in sentence_spans(text, para_start, para_end)
                             for piece in self._fit(text, span)]
                spans.extend(self._pack(sentences))
                packable = False
        return [Chunk(article.id, n, text[start:end], start, end) for n, (start, end) in enumerate(spans)]

    def _pack(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Consecutive sentence spans -> chunk spans of at most `size`, overlapping by whole sentences."""
        chunks: list[tuple[int, int]] = []
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= self.size:
                j += 1
            start, end = spans[i][0], spans[j][1]
            chunks.append((start, end))
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
