"""LangChain's `VectorStore` interface over the Milvus chunk collection, for LangChain's `index()`.

`index.storage.writer.ChunkWriter` writes through LangChain's indexing API and a `SQLRecordManager`
in both backends; this adapter is what it writes to in Milvus mode. Rows are upserted, never
inserted: Milvus does not refuse a second row with the same primary key, so a write interrupted
between the engine and the record manager would otherwise leave duplicates when resumed.
(langchain-milvus' own `Milvus` store inserts, embeds the whole text instead of the project's
sentence-mean vector, and logs and swallows a failed delete, which would let the record manager
forget rows the engine still holds; so it is not the store written to.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from index.embedding.embed import Embedder
from index.embedding.sentences import embed_chunks
from index.storage.milvus import schema as fields
from index.storage.milvus.engine import MilvusEngine
from index.storage.milvus.evidence import pack

# Rows per upsert request: ~10 KB each with their evidence, well under gRPC's message cap.
WRITE_BATCH = 256


def quoted(values: Iterable[str]) -> str:
    """A Milvus filter list literal of strings, e.g. `["a", "b"]` (JSON escaping is Milvus' own)."""
    import json

    return json.dumps(list(values), ensure_ascii=False)


class MilvusChunkVectorStore(VectorStore):
    """Chunks in one Milvus collection, each row with its vectors, evidence and BM25 terms.

    Args:
        engine: The engine client.
        collection: The collection written to.
        embedder: The embedding model.
    """

    def __init__(self, engine: MilvusEngine, collection: str, embedder: Embedder) -> None:
        self.engine = engine
        self.collection_name = collection
        self.embedder = embedder

    @property
    def embeddings(self) -> Embeddings:
        return self.embedder

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        """Upsert each text under its id (`index()` ids are content hashes)."""
        texts = list(texts)
        if not texts:
            return []
        if ids is None or metadatas is None or len(ids) != len(texts) or len(metadatas) != len(texts):
            raise ValueError("MilvusChunkVectorStore.add_texts needs one id and one metadata dict per text")
        prefixes = [int(m.get("prefix", 0)) for m in metadatas]
        titles = [t[: max(p - 2, 0)] for t, p in zip(texts, prefixes, strict=True)]
        chunks = [t[p:] for t, p in zip(texts, prefixes, strict=True)]
        chunk_vectors, sentence_vectors, tokens = embed_chunks(self.embedder.encode_tokens, titles, chunks)
        rows = [self._row(i, text, meta, vector, sentences, codes) for i, text, meta, vector, sentences, codes in
                zip(ids, texts, metadatas, chunk_vectors, sentence_vectors, tokens, strict=True)]
        for at in range(0, len(rows), WRITE_BATCH):
            self.engine.call("upsert", self.collection_name, rows[at:at + WRITE_BATCH])
        return ids

    def _row(self, chunk_id: str, text: str, meta: dict[str, Any], vector: Any, sentences: Any,  # noqa: ANN401
             codes: Any) -> dict[str, Any]:  # noqa: ANN401
        keywords = fields.keyword_text(text)
        for name, value in ((fields.DOCUMENT, text), (fields.KEYWORDS, keywords)):
            if len(value.encode("utf-8")) > fields.MAX_TEXT_BYTES:
                raise ValueError(f"chunk {chunk_id} of article {meta.get('article_id')!r}: its {name} is over "
                                 f"Milvus' {fields.MAX_TEXT_BYTES}-byte text limit; lower chunking.size")
        return {fields.ID: chunk_id, fields.DOCUMENT: text, fields.KEYWORDS: keywords,
                fields.VECTOR: vector.tolist(), fields.EVIDENCE: pack(sentences, codes),
                fields.ARTICLE_ID: meta["article_id"], fields.ORDINAL: int(meta["ordinal"]),
                fields.DATE_ORD: meta.get("date_ord") or fields.UNDATED, fields.META: meta}

    # Overridden, as `index()` requires (the base class only raises NotImplementedError).
    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Remove the chunks; an engine that fails raises (the record manager keeps their keys)."""
        if ids:
            for at in range(0, len(ids), 1000):
                self.engine.call("delete", self.collection_name, ids=list(ids[at:at + 1000]))
        return True

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """Plain dense search (abstract in `VectorStore`); `filter` is a Milvus filter expression.
        The service's own searches are `MilvusArticleStore`'s."""
        found = self.engine.call("search", self.collection_name, data=[self.embedder.embed_query(query)],
                                 anns_field=fields.VECTOR, limit=k, filter=kwargs.get("filter") or "",
                                 output_fields=[fields.DOCUMENT, fields.META], search_params={"metric_type": "COSINE"})
        return [Document(id=h["id"], page_content=h["entity"][fields.DOCUMENT], metadata=h["entity"][fields.META])
                for h in found[0]]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, *,
                   ids: list[str] | None = None, **kwargs: Any) -> MilvusChunkVectorStore:
        raise NotImplementedError("build an index.storage.milvus.MilvusArticleStore, then write through it")
