"""Web articles, feeds and sitemaps into the real index (real model, real Chroma), from the fake
site on loopback: what is indexed, cited, refreshed, skipped, and what costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index.loading.web import refresh as refresh_module
from qa.api import Assistant
from qa.config import Settings
from tests.web_site import (BOILERPLATE_WORDS, BRIDGE, HARBOUR, LIBRARY, TRAM, FakeSite, Site,  # noqa: F401
                            article_html, atom, publish, rss, site, sitemap, sitemap_index, three_articles)


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The test's settings, with the fake site's loopback address allowed explicitly."""
    settings.web.allow_hosts = ["127.0.0.1"]
    return settings


@pytest.fixture
def web_assistant(web_settings: Settings, embedder: Any) -> Assistant:
    return Assistant(web_settings, embedder=embedder)


class Counters:
    """How many pages were extracted and how many texts embedded."""

    def __init__(self) -> None:
        self.extracted = 0
        self.embedded = 0


@pytest.fixture
def counters(web_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> Counters:
    counts = Counters()
    web = web_assistant.web
    extract = web.ingestor.extract

    def counting_extract(*args: Any, **kwargs: Any) -> Any:
        counts.extracted += 1
        return extract(*args, **kwargs)

    web.ingestor.extract = counting_extract
    embedder = web_assistant.embedder
    encode_tokens, encode = embedder.encode_tokens, embedder.encode

    def counting_tokens(texts: list[str]) -> Any:
        counts.embedded += len(texts)
        return encode_tokens(texts)

    def counting_encode(texts: list[str]) -> Any:
        counts.embedded += len(texts)
        return encode(texts)

    monkeypatch.setattr(embedder, "encode_tokens", counting_tokens)
    monkeypatch.setattr(embedder, "encode", counting_encode)
    return counts


def test_rss_feed_ingested_and_an_answer_cites_the_article_with_url_and_date(
        site: Site, web_assistant: Assistant) -> None:
    site.feed("/rss.xml", rss(three_articles(site)), etag='"feed-1"')
    report = web_assistant.web.ingest_feed(site.url("/rss.xml"))
    assert report.status == "ok" and report.summary()["indexed"] == 3, report.to_dict()
    assert report.title == "The Lowtown Courier"
    answer = web_assistant.ask("How much did the repairs to the northern pier cost?")
    assert answer.outcome == "answered", answer.to_dict()
    cited = answer.citations[0]
    assert cited.source == site.url("/news/harbour") and cited.date == "2024-03-01"
    assert cited.title == "Lowtown harbour reopens after storm"
    assert "2.4 million euros" in cited.quote
    info = {a.id: a for a in web_assistant.articles()}[site.url("/news/harbour")]
    assert info.url == site.url("/news/harbour") and info.author == "Maria Stone" and info.path is None


def test_refresh_indexes_exactly_the_changed_and_the_new_entry(site: Site, web_assistant: Assistant,
                                                               counters: Counters) -> None:
    items = three_articles(site)
    site.feed("/rss.xml", rss(items), etag='"feed-1"')
    web = web_assistant.web
    assert web.ingest_feed(site.url("/rss.xml")).summary()["indexed"] == 3
    site.reset_counts()
    counters.extracted = 0
    # One entry changes (its page and its description), one is added.
    changed = HARBOUR[:2] + ["Fishermen said the first boats would leave on Tuesday instead, because of fog."]
    items[0] = publish(site, "/news/harbour", "Lowtown harbour reopens after storm", "2024-03-01", changed)
    items[0]["description"] = "Updated: " + changed[2]
    items.append(publish(site, "/news/bridge", "Stone bridge closes to cars for restoration", "2024-03-04", BRIDGE))
    site.feed("/rss.xml", rss(items), etag='"feed-2"')
    result = web.refresh()
    [source] = result.sources
    by_url = {item.url: item.status for item in source.items}
    assert by_url == {site.url("/news/harbour"): "updated", site.url("/news/library"): "unchanged",
                      site.url("/news/tram"): "unchanged", site.url("/news/bridge"): "indexed"}, source.to_dict()
    assert site.hits["/news/library"] == 0 and site.hits["/news/tram"] == 0  # unchanged entries: not fetched
    assert counters.extracted == 2
    answer = web_assistant.ask("When will the first boats leave the harbour?")
    assert "Tuesday" in answer.text
    state = {s.url: s for s in web.sources()}[source.source]
    assert (state.new, state.updated, state.unchanged, state.failed) == (1, 1, 2, 0)
    assert state.last_status == "ok" and state.etag == '"feed-2"' and state.next_due


def test_unchanged_feed_answered_304_costs_no_extraction_or_embedding(site: Site, web_assistant: Assistant,
                                                                       counters: Counters) -> None:
    site.feed("/rss.xml", rss(three_articles(site)), etag='"feed-1"')
    web = web_assistant.web
    web.ingest_feed(site.url("/rss.xml"))
    assert counters.extracted == 3 and counters.embedded > 0
    counters.extracted = counters.embedded = 0
    site.reset_counts()
    report = web.refresh(site.url("/rss.xml")).sources[0]
    assert report.status == "not_modified" and report.items == []
    assert site.not_modified["/rss.xml"] == 1 and sum(site.hits.values()) == 1  # the feed only
    assert counters.extracted == 0 and counters.embedded == 0
    # Served again with 200 and the same entries: no page fetched, nothing extracted or embedded.
    site.routes["/rss.xml"].etag = '"feed-1b"'
    site.reset_counts()
    report = web.refresh(site.url("/rss.xml")).sources[0]
    assert report.status == "ok" and report.summary()["unchanged"] == 3
    assert sum(site.hits.values()) == 1 and counters.extracted == 0 and counters.embedded == 0


def test_boilerplate_is_not_in_the_article(site: Site, web_assistant: Assistant) -> None:
    site.page("/news/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR))
    report = web_assistant.web.ingest_urls([site.url("/news/harbour")])
    assert report.summary()["indexed"] == 1, report.to_dict()
    text = web_assistant.store.collection.get(include=["documents"])["documents"]
    joined = "\n".join(text)
    for paragraph in HARBOUR:
        assert paragraph in joined
    for word in BOILERPLATE_WORDS:
        assert word not in joined, word


def test_a_broken_entry_and_an_unreachable_link_are_reported_and_the_rest_indexed(
        site: Site, web_assistant: Assistant) -> None:
    items = three_articles(site)[:2]
    items.append({"title": "Broken entry without link or text"})
    from tests.support import free_port

    dead = f"http://127.0.0.1:{free_port()}/news/gone"
    items.append({"title": "Council meeting postponed", "link": dead, "guid": "gone", "date": "2024-03-05"})
    items.append({"title": "Page removed", "link": site.url("/news/removed"), "guid": "removed", "date": "2024-03-05",
                  "description": "The council meeting on the new parking rules was postponed to next Thursday."})
    site.feed("/rss.xml", rss(items))
    report = web_assistant.web.ingest_feed(site.url("/rss.xml"))
    statuses = {item.url: item for item in report.items}
    assert statuses[site.url("/news/harbour")].status == "indexed"
    assert statuses[site.url("/news/library")].status == "indexed"
    assert statuses["Broken entry without link or text"].status == "failed"
    assert "no link and no content" in statuses["Broken entry without link or text"].reason
    assert statuses[dead].status == "failed" and "connection refused" in statuses[dead].reason
    # A page that fails but whose entry has text: indexed from the feed, with the reason.
    removed = statuses[site.url("/news/removed")]
    assert removed.status == "indexed" and "HTTP 404" in removed.warnings[0]
    assert report.failed and len(report.errors()) == 2
    # The failed and the fallback entries are tried again at the next refresh; the others are not.
    site.reset_counts()
    web_assistant.web.refresh()
    assert site.hits["/news/removed"] == 1 and site.hits["/news/harbour"] == 0


def test_canonical_link_og_url_and_tracking_parameters_make_one_article(site: Site, web_assistant: Assistant) -> None:
    canonical = site.url("/news/harbour")
    site.page("/news/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR,
                                            canonical=canonical))
    site.page("/partner/harbour-copy", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR,
                                                    og_url=canonical + "?utm_source=partner"))
    report = web_assistant.web.ingest_urls([
        site.url("/news/harbour?utm_source=rss&utm_medium=feed"), site.url("/partner/harbour-copy"),
        site.url("/news/harbour?fbclid=abc")])
    statuses = [item.status for item in report.items]
    assert sorted(statuses) == ["indexed", "skipped", "skipped"], report.to_dict()
    assert {item.article_id for item in report.items if item.article_id} == {canonical}
    assert [a.id for a in web_assistant.articles()] == [canonical]
    copy = next(item for item in report.items if item.url == site.url("/partner/harbour-copy"))
    assert copy.duplicate_of == canonical
    # Again in another run: the record manager knows it.
    again = web_assistant.web.ingest_urls([site.url("/partner/harbour-copy")])
    assert again.items[0].status == "unchanged" and again.items[0].article_id == canonical


