"""Wire copies (#19): one agency story republished by several outlets is one story. The copies
are ingested through the real store and model; a question's passages hold one copy per story and
its citation says which other outlets published it ("also published by", JSON `also_in`).
Distinct reporting of the same event stays apart. Deleting the story's earliest copy re-points
the others; the clusters survive reopening the store, and are rebuilt from the chunks when their
file is lost. A browser test shows "Also published by" in the chat's source card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from index.embedding.embed import Embedder
from index.models import Article
from index.storage.stories import MIN_WORDS, StoryIndex, articles_from_chunks, signature, similarity
from qa.api import Assistant
from qa.config import Settings, StoriesSettings
from qa.models import Citation, Copy
from tests.support import running_server
from ui.render import render_citation

BRIDGE = """LOWTOWN (AP) — The Brisa Bridge, which carries about 40,000 vehicles a day across the Lowtown \
estuary, will close to traffic on 1 May for eight months of repairs, the regional transport authority said on Monday.

Engineers found corrosion in 14 of the bridge's steel cables during an inspection last autumn, and the authority \
said patching them while traffic kept crossing would take three times as long.

The repairs will cost 62 million euros, paid mostly from a national fund for ageing infrastructure. The contract \
went to a consortium led by the engineering firm Halvorsen & Dace.

During the closure, drivers will be sent over the Old Mill crossing, 11 kilometres upstream, which the authority \
expects to add about 25 minutes to a commute at rush hour. Extra ferries will run every 15 minutes between the two \
banks from 6 a.m. to 10 p.m.

Business owners on the island side have asked for compensation. "Half of our customers come over that bridge," \
said Marta Quell, who runs a bakery near the southern ramp.

The bridge opened in 1978 and was last renovated in 2003."""


def edited(text: str, *, drop: str = "", swaps: tuple[tuple[str, str], ...] = (), credit: str = "") -> str:
    """A lightly edited copy: a paragraph dropped, words changed, an agency credit line added."""
    paragraphs = [p for p in text.split("\n\n") if not (drop and p.startswith(drop))]
    copy = "\n\n".join(paragraphs)
    for old, new in swaps:
        assert old in copy
        copy = copy.replace(old, new)
    return copy + (f"\n\n{credit}" if credit else "")


HERALD = Article(id="https://herald.example/brisa-bridge", title="Lowtown's Brisa Bridge to close for eight months",
                 text=BRIDGE, source="https://herald.example/brisa-bridge", url="https://herald.example/brisa-bridge",
                 date="2024-03-04")
TRIBUNE = Article(id="https://tribune.example/news/bridge-closing", title="Brisa Bridge will shut from May for repairs",
                  text=edited(BRIDGE, drop="The bridge opened",
                              swaps=(("said on Monday", "announced Monday"), ("Extra ferries", "Additional ferries")),
                              credit="Copyright 2024 The Associated Press. All rights reserved."),
                  source="https://tribune.example/news/bridge-closing",
                  url="https://tribune.example/news/bridge-closing", date="2024-03-05")
GAZETTE = Article(id="https://gazette.example/a/991", title="Estuary bridge repairs to cost 62 million euros",
                  text=edited(BRIDGE, drop="Business owners", swaps=(("three times as long", "far longer"),)),
                  source="https://gazette.example/a/991", url="https://gazette.example/a/991", date="2024-03-06")
# Distinct reporting of the same event: the same facts, in the reporter's own words.
POST = Article(id="https://post.example/commuters-brace", title="Commuters brace for the Brisa Bridge shutdown",
               source="https://post.example/commuters-brace", url="https://post.example/commuters-brace",
               date="2024-03-05", text="""Commuters on both banks of the Lowtown estuary are bracing for a long \
detour. From the first of May the Brisa Bridge will be shut for the rest of the year while crews replace corroded \
cables, a job the transport authority puts at 62 million euros.

For Tomas Berg, a nurse who crosses twice a day to reach the hospital, the news means leaving home half an hour \
earlier. "I will be on the ferry with everyone else," he said, standing at the bus stop by the northern ramp.

