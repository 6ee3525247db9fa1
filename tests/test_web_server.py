"""The server's web part: the JSON API of sources and article URLs (in process, httpx over ASGI)
and the background refresh (in process with a clock moved forward, and in `qa serve`), against
the fake site on loopback with the real model and Chroma.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import gradio as gr
import httpx
import pytest

from index.embedding.embed import Embedder
from qa.api import Assistant
from qa.background import BackgroundRefresh
from qa.config import Settings
from qa.web_admin import WebAdmin
from tests.support import SAMPLE_DIR, running_server
from tests.web_site import (BRIDGE, HARBOUR, LIBRARY, TRAM, Site, article_html, publish, rss, site,  # noqa: F401
                            three_articles)
from ui.admin import Admin
from ui.app import create_app
from ui.sources import SourcesAdmin

PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {PASSWORD}"}


class Client:
    """A small sync client over httpx's async ASGI transport (no lifespan: no background thread)."""

    def __init__(self, assistant: Assistant) -> None:
        self.transport = httpx.ASGITransport(app=create_app(assistant))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        import anyio

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        return anyio.run(go)


@pytest.fixture
def loopback_settings(settings: Settings) -> Settings:
    """The test's settings with the fake site's loopback address allowed explicitly."""
    settings.web.allow_hosts = ["127.0.0.1"]
    return settings


@pytest.fixture
def make_client(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[Assistant, Client]]:
    def make(settings: Settings, *, password: str | None = PASSWORD) -> tuple[Assistant, Client]:
        if password:
            monkeypatch.setenv("QA_ADMIN_PASSWORD", password)
        else:
            monkeypatch.delenv("QA_ADMIN_PASSWORD", raising=False)
        assistant = Assistant(settings, embedder=embedder)
        return assistant, Client(assistant)

    return make


