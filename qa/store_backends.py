"""The Milvus article store built from settings (`store.backend: milvus`).

Chroma mode's store is built in `qa.api.Assistant`; this is the other backend's counterpart, kept
apart so the API module only chooses. The token is read from the environment variable that
`store.token_env` names, here at the edge, never from the config file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from index.embedding.embed import Embedder
from index.storage.milvus import MilvusArticleStore, MilvusEngine
from qa.config import Settings

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def milvus_collection(name: str) -> str:
    """`store.collection` as a Milvus collection name (letters, digits, `_`; not starting with a
    digit): `.` and `-`, which Chroma allows and Milvus refuses, become `_`."""
    mapped = _NOT_NAME.sub("_", name)
    return mapped if not mapped[0].isdigit() else f"_{mapped}"


def milvus_engine(settings: Settings, env: Mapping[str, str] | None = None) -> MilvusEngine:
    """The configured engine's client (nothing is requested yet)."""
    store = settings.store
    token = (env if env is not None else os.environ).get(store.token_env) or None
    return MilvusEngine(store.uri, token=token)


def open_milvus_store(settings: Settings, embedder: Embedder, *, check_model: bool = True,
                      engine: MilvusEngine | None = None) -> MilvusArticleStore:
    """The Milvus store of `settings`: the record manager at `store.records_url` (default: the data
    dir's records.sqlite).

    Raises:
        StoreUnavailableError: The engine at `store.uri` cannot be reached.
        EmbeddingMismatchError: The collection was built with another embedding model.
    """
    data_dir = settings.data.dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return MilvusArticleStore(engine or milvus_engine(settings), embedder, data_dir=data_dir,
                              collection=milvus_collection(settings.store.collection), check_model=check_model,
                              records_db=settings.store.records_url, story_threshold=settings.stories.threshold)
