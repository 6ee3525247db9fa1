"""LangChain's Chroma vector store, writing sentence vectors beside every chunk it stores.

LangChain's indexing API adds and deletes through the vector store with the chunk ids it
manages, so hooking `add_texts` and `delete` keeps the sentence store in step with Chroma
through the same calls that keep Chroma in step with the record manager.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_chroma import Chroma

from index.embed import Embedder
from index.sentences import SentenceStore, embed_chunks


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
        chunk_vectors, sentence_vectors, tokens = embed_chunks(self.embedder.encode_tokens, titles, chunks)
        # Sentences first: a chunk visible in Chroma always has its sentences (a crash in
        # between leaves orphan sentence rows, which are harmless and overwritten next time).
        self.sentences.put(ids, sentence_vectors, chunk_vectors, tokens)
        # Not overlapped with the embedding: Chroma's write holds the GIL (an embedding thread
        # fell from 725 to 32 texts/s beside a Chroma writer), so a writer thread gains nothing.
        step = max(1, self._client.get_max_batch_size())  # Chroma refuses larger upserts
        for at in range(0, len(ids), step):
            end = at + step
            self._collection.upsert(ids=ids[at:end], embeddings=chunk_vectors[at:end].tolist(),
                                    metadatas=metadatas[at:end], documents=texts[at:end])
        return ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> None:
        super().delete(ids=ids, **kwargs)
        if ids:
            self.sentences.delete(ids)
