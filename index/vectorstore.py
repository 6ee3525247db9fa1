"""LangChain's Chroma vector store, writing sentence vectors beside every chunk it stores.

LangChain's indexing API adds and deletes through the vector store with the chunk ids it
manages, so hooking `add_texts` and `delete` keeps the sentence store in step with Chroma
through the same calls that keep Chroma in step with the record manager.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_chroma import Chroma

from index.embed import Embedder
from index.sentences import SentenceStore, embed_chunks


# Chunks embedded, then written to Chroma, at a time (see `SentenceChroma.add_texts`).
WRITE_PART = 64


class SentenceChroma(Chroma):
    """`Chroma` whose chunk vectors are means of sentence vectors, stored in `sentences`."""

    def __init__(self, *args: Any, sentences: SentenceStore, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(*args, embedding_function=embedder, **kwargs)
        self.sentences = sentences
        self.embedder = embedder

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        if not texts:
            return []
        if ids is None or metadatas is None or len(ids) != len(texts) or len(metadatas) != len(texts):
            raise ValueError("SentenceChroma.add_texts needs one id and one metadata dict per text")
        # Stored text is "title\n\nchunk"; `prefix` says where the chunk starts.
        prefixes = [int(m.get("prefix", 0)) for m in metadatas]
        titles = [t[: max(p - 2, 0)] for t, p in zip(texts, prefixes, strict=True)]
        chunks = [t[p:] for t, p in zip(texts, prefixes, strict=True)]
        # Pipelined: while Chroma stores one part (its own thread), the next part is embedded.
        # Every part is stored before this returns, so the record manager, updated after
        # add_texts, never records a chunk that Chroma does not hold.
        step = max(1, min(WRITE_PART, self._client.get_max_batch_size()))
        with ThreadPoolExecutor(1, thread_name_prefix="chroma-write") as writer:
            pending = None
            for at in range(0, len(ids), step):
                part = slice(at, at + step)
                chunk_vectors, sentence_vectors = embed_chunks(self.embedder.encode, titles[part], chunks[part])
                if pending is not None:
                    pending.result()
                # Sentences first: a chunk visible in Chroma always has its sentences (a crash
                # in between leaves orphan sentence rows, harmless and overwritten next time).
                self.sentences.put(ids[part], sentence_vectors, chunk_vectors)
                pending = writer.submit(self._collection.upsert, ids=ids[part], embeddings=chunk_vectors.tolist(),
                                        metadatas=metadatas[part], documents=texts[part])
            if pending is not None:
                pending.result()
        return ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> None:
        super().delete(ids=ids, **kwargs)
        if ids:
            self.sentences.delete(ids)
