"""The plain LangChain tutorial recipe, run on the same data for comparison.

RecursiveCharacterTextSplitter(1000, 200) -> the same embedding model -> Chroma
`similarity_search`; the answer is the sentence of the top 5 chunks with the highest cosine
similarity to the question. It has no abstention of its own: for SQuAD 2.0 it abstains under a
cosine threshold set, like ours, to wrongly abstain on 10% of the answerable questions.

langchain-chroma, the recipe's vector store, is a development dependency (the `dev` extra, which
`make install` installs), not one of the service's: it is imported only when the recipe runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from index.embedding.embed import Embedder
from index.errors import QAError
from index.models import Article
from index.storage.store import embedded_client
from index.loading.text import split_sentences
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.runner import EvalResult, QuestionResult, calibrate, judge_ranking, score


class BaselineUnavailableError(QAError):
    """The tutorial recipe's vector store (langchain-chroma) is not installed."""


def chroma_store() -> type:
    """langchain-chroma's `Chroma`, or `BaselineUnavailableError` naming the install command."""
    try:
        from langchain_chroma import Chroma
    except ImportError:
        raise BaselineUnavailableError(
            "the tutorial baseline (qa eval --baseline) needs langchain-chroma, a development dependency "
            "that is not installed: pip install langchain-chroma (or `make install`, which installs .[dev])"
        ) from None
    return Chroma


class TutorialBaseline:
    def __init__(self, embedder: Embedder, workdir: Path) -> None:
        self.embedder = embedder
        self.store = chroma_store()(client=embedded_client(workdir), collection_name="baseline",
                                    embedding_function=embedder, collection_metadata={"hnsw:space": "cosine"})
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)

    def ingest(self, articles: list[Article]) -> dict[str, float]:
        started = time.perf_counter()
        docs = self.splitter.split_documents(
            [Document(page_content=a.text, metadata={"article_id": a.id}) for a in articles])
        for start in range(0, len(docs), 512):
            self.store.add_documents(docs[start:start + 512])
        seconds = time.perf_counter() - started
        return {"chunks": len(docs), "seconds": round(seconds, 2), "chunks_per_s": round(len(docs) / seconds, 1)}

    def ask(self, question: str, k: int = 10) -> tuple[list[Document], str, float, float, float]:
        """(ranked chunks, answer sentence, its cosine, retrieve ms, answer ms)."""
        started = time.perf_counter()
        docs = self.store.similarity_search(question, k=k)
        retrieved = time.perf_counter()
        sentences = [s for d in docs[:5] for s in split_sentences(d.page_content)]
        if not sentences:
            return docs, "", -1.0, (retrieved - started) * 1000, 0.0
        cosines = self.embedder.encode(sentences) @ self.embedder.encode([question])[0]
        best = int(np.argmax(cosines))
        done = time.perf_counter()
        return docs, sentences[best], float(cosines[best]), (retrieved - started) * 1000, (done - retrieved) * 1000


def evaluate_baseline(dataset: Dataset, questions: list[EvalQuestion], embedder: Embedder,
                      workdir: Path) -> EvalResult:
    """Score the tutorial recipe exactly as `runner.evaluate` scores the project."""
    baseline = TutorialBaseline(embedder, workdir)
    ingest = baseline.ingest(dataset.articles)
    depth = 100 if dataset.format == "beir" else 10
    results = []
    for question in questions:
        docs, sentence, cosine, retrieve_ms, answer_ms = baseline.ask(question.text, k=depth)
        ranking, rank = judge_ranking(question, dataset.format,
                                      [(d.metadata["article_id"], d.page_content) for d in docs])
        results.append(QuestionResult(question, ranking, rank, sentence, False, cosine, retrieve_ms, answer_ms))
    threshold = None
    if any(not r.question.answerable for r in results):
        threshold = calibrate(results)
        for r in results:  # the recipe has two outcomes: an answer, or not in the articles
            r.abstained = r.evidence is not None and r.evidence < threshold
            r.outcome = "not_in_articles" if r.abstained else "answered"
    metrics, stages = score(results, dataset.format)
    return EvalResult(dataset.name, dataset.format, len(questions), threshold if threshold is not None else float("nan"),
                      results, ingest, metrics, {"stages": stages})