def assert_error(response: httpx.Response, status: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status and fragment in body["error"], body
    assert "Traceback" not in response.text
    return body


# -- the JSON API ----------------------------------------------------------------------------
def test_sources_are_listed_to_anyone_and_changed_only_with_the_password(
        site: Site, loopback_settings: Settings, make_client: Callable) -> None:
    _, client = make_client(loopback_settings)
    feed = site.url("/rss.xml")
    assert client.request("GET", "/api/sources").json() == []
    missing = assert_error(client.request("POST", "/api/sources", json={"url": feed}), 401, "admin password")
    assert "Bearer" in missing["error"]
    wrong = client.request("POST", "/api/sources", json={"url": feed}, headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "wrong or missing admin password")
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.request("GET", "/api/sources").json() == []

    added = client.request("POST", "/api/sources", json={"url": feed, "kind": "feed", "interval_minutes": 15},
                           headers=ADMIN)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["created"] is True and body["report"] is None
    assert body["source"]["url"] == feed and body["source"]["interval_minutes"] == 15
    assert body["source"]["last_refresh"] is None and body["source"]["configured"] is False
    again = client.request("POST", "/api/sources", json={"url": feed, "interval_minutes": 30}, headers=ADMIN)
    assert again.status_code == 200 and again.json()["created"] is False
    listed = client.request("GET", "/api/sources").json()
    assert [(s["url"], s["kind"], s["interval_minutes"]) for s in listed] == [(feed, "feed", 30)]
    assert site.hits["/rss.xml"] == 0  # added, not read yet: the next refresh reads it


def test_admin_endpoints_are_disabled_without_a_password(site: Site, loopback_settings: Settings,
                                                         make_client: Callable) -> None:
    _, client = make_client(loopback_settings, password=None)
    assert client.request("GET", "/api/sources").status_code == 200
    for method, path, kw in [("POST", "/api/sources", {"json": {"url": site.url("/rss.xml")}}),
                             ("DELETE", "/api/sources", {"params": {"url": site.url("/rss.xml")}}),
                             ("POST", "/api/sources/refresh", {"json": {}}),
                             ("POST", "/api/articles/url", {"json": {"urls": [site.url("/a")]}})]:
        assert_error(client.request(method, path, headers=ADMIN, **kw), 403, "QA_ADMIN_PASSWORD")


def test_a_feed_added_with_refresh_is_indexed_and_answers_cite_its_articles(
        site: Site, loopback_settings: Settings, make_client: Callable) -> None:
    assistant, client = make_client(loopback_settings)
    site.feed("/rss.xml", rss(three_articles(site)), etag='"feed-1"')
    r = client.request("POST", "/api/sources", json={"url": site.url("/rss.xml"), "refresh": True}, headers=ADMIN)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["report"]["summary"]["indexed"] == 3 and body["report"]["failed_sources"] == 0
    state = body["source"]
    assert state["title"] == "The Lowtown Courier" and state["last_status"] == "ok" and state["new"] == 3
    assert state["next_due"] is not None and state["entries"] == 3
    answer = client.request("POST", "/api/ask", json={"question": "How much did the repairs to the northern "
                                                                  "pier cost?"}).json()
    assert answer["outcome"] == "answered" and "2.4 million euros" in answer["answer"]
    assert answer["citations"][0]["source"] == site.url("/news/harbour")
    assert answer["citations"][0]["date"] == "2024-03-01"


def test_refresh_one_source_or_all_returns_the_report(site: Site, loopback_settings: Settings,
                                                      make_client: Callable) -> None:
    _, client = make_client(loopback_settings)
    items = three_articles(site)
    site.feed("/rss.xml", rss(items[:2]), etag='"feed-1"')
    feed = site.url("/rss.xml")
    assert client.request("POST", "/api/sources", json={"url": feed}, headers=ADMIN).status_code == 201
    assert_error(client.request("POST", "/api/sources/refresh", json={"url": feed}), 401, "admin password")

    first = client.request("POST", "/api/sources/refresh", json={"url": feed}, headers=ADMIN)
    assert first.status_code == 200, first.text
    report = first.json()
    assert [s["source"] for s in report["sources"]] == [feed] and report["summary"]["indexed"] == 2
    assert {i["url"] for i in report["sources"][0]["items"]} == {site.url("/news/harbour"), site.url("/news/library")}

    site.feed("/rss.xml", rss(items), etag='"feed-2"')  # one entry more
    every = client.request("POST", "/api/sources/refresh", headers=ADMIN).json()  # no body: all sources
    assert every["summary"]["indexed"] == 1 and every["summary"]["unchanged"] == 2
    unchanged = client.request("POST", "/api/sources/refresh", json={}, headers=ADMIN).json()
    assert unchanged["sources"][0]["status"] == "not_modified"  # 304: nothing fetched
    state = client.request("GET", "/api/sources").json()[0]
    assert state["last_status"] == "not_modified"
    assert_error(client.request("POST", "/api/sources/refresh", json={"url": site.url("/other.xml")}, headers=ADMIN),
                 404, "unknown source")


def test_removing_a_source_keeps_or_deletes_its_articles(site: Site, loopback_settings: Settings,
                                                         make_client: Callable) -> None:
    assistant, client = make_client(loopback_settings)
    site.feed("/rss.xml", rss(three_articles(site)))
    feed = site.url("/rss.xml")
    client.request("POST", "/api/sources", json={"url": feed, "refresh": True}, headers=ADMIN)
    assert len(assistant.articles()) == 3
    assert_error(client.request("DELETE", "/api/sources", params={"url": feed}), 401, "admin password")
    gone = client.request("DELETE", "/api/sources", params={"url": feed, "delete_articles": "true"}, headers=ADMIN)
    assert gone.status_code == 200, gone.text
    assert gone.json()["removed"] == feed and len(gone.json()["articles_deleted"]) == 3
    assert assistant.articles() == [] and client.request("GET", "/api/sources").json() == []
    assert_error(client.request("DELETE", "/api/sources", params={"url": feed}, headers=ADMIN), 404, "unknown source")

    client.request("POST", "/api/sources", json={"url": feed, "refresh": True}, headers=ADMIN)
    kept = client.request("DELETE", "/api/sources", params={"url": feed}, headers=ADMIN).json()
    assert kept["articles_deleted"] == [] and len(assistant.articles()) == 3


def test_a_configured_source_is_listed_but_changed_only_in_the_configuration(
        site: Site, loopback_settings: Settings, make_client: Callable) -> None:
    loopback_settings.web.feeds = [{"url": site.url("/rss.xml"), "interval_minutes": 5}]
    _, client = make_client(loopback_settings)
    listed = client.request("GET", "/api/sources").json()
    assert listed[0]["configured"] is True and listed[0]["interval_minutes"] == 5
    assert_error(client.request("DELETE", "/api/sources", params={"url": site.url("/rss.xml")}, headers=ADMIN),
                 409, "web.feeds")
    assert_error(client.request("POST", "/api/sources", json={"url": site.url("/rss.xml")}, headers=ADMIN),
                 409, "config.yaml")


def test_article_urls_are_indexed_with_a_report_per_url(site: Site, loopback_settings: Settings,
                                                        make_client: Callable) -> None:
    loopback_settings.web.max_page_mb = 0.05
    assistant, client = make_client(loopback_settings)
    publish(site, "/news/bridge", "Stone bridge closes to cars for restoration", "2024-03-04", BRIDGE)
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.page("/private/memo", article_html("Memo", "2024-03-04", TRAM))
    site.page("/huge", article_html("Huge", "2024-03-04", ["word " * 20_000]))
    ok = client.request("POST", "/api/articles/url", json={"urls": [site.url("/news/bridge?utm_source=x"),
                                                                   site.url("/private/memo")]}, headers=ADMIN)
    assert ok.status_code == 200, ok.text
    statuses = {i["url"]: (i["status"], i["reason"]) for i in ok.json()["items"]}
    assert statuses[site.url("/news/bridge?utm_source=x")][0] == "indexed"
    assert statuses[site.url("/private/memo")] == ("failed", "robots.txt of 127.0.0.1 disallows /private/memo")
    assert [a.id for a in assistant.articles()] == [site.url("/news/bridge")]

    robots = client.request("POST", "/api/articles/url", json={"urls": [site.url("/private/memo")]}, headers=ADMIN)
    body = assert_error(robots, 422, "robots.txt of 127.0.0.1 disallows /private/memo")
    assert body["report"]["items"][0]["status"] == "failed"
    assert_error(client.request("POST", "/api/articles/url", json={"urls": [site.url("/huge")]}, headers=ADMIN),
                 422, "page larger than 51 KB")
    for bad in ["ftp://example.org/a", "file:///etc/passwd", "/etc/passwd"]:
        assert_error(client.request("POST", "/api/articles/url", json={"urls": [bad]}, headers=ADMIN),
                     400, "only http and https")
    assert_error(client.request("POST", "/api/articles/url", json={"urls": []}, headers=ADMIN), 422, "urls")
    assert_error(client.request("POST", "/api/articles/url", json={"urls": [site.url("/a")]}), 401, "admin password")


def test_private_and_loopback_addresses_are_refused_unless_the_configuration_allows_them(
        site: Site, settings: Settings, make_client: Callable) -> None:
    assert settings.web.allow_private is False and settings.web.allow_hosts == []
    _, client = make_client(settings)
    site.feed("/rss.xml", rss(three_articles(site)))
    for url in [site.url("/rss.xml"), site.url("/rss.xml", host="localhost"), "http://10.1.2.3/feed",
                "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/feed"]:
        refused = client.request("POST", "/api/sources", json={"url": url}, headers=ADMIN)
        body = assert_error(refused, 403, "blocked")
        assert "web.allow_hosts" in body["error"]
    assert_error(client.request("POST", "/api/articles/url", json={"urls": [site.url("/news/harbour")]},
                                headers=ADMIN), 403, "is a loopback address")
    assert_error(client.request("POST", "/api/sources", json={"url": "/etc/passwd"}, headers=ADMIN),
                 400, "only http and https")
    assert client.request("GET", "/api/sources").json() == []
    assert sum(site.hits.values()) == 0  # nothing was fetched


def test_web_admin_requests_are_rate_limited(site: Site, loopback_settings: Settings, make_client: Callable) -> None:
    loopback_settings.server.rate_limit = 2
    loopback_settings.server.rate_limit_exempt = []
    _, client = make_client(loopback_settings)
    codes = [client.request("POST", "/api/sources/refresh", json={}, headers=ADMIN).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.request("GET", "/api/sources").status_code == 200  # listing costs nothing


class GatedFeed:
    """A feed on loopback that answers only once the test opens the gate: a refresh of it runs
    for exactly as long as the test wants. `entered` is set when a request is waiting."""

    def __init__(self, xml: str) -> None:
        self.entered, self.gate = threading.Event(), threading.Event()
        body, gated = xml.encode("utf-8"), self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                gated.entered.set()
                gated.gate.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow.xml"
        threading.Thread(target=self.server.serve_forever, name="gated-feed", daemon=True).start()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gated_feed(site: Site) -> Iterator[GatedFeed]:
    feed = GatedFeed(rss(three_articles(site)))
    try:
        yield feed
    finally:
        feed.close()


def test_a_request_during_a_running_refresh_waits_a_bounded_time_then_gets_503(
        site: Site, gated_feed: GatedFeed, loopback_settings: Settings, make_client: Callable,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qa.web_admin.BUSY_WAIT_S", 0.5)  # the server's 30 s, shortened
    assistant, client = make_client(loopback_settings)
    publish(site, "/news/bridge", "Stone bridge closes to cars for restoration", "2024-03-04", BRIDGE)
    other = site.url("/rss.xml")
    site.feed("/rss.xml", rss([]))
    for url in (gated_feed.url, other):
        assert client.request("POST", "/api/sources", json={"url": url}, headers=ADMIN).status_code == 201
    web = assistant.web
    # The background refresh (or another administrator) reads the gated feed, and waits on it.
    background = threading.Thread(target=web.refresh, args=(gated_feed.url,), daemon=True)
    background.start()
    try:
        assert gated_feed.entered.wait(30), "the gated feed was never requested"
        expected = f"a refresh of {gated_feed.url} is running (waited 0.5 s); try again in a moment"
        for path, body in [("/api/sources/refresh", {"url": other}), ("/api/sources/refresh", {}),
                           ("/api/articles/url", {"urls": [site.url("/news/bridge")]}),
                           ("/api/sources", {"url": other, "refresh": True})]:
            started = time.monotonic()
            busy = client.request("POST", path, json=body, headers=ADMIN)
            waited = time.monotonic() - started
            assert_error(busy, 503, expected)
            assert busy.headers["retry-after"].isdigit(), busy.headers
            assert 0.5 <= waited < 10, (path, waited)  # waited, bounded
        assert site.hits["/news/bridge"] == 0 and site.hits["/rss.xml"] == 0  # nothing else ran meanwhile
        assert client.request("GET", "/api/sources").status_code == 200  # reading never waits

        # The Articles tab says the same, as its error message.
        actions = SourcesAdmin(assistant, Admin(assistant, PASSWORD, loopback_settings.data.dir / "uploads", 5))
        with pytest.raises(gr.Error) as raised:
            actions.refresh(PASSWORD, other)
        assert raised.value.message == expected

        # A request whose wait outlasts the running refresh is served once it ends.
        waiting = WebAdmin(web, busy_wait_s=30)
        result: list[Any] = []
        late = threading.Thread(target=lambda: result.append(waiting.refresh(other)), daemon=True)
        late.start()
        time.sleep(0.3)
        assert late.is_alive() and not result  # waiting for the gated refresh
        gated_feed.gate.set()
        late.join(30)
        assert result and [(r.source, r.status) for r in result[0].sources] == [(other, "ok")]
    finally:
        gated_feed.gate.set()
        background.join(60)
    assert not background.is_alive()
    assert {a.id for a in assistant.articles()} >= {site.url("/news/harbour")}  # the gated refresh finished
    ok = client.request("POST", "/api/sources/refresh", json={"url": other}, headers=ADMIN)
    assert ok.status_code == 200, ok.text


def test_the_endpoints_are_in_the_openapi_docs(loopback_settings: Settings, make_client: Callable) -> None:
    _, client = make_client(loopback_settings)
    paths = client.request("GET", "/openapi.json").json()["paths"]
    assert set(paths["/api/sources"]) == {"get", "post", "delete"}
    assert "post" in paths["/api/sources/refresh"] and "post" in paths["/api/articles/url"]
    assert paths["/api/sources"]["post"]["security"] == [{"HTTPBearer": []}]
    assert_error(client.request("PUT", "/api/sources"), 405, "use DELETE, GET, POST")


# -- the background refresh --------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def wait_until(condition: Callable[[], Any], timeout_s: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def test_background_refresh_picks_up_a_new_entry_after_the_interval(site: Site, loopback_settings: Settings,
                                                                     embedder: Embedder) -> None:
    assistant = Assistant(loopback_settings, embedder=embedder)
    items = three_articles(site)
    site.feed("/rss.xml", rss(items), etag='"feed-1"')
    web = assistant.web
    web.add_source(site.url("/rss.xml"), "feed", interval_minutes=30)
    clock = Clock()
    loop = BackgroundRefresh(web, check_s=0.1, clock=clock)
    loop.start()
    try:
        wait_until(lambda: web.sources()[0].last_status == "ok", what="the first refresh")
        assert assistant.ask("How much did the repairs to the northern pier cost?").outcome == "answered"
        items.append(publish(site, "/news/bridge", "Stone bridge closes to cars for restoration", "2024-03-04", BRIDGE))
        site.feed("/rss.xml", rss(items), etag='"feed-2"')
        checks = loop.checks
        wait_until(lambda: loop.checks >= checks + 3, what="three more looks")
        assert site.hits["/news/bridge"] == 0  # not due yet: nothing fetched
        clock.now += 31 * 60  # the interval has passed
        answer = wait_until(lambda: (a := assistant.ask("How long will the restoration of the stone bridge take?"))
                            .outcome == "answered" and a, what="the new entry to be answerable")
        assert "eighteen months" in answer.text and answer.citations[0].source == site.url("/news/bridge")
        # The source's state is recorded once its last batch is stored.
        state = wait_until(lambda: (s := web.sources()[0]).unchanged and s, what="the refresh's state")
        assert (state.new, state.unchanged, state.failed) == (1, 3, 0)
    finally:
        assert loop.stop(timeout_s=30)
    assert not loop.running and not loop.lock.held


def test_a_failing_source_is_recorded_and_never_stops_the_loop(site: Site, loopback_settings: Settings,
                                                               embedder: Embedder,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    assistant = Assistant(loopback_settings, embedder=embedder)
    site.page("/broken.xml", "server error", status=500)
    site.feed("/rss.xml", rss(three_articles(site)))
    web = assistant.web
    web.add_source(site.url("/broken.xml"))
    web.add_source(site.url("/rss.xml"))
    real = web.refresh
    calls: list[str] = []

    def flaky(source: str | None = None, **kw: Any) -> Any:
        calls.append(source or "")
        if len(calls) == 1:
            raise RuntimeError("a bug in one refresh")
        return real(source, **kw)

    web.refresh = flaky  # type: ignore[method-assign]
    loop = BackgroundRefresh(web, check_s=0.1)
    with caplog.at_level("INFO", logger="qa.background"):
        loop.start()
        try:
            wait_until(lambda: {s.url: s.last_status for s in web.sources()} == {
                site.url("/broken.xml"): "failed", site.url("/rss.xml"): "ok"}, what="both sources refreshed")
        finally:
            assert loop.stop()
    broken = next(s for s in web.sources() if s.url == site.url("/broken.xml"))
    assert "HTTP 500" in broken.last_error and broken.errors
    assert "a bug in one refresh" in caplog.text
    assert f"refresh of feed {site.url('/broken.xml')} failed: HTTP 500" in caplog.text


def test_only_one_process_refreshes_a_data_directory(site: Site, loopback_settings: Settings,
                                                     embedder: Embedder) -> None:
    assistant = Assistant(loopback_settings, embedder=embedder)
    site.feed("/rss.xml", rss(three_articles(site)))
    assistant.web.add_source(site.url("/rss.xml"))
    first, second = BackgroundRefresh(assistant.web), BackgroundRefresh(assistant.web)  # two locks: two "processes"
    assert second.run_once() == 1 and second.lock.held
    assert first.run_once() == 0 and not first.lock.held  # the other holds refresh.lock
    lock_file = loopback_settings.data.dir / "refresh.lock"
    assert lock_file.read_text().strip().isdigit()
    second.stop()
    assert first.run_once() == 0 and first.lock.held  # taken over; nothing due
    first.stop()


def _long_article(n: int) -> list[str]:
    towns = ["Lowtown", "Eastbrook", "Marsh End", "Hollow Creek", "Northfield", "Kingsmere", "Ashford"]
    topics = ["water pipes", "school buses", "street lights", "bicycle lanes", "market stalls", "parking fees"]
    return [f"In {towns[(n + k) % len(towns)]}, district {n * 7 + k}, the council discussed {topics[(n + k) % 6]} "
            f"for {n + k + 3} minutes on meeting day {k + 1} of session {n}, and {120 + 13 * n + k} residents "
            f"signed a petition about item {k * 31 + n} before the vote of {2000 + n % 24}." * 3
            for k in range(8)]


def test_questions_are_answered_promptly_while_a_large_feed_is_refreshed(
        site: Site, loopback_settings: Settings, embedder: Embedder) -> None:
    assistant = Assistant(loopback_settings, embedder=embedder)
    assert assistant.ingest([SAMPLE_DIR]).count("indexed") == 1
    entries = [publish(site, f"/news/{n}", f"Council session {n} of the district", "2024-03-05", _long_article(n))
               for n in range(60)]
    site.feed("/rss.xml", rss(entries))
    web = assistant.web
    web.add_source(site.url("/rss.xml"))
    batches: list[float] = []
    store = web.ingestor.sink

    def timed_store(articles: list) -> Any:  # noqa: ANN401
        started = time.perf_counter()
        try:
            return store(articles)
        finally:
            batches.append(time.perf_counter() - started)

    web.ingestor.sink = timed_store
    loop = BackgroundRefresh(web, check_s=0.1)
    done = threading.Event()
    loop.on_source = lambda report: done.set()
    latencies: list[float] = []
    loop.start()
    try:
        while not done.is_set():
            started = time.perf_counter()
            answer = assistant.ask("What did Macron announce about missiles?")
            latencies.append(time.perf_counter() - started)
            assert answer.outcome == "answered"
            time.sleep(0.05)
    finally:
        assert loop.stop()
    assert len(assistant.articles()) == 61
    assert len(batches) >= 2, batches  # the feed took several indexing batches
    print(f"\n{len(latencies)} questions during the refresh: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; {len(batches)} batches, longest {max(batches) * 1000:.0f} ms")
    assert len(latencies) >= 10
    assert max(latencies) < max(batches), (latencies, batches)  # never blocked for a whole batch


@pytest.mark.slow
def test_qa_serve_refreshes_configured_feeds_in_the_background(site: Site, tmp_path: Any) -> None:
    site.feed("/rss.xml", rss(three_articles(site)))
    env = {"QA_WEB__FEEDS": json.dumps([{"url": site.url("/rss.xml"), "interval_minutes": 60}]),
           "QA_WEB__ALLOW_HOSTS": "[127.0.0.1]", "QA_WEB__REFRESH_CHECK_S": "0.5"}
    with running_server(tmp_path / "data", env=env) as url:
        state = wait_until(lambda: (s := httpx.get(f"{url}/api/sources").json()) and s[0]["last_status"] and s[0],
                           what="the background refresh")
        assert state["configured"] is True and state["last_status"] == "ok" and state["new"] == 3
        answer = httpx.post(f"{url}/api/ask", json={"question": "When will the new tram line open?"}).json()
        assert answer["outcome"] == "answered" and answer["citations"][0]["source"] == site.url("/news/tram")
    log = (tmp_path / "data").parent.glob("serve-*.log")
    assert not any("Traceback" in path.read_text() for path in log)