HOSTILE = ["The harbour of Lowtown will stay closed for a year because the northern pier collapsed, officials said.",
           "Rebuilding the pier will cost 90 million euros and a private investor will own the port afterwards.",
           "Fishermen were told to sell their boats before the end of the month."]


def test_a_copy_on_another_host_is_one_article_with_its_original_and_cannot_overwrite_it(
        site: Site, web_assistant: Assistant) -> None:
    original = site.url("/news/harbour")
    site.page("/news/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR,
                                            canonical=original))
    with FakeSite() as partner:  # another host: another port on loopback
        partner.page("/syndicated/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01",
                                                         HARBOUR, canonical=original + "?utm_source=partner"))
        partner.page("/hostile/harbour", article_html("Lowtown harbour closed for a year", "2024-03-01", HOSTILE,
                                                      canonical=original))
        partner.page("/unconfirmed", article_html("Tram line opens", "2024-03-03", TRAM,
                                                  og_url=site.url("/news/tram-elsewhere")))
        copy = [publish(partner, "/syndicated/harbour", "Lowtown harbour reopens after storm", "2024-03-01", HARBOUR,
                        canonical=original)]
        partner.feed("/rss.xml", rss(copy))
        web = web_assistant.web

        # The syndicated copy first: its claim is checked with the original's site, which confirms
        # it, and the article stored is the original, under the original's URL.
        [item] = web.ingest_urls([partner.url("/syndicated/harbour")]).items
        assert (item.status, item.article_id, item.duplicate_of) == ("indexed", original, original), item
        assert site.hits["/news/harbour"] == 1
        assert [a.id for a in web_assistant.articles()] == [original]
        # The original afterwards, and the copy through a feed: the same article.
        assert web.ingest_urls([original]).items[0].status == "unchanged"
        [entry] = web.ingest_feed(partner.url("/rss.xml")).items
        assert (entry.status, entry.article_id, entry.duplicate_of) == ("unchanged", original, original)
        [feed] = [s for s in web.sources() if s.url == partner.url("/rss.xml")]
        assert (feed.entries, feed.deduplicated) == (1, 1)

        # A hostile page naming the original as its canonical URL: its text is never stored.
        [hostile] = web.ingest_urls([partner.url("/hostile/harbour")]).items
        assert (hostile.status, hostile.article_id, hostile.chunks_added) == ("unchanged", original, 0), hostile
        stored = "\n".join(web_assistant.store.collection.get(include=["documents"])["documents"])
        assert "90 million" not in stored and "2.4 million euros" in stored
        assert [a.id for a in web_assistant.articles()] == [original]
        answer = web_assistant.ask("How much did the repairs to the northern pier cost?")
        assert "2.4 million euros" in answer.text and answer.citations[0].source == original

        # A claim the named site does not confirm (no such page there): the page keeps its own URL.
        [unconfirmed] = web.ingest_urls([partner.url("/unconfirmed")]).items
        assert (unconfirmed.status, unconfirmed.article_id, unconfirmed.duplicate_of) == (
            "indexed", partner.url("/unconfirmed"), None), unconfirmed
        assert "did not confirm" in unconfirmed.warnings[0] and "HTTP 404" in unconfirmed.warnings[0]
        assert sorted(a.id for a in web_assistant.articles()) == sorted([original, partner.url("/unconfirmed")])