The authority plans to double ferry departures at peak hours and has asked employers on the island to allow \
staggered shifts. Critics on the council say the inspection that found the damage should have come years ago, \
pointing out that the crossing has not had major work for two decades.

Shopkeepers near the southern ramp fear a quiet summer. The chamber of commerce said it would ask the region for \
a temporary cut in local business taxes while the bridge is closed.""")
COST = "How much will the repairs of the Brisa Bridge cost?"


def bridge_ids(assistant: Assistant, question: str = COST) -> list[str]:
    """The article ids among the question's top passages."""
    return [h.article_id for h in assistant.trace(question).hits[:5]]


@pytest.fixture
def copies(assistant: Assistant) -> Assistant:
    assistant.ingest_articles([TRIBUNE, POST, HERALD])  # the earliest copy is not stored first
    return assistant


def test_a_lightly_edited_copy_is_one_story_cited_once_naming_the_other_outlet(copies: Assistant) -> None:
    stories = copies.store.stories
    assert stories.story_of(TRIBUNE.id) == stories.story_of(HERALD.id) == HERALD.id  # the earliest copy
    assert stories.copies(HERALD.id) == [TRIBUNE.id] and stories.copies(TRIBUNE.id) == [HERALD.id]

    top = bridge_ids(copies)
    assert len({HERALD.id, TRIBUNE.id} & set(top)) == 1, top  # one copy among the passages...
    assert POST.id in top  # ... making room for the other reporting
    answer = copies.ask(COST)
    assert answer.outcome == "answered" and "62 million euros" in answer.text
    cited = [c for c in answer.citations if c.article_id in (HERALD.id, TRIBUNE.id)]
    assert len(cited) == 1
    other = TRIBUNE if cited[0].article_id == HERALD.id else HERALD
    assert cited[0].also_in == (Copy(other.id, other.title, other.date, other.source, other.url),)
    # The answer's JSON (`qa ask --json`, POST /api/ask) names it too.
    as_json = json.loads(json.dumps(answer.to_dict()))
    entry = next(c for c in as_json["citations"] if c["article_id"] == cited[0].article_id)
    assert entry["also_in"] == [{"article_id": other.id, "title": other.title, "date": other.date,
                                 "source": other.source}]


def test_qa_ask_prints_the_copies_in_one_line(copies: Assistant) -> None:
    from typer.testing import CliRunner

    from ui.cli.serve import app

    result = CliRunner().invoke(app, ["ask", COST], catch_exceptions=False)  # the same data dir (conftest)
    assert result.exit_code == 0, result.output
    assert result.output.count("also published by 1 outlet: ") == 1
    # the cited copy's source line, and the other copy's in the "also published by" line
    assert result.output.count("herald.example") + result.output.count("tribune.example") == 2, result.output


def test_distinct_reporting_of_the_same_event_is_not_merged(copies: Assistant) -> None:
    stories = copies.store.stories
    assert stories.story_of(POST.id) == POST.id and stories.copies(POST.id) == []
    answer = copies.ask("What does Tomas Berg say about the bridge closure?")
    assert answer.citations and answer.citations[0].article_id == POST.id
    assert answer.citations[0].also_in == ()


def test_with_copies_not_collapsed_every_copy_is_its_own_source(settings: Settings, embedder: Embedder) -> None:
    settings.stories.enabled = False  # the switch `bench/wire_copies.py eval` compares with
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest_articles([TRIBUNE, POST, HERALD])
    assert {HERALD.id, TRIBUNE.id} <= set(bridge_ids(assistant))
    assert all(c.also_in == () for c in assistant.ask(COST).citations)
    assert assistant.store.stories.story_of(TRIBUNE.id) == HERALD.id  # still recognized at ingest


