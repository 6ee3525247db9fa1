"""The LangChain surface: the project's ranking as a retriever, its answer path as a runnable.

    >>> retriever = assistant.retriever                    # an ArticleRetriever
    >>> docs = retriever.invoke("What did Macron announce about missiles?")
    >>> docs[0].metadata["best_sentence"], docs[0].metadata["title"]
    >>> chain = assistant.as_runnable()                    # question in, Answer out
    >>> chain.invoke({"question": "Which areas were they?", "history": [...]}).text

`SentenceChroma.as_retriever()` (the vector store) would give plain dense search; this
retriever gives what the chat answers from: dense and keyword search fused, re-ranked by
sentence evidence and late interaction, follow-ups resolved, time words read.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict, Field

from qa.scoring import ScoredChunk

_CALL_KEYS = ("k", "since", "until", "as_of", "history")


def chunk_document(chunk: ScoredChunk) -> Document:
    """A scored chunk as a LangChain `Document`: the chunk's text, and in its metadata where it
    comes from, its scores, and its best quotable sentence with offsets into the text."""
    hit = chunk.hit
    best = chunk.best
    metadata: dict[str, Any] = {
        "article_id": hit.article_id, "title": hit.title, "date": hit.date, "source": hit.source, "url": hit.url,
        "chunk_id": hit.chunk_id, "ordinal": hit.ordinal, "start": hit.start, "end": hit.end,
        "rank": chunk.rank + 1, "score": round(chunk.score, 4), "cosine": round(hit.score, 4),
        "keyword": round(chunk.keyword, 4), "late": round(chunk.late, 4),
        "best_sentence": best.text if best else None,
        "best_sentence_start": best.start if best else None,
        "best_sentence_end": best.end if best else None,
        "best_sentence_evidence": round(best.evidence, 4) if best else None,
    }
    return Document(page_content=hit.text, metadata=metadata, id=hit.chunk_id or None)


class ArticleRetriever(BaseRetriever):
    """The project's full ranking as a LangChain retriever.

    Every field can also be given per call: `retriever.invoke(q, k=3, since="2024-02-01")`.

    Args:
        assistant: The `qa.api.Assistant` whose index and ranking are used.
        k: Documents returned.
        since: Only articles published on or after this ISO date.
        until: Only articles published on or before this ISO date.
        as_of: The date "this week", "recently"... are read against (default: today).
        history: Earlier turns, to resolve follow-up questions.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any = Field(exclude=True)
    k: int = Field(5, ge=1, le=1000)
    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    history: list[Any] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        unknown = set(kwargs) - set(_CALL_KEYS)
        if unknown:
            raise TypeError(f"ArticleRetriever takes {', '.join(_CALL_KEYS)} per call, not {', '.join(sorted(unknown))}")
        options = {key: kwargs.get(key, getattr(self, key)) for key in _CALL_KEYS}
        k = int(options.pop("k"))
        history = options.pop("history")
        ranking = self.assistant.rank(query, history, k=k, **options)
        return [chunk_document(chunk) for chunk in ranking.chunks[:k]]


def _question_input(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"question": value}
    if isinstance(value, dict) and isinstance(value.get("question"), str):
        unknown = set(value) - {"question", "history", "since", "until", "as_of"}
        if unknown:
            raise TypeError(f"unknown input keys {sorted(unknown)}: give question, history, since, until, as_of")
        return dict(value)
    raise TypeError("give a question string or a dict with a 'question' key")


def extractive_chain(assistant: Any) -> Runnable:
    """question -> rank (retrieve and score) -> extractive answer, as LCEL runnables.

    Input: a question string, or `{"question", "history"?, "since"?, "until"?, "as_of"?}`.
    Output: an `Answer` (`.text`, `.outcome`, `.citations` ...), the same as `Assistant.ask`.
    """
    def rank(inputs: dict[str, Any]) -> Any:
        question = inputs.pop("question")
        return assistant.rank(question, inputs.pop("history", None), **inputs)

    return (RunnableLambda(_question_input, name="question")
            | RunnableLambda(rank, name="rank")
            | RunnableLambda(assistant.answer_ranking, name="extractive_answer"))
