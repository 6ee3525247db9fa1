"""LangChain's `VectorStore` interface over one Chroma collection, writing sentence vectors
beside every chunk it stores.

LangChain's indexing API (`index()`) adds and deletes through a vector store with the chunk
ids its record manager keeps, so doing both here keeps the sentence store in step with Chroma
through the same calls that keep Chroma in step with the record manager.

An explicit adapter rather than a subclass of langchain-chroma's `Chroma`: that class hides its
collection in private attributes (`_collection`, `_client`) which the rest of the index had to
reach into. This one is handed a `chromadb.Collection` opened through chromadb's public API
(`index.storage.collection.open_collection`) and only ever calls that collection's own methods; no
chromadb embedding function is involved, every vector is computed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import chromadb
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.embedding.embed import Embedder
from index.embedding.sentences import SentenceStore, embed_chunks


class ChunkVectorStore(VectorStore):
    """Chunks in a Chroma collection; their vectors are means of sentence vectors, kept in `sentences`.

    Args:
        collection: The Chroma collection written to. `ArticleStore` replaces it when the
            collection is recreated (`reset`, or a rebuild by another process).
        client: The client that opened it: Chroma caps the records per write call.
        embedder: The embedding model.
        sentences: Where the chunks' sentence vectors and token codes are kept.
    """

    def __init__(self, collection: chromadb.Collection, *, client: chromadb.ClientAPI, embedder: Embedder,
                 sentences: SentenceStore) -> None:
        self.collection = collection
        self.client = client
        self.embedder = embedder
        self.sentences = sentences

    @property
    def embeddings(self) -> Embeddings:
        return self.embedder

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        """Store each text under its id (an upsert: `index()` ids are content hashes).

        `index()` passes `ids` and `batch_size` through `add_documents`; the batch size is
        ignored (the embedder keeps its own, Chroma's cap is applied below).
        """
        texts = list(texts)
        if not texts:
            return []
        if ids is None or metadatas is None or len(ids) != len(texts) or len(metadatas) != len(texts):
            raise ValueError("ChunkVectorStore.add_texts needs one id and one metadata dict per text")
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
        step = max(1, self.client.get_max_batch_size())  # Chroma refuses larger upserts
        for at in range(0, len(ids), step):
            end = at + step
            self.collection.upsert(ids=ids[at:end], embeddings=chunk_vectors[at:end].tolist(),
                                   metadatas=metadatas[at:end], documents=texts[at:end])
        return ids

    # Overridden, as `index()` requires (the base class only raises NotImplementedError).
    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> None:
        """Remove the chunks from Chroma, then their sentence rows."""
        self.collection.delete(ids=ids, **kwargs)
        if ids:
            self.sentences.delete(ids)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """Plain dense search (abstract in `VectorStore`): the service's own searches, hybrid
        and date-filtered, are `ArticleStore`'s (`index.storage.search`). `filter` is a Chroma `where`."""
        found = self.collection.query(query_embeddings=[self.embedder.embed_query(query)], n_results=k,
                                      where=kwargs.get("filter"), include=["documents", "metadatas"])
        return [Document(id=i, page_content=doc, metadata=meta or {}) for i, doc, meta in
                zip(found["ids"][0], found["documents"][0], found["metadatas"][0], strict=True)]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, *,
                   ids: list[str] | None = None, **kwargs: Any) -> ChunkVectorStore:
        """Abstract in `VectorStore`; not offered: a store needs an opened collection and a
        sentence store (`ArticleStore` builds both)."""
        raise NotImplementedError("build an index.storage.store.ArticleStore, then write through it")
