"""The Python API: one object that ingests articles and answers questions about them.

    >>> from qa import Assistant
    >>> assistant = Assistant.from_config()          # reads config.yaml
    >>> assistant.ingest(["data/articles"])
    >>> answer = assistant.ask("What did Macron announce about missiles?")
    >>> print(answer.text, answer.citations[0].title)

The CLI, the HTTP API and the chat UI are thin layers over this class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
import datetime as dt
import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chromadb import ClientAPI
from langchain_core.runnables import Runnable

from index.loading.chunk import SentenceChunker
from index.embedding.embed import Embedder
from index.models import Article, ArticleInfo, FileReport, IngestProgress, IngestReport
from index.storage.store import ArticleStore, embedded_client, server_client
from qa.answering.answer import Decider
from qa.answering.conflicts import ConflictFinder
from qa.answering.pipeline import AnswerPipeline, Limits, Ranking, Trace
from qa.config import Settings, load_settings
from qa.answering.judge import load_judge
from qa.answering.verifier import load_verifier
from qa.library import Library
from qa.models import Answer
from qa.web import WebSources
from qa.answering.retrieve import Retriever
from qa.answering.weights import DEFAULT_WEIGHTS
from qa.chain import ArticleRetriever, LLMAnswerer, extractive_chain
from qa.timeline import Timeline, TimelineBuilder, TimelineSummarizer
from qa.llm.chat_models import chat_model

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Stats:
    articles: int
    chunks: int
    model: str
    backend: str
    dimension: int
    store: str
    collection: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def build_embedder(settings: Settings) -> Embedder:
    """Load the configured embedding model (do this once per process)."""
    embedding = settings.embedding
    return Embedder(embedding.model, backend=embedding.backend,
                    cache_dir=embedding.cache_dir,  # None: the per-user cache (index.embedding.embed.default_cache_dir)
                    batch_size=embedding.batch_size, device=embedding.device)


class Assistant:
    """Grounded question answering over a collection of news articles.

    Args:
        settings: Validated settings (see `qa.config.load_settings`).
        embedder: The embedding model; pass one to share it between assistants or tests.
        store: The article store; built from `settings` when None.
        check_model: Refuse an index built with another model (False only to rebuild it).
        chat_model: The language model of `answer.mode: llm` (default: built from `llm`).
    """

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None,
                 store: ArticleStore | None = None, check_model: bool = True,
                 chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        # An unreachable Chroma server fails before the model loads (Milvus: `qa.store_backends`).
        client = None if store or settings.store.backend == "milvus" else self._chroma_client()
        self.embedder = embedder or build_embedder(settings)
        self.store = store or self._open_store(client, check_model)
        self.chunker = SentenceChunker(settings.chunking.size, settings.chunking.overlap)
        retrieval = settings.retrieval
        self.search = Retriever(self.store, self.embedder, retrieval.top_k, mode=retrieval.mode,
                                candidates=retrieval.candidates, rrf_k=retrieval.rrf_k,
                                collapse_copies=settings.stories.enabled)
        self.weights = DEFAULT_WEIGHTS
        answer = settings.answer
        self.decider = Decider(judge=load_judge() if answer.judge else None, threshold=answer.abstain_threshold,
                               max_sentences=answer.max_sentences, sources_on_abstain=answer.sources_on_abstain,
                               weights=self.weights, answer_at=answer.min_confidence,
                               verifier=load_verifier() if (answer.verifier or answer.confirm_at is not None)
                               and answer.judge else None, verifier_chooses=answer.verifier,
                               verify_at=answer.verify_at, verify_top=answer.verify_top, confirm_at=answer.confirm_at)
        self.pipeline = AnswerPipeline(self.search, self.embedder, self.decider, self.weights,
                                       Limits(top_k=retrieval.top_k, candidates=retrieval.candidates,
                                              max_question_chars=answer.max_question_chars,
                                              history_chars=answer.history_chars),
                                       conflicts=self._conflict_finder() if answer.conflicts else None)
        self.library = Library(self.store, self.chunker, settings.data.dir)
        self.generator = self._generator(chat_model) if answer.mode == "llm" else None

    def _conflict_finder(self) -> ConflictFinder:
        """Conflicts among the answering sources, wire copies of one story counting once (the
        store's story clusters, where it keeps them)."""
        stories = getattr(self.store, "stories", None)
        return ConflictFinder(stories.story_of) if stories is not None else ConflictFinder()

    def _generator(self, model: BaseChatModel | None) -> LLMAnswerer:
        models_dir = self.settings.embedding.models_dir()
        return LLMAnswerer(self, model or chat_model(self.settings.llm, models_dir=models_dir))

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, embedder: Embedder | None = None) -> Assistant:
        """Build an assistant from a YAML config file (default: `config.yaml`, then defaults)."""
        return cls(load_settings(path), embedder=embedder)

    def _chroma_client(self) -> ClientAPI:
        """The configured Chroma client: embedded files in the data dir, or a Chroma server."""
        store = self.settings.store
        if store.mode == "server":
            return server_client(store.host, store.port, ssl=store.ssl, headers=store.headers)
        return embedded_client(self.settings.data.dir / "chroma")

    def _open_store(self, client: ClientAPI | None, check_model: bool) -> ArticleStore:
        if self.settings.store.backend == "milvus":
            from qa.store_backends import open_milvus_store  # pymilvus is imported only when used

            return open_milvus_store(self.settings, self.embedder, check_model=check_model)  # type: ignore[return-value]
        # Beside a Chroma server the data dir still holds this process's keyword index and
        # sentence vectors (both refilled from Chroma) and, by default, the record manager.
        data_dir = self.settings.data.dir
        data_dir.mkdir(parents=True, exist_ok=True)
        return ArticleStore(client, self.embedder, data_dir=data_dir, collection=self.settings.store.collection,
                            check_model=check_model, records_db=self.settings.store.records_url,
                            story_threshold=self.settings.stories.threshold)

    # -- articles (the library: one writer at a time) -------------------------------------
    def writing(self, wait_s: float = 0.0) -> AbstractContextManager[None]:
        """One writer at a time, in this process and across those sharing the data directory
        (`Library.writing`)."""
        return self.library.writing(wait_s)

    def ingest(self, paths: Iterable[str | Path], *, prune: bool = False,
               on_file: Callable[[FileReport], None] | None = None,
               on_start: Callable[[int], None] | None = None,
               on_progress: Callable[[IngestProgress], None] | None = None, wait_s: float = 0.0,
               root: str | Path | None = None) -> IngestReport:
        """Index the articles in `paths` (files or folders); see `Library.ingest`.

        Raises:
            IndexBusyError: Another process is writing to this index for longer than `wait_s`.
            ValueError: A path is not at or under `root`.
        """
        return self.library.ingest(paths, prune=prune, on_file=on_file, on_start=on_start, on_progress=on_progress,
                                   wait_s=wait_s, root=root)

    def ingest_articles(self, articles: Iterable[Article], *, wait_s: float = 0.0) -> tuple[int, int]:
        """Index articles that are not files (evaluation data, feeds); returns (added, deleted) chunks."""
        return self.library.ingest_articles(articles, wait_s=wait_s)

    def articles(self) -> list[ArticleInfo]:
        return self.store.articles()

    def article_count(self) -> int:
        """How many articles are indexed (without listing them: one request in Milvus mode)."""
        return self.store.article_count()

    def newest_articles(self, limit: int) -> list[ArticleInfo]:
        """The `limit` newest indexed articles, newest first."""
        return self.store.newest_articles(limit)

    def delete_article(self, article_id: str, *, wait_s: float = 0.0) -> int:
        """Remove one article from the index; return the number of chunks removed."""
        return self.library.delete_article(article_id, wait_s=wait_s)

    def reindex(self, on_file: Callable[[FileReport], None] | None = None,
                on_start: Callable[[int], None] | None = None,
                on_progress: Callable[[IngestProgress], None] | None = None, wait_s: float = 0.0) -> IngestReport:
        """Rebuild the whole index with the configured model from the articles' files."""
        return self.library.reindex(on_file=on_file, on_start=on_start, on_progress=on_progress, wait_s=wait_s)

    @cached_property
    def web(self) -> WebSources:
        """Web pages, RSS/Atom feeds and sitemaps into this index, kept fresh (`qa.web.WebSources`);
        created on first use."""
        return WebSources(self)

    def stats(self) -> Stats:
        return Stats(articles=self.store.article_count(), chunks=self.store.count(),
                     model=self.embedder.model_name, backend=self.embedder.backend,
                     dimension=self.embedder.dimension,
                     store=self.store_location(), collection=self.settings.store.collection)

    def store_location(self) -> str:
        """Where the chunks live: the data dir, or the Chroma server's or Milvus engine's URL."""
        store = self.settings.store
        if store.backend == "milvus":
            from index.storage.milvus.engine import public_address

            return public_address(store.uri)
        if store.mode == "server":
            return f"{'https' if store.ssl else 'http'}://{store.host}:{store.port}"
        return str(self.settings.data.dir)

    # -- questions ---------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
            until: str | None = None, as_of: str | dt.date | None = None) -> Answer:
        """Answer `question` from the articles, using `history` to resolve follow-ups.

        Args:
            question: The question in plain language.
            history: Earlier turns, as `{"role", "content"}` dicts or `(user, assistant)` pairs
                (read by `qa.answering.history.parse_history`, which also takes its `Exchange`s).
            since: Only articles published on or after this ISO date.
            until: Only articles published on or before this ISO date. Without either, a
                period named in the question ("in February 2024") sets them.
            as_of: The date that "today", "this week", "recently"... are read against
                (ISO date; default: today). Articles published in the period such a word
                names are preferred when they carry the evidence.

        With `answer.mode: llm` a language model writes the answer from the retrieved passages
        and each sentence is checked against the sources it cites (`qa.chain.LLMAnswerer`).

        Raises:
            EmptyQuestionError: The question is empty or whitespace.
            QAError: A date filter is not a date, or the question is too long.
        """
        if self.generator is None:
            return self.trace(question, history, since=since, until=until, as_of=as_of).answer
        started = time.perf_counter()
        answer = self.generator.chain.invoke(_inputs(question, history, since, until, as_of))
        return dataclasses.replace(answer, timings_ms={"total": (time.perf_counter() - started) * 1000})

    def stream(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
               until: str | None = None, as_of: str | dt.date | None = None) -> Iterator[str | Answer]:
        """`ask`, streamed: with a language model, the draft so far (a `str`) as its tokens
        arrive, then the checked `Answer`, which replaces the draft. Extractive: the `Answer`."""
        if self.generator is None:
            yield self.ask(question, history, since=since, until=until, as_of=as_of)
            return
        started = time.perf_counter()
        first: float | None = None
        for event in self.generator.stream(_inputs(question, history, since, until, as_of)):
            if isinstance(event, str) and first is None:
                first = time.perf_counter()
            if isinstance(event, Answer):
                timings = {"total": (time.perf_counter() - started) * 1000}
                if first is not None:
                    timings["first_token"] = (first - started) * 1000
                event = dataclasses.replace(event, timings_ms=timings)
            yield event

    def rank(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
             until: str | None = None, as_of: str | dt.date | None = None,
             k: int | None = None) -> Ranking:
        """Retrieve and score (`AnswerPipeline.rank`): the question as understood and the chunks,
        best first. This is what `ArticleRetriever` returns as documents, what `ask` answers from and,
        with a language model, the sources it is given (their first `llm.sources`)."""
        return self.pipeline.rank(question, history, since=since, until=until, as_of=as_of, k=k)

    def answer_ranking(self, ranking: Ranking) -> Answer:
        """Decide and answer from a ranking (`rank`): the extractive answer path."""
        return self.pipeline.answer(ranking)

    def trace(self, question: str, history: Sequence[Any] | None = None, *, since: str | None = None,
              until: str | None = None, as_of: str | dt.date | None = None,
              retrieve_k: int | None = None) -> Trace:
        """`ask`, also returning the ranked, scored chunks (`AnswerPipeline.trace`)."""
        return self.pipeline.trace(question, history, since=since, until=until, as_of=as_of, retrieve_k=retrieve_k)

    def timeline(self, topic: str, *, since: str | None = None, until: str | None = None,
                 as_of: str | dt.date | None = None, limit: int = 20) -> Timeline:
        """A story's developments in date order: the key sentence(s) of each article about
        `topic`, one line per dated development, each cited, copies of one story collapsed
        (`qa.timeline`). With `answer.mode: llm`, a short summary on top, each sentence checked
        against the lines it cites like a generated answer.

        Args:
            topic: A story ("the bus strike") or a question about one ("What has happened with
                the bus strike since Monday?"): its date phrase sets the period when `since`
                and `until` do not.
            since: Only articles published on or after this ISO date.
            until: Only articles published on or before this ISO date.
            as_of: The date "since Monday", "this week"... are read against (default: today).
            limit: The most lines (1 to `qa.timeline.MAX_ENTRIES`); the best scored are kept.

        Raises:
            EmptyQuestionError: The topic is empty, or names no story ("What happened?").
            QAError: A date is not a date, the period is empty, the topic is too long, or
                `limit` is out of range.
        """
        return self.timelines.build(topic, since=since, until=until, as_of=as_of, limit=limit)

    @cached_property
    def timelines(self) -> TimelineBuilder:
        """What `timeline` runs (`qa.timeline.TimelineBuilder`), over this assistant's ranking,
        its stories (wire copies, with `stories.enabled`) and, in llm mode, its language model and
        grounding check."""
        retrieval = self.settings.retrieval
        # Every copy of a story is ranked: a timeline keeps the earliest (the story's first
        # report, dated as such), where an answer keeps the best ranked copy.
        search = Retriever(self.store, self.embedder, retrieval.top_k, mode=retrieval.mode,
                           candidates=retrieval.candidates, rrf_k=retrieval.rrf_k, collapse_copies=False)
        pipeline = AnswerPipeline(search, self.embedder, self.decider, self.weights, self.pipeline.limits)
        stories = getattr(self.store, "stories", None) if self.settings.stories.enabled else None
        summarizer = None if self.generator is None else \
            TimelineSummarizer(self.generator.model, self.generator.checker)
        return TimelineBuilder(pipeline.rank, floor=self.decider.threshold - self.weights.relevance_margin,
                               story_of=getattr(stories, "story_of", None),
                               copies_of=getattr(stories, "copy_members", None), summarizer=summarizer,
                               max_topic_chars=self.settings.answer.max_question_chars)

    @property
    def retriever(self) -> ArticleRetriever:
        """This assistant's ranking as a LangChain retriever (`qa.chain.ArticleRetriever`)."""
        return ArticleRetriever(assistant=self, k=self.settings.retrieval.top_k)

    def as_runnable(self) -> Runnable:
        """The configured answer path as a LangChain runnable: a question, or `{"question",
        "history"?, "since"?, "until"?, "as_of"?}`, in; an `Answer` out. Extractive:
        `qa.chain.extractive_chain`; llm: `LLMAnswerer.chain` (rank | prompt | model | check)."""
        return extractive_chain(self) if self.generator is None else self.generator.chain

    def has_articles(self) -> bool:
        return self.store.count() > 0


def _inputs(question: str, history: Sequence[Any] | None, since: str | None, until: str | None,
            as_of: str | dt.date | None) -> dict[str, Any]:
    return {"question": question, "history": list(history or []), "since": since, "until": until, "as_of": as_of}
