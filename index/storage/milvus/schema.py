"""The Milvus collection of chunks: its fields, its indexes, and the embedding model it records.

One row per chunk holds everything a replica needs to answer from it, so a `qa serve` process
keeps no index of its own:

- `document`: the stored text, "title\\n\\nchunk" as in Chroma mode (`index.storage.writer`);
- `keywords`: the same text cut by the project's own tokenizer (`index.tokens.terms`: Snowball
  English stems, the project's stop words), space-separated; Milvus' BM25 function turns it into
  the `sparse` field. Stemming is done here rather than by a Milvus analyzer so that the terms
  are the same as Chroma mode's BM25 (the same stems and stop words) on every engine (milvus-lite
  3.2.2, tried first, had no stemming analyzer at all);
- `vector`: the chunk's dense vector (COSINE, HNSW; exact search on milvus-lite, which builds no
  HNSW), the mean of its title's and sentences' vectors;
- `evidence`: the chunk's sentence vectors and token codes (`index.embedding.sentences`), packed,
  for ranking sentences without embedding them per question (`index.storage.milvus.evidence`);
- `date_ord`: not nullable (milvus-lite refuses nullable fields): `UNDATED` (0) when undated;
- `meta`: the chunk's metadata as Chroma mode stores it (`index.storage.writer.chunk_metadata`),
  with `article_id`, `ordinal` and `date_ord` (the publication date as YYYYMMDD) also as scalar
  columns for filters.

The collection's properties and its vector field's description record the embedding model and
dimension, checked on opening.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from pymilvus import DataType, MilvusClient, MilvusException

from index.embedding.embed import Embedder
from index.errors import EmbeddingMismatchError
from index.storage.milvus.engine import MilvusEngine
from index.tokens import terms

ID, DOCUMENT, KEYWORDS, SPARSE, VECTOR, EVIDENCE, META = "id", "document", "keywords", "sparse", "vector", "evidence", "meta"
ARTICLE_ID, ORDINAL, DATE_ORD = "article_id", "ordinal", "date_ord"
# Milvus caps a VARCHAR at 65,535 bytes.
MAX_TEXT_BYTES = 65_535
# BM25 as Chroma mode's bm25s computes it (Lucene variant, k1 1.5, b 0.75); Milvus' default k1 is 1.2.
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}
# The stems are already cut; the analyzer only splits on spaces (`\w+`, lower-case: they are).
ANALYZER = {"tokenizer": "standard"}
SCHEMA_VERSION = 1
# `date_ord` of an undated chunk (not null: milvus-lite 2.5 refuses nullable fields).
UNDATED = 0
# How milvus-lite refuses an HNSW index ("invalid index type: HNSW, local mode only support FLAT ...").
LITE_INDEX_REFUSAL = "local mode only support"
MODEL_KEY, DIM_KEY, SCHEMA_KEY = "embedding_model", "embedding_dim", "qa_schema"
_NOT_WORD = re.compile(r"\W", re.UNICODE)


def keyword_text(text: str) -> str:
    """`text` as the project's stems, space-separated; characters a `\\w+` tokenizer would split
    a stem on ("covid-19", "o'brien") become `_`, so each stem stays one term."""
    return " ".join(_NOT_WORD.sub("_", term) for term in terms(text))


def model_record(embedder: Embedder) -> dict[str, str]:
    """The record naming the model (Milvus property values are strings). It is kept twice: as the
    collection's properties and as the vector field's description, because milvus-lite 2.5 drops
    a collection's properties and description but keeps its fields' descriptions."""
    return {MODEL_KEY: embedder.space, DIM_KEY: str(embedder.dimension), SCHEMA_KEY: str(SCHEMA_VERSION)}


def create_collection(engine: MilvusEngine, name: str, embedder: Embedder) -> None:
    """Create the chunk collection for `embedder` (the caller checked it is absent)."""

    def create(client: MilvusClient) -> None:
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID, DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field(DOCUMENT, DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
        schema.add_field(KEYWORDS, DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                         analyzer_params=ANALYZER)
        schema.add_field(SPARSE, DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=embedder.dimension,
                         description=json.dumps(model_record(embedder), sort_keys=True))
        schema.add_field(EVIDENCE, DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
        schema.add_field(ARTICLE_ID, DataType.VARCHAR, max_length=2048)
        schema.add_field(ORDINAL, DataType.INT64)
        schema.add_field(DATE_ORD, DataType.INT64)
        schema.add_field(META, DataType.JSON)
        schema.add_function(_bm25_function())
        # Strong consistency: a chunk one process wrote is searchable by every other at once
        # (Milvus' default, Bounded, may lag some seconds).
        client.create_collection(name, schema=schema, consistency_level="Strong", properties=model_record(embedder))
        sparse = client.prepare_index_params()
        sparse.add_index(SPARSE, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
        client.create_index(name, sparse)
        try:
            client.create_index(name, _vector_index(client, "HNSW"))
        except MilvusException as exc:
            if LITE_INDEX_REFUSAL not in str(exc):
                raise
            # milvus-lite builds FLAT/IVF_FLAT only; AUTOINDEX is its exact (FLAT) search.
            client.create_index(name, _vector_index(client, "AUTOINDEX"))
        client.load_collection(name)

    engine.run(create)


def _vector_index(client: MilvusClient, index_type: str) -> Any:  # noqa: ANN401 - IndexParams
    index = client.prepare_index_params()
    params = {"M": 16, "efConstruction": 200} if index_type == "HNSW" else {}
    index.add_index(VECTOR, index_type=index_type, metric_type="COSINE", params=params)
    return index


def _bm25_function() -> Any:  # noqa: ANN401 - pymilvus.Function
    # LangChain's partner package builds the BM25 function definition.
    from langchain_milvus import BM25BuiltInFunction

    return BM25BuiltInFunction(input_field_names=KEYWORDS, output_field_names=SPARSE, analyzer_params=ANALYZER,
                               function_name="bm25").function


def existing_model(engine: MilvusEngine, name: str) -> tuple[str | None, int | None]:
    """The model and dimension recorded in the collection, or (None, None) when absent."""
    if not engine.call("has_collection", name):
        return None, None
    described = engine.call("describe_collection", name)
    properties = described.get("properties") or {}
    if MODEL_KEY not in properties:
        properties = _field_record(described)
    dim = properties.get(DIM_KEY)
    return properties.get(MODEL_KEY), int(dim) if dim and str(dim).isdigit() else None


def _field_record(described: dict[str, Any]) -> dict[str, str]:
    for field in described.get("fields") or []:
        if field.get("name") == VECTOR:
            with contextlib.suppress(ValueError, TypeError):
                record = json.loads(field.get("description") or "{}")
                return record if isinstance(record, dict) else {}
    return {}


def check_model(engine: MilvusEngine, name: str, embedder: Embedder) -> None:
    """Raise `EmbeddingMismatchError` when the collection was built with another model."""
    model, dim = existing_model(engine, name)
    if model is None:
        return
    if model != embedder.space or (dim is not None and dim != embedder.dimension):
        raise EmbeddingMismatchError(
            f"the index in Milvus collection '{name}' at {engine.address} was built with embedding model "
            f"'{model}' ({dim} dimensions) but the configuration uses '{embedder.space}' "
            f"({embedder.dimension} dimensions); run `qa reindex` to rebuild it with the configured "
            f"model, or set embedding.model (and embedding.backend) back to what built it")
