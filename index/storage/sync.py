"""Keeping this process in step with the other processes that write the same collection.

The collection's metadata holds a `generation` token that every write replaces: processes
sharing one Chroma server (several `qa serve` hosts, uvicorn workers) compare it before
keyword searches, at most every `check_interval_s`, and rebuild their local keyword index
(with the int8 chunk vectors kept beside it) when another process wrote.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import chromadb
import numpy as np

from index.storage.collection import GET_PAGE, IDS_PAGE, find_collection, get_all
from index.storage.keyword import KeywordIndex, ids_signature
from index.embedding.sentences import SentenceStore, quantize
from index.storage.vectorstore import ChunkVectorStore

logger = logging.getLogger(__name__)

GENERATION_KEY = "generation"


class CrossProcessSync:
    """The generation token, and the local keyword index it keeps in step with the collection.

    Args:
        client: The Chroma client.
        collection_name: The collection shared with other processes.
        vectorstore: Holds the collection this process reads.
        keywords: This process's keyword index (BM25, dates, int8 chunk vectors).
        sentences: The local sentence store, holding the chunk vectors this process wrote.
        on_rebuilt: Called when another process recreated the collection (`qa reindex`).
        check_interval_s: Least time between two looks at the generation (0: every time).
        page: Records per read when reading the whole collection.
    """

    def __init__(self, client: chromadb.ClientAPI, collection_name: str, vectorstore: ChunkVectorStore,
                 keywords: KeywordIndex, sentences: SentenceStore, *, on_rebuilt: Callable[[], None],
                 check_interval_s: float, page: int = GET_PAGE) -> None:
        self.client = client
        self.collection_name = collection_name
        self.vectorstore = vectorstore
        self.keywords = keywords
        self.sentences = sentences
        self.on_rebuilt = on_rebuilt
        self.check_interval_s = check_interval_s
        self.page = page
        self._checked_at = time.monotonic()
        self._check_lock = threading.Lock()
        self._generation: str | None = None
        self._generation = self.read_generation()  # read before the first sync: a later write is seen next time

    def refresh(self) -> bool:
        """Catch up with the writes of other processes sharing the collection.

        Looks at the collection's generation at most every `check_interval_s` (one small
        request) and rebuilds the keyword index when it changed; follows a collection that
        another process rebuilt. Returns True when the keyword index was rebuilt.
        """
        if time.monotonic() - self._checked_at < self.check_interval_s:
            return False
        if not self._check_lock.acquire(blocking=False):
            return False  # another thread is looking right now
        try:
            self._checked_at = time.monotonic()
            current = find_collection(self.client, self.collection_name)
            if current is None:
                return False
            if current.id != self.vectorstore.collection.id:  # rebuilt by another process (`qa reindex`)
                self.on_rebuilt()
            generation = (current.metadata or {}).get(GENERATION_KEY)
            if generation == self._generation:
                return False
            rebuilt = self.sync_keywords()
            self._generation = generation  # only once caught up: a failed rebuild is retried
            return rebuilt
        finally:
            self._check_lock.release()

    def read_generation(self) -> str | None:
        current = find_collection(self.client, self.collection_name)
        return self._generation if current is None else (current.metadata or {}).get(GENERATION_KEY)

    def bump_generation(self) -> None:
        """Tell the other processes that the chunks changed; call after the write itself."""
        current = find_collection(self.client, self.collection_name)
        if current is None:
            return
        # A fresh random token, not a counter: two writers incrementing the same number at
        # once would publish one value for two writes. modify() replaces the whole metadata,
        # so the model and dimension keys are carried over (the hnsw configuration is kept).
        token = uuid.uuid4().hex
        current.modify(metadata={**(current.metadata or {}), GENERATION_KEY: token})
        self._generation = token

    def sync_keywords(self) -> bool:
        """Bring the keyword index to exactly the collection's chunks; True when it changed.

        Only chunks it lacks are read from Chroma and tokenized, so adding one article to a
        large index costs a BM25 build from token ids, not a pass over every text.
        """
        collection = self.vectorstore.collection
        ids = get_all(collection, [], page=self.page)["ids"]
        if ids_signature(ids) == self.keywords.signature and (self.keywords.can_update or not ids):
            return False
        update = self.keywords.can_update
        known = set(self.keywords.ids) if update else set()
        read = [i for i in ids if i not in known]  # a first build, or an old index, reads them all
        # Page by page: the texts of a big index are never all in memory at once.
        self.keywords.update_rows(_rows(collection, read), self._chunk_vectors,
                                  removed=known - set(ids) if update else (), fresh=not update)
        logger.info("keyword index now holds %d chunks (%d read)", len(self.keywords.ids), len(read))
        return True

    def _chunk_vectors(self, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The chunks' own vectors as int8 (codes, scales): from the local sentence store, and
        from Chroma for chunks another process wrote."""
        found, codes, scales = self.sentences.chunk_vectors(ids)
        missing = np.flatnonzero(~found)
        for start in range(0, len(missing), IDS_PAGE):
            rows = missing[start:start + IDS_PAGE]
            got = self.vectorstore.collection.get(ids=[ids[r] for r in rows], include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
            vectors = np.asarray([by_id[ids[r]] for r in rows], dtype=np.float32)
            part_scales, part_codes = quantize(vectors)
            scales[rows] = np.frombuffer(part_scales, dtype=np.float32)
            codes[rows] = np.frombuffer(part_codes, dtype=np.int8).reshape(len(rows), -1)
        return codes, scales


def _rows(collection: chromadb.Collection, ids: list[str]) -> Iterator[tuple[str, str, int | None]]:
    """(id, stored text, date ordinal) of the chunks `ids`, read a page at a time."""
    for start in range(0, len(ids), IDS_PAGE):
        got = collection.get(ids=ids[start:start + IDS_PAGE], include=["documents", "metadatas"])
        for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            yield chunk_id, text, (meta or {}).get("date_ord")