def test_direct_url_again_is_a_conditional_get(site: Site, web_assistant: Assistant, counters: Counters) -> None:
    route = site.page("/news/tram", article_html("Tram line opens", "2024-03-03", TRAM))
    route.etag = '"tram-1"'
    web = web_assistant.web
    assert web.ingest_urls([site.url("/news/tram")]).items[0].status == "indexed"
    counters.extracted = counters.embedded = 0
    again = web.ingest_urls([site.url("/news/tram")])
    assert again.items[0].status == "unchanged" and "304" in again.items[0].reason
    assert site.not_modified["/news/tram"] == 1 and counters.extracted == 0 and counters.embedded == 0


def test_atom_feed_with_fetching_off_indexes_the_entries_own_text(site: Site, web_settings: Settings,
                                                                  embedder: Any) -> None:
    web_settings.web.fetch_articles = False
    assistant = Assistant(web_settings, embedder=embedder)
    entries = [{"title": "Tram line opens in September", "link": site.url("/news/tram"), "id": "urn:tram",
                "date": "2024-03-03", "summary": " ".join(TRAM), "author": "Ben Okafor"}]
    site.feed("/atom.xml", atom(entries), content_type="application/atom+xml")
    report = assistant.web.ingest_feed(site.url("/atom.xml"))
    assert report.summary()["indexed"] == 1 and site.hits["/news/tram"] == 0
    [info] = assistant.articles()
    assert (info.id, info.date, info.author, info.title) == (site.url("/news/tram"), "2024-03-03", "Ben Okafor",
                                                              "Tram line opens in September")
    assert "every seven minutes" in assistant.ask("How often will trams run at peak hours?").text


