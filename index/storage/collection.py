"""The Chroma collection of chunks: opening it for one embedding model, and reading it in pages.

The collection's metadata records the embedding model and its dimension; opening it with
another model raises `EmbeddingMismatchError` instead of mixing vector spaces. Only chromadb's
public client API is used, always with `embedding_function=None`: every vector is computed by
the index (`index.storage.vectorstore`), so Chroma's default model is never loaded (nor downloaded).
"""

from __future__ import annotations

from typing import Any

import chromadb

from index.embedding.embed import Embedder
from index.errors import EmbeddingMismatchError
from index.models import ArticleInfo

MODEL_KEY = "embedding_model"
DIM_KEY = "embedding_dim"
# Records per `collection.get` when reading the whole collection: one unpaged get of some 20k+
# records fails inside Chroma ("too many SQL variables").
GET_PAGE = 5000
# Ids per `collection.get` by id, for the same reason.
IDS_PAGE = 1000


def open_collection(client: chromadb.ClientAPI, name: str, embedder: Embedder) -> chromadb.Collection:
    """The collection `name`, created for `embedder` when absent (an existing one is returned
    as it is: its recorded model is checked by `check_model`)."""
    return client.get_or_create_collection(name=name, embedding_function=None,
                                           metadata={MODEL_KEY: embedder.space, DIM_KEY: embedder.dimension},
                                           # Cosine: a search score, 1 - distance, is the cosine similarity.
                                           configuration={"hnsw": {"space": "cosine"}})


def find_collection(client: chromadb.ClientAPI, name: str) -> chromadb.Collection | None:
    """The collection `name` as it is now, or None while it is absent (e.g. for a moment while
    another process rebuilds it)."""
    try:
        return client.get_collection(name, embedding_function=None)
    except Exception:  # chromadb raises NotFoundError / ValueError depending on version
        return None


def existing_model(client: chromadb.ClientAPI, name: str) -> tuple[str | None, int | None]:
    """The model and dimension recorded in the collection, or (None, None) when new."""
    collection = find_collection(client, name)
    if collection is None:
        return None, None
    meta = collection.metadata or {}
    return meta.get(MODEL_KEY), meta.get(DIM_KEY)


def check_model(client: chromadb.ClientAPI, name: str, embedder: Embedder) -> None:
    """Raise `EmbeddingMismatchError` when the collection was built with another model."""
    model, dim = existing_model(client, name)
    if model is None:
        return
    if model != embedder.space or (dim is not None and dim != embedder.dimension):
        raise EmbeddingMismatchError(
            f"the index in collection '{name}' was built with embedding model "
            f"'{model}' ({dim} dimensions) but the configuration uses '{embedder.space}' "
            f"({embedder.dimension} dimensions); run `qa reindex` to rebuild it with the "
            f"configured model, or set embedding.model (and embedding.backend: int8 vectors "
            f"are their own space) back to what built it"
        )


def get_all(collection: chromadb.Collection, include: list[str], where: dict[str, Any] | None = None, *,
            page: int = GET_PAGE) -> dict[str, list]:
    """`collection.get` of every matching record, `page` records per call."""
    merged: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    while True:
        got = collection.get(where=where, include=include, limit=page, offset=len(merged["ids"]))
        for key in merged:
            merged[key].extend(got[key] or [])
        if len(got["ids"]) < page:
            return merged


def stored_articles(collection: chromadb.Collection, *, page: int = GET_PAGE) -> list[ArticleInfo]:
    """Every stored article, newest first: one read of the first chunks, which alone carry
    the article's chunk count."""
    got = get_all(collection, ["metadatas"], where={"ordinal": 0}, page=page)
    infos = [
        ArticleInfo(id=m["article_id"], title=m.get("title", ""), source=m.get("source", ""),
                    date=m.get("date"), url=m.get("url"), path=m.get("path"),
                    chunks=int(m.get("chunks", 0)), author=m.get("author"))
        for m in got["metadatas"] or []
    ]
    return sorted(infos, key=lambda a: (a.date or "", a.title), reverse=True)
