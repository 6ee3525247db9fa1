"""The verifier: a small model trained here that reads a pair of texts and says whether the
second holds what the first asks or claims.

Similarity cannot tell *support* from *being about the same thing*; this model is trained to
(`make train-verifier`, `qa.evaluation.train_verifier`, data in `qa.evaluation.verifier_data`).
It is the bundled all-MiniLM-L6-v2 fine-tuned as a cross-encoder with three outputs
(yes / contradicted / no), shipped as int8 ONNX (`verifier-int8.onnx`, beside this file) and
read with the embedding model's own tokenizer. One model, the task written into the first text:

- `answers(question, sentences)`: does each sentence hold what was asked?
- `question: Q answer: A` with a sentence (trained: does A fill the asked role in it?) is read by
  `probabilities` only: measured on the sample article it cannot tell "Mark Rutte" from
  "Macron" for "who rejected ground troops?" (0.81 against 0.78), so the answer path does not
  use it (`qa.answering.answer.role_filler` decides the short answer);
- `supports(pairs)`: for (source window, claim) pairs: supported / contradicted / not stated.

Pairs run one per call, without padding, on a pool of single-threaded calls (as the embedding
model does, `index.embedding.onnx_model.OnnxEncoder`): int8 activations are scaled per call, so
a padded batch would make a pair's verdict depend on its neighbours; one per call keeps every
verdict reproducible (the recorded outputs in `tests/test_verifier.py`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

VERIFIER_PATH = Path(__file__).with_name("verifier-int8.onnx")
MAX_TOKENS = 160  # as trained (`train_verifier.MAX_TOKENS`)
YES, CONTRADICTED, NO = 0, 1, 2


def question_input(question: str, answer: str | None = None) -> str:
    text = f"question: {question.strip()}"
    return f"{text} answer: {answer.strip()}" if answer else text


def claim_input(claim: str) -> str:
    return f"claim: {claim.strip()}"


class Verifier:
    """The int8 ONNX verifier and its tokenizer (see the module)."""

    def __init__(self, onnx_path: Path, tokenizer_file: Path, *, workers: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="verifier") if self.workers > 1 else None

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(n, 3) probabilities of yes / contradicted / no for (first, second) input pairs."""
        if not pairs:
            return np.zeros((0, 3))
        if self._pool is None or len(pairs) == 1:
            rows = [self._one(pair) for pair in pairs]
        else:
            rows = list(self._pool.map(self._one, pairs))
        return np.vstack(rows)

    def _one(self, pair: tuple[str, str]) -> np.ndarray:
        encoding = self.tokenizer.encode(pair[0], pair[1])
        feed = {"input_ids": np.asarray([encoding.ids], dtype=np.int64),
                "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64)}
        (logits,) = self.session.run(None, feed)
        z = logits[0] - logits[0].max()
        e = np.exp(z)
        return e / e.sum()

    def answers(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """P(the sentence holds what `question` asks), one per sentence."""
        return self.probabilities([(question_input(question), s) for s in sentences])[:, YES]

    def supports(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """For (source window, claim) pairs: (n, 3) probabilities of supported / contradicted / not stated."""
        return self.probabilities([(claim_input(claim), window) for window, claim in pairs])


_loaded: dict[Path, Verifier | None] = {}


def load_verifier(path: Path | None = VERIFIER_PATH) -> Verifier | None:
    """The shipped verifier, loaded once per process; None (with a warning) when it is missing
    or unreadable: the answer judge and the grounding rules then decide alone."""
    if path is None:
        return None
    path = Path(path)
    if path not in _loaded:
        _loaded[path] = _load(path)
    return _loaded[path]


def _load(path: Path) -> Verifier | None:
    if not path.exists():
        logger.warning("verifier %s not found; answers are decided without it (`make train-verifier`)", path)
        return None
    from index.embedding.embed import BUNDLED_MODEL, model_folder

    try:
        return Verifier(path, model_folder(BUNDLED_MODEL) / "tokenizer.json")
    except Exception as exc:  # a broken file must not stop the service: it answers without it
        logger.warning("verifier %s not used (%s); answers are decided without it", path, exc)
        return None