def test_deleting_the_earliest_copy_repoints_the_story_and_the_others_still_answer(copies: Assistant) -> None:
    copies.ingest_articles([GAZETTE])  # a third outlet's copy
    stories = copies.store.stories
    assert stories.copies(HERALD.id) == [TRIBUNE.id, GAZETTE.id]  # earliest first
    copies.delete_article(HERALD.id)
    assert stories.story_of(GAZETTE.id) == stories.story_of(TRIBUNE.id) == TRIBUNE.id  # the next earliest
    answer = copies.ask(COST)
    assert answer.outcome == "answered" and "62 million euros" in answer.text
    cited = [c for c in answer.citations if c.article_id in (TRIBUNE.id, GAZETTE.id)]
    assert len(cited) == 1 and all(c.article_id != HERALD.id for c in answer.citations)
    remaining = GAZETTE if cited[0].article_id == TRIBUNE.id else TRIBUNE
    assert [copy.article_id for copy in cited[0].also_in] == [remaining.id]
    copies.delete_article(remaining.id)
    assert all(c.also_in == () for c in copies.ask(COST).citations)


def test_stories_survive_reopening_and_are_rebuilt_from_the_chunks_when_lost(copies: Assistant, settings: Settings,
                                                                             embedder: Embedder) -> None:
    reopened = Assistant(settings, embedder=embedder)
    assert reopened.store.stories.copies(HERALD.id) == [TRIBUNE.id]
    assert any(c.also_in for c in reopened.ask(COST).citations)
    path = reopened.store.stories.path
    for store in (copies.store, reopened.store):
        store.stories.close()
    for lost in path.parent.glob(path.name + "*"):  # the file and its WAL
        lost.unlink()
    rebuilt = Assistant(settings, embedder=embedder).store.stories
    assert rebuilt.copies(HERALD.id) == [TRIBUNE.id] and rebuilt.copies(POST.id) == []


def test_a_new_threshold_reclusters_on_opening(copies: Assistant, settings: Settings, embedder: Embedder) -> None:
    score = similarity(signature(HERALD.text), signature(TRIBUNE.text))
    assert score >= settings.stories.threshold
    copies.store.stories.close()
    settings.stories.threshold = min(1.0, score + 0.05)
    assert Assistant(settings, embedder=embedder).store.stories.copies(HERALD.id) == []


def test_the_stored_chunks_give_back_each_article_text(copies: Assistant) -> None:
    rebuilt = {a.id: a for a in articles_from_chunks(copies.store.stored_chunks())}
    for article in (HERALD, TRIBUNE, POST):
        assert rebuilt[article.id].text.split() == article.text.split()
        assert (rebuilt[article.id].title, rebuilt[article.id].date) == (article.title, article.date)


def test_short_identical_texts_are_not_one_story(tmp_path: Path) -> None:
    """Boilerplate (an ad-feedback form a scraper took for the article) is not a story."""
    stub = ("How relevant is this ad to you? Video player was slow to load content. Video content never loaded. "
            "Ad froze or did not finish loading.")
    assert len(stub.split()) < MIN_WORDS
    stories = StoryIndex(tmp_path / "stories.sqlite")
    stories.add_many([Article(id=f"https://cnn.example/{n}", title=f"Story {n}", text=stub, source=f"s{n}")
                      for n in range(3)])
    assert stories.clusters() == [] and stories.story_of("https://cnn.example/1") == "https://cnn.example/1"


def test_the_source_card_says_also_published_by_with_the_copies_linked() -> None:
    citation = Citation(n=1, article_id=HERALD.id, title=HERALD.title, date=HERALD.date, source=HERALD.source,
                        quote="The repairs will cost 62 million euros.", url=HERALD.url,
                        also_in=(Copy(TRIBUNE.id, "Bridge <b>shut</b>", TRIBUNE.date, TRIBUNE.source, TRIBUNE.url),
                                 Copy("x", "Scripted", None, "javascript:alert(1)", "javascript:alert(1)")))
    for collapsed in (False, True):
        card = render_citation(citation, collapsed=collapsed)
        assert "Also published by 2 outlets" in card
        assert f'<a href="{TRIBUNE.url}">Bridge &lt;b&gt;shut&lt;/b&gt;</a> · 2024-03-05' in card
        assert "href=\"javascript" not in card
    assert "Also published" not in render_citation(Citation(n=1, article_id="a", title="t", date=None, source="s",
                                                            quote="q"))


