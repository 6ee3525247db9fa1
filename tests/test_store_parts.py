"""The parts behind `ArticleStore`, on a real embedded Chroma in a tmp dir and the real model.

The explicit Chroma adapter (`index.storage.vectorstore.ChunkVectorStore`) is what LangChain's `index()`
writes through: it must add, skip and delete like any `VectorStore`, store the vectors
`embed_chunks` computes, never call chromadb's default embedding function, and depend on
nothing private of langchain-chroma (which the index no longer imports at all).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
from langchain_classic.indexes import SQLRecordManager, index
from langchain_core.documents import Document

from index.storage.collection import DIM_KEY, MODEL_KEY, get_all, open_collection, stored_articles
from index.embedding.embed import Embedder
from index.embedding.sentences import SentenceStore, embed_chunks
from index.storage.store import embedded_client
from index.storage.vectorstore import ChunkVectorStore
from tests.support import MODEL_CACHE, ROOT

TITLE = "Harbour storm"


def chunk_docs(article_id: str, texts: list[str]) -> list[Document]:
    """Documents shaped as `ArticleStore` writes them: "title\\n\\nchunk", `prefix` at the chunk."""
    return [Document(page_content=f"{TITLE}\n\n{text}",
                     metadata={"article_id": article_id, "ordinal": n, "prefix": len(TITLE) + 2})
            for n, text in enumerate(texts)]


@pytest.fixture
def chunks(tmp_path: Path, embedder: Embedder) -> ChunkVectorStore:
    client = embedded_client(tmp_path / "chroma")
    return ChunkVectorStore(open_collection(client, "chunks", embedder), client=client, embedder=embedder,
                            sentences=SentenceStore(tmp_path / "sentences.sqlite", embedder.dimension))


@pytest.fixture
def no_chroma_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if chromadb's default embedding function is used (it would download a model)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("chromadb's default embedding function was called")
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", refuse)


def test_index_adds_skips_and_deletes_through_the_adapter(chunks: ChunkVectorStore, embedder: Embedder,
                                                          tmp_path: Path, no_chroma_model: None) -> None:
    records = SQLRecordManager(namespace="chroma/chunks", db_url=f"sqlite:///{tmp_path / 'records.sqlite'}")
    records.create_schema()

    def write(docs: list[Document]) -> dict[str, int]:
        return index(docs, records, chunks, cleanup="incremental", source_id_key="article_id",
                     key_encoder="sha256", batch_size=max(1, len(docs)))

    first = chunk_docs("a", ["The storm hit the piers. Boats were lost.", "The harbour reopened."])
    other = chunk_docs("b", ["A different article entirely."])
    assert write(first + other) == {"num_added": 3, "num_updated": 0, "num_skipped": 0, "num_deleted": 0}
    ids = records.list_keys()
    stored = chunks.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
    assert sorted(stored["ids"]) == sorted(ids) and sorted(chunks.sentences.get(ids)) == sorted(ids)
    by_text = {doc: np.asarray(vector) for doc, vector in zip(stored["documents"], stored["embeddings"], strict=True)}
    texts = [d.page_content for d in first + other]
    expected, _, _ = embed_chunks(embedder.encode_tokens, [TITLE] * 3, [t[len(TITLE) + 2:] for t in texts])
    for text, vector in zip(texts, expected, strict=True):  # the mean of title and sentence vectors
        np.testing.assert_allclose(by_text[text], vector, atol=1e-5)
    assert all(m["prefix"] == len(TITLE) + 2 for m in stored["metadatas"])

    assert write(first + other)["num_skipped"] == 3  # unchanged: nothing embedded, nothing written
    changed = write(chunk_docs("a", ["Only this is left of the article."]))
    assert (changed["num_added"], changed["num_deleted"]) == (1, 2)
    assert chunks.collection.count() == 2 and chunks.sentences.count() == 2  # deleted from both
    assert set(chunks.collection.get(include=[])["ids"]) == set(records.list_keys())


def test_the_collection_is_opened_for_the_model_in_cosine_space(chunks: ChunkVectorStore, embedder: Embedder,
                                                                no_chroma_model: None) -> None:
    collection = chunks.collection
    assert collection.metadata == {MODEL_KEY: embedder.space, DIM_KEY: embedder.dimension}
    assert collection.configuration["hnsw"]["space"] == "cosine"
    assert collection.configuration.get("embedding_function") is None
    chunks.add_texts([d.page_content for d in chunk_docs("a", ["Storm damage at the piers."])],
                     [d.metadata for d in chunk_docs("a", ["Storm damage at the piers."])], ids=["c1"])
    [found] = chunks.similarity_search("storm", k=1)
    assert found.id == "c1" and found.metadata["article_id"] == "a"


def test_the_batch_is_split_at_chromas_cap(chunks: ChunkVectorStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks.client, "get_max_batch_size", lambda: 2)
    calls = []
    real = chunks.collection.upsert
    monkeypatch.setattr(chunks.collection, "upsert", lambda **kw: calls.append(kw["ids"]) or real(**kw))
    docs = chunk_docs("a", [f"Sentence number {n}." for n in range(5)])
    chunks.add_texts([d.page_content for d in docs], [d.metadata for d in docs], ids=[f"c{n}" for n in range(5)])
    assert calls == [["c0", "c1"], ["c2", "c3"], ["c4"]]
    assert chunks.collection.count() == 5


def test_the_adapter_needs_one_id_and_metadata_per_text(chunks: ChunkVectorStore) -> None:
    with pytest.raises(ValueError, match="one id and one metadata"):
        chunks.add_texts(["a text"], [{}])


def test_nothing_in_the_index_reads_private_chroma_attributes() -> None:
    for path in sorted((ROOT / "index").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        private = [f"{path.name}:{node.lineno} .{node.attr}" for node in ast.walk(tree)
                   if isinstance(node, ast.Attribute) and node.attr in ("_collection", "_client", "_chroma_collection")]
        imports = [f"{path.name}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                   and any((getattr(node, "module", None) or alias.name).startswith("langchain_chroma")
                           for alias in node.names)]
        assert not private and not imports, private + imports


def test_the_store_works_without_langchain_chroma(tmp_path: Path) -> None:
    """In a process where `import langchain_chroma` fails, an article is written, searched, deleted."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["langchain_chroma"] = None  # any import of it now raises ImportError
        from pathlib import Path
        from index.embedding.embed import Embedder
        from index.models import Article, Chunk
        from index.storage.store import ArticleStore, embedded_client
        data = Path({str(tmp_path)!r})
        embedder = Embedder(cache_dir=Path({str(MODEL_CACHE)!r}))
        store = ArticleStore(embedded_client(data / "chroma"), embedder, data_dir=data)
        text = "The storm hit the piers. Boats were lost."
        article = Article(id="a", title="Harbour storm", text=text, source="test")
        assert store.upsert(article, [Chunk(article_id="a", ordinal=0, start=0, end=len(text), text=text)]) == (1, 0)
        assert store.search(embedder.embed_query("storm"), k=1)[0].article_id == "a"
        assert store.delete_article("a") == 1 and store.count() == 0
        assert store.search(embedder.embed_query("storm"), k=5) == []  # an empty collection: no hits, no error
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_whole_collection_reads_are_paged(chunks: ChunkVectorStore, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = chunk_docs("a", [f"Sentence number {n}." for n in range(5)])
    chunks.add_texts([d.page_content for d in docs], [d.metadata for d in docs], ids=[f"c{n}" for n in range(5)])
    calls = []
    real = chunks.collection.get
    monkeypatch.setattr(chunks.collection, "get", lambda **kw: calls.append(kw) or real(**kw))
    got = get_all(chunks.collection, ["metadatas"], page=2)
    assert sorted(got["ids"]) == [f"c{n}" for n in range(5)] and len(got["metadatas"]) == 5
    assert [c["offset"] for c in calls] == [0, 2, 4]
    assert [a.id for a in stored_articles(chunks.collection, page=1)] == ["a"]  # only the first chunk lists it
