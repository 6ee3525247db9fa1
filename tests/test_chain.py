"""The LangChain surface: ArticleRetriever and the extractive chain, on the real model and Chroma."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from index.models import Article
from qa.api import Assistant
from qa.chain import ArticleRetriever
from qa.models import Answer

OTHER = [
    Article(id="strike", title="Bus strike enters second week", date="2024-03-12", source="strike.txt",
            text="About 1,200 bus drivers in Harbor City stayed off the job for a second week. The union, led "
                 "by Denise Okafor, is seeking a 9% raise. The transit authority offered 6% over two years."),
    Article(id="glasses", title="Optiva unveils Lumen glasses", date="2024-06-05", source="glasses.txt",
            text="Optiva on Wednesday unveiled Lumen, smart glasses that translate conversations. The glasses "
                 "weigh 49 grams and go on sale on September 3 for $399."),
]


@pytest.fixture
def corpus(sample_assistant: Assistant) -> Assistant:
    sample_assistant.ingest_articles(OTHER)
    return sample_assistant


def test_the_retriever_returns_what_the_assistant_ranks(corpus: Assistant) -> None:
    retriever = corpus.retriever
    assert isinstance(retriever, BaseRetriever) and isinstance(retriever, ArticleRetriever)
    question = "How much do the Lumen glasses cost?"
    docs = retriever.invoke(question)
    trace = corpus.trace(question)
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk_id for h in trace.hits[: len(docs)]]
    assert docs[0].metadata["article_id"] == "glasses" == trace.answer.citations[0].article_id
    meta = docs[0].metadata
    assert meta["title"] == "Optiva unveils Lumen glasses" and meta["date"] == "2024-06-05"
    assert meta["rank"] == 1 and meta["score"] >= docs[-1].metadata["score"]
    best = docs[0].page_content[meta["best_sentence_start"]:meta["best_sentence_end"]]
    assert best == meta["best_sentence"] and "$399" in best


def test_k_dates_and_history_as_fields_or_per_call(corpus: Assistant) -> None:
    retriever = corpus.retriever
    assert len(retriever.invoke("What did Macron say?", k=1)) == 1
    dated = retriever.invoke("What was announced?", since="2024-06-01")
    assert dated and {d.metadata["article_id"] for d in dated} == {"glasses"}
    # Unfiltered, this question finds the June article; with `until` as a field, at most k chunks,
    # all from the articles published by the end of March.
    question = "What did Optiva unveil?"
    assert retriever.invoke(question)[0].metadata["article_id"] == "glasses"
    narrowed = ArticleRetriever(assistant=corpus, k=2, until="2024-03-31")
    until_march = narrowed.invoke(question)
    by_march = {a.id for a in corpus.articles() if a.date and a.date <= "2024-03-31"}
    assert "glasses" not in by_march and len(by_march) == 2
    assert 0 < len(until_march) <= 2 and {d.metadata["article_id"] for d in until_march} <= by_march
    assert all(d.metadata["date"] <= "2024-03-31" for d in until_march)
    history = [{"role": "user", "content": "What did Macron say at the conference?"},
               {"role": "assistant", "content": "..."}]
    follow = retriever.invoke("What did he announce about missiles?", history=history)
    assert "missiles" in follow[0].metadata["best_sentence"]
    with pytest.raises(TypeError, match="per call"):
        retriever.invoke("What?", top=3)


def test_batch_and_stream(corpus: Assistant) -> None:
    retriever = corpus.retriever
    batches = retriever.batch(["Who leads the union?", "How much do the glasses weigh?"])
    assert [b[0].metadata["article_id"] for b in batches] == ["strike", "glasses"]
    streamed = list(retriever.stream("Who leads the union?"))
    assert len(streamed) == 1 and isinstance(streamed[0][0], Document)


def test_the_extractive_chain_is_the_assistants_answer(corpus: Assistant) -> None:
    chain = corpus.as_runnable()
    answer = chain.invoke("When do the Lumen glasses go on sale?")
    assert isinstance(answer, Answer)
    assert answer.to_dict() | {"timings_ms": {}} == corpus.ask("When do the Lumen glasses go on sale?").to_dict() | {
        "timings_ms": {}}
    assert answer.outcome == "answered" and "September 3" in answer.text
    # The verifier does not confirm the price in the same sentence (0.11, under answer.confirm_at):
    # the quote is the same, marked uncertain (README, "The verifier").
    price = chain.invoke("How much do the Lumen glasses cost?")
    assert price.outcome == "uncertain" and "$399" in price.text
    history = [{"role": "user", "content": "What did Macron say at the conference?"},
               {"role": "assistant", "content": "..."}]
    follow = chain.invoke({"question": "What did he announce about missiles?", "history": history})
    assert "medium- and long-range missiles" in follow.text
    assert [a.outcome for a in chain.batch(["Who leads the union?", "What is the capital of Peru?"])][1] \
        == "not_in_articles"
    assert list(chain.stream("Who leads the union?"))[-1].citations[0].article_id == "strike"
    with pytest.raises(TypeError):
        chain.invoke({"query": "no question key"})


def test_parts_compose_with_other_runnables(corpus: Assistant) -> None:
    # A user's own step after the retriever: titles of the top documents.
    titles = corpus.retriever | RunnableLambda(lambda docs: [d.metadata["title"] for d in docs])
    assert titles.invoke("How much do the glasses weigh?")[0] == "Optiva unveils Lumen glasses"
    short = corpus.as_runnable() | RunnableLambda(lambda a: a.short_answer or a.outcome)
    assert short.invoke("How much do the glasses weigh?") == "49 grams"
