"""The Milvus backend of the article store (`store.backend: milvus`); see `store`."""

from index.storage.milvus.engine import MilvusEngine
from index.storage.milvus.lite_server import LiteServer
from index.storage.milvus.store import DEFAULT_URI, MilvusArticleStore

__all__ = ["DEFAULT_URI", "LiteServer", "MilvusArticleStore", "MilvusEngine"]
