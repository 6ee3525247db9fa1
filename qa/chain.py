"""The LangChain surface: the project's ranking as a retriever, its answer path as a runnable.

    >>> retriever = assistant.retriever                    # an ArticleRetriever
    >>> docs = retriever.invoke("What did Macron announce about missiles?")
    >>> docs[0].metadata["best_sentence"], docs[0].metadata["title"]
    >>> chain = assistant.as_runnable()                    # question in, Answer out
    >>> chain.invoke({"question": "Which areas were they?", "history": [...]}).text

`ArticleStore.vectorstore.as_retriever()` (the vector store) would give plain dense search; this
retriever gives what the chat answers from: dense and keyword search fused, re-ranked by
sentence evidence and late interaction, follow-ups resolved, time words read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from pydantic import ConfigDict, Field

from qa.answering.conflicts import Disagreement, one_sided
from qa.answering.history import is_follow_up, parse_history
from qa.answering.question import MAX_QUESTION_CHARS, check_question
from qa.answering.scoring import ScoredChunk
from qa.answering.verifier import load_verifier
from qa.llm.chat_models import GuardedModel, LLMUnavailable
from qa.llm.generate import (ANSWER_PROMPT, REWRITE_PROMPT, format_conversation, format_sources, grounded_answer,
                             is_refusal, number_sources, standalone_question, with_conflict_note)
from qa.llm.grounding import GroundingChecker

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
        # The page the best sentence starts on (PDF sources; None for others).
        "page": hit.page_at(best.start) if best else hit.page,
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


class LLMAnswerer:
    """The generative answer path, as LCEL runnables:

        question -> standalone question -> rank (the assistant's) -> prompt -> chat model -> grounding check

    - `chain`: the whole path (`invoke`, `batch`, `stream`); when the model fails (unreachable,
      timeout, garbage) it falls back to the extractive answer, with a notice saying why.
    - `prepare`, `draft` and `check` are its parts, so a caller can stream the model's tokens
      (`Assistant.stream`) and still end with the checked answer. `prepare` gives the inputs
      with `history` parsed (a list of `qa.answering.history.Exchange`), `standalone` (the
      question to retrieve with), `ranking`, `sources` (the ranked `ScoredChunk`s the model is
      given, `[n]` being `sources[n - 1]`) and `disagreement` (`qa.answering.conflicts`: the
      sources state different values of what is asked; the prompt says so, the answer carries
      the conflict, and one that gives only one of the values gets a notice saying so).

    Args:
        assistant: The `qa.api.Assistant` (its ranking, extractive path and settings).
        model: Any LangChain chat model (`qa.llm.chat_models.chat_model` builds the configured one);
            wrapped in `GuardedModel`.
        checker: The `GroundingChecker` the generated sentences go through (default: one with
            the `llm` section's thresholds).
        prompt: The answer prompt, a `ChatPromptTemplate` taking `sources`, `question` and
            `max_sentences` (default `qa.llm.generate.ANSWER_PROMPT`).
    """

    def __init__(self, assistant: Any, model: Runnable, checker: Any = None, prompt: Runnable | None = None) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        llm = self.settings.llm
        self.model = GuardedModel(model, retries=llm.retries)
        self.checker = checker or GroundingChecker(assistant.embedder.encode, min_similarity=llm.min_similarity,
                                                   min_lexical=llm.min_lexical, unsupported=llm.unsupported,
                                                   verifier=load_verifier() if llm.verifier else None,
                                                   min_support=llm.min_support)
        answer_inputs = RunnableLambda(
            lambda x: {"sources": format_sources(x["sources"]),
                       "question": with_conflict_note(x["standalone"], x.get("disagreement"), x["sources"]),
                       "max_sentences": self.settings.answer.max_sentences + 1}, name="prompt_inputs")
        question = RunnableLambda(self._inputs, name="question")
        self.prepare = (question
                        | RunnablePassthrough.assign(standalone=RunnableLambda(self._standalone, name="rewrite"))
                        | RunnablePassthrough.assign(ranking=RunnableLambda(self._retrieve, name="retrieve"))
                        | RunnablePassthrough.assign(sources=lambda x: x["ranking"].chunks[:self.settings.llm.sources])
                        | RunnablePassthrough.assign(disagreement=RunnableLambda(self._disagreement, name="conflicts")))
        self.draft = answer_inputs | (prompt or ANSWER_PROMPT) | self.model | StrOutputParser()
        self.check = RunnableLambda(self._check, name="grounding_check")
        generated = self.prepare | RunnablePassthrough.assign(draft=self.draft) | self.check
        fallback = RunnableLambda(self._fallback, name="extractive_fallback")
        self.chain = question | generated.with_fallbacks([fallback], exceptions_to_handle=(LLMUnavailable,),
                                                         exception_key="error")

    def _inputs(self, value: Any) -> dict[str, Any]:
        """The question's inputs, the history read into exchanges (trimmed to `answer.history_chars`)
        once, here: the rewrite, the ranking and the fallback all take those."""
        inputs = _question_input(value)
        inputs["history"] = parse_history(inputs.get("history"), self.settings.answer.history_chars)
        return inputs

    def _standalone(self, inputs: dict[str, Any]) -> str:
        """The question to retrieve with: rewritten by the model when it follows up on the
        conversation, else as asked (the ranking still reads the history by rule)."""
        question = inputs["question"].strip()
        check_question(question, self.settings.answer.max_question_chars)  # before the model sees it
        history = inputs["history"]
        if not self.settings.llm.rewrite_follow_ups or not history or not is_follow_up(question):
            return question
        reply = self.model.invoke(REWRITE_PROMPT.invoke({"conversation": format_conversation(history),
                                                         "question": question}))
        rewritten = standalone_question(reply.text, question, MAX_QUESTION_CHARS)
        return rewritten or question

    def _retrieve(self, inputs: dict[str, Any]) -> Any:
        """The assistant's ranking (`Ranking`), at least `llm.sources` deep: its best chunks are
        the sources."""
        options = {key: inputs[key] for key in ("since", "until", "as_of") if inputs.get(key)}
        rewritten = inputs["standalone"] != inputs["question"].strip()
        # A rewritten question stands alone; otherwise the rule-based follow-up reading applies.
        history = None if rewritten else inputs["history"]
        return self.assistant.rank(inputs["standalone"], history, k=self.settings.llm.sources, **options)

    def _disagreement(self, inputs: dict[str, Any]) -> Disagreement | None:
        """Whether the sources that answer best state different values of what is asked
        (`qa.answering.conflicts`, as in an extractive answer, over the sources the model reads)."""
        finder = self.assistant.pipeline.conflicts
        if finder is None or not inputs["sources"]:
            return None
        query = inputs["ranking"].query
        return finder.find(query, self.assistant.decider.decide(query, inputs["sources"]))

    def _check(self, inputs: dict[str, Any]) -> Any:
        sources = inputs["sources"]
        draft = inputs["draft"]
        checked = self.checker.check(draft, number_sources(sources))
        answer = grounded_answer(inputs["question"].strip(), sources, checked, mark=self.checker.unsupported == "mark",
                                 sources_on_abstain=self.settings.answer.sources_on_abstain,
                                 refused=is_refusal(draft))
        found = inputs.get("disagreement")
        if found is not None and not answer.abstained:
            # The conflict is shown whatever the model wrote; an answer giving one value only is flagged.
            answer = self.assistant.pipeline.conflicts.cite(answer, found, by_passage=True)
            flag = one_sided(answer.text, found, answer.conflicts[-1])
            if flag:
                answer = dataclasses.replace(answer, notice=" ".join(filter(None, [answer.notice, flag])))
        answer = self.assistant.pipeline.with_copies(answer)  # "also published by" on each citation
        if inputs["standalone"] != inputs["question"].strip():
            answer = dataclasses.replace(answer, notice=" ".join(
                filter(None, [f"Read as: “{inputs['standalone']}”", answer.notice])))
        return answer

    def _fallback(self, inputs: dict[str, Any]) -> Any:
        error = inputs.pop("error")
        question = inputs.pop("question")
        answer = self.assistant.answer_ranking(self.assistant.rank(question, inputs.pop("history", None), **inputs))
        message = f"No generated answer: {error}. This answer quotes the articles instead."
        answer = dataclasses.replace(answer, notice=" ".join(filter(None, [message, answer.notice])))
        return answer

    def stream(self, value: Any) -> Iterator[Any]:
        """The draft as it is generated (the text so far, a `str`), then the checked `Answer`
        (or, when the model fails, the extractive answer with a notice)."""
        inputs = self._inputs(value)
        try:
            prepared = self.prepare.invoke(inputs)
            draft = ""
            for piece in self.draft.stream(prepared):
                if piece:
                    draft += piece
                    yield draft
            answer = self.check.invoke({**prepared, "draft": draft})
        except LLMUnavailable as exc:
            answer = self._fallback({**inputs, "error": exc})
        yield answer