def test_local_feed_file(site: Site, web_assistant: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(rss(three_articles(site)[:1]), encoding="utf-8")
    report = web_assistant.web.ingest_feed(str(path))
    assert report.source == str(path.resolve()) and report.summary()["indexed"] == 1
    assert web_assistant.web.refresh(str(path)).sources[0].summary()["unchanged"] == 1


def test_sitemap_lastmod_decides_what_is_fetched_again(site: Site, web_assistant: Assistant) -> None:
    publish(site, "/news/harbour", "Lowtown harbour reopens after storm", "2024-03-01", HARBOUR)
    publish(site, "/news/library", "Library extends opening hours for exams", "2024-03-02", LIBRARY)
    publish(site, "/news/tram", "Tram line to the university opens in September", "2024-03-03", TRAM)
    site.page("/sitemap-a.xml", sitemap([(site.url("/news/harbour"), "2024-03-01T10:00:00Z"),
                                          (site.url("/news/library"), "2024-03-02")]), content_type="application/xml")
    site.page("/sitemap-news.xml", sitemap([(site.url("/news/tram"), "2024-03-03T08:00:00+00:00")], news=True),
              content_type="application/xml")
    site.page("/sitemap.xml", sitemap_index([(site.url("/sitemap-a.xml"), "2024-03-02"),
                                             (site.url("/sitemap-news.xml"), None)]), content_type="application/xml")
    web = web_assistant.web
    report = web.ingest_sitemap(site.url("/sitemap.xml"))
    assert report.summary()["indexed"] == 3, report.to_dict()
    assert {a.id: a.date for a in web_assistant.articles()}[site.url("/news/tram")] == "2024-03-03"
    # One page's lastmod moves: only it is fetched again (the unchanged child sitemap is not even read).
    site.page("/news/library", article_html("Library extends opening hours for exams", "2024-03-02",
                                            LIBRARY[:2] + ["The council will review the hours in July."]))
    site.page("/sitemap-a.xml", sitemap([(site.url("/news/harbour"), "2024-03-01T10:00:00Z"),
                                          (site.url("/news/library"), "2024-03-06")]), content_type="application/xml")
    site.page("/sitemap.xml", sitemap_index([(site.url("/sitemap-a.xml"), "2024-03-06"),
                                             (site.url("/sitemap-news.xml"), None)]), content_type="application/xml")
    site.reset_counts()
    again = web.refresh(site.url("/sitemap.xml")).sources[0]
    assert {i.url: i.status for i in again.items} == {site.url("/news/library"): "updated",
                                                      site.url("/news/harbour"): "unchanged",
                                                      site.url("/news/tram"): "unchanged"}, again.to_dict()
    assert site.hits["/news/harbour"] == 0 and site.hits["/news/tram"] == 0 and site.hits["/news/library"] == 1


def test_configured_sources_added_sources_and_removal(site: Site, web_settings: Settings, embedder: Any) -> None:
    from qa.config import WebSource

    site.feed("/rss.xml", rss(three_articles(site)[:2]))
    web_settings.web.feeds = [WebSource(url=site.url("/rss.xml"), interval_minutes=15)]
    assistant = Assistant(web_settings, embedder=embedder)
    web = assistant.web
    [configured] = web.sources()
    assert configured.configured and configured.interval_minutes == 15 and configured.last_refresh is None
    assert [s.url for s in web.due()] == [configured.url]
    result = web.refresh(only_due=True)
    assert result.count("indexed") == 2 and web.due() == []
    assert web.refresh(only_due=True).sources == []
    added = web.add_source(site.url("/other.xml?utm_source=x"), "feed", 30)
    assert added.url == site.url("/other.xml") and not added.configured
    assert len(web.sources()) == 2
    removed = web.remove_source(configured.url, delete_articles=True)
    assert sorted(removed) == [site.url("/news/harbour"), site.url("/news/library")]
    assert assistant.articles() == []


def test_private_addresses_are_refused_unless_allowed(site: Site, settings: Settings, embedder: Any) -> None:
    assistant = Assistant(settings, embedder=embedder)  # the defaults: no allowance
    site.page("/news/harbour", article_html("Harbour", "2024-03-01", HARBOUR))
    report = assistant.web.ingest_urls([site.url("/news/harbour")])
    assert report.items[0].status == "failed" and "127.0.0.1 is a loopback address" in report.items[0].reason
    assert site.hits["/news/harbour"] == 0
    assert assistant.web.ingest_urls([site.url("/news/harbour")], allow_private=True).items[0].status == "indexed"


def test_a_refresh_holds_the_writer_lock_one_batch_at_a_time(site: Site, web_assistant: Assistant,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    items = three_articles(site)
    site.feed("/rss.xml", rss(items))
    web = web_assistant.web
    web.ingestor.batch_chars = 1  # every article is its own batch
    holds: list[int] = []
    original: Callable = web._store

    def store(articles: list) -> dict:
        holds.append(len(articles))
        return original(articles)

    monkeypatch.setattr(web.ingestor, "sink", store)
    assert web.ingest_feed(site.url("/rss.xml")).summary()["indexed"] == 3
    assert holds == [1, 1, 1]
    assert refresh_module.WebIngestor  # the orchestration lives in index/, below qa


def test_a_feed_on_another_host_cannot_replace_an_article_fetched_from_its_own_site(
        site: Site, web_assistant: Assistant) -> None:
    original = site.url("/news/harbour")
    site.page("/news/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR))
    web = web_assistant.web
    assert web.ingest_urls([original]).items[0].status == "indexed"
    with FakeSite() as hostile:  # another host: another port on loopback
        entry = {"title": "Lowtown harbour closed for a year", "link": original + "?utm_source=hostile",
                 "guid": "hostile-1", "date": "2024-03-01", "description": " ".join(HOSTILE)}
        hostile.feed("/rss.xml", rss([entry], title="Not the Courier"))

        def assert_original_kept() -> None:
            stored = "\n".join(web_assistant.store.collection.get(include=["documents"])["documents"])
            assert "90 million" not in stored and "2.4 million euros" in stored
            assert [a.id for a in web_assistant.articles()] == [original]
            answer = web_assistant.ask("How much did the repairs to the northern pier cost?")
            assert "2.4 million euros" in answer.text and answer.citations[0].source == original, answer.to_dict()
            assert "2.4 million euros" in answer.citations[0].quote

        # Fetching off: the feed's text would go under the original's URL; it is skipped instead.
        web.ingestor.fetch_articles = False
        site.reset_counts()
        [item] = web.ingest_feed(hostile.url("/rss.xml")).items
        assert (item.status, item.article_id, item.chunks_added) == ("skipped", original, 0), item
        assert "fetched from its own site" in item.reason and "its own host" in item.reason
        assert site.hits["/news/harbour"] == 0
        assert_original_kept()

        # Fetching on, and the linked page failing (the site is down): still the original's text.
        web.ingestor.fetch_articles = True
        site.routes["/news/harbour"].status = 503
        entry["description"] = "Updated: " + " ".join(HOSTILE)
        hostile.feed("/rss.xml", rss([entry], title="Not the Courier"))
        [item] = web.refresh(hostile.url("/rss.xml")).sources[0].items
        assert item.status == "skipped" and "HTTP 503" in item.warnings[0], item
        assert site.hits["/news/harbour"] == 1
        assert_original_kept()

        # Forgetting the hostile feed with its articles deletes nothing it did not bring.
        assert web.remove_source(hostile.url("/rss.xml"), delete_articles=True) == []
        assert [a.id for a in web_assistant.articles()] == [original]


def test_a_feed_of_its_own_host_still_indexes_its_text_over_its_pages(site: Site, web_assistant: Assistant) -> None:
    site.feed("/rss.xml", rss(three_articles(site)))
    web = web_assistant.web
    assert web.ingest_feed(site.url("/rss.xml")).summary()["indexed"] == 3  # pages fetched from their site
    # The site's own feed, fetching off: its text is that site's word on its own article.
    web.ingestor.fetch_articles = False
    items = three_articles(site)
    items[2]["description"] = "Trams to the university will run every four minutes at peak hours, the office said."
    site.feed("/rss.xml", rss(items))
    report = web.refresh(site.url("/rss.xml")).sources[0]
    assert {i.url: i.status for i in report.items}[site.url("/news/tram")] == "updated", report.to_dict()
    assert report.count("skipped") == 0
    answer = web_assistant.ask("How often will trams run at peak hours?")
    assert "every four minutes" in answer.text and answer.citations[0].source == site.url("/news/tram")


def test_a_first_cross_host_entry_is_indexed_until_its_own_site_or_another_source_holds_it(
        site: Site, web_settings: Settings, embedder: Any) -> None:
    web_settings.web.fetch_articles = False
    assistant = Assistant(web_settings, embedder=embedder)
    web = assistant.web
    tram = site.url("/news/tram")
    site.page("/news/tram", article_html("Tram line to the university opens in September", "2024-03-03", TRAM))
    with FakeSite() as partner, FakeSite() as other:
        entry = {"title": "Tram line opens in September", "link": tram, "guid": "partner-tram", "date": "2024-03-03",
                 "description": " ".join(TRAM)}
        no_link = {"title": "Bridge closes to cars", "guid": "urn:lowtown:bridge", "date": "2024-03-04",
                   "description": " ".join(BRIDGE)}
        partner.feed("/rss.xml", rss([entry, no_link], title="Partner"))
        # No one holds these articles yet: the partner's text is indexed under the link (and the guid).
        report = web.ingest_feed(partner.url("/rss.xml"))
        assert {i.article_id: i.status for i in report.items} == {tram: "indexed", "urn:lowtown:bridge": "indexed"}
        assert site.hits["/news/tram"] == 0
        answer = assistant.ask("How often will trams run at peak hours?")
        assert "every seven minutes" in answer.text and answer.citations[0].source == tram
        # Another feed naming the same link or guid cannot replace the partner's text.
        other.feed("/rss.xml", rss([{**entry, "description": "Trams will run once an hour and stop at six."},
                                    {**no_link, "description": "The bridge was sold to a private company."}]))
        skipped = web.ingest_feed(other.url("/rss.xml")).items
        assert [i.status for i in skipped] == ["skipped", "skipped"], skipped
        assert all(f"the feed {partner.url('/rss.xml')}" in i.reason for i in skipped)
        # The site's own page replaces the partner's text; from then on the partner's changes are skipped.
        assert web.ingest_urls([tram]).items[0].status in ("updated", "unchanged")
        partner.feed("/rss.xml", rss([{**entry, "description": "Trams will run once an hour and stop at six."},
                                      no_link], title="Partner"))
        items = {i.article_id: i for i in web.refresh(partner.url("/rss.xml")).sources[0].items}
        changed = items[tram]
        assert items["urn:lowtown:bridge"].status == "unchanged"
        assert changed.status == "skipped" and "fetched from its own site" in changed.reason, changed
        assert "once an hour" not in "\n".join(assistant.store.collection.get(include=["documents"])["documents"])
