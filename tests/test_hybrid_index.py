"""The keyword index and the sentence vectors stay in step with Chroma across add, replace,
prune, delete and an interrupted write; date filters narrow what is searched."""

from __future__ import annotations

import shutil
from pathlib import Path

from qa.api import Assistant
from tests.support import SAMPLE_FILE, both_store_modes

HARBOUR = ("---\ntitle: Harbour reopens\ndate: 2024-03-01\n---\n"
           "The harbour of Lowtown reopened on Friday after a storm closed it for a week. "
           "Fishermen said the damage to the zyxolite piers was smaller than feared.")


def chroma_ids(assistant: Assistant) -> set[str]:
    return set(assistant.store.collection.get(include=[])["ids"])


def assert_in_step(assistant: Assistant) -> None:
    ids = chroma_ids(assistant)
    assert set(assistant.store.keywords.ids) == ids
    assert set(assistant.store.sentences.get(sorted(ids))) == ids
    assert assistant.store.sentences.count() == len(ids)


@both_store_modes
def test_keyword_index_follows_add_replace_prune_and_delete(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE_FILE, folder / SAMPLE_FILE.name)
    harbour = folder / "harbour.md"
    harbour.write_text(HARBOUR, encoding="utf-8")

    assistant.ingest([folder])
    assert_in_step(assistant)
    found = assistant.store.keyword_search("zyxolite piers", 5)
    assert found and assistant.store.hits([found[0][0]], assistant.embedder.encode(["x"])[0])[0].title == "Harbour reopens"

    harbour.write_text(HARBOUR.replace("zyxolite", "granite"), encoding="utf-8")  # replace
    assistant.ingest([folder])
    assert_in_step(assistant)
    assert assistant.store.keyword_search("zyxolite", 5) == []
    assert assistant.store.keyword_search("granite", 5)

    harbour.unlink()  # prune
    assistant.ingest([folder], prune=True)
    assert_in_step(assistant)
    assert assistant.store.keyword_search("granite", 5) == []

    article_id = assistant.articles()[0].id  # delete
    assistant.delete_article(article_id)
    assert_in_step(assistant)
    assert chroma_ids(assistant) == set()
    assert assistant.store.keyword_search("Macron", 5) == []


def test_keyword_index_repairs_itself_after_an_interrupted_write(assistant: Assistant, settings, embedder) -> None:  # noqa: ANN001
    from index.models import Article

    assistant.ingest_articles([Article(id="a", title="Budget", text="The zyxolite budget passed.", source="s")])
    # Simulate a crash between the Chroma write and the keyword rebuild.
    assistant.store.upsert(Article(id="b", title="Rail", text="The quorvane rail line opened.", source="s"),
                           assistant.chunker.split(Article(id="b", title="Rail", text="The quorvane rail line opened.",
                                                           source="s")))
    assert assistant.store.keyword_search("quorvane", 5) == []  # stale: built before "b"
    reopened = Assistant(settings, embedder=embedder)  # the next process notices and rebuilds
    assert reopened.store.keyword_search("quorvane", 5)
    assert_in_step(reopened)


def test_a_keyword_index_cut_by_another_stemmer_is_rebuilt_on_opening(  # noqa: ANN001
        assistant: Assistant, settings, embedder, monkeypatch) -> None:
    import index.storage.keyword as keyword_module
    from index.models import Article

    # A data dir indexed by the hand-written stemmer, which kept 6 characters ("harbou").
    real_terms = keyword_module.terms
    with monkeypatch.context() as patch:
        patch.setattr(keyword_module, "TOKENIZER", "v1 first-6-characters")
        patch.setattr(keyword_module, "terms", lambda text: [w[:6] for w in real_terms(text)])
        assistant.ingest_articles([Article(id="a", title="Port", text="The zyxolite harbours reopened.", source="s")])
    assert assistant.store.keyword_search("harbour", 5) == []  # today's stems miss the old ones

    reopened = Assistant(settings, embedder=embedder)  # the upgraded process rebuilds it
    assert reopened.store.keyword_search("harbour", 5)
    assert_in_step(reopened)


def test_missing_sentence_vectors_are_recomputed(sample_assistant: Assistant) -> None:
    store = sample_assistant.store
    store.sentences.clear()  # as if a crash lost them
    answer = sample_assistant.ask("What did Macron announce about missiles?")
    assert "medium- and long-range missiles" in answer.text
    assert store.sentences.count() > 0


def test_date_filters_narrow_the_search(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE_FILE, folder / SAMPLE_FILE.name)  # 2024-02-27
    (folder / "march.md").write_text(
        "---\ntitle: Macron visits Berlin\ndate: 2024-03-15\n---\n"
        "Macron announced a joint German-French fund for air defence during a visit to Berlin.",
        encoding="utf-8")
    assistant.ingest([folder])

    march = assistant.ask("What did Macron announce?", since="2024-03-01")
    assert {c.date for c in march.citations} == {"2024-03-15"}
    february = assistant.ask("What did Macron announce?", until="2024-02-29")
    assert {c.date for c in february.citations} == {"2024-02-27"}
    # The same, said in the question.
    assert {c.date for c in assistant.ask("What did Macron announce in March 2024?").citations} == {"2024-03-15"}
    assert {c.date for c in assistant.ask("What did Macron announce in February 2024?").citations} == {"2024-02-27"}
    # A period with no articles is about the events, not the articles: search everything.
    assert not assistant.ask("What did Macron announce about missiles in May 1990?").abstained
