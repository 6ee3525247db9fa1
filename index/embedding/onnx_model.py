"""The embedding model on onnxruntime: exported once, optionally quantized to int8, cached.

Why: on these CPUs onnxruntime runs all-MiniLM-L6-v2 about twice as fast as torch in fp32 (its
fused kernels), and several times as fast in int8, and answering a question never has to
import torch (about 8 s of every cold start).

How, without optimum (it pins transformers and breaks Gradio):
1. export the sentence-transformers model's transformer with `torch.onnx.export` (the legacy
   exporter; eager attention, so that onnxruntime's BERT optimizer recognises and fuses it);
2. fuse attention, layer norms and GELU with `onnxruntime.transformers.optimizer`;
3. for int8, `onnxruntime.quantization.quantize_dynamic`, per channel, weights only (the
   activations are quantized at run time).
Steps 1-3 run on first use and are cached in `cache_dir/<model folder>-<fingerprint>/` (the
fingerprint covers the model files and the export recipe; `model.onnx` is the fp32 export,
`model-int8.onnx` its quantized copy). The default cache is per user, not per data directory
(`index.embedding.embed.default_cache_dir`), so every data directory of a user shares one export, and
`qa prepare` (`make install`) makes it ahead of time. A file lock in that folder
(`index.lock.file_lock`) makes concurrent first uses, in threads or processes, export once: the
others wait, then read the finished files, which appear atomically. Only step 1 imports torch.
At run time the model's own `tokenizer.json` (the `tokenizers` library) feeds the session, and
pooling and normalization follow the model's configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.errors import ModelLoadError
from index.lock import file_lock
from index.embedding.token_vectors import content_positions

logger = logging.getLogger(__name__)

# Bump when the export recipe changes, so cached files from an older recipe are not reused.
RECIPE_VERSION = 1
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


def fingerprint(model_dir: Path) -> str:
    """A short key for the model's files (names, sizes, mtimes) and the export recipe."""
    digest = hashlib.sha256(f"recipe={RECIPE_VERSION}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file() and ".git" not in p.parts):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_dir)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def prepare(model_dir: Path, cache_dir: Path, *, quantized: bool) -> Path:
    """Return the cached ONNX file for `model_dir`, exporting (and quantizing) it on first use.

    Concurrent calls for one model, in threads or processes, export it once; a cache that
    already holds the file may be read-only.

    Raises:
        ModelLoadError: The cache folder cannot be created, or the model cannot be exported.
    """
    target_dir = cache_dir / f"{model_dir.name}-{fingerprint(model_dir)}"
    target = target_dir / (INT8_FILE if quantized else FP32_FILE)
    if target.exists():
        return target
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelLoadError(f"cannot create the embedding model cache {target_dir}: {exc.strerror or exc}; "
                             "set embedding.cache_dir (QA_EMBEDDING__CACHE_DIR) to a writable folder") from exc
    with _locked(target_dir / ".lock"):
        if target.exists():  # another process finished it while we waited
            return target
        fp32 = target_dir / FP32_FILE
        if not fp32.exists():
            # One figure, measured: `QA_EMBEDDING__CACHE_DIR=$(mktemp -d) qa prepare` (export, fusion and
            # int8 of the bundled all-MiniLM-L6-v2 into an empty cache) took 10.9, 11.2 and 11.5 s wall on
            # the 2-core development machine, idle (the steps here: ~6 s export and fusion, ~2 s int8).
            logger.warning("preparing the embedding model once: exporting it to ONNX%s, about 11 s in all "
                           "(cached in %s; `make install` does this ahead of time)",
                           " and quantizing it to int8" if quantized else "", target_dir)
            with _staging(fp32) as tmp:
                _export(model_dir, tmp)
        if quantized:
            logger.warning("preparing the embedding model once: quantizing it to int8")
            with _staging(target) as tmp:
                _quantize(fp32, tmp)
    return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the export lock `path` for the block, waiting for another holder without limit."""
    from filelock import Timeout

    lock = file_lock(path, poll_s=0.2)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        logger.warning("waiting while another process prepares the embedding model (%s)", path.parent)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _staging(final: Path) -> Iterator[Path]:
    """A scratch path whose file replaces `final` atomically, only if the block succeeds."""
    scratch = Path(tempfile.mkdtemp(dir=final.parent, prefix=".staging-"))
    try:
        yield scratch / final.name
        os.replace(scratch / final.name, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _export(model_dir: Path, out: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:  # torch is needed once, to export
        raise ModelLoadError(f"exporting the model to ONNX needs torch and transformers: {exc}") from exc
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager",
                                          local_files_only=True).eval()
    except Exception as exc:
        raise ModelLoadError(f"cannot load {model_dir} for ONNX export: {exc}") from exc

    class TokenEmbeddings(torch.nn.Module):
        # BertModel rejects positional arguments in export; keyword arguments work.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = torch.ones(2, 16, dtype=torch.long)
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(TokenEmbeddings(model), (dummy, dummy, torch.zeros_like(dummy)), str(out),
                          input_names=names, output_names=["token_embeddings"],
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "token_embeddings"]},
                          opset_version=17, dynamo=False)
    _fuse(out, model.config)


def _fuse(path: Path, config: object) -> None:
    """Fuse attention, layer norms and GELU in place; keep the plain graph if the model is not BERT-like."""
    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
        fused = optimized.get_fused_operator_statistics()
        optimized.save_model_to_file(str(path))
        logger.info("onnx fusion: %s", {k: v for k, v in fused.items() if v})
    except Exception as exc:  # fusion is an optimization, never a requirement
        logger.warning("onnx graph fusion skipped (%s); the unfused model is used", exc)


def _quantize(fp32: Path, out: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelLoadError(f"int8 quantization needs the onnx package: {exc}") from exc
    # Per-channel weights: per-tensor int8 costs too much accuracy (cosine 0.95 to fp32).
    # DefaultTensorType: the fused ops are outside ONNX's standard domain, so shape inference
    # cannot type some of their outputs.
    logging.disable(logging.WARNING)  # it advises "pre-processing" on the root logger, every time
    try:
        quantize_dynamic(str(fp32), str(out), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": 1})
    finally:
        logging.disable(logging.NOTSET)


class OnnxEncoder:
    """Sentence embeddings from an ONNX file, the model's tokenizer and its pooling config.

    Texts run one per call, on a single-threaded session per core. int8 activations are
    quantized with one scale per call, so in a padded batch a text's vector would depend on
    its neighbours; one text per call makes every vector reproducible, and is faster on CPU
    (no padding): 170 chunks/s against 65 batched by 32, on 2 cores (`bench/`).

    Args:
        onnx_path: The exported (maybe quantized) model.
        model_dir: The sentence-transformers folder (tokenizer.json, pooling and length config).
        workers: Texts embedded at once (one thread each); default: the number of cores.
    """

    def __init__(self, onnx_path: Path, model_dir: Path, *, workers: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer_file = model_dir / "tokenizer.json"
        if not tokenizer_file.exists():
            raise ModelLoadError(f"{model_dir} has no tokenizer.json, which the ONNX backends need; "
                                 "set embedding.backend to torch")
        self.max_length = _max_length(model_dir)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()
        self.pooling = _pooling(model_dir)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1  # parallel across texts instead (see the class docstring)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # no warnings about unused initializers
        try:
            self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelLoadError(f"cannot open the ONNX model {onnx_path}: {exc}; delete it to export again") from exc
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.workers = workers or os.cpu_count() or 1
        self._pool: ThreadPoolExecutor | None = None
        self.dimension = int(self.encode(["dimension probe"], 1).shape[1])

    def encode(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (`batch_size` is ignored, see above)."""
        rows = [pooled for pooled, _ in self._map(texts, self._embed)]
        return np.stack(rows) if rows else np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)

    def encode_tokens(self, texts: list[str], batch_size: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, plus each text's content-token vectors (unit length, see `index.embedding.token_vectors`)."""
        done = self._map(texts, lambda text: self._embed(text, tokens=True))
        pooled = np.stack([p for p, _ in done]) if done else np.zeros((0, self.dimension), dtype=np.float32)
        return pooled, [t for _, t in done]

    def content_token_counts(self, texts: list[str]) -> list[int]:
        """How many content tokens `encode_tokens` keeps of each text (the tokenizer alone)."""
        return [len(content_positions(e.tokens)) for e in self.tokenizer.encode_batch(texts)]

    def _map(self, texts: list[str], embed):  # noqa: ANN001, ANN202
        if len(texts) <= 1 or self.workers == 1:
            return [embed(text) for text in texts]
        if self._pool is None:  # onnxruntime sessions may run from several threads at once
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-embed")
        # Longest first, so no core is left alone with a long text at the end.
        order = sorted(range(len(texts)), key=lambda n: -len(texts[n]))
        done = dict(zip(order, self._pool.map(lambda n: embed(texts[n]), order), strict=True))
        return [done[n] for n in range(len(texts))]

    def _embed(self, text: str, tokens: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        # Tokenized here, in the worker thread: the tokenizer releases the GIL, so this runs
        # in parallel too.
        encoding = self.tokenizer.encode(text, add_special_tokens=True)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        output = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0][0]
        if self.pooling == "cls":
            pooled = output[0]
        elif self.pooling == "max":
            pooled = output.max(axis=0)
        else:
            pooled = output.mean(axis=0)
        pooled = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        if not tokens:
            return pooled, None
        kept = output[content_positions(encoding.tokens)]
        return pooled, (kept / np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _max_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            return int(value)
    return 512


def _pooling(model_dir: Path) -> str:
    for config in sorted(model_dir.glob("*Pooling*/config.json")):
        settings = json.loads(config.read_text(encoding="utf-8"))
        if settings.get("pooling_mode_cls_token"):
            return "cls"
        if settings.get("pooling_mode_max_tokens"):
            return "max"
        if settings.get("pooling_mode_mean_tokens", True):
            return "mean"
    return "mean"