def test_the_threshold_is_checked() -> None:
    with pytest.raises(ValidationError, match="threshold"):
        StoriesSettings(threshold=0)
    with pytest.raises(ValueError, match="story threshold"):
        StoryIndex(Path("unused.sqlite"), threshold=1.5)


# -- the chat, in a real browser -----------------------------------------------------------
@pytest.fixture(scope="module")
def copies_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("wire-copies")
    articles = folder / "articles"
    articles.mkdir()
    with (articles / "bridge.jsonl").open("w", encoding="utf-8") as out:
        for article in (HERALD, TRIBUNE, POST):
            out.write(json.dumps({"url": article.url, "title": article.title, "date": article.date,
                                  "text": article.text}) + "\n")
    with running_server(folder / "data", articles) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_the_chat_source_card_says_also_published_by(page: object, copies_server: str) -> None:
    from tests.test_browser import ask, open_chat, screenshot

    box = open_chat(page, copies_server + "/")
    ask(box, COST)
    bot = page.locator("#qa-chatbot")
    summary = bot.get_by_text("Also published by 1 outlet").first
    summary.wait_for(timeout=90_000)
    summary.click()  # opens the list of copies
    link = bot.locator("details.also-in a").first
    link.wait_for(timeout=10_000)
    assert link.get_attribute("href") in (HERALD.url, TRIBUNE.url)
    assert link.inner_text() in (HERALD.title, TRIBUNE.title)
    assert "62 million euros" in bot.inner_text()
    screenshot(page, "chat-also-published-by.png")


def test_retrieval_reads_further_when_copies_fill_the_first_hits(copies: Assistant) -> None:
    copies.ingest_articles([GAZETTE])
    search = copies.search
    first = search.retrieve(COST, k=3)
    assert len(first.hits) == 3 and len(search.distinct(first.hits)) == 1  # three copies' chunks, one story
    deeper = search.retrieve(COST, k=3, distinct_at_least=2)
    kept = search.distinct(deeper.hits)
    assert len(kept) >= 2 and POST.id in {h.article_id for h in kept}  # the other reporting, read further down
    assert [h.chunk_id for h in deeper.hits[:3]] == [h.chunk_id for h in first.hits]  # read on, not reordered


def test_two_processes_sharing_the_data_dir_see_each_others_stories(tmp_path: Path) -> None:
    """Two `StoryIndex`es on one file stand for two processes: each writer's in-memory LSH follows
    the other's writes, and reads are always of the file."""
    path = tmp_path / "articles.stories.sqlite"
    first, second = StoryIndex(path), StoryIndex(path)
    second.add_many([POST])  # loads second's LSH before `first` writes
    first.add_many([HERALD])
    second.add_many([TRIBUNE])  # must find HERALD, written by the other
    assert first.story_of(TRIBUNE.id) == second.story_of(TRIBUNE.id) == HERALD.id
    first.remove(HERALD.id)
    assert second.story_of(TRIBUNE.id) == TRIBUNE.id and second.copies(TRIBUNE.id) == []


def test_the_benchmark_copies_are_edited_and_still_one_story() -> None:
    from bench.wire_copies import EDITS, TRIMMED, edited_pairs

    pairs = edited_pairs([HERALD, POST], 2, seed=0)
    for name in EDITS:
        for original, copy in pairs[name]:
            assert copy.id != original.id and (copy.title, copy.text) != (original.title, original.text)
            score = similarity(signature(original.text), signature(copy.text))
            # One edit keeps a copy one story; all four at once on a 4-paragraph article (a quarter
            # of it dropped) may not: 1% of such copies fall under the threshold (README).
            assert score >= StoriesSettings().threshold or name == "all four together", (name, score)
    assert all(len(copy.text) < len(original.text) for original, copy in pairs[TRIMMED])
