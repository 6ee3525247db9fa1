"""An administrator follows a feed from the Articles tab, in a real headless Chromium: adds it,
sees its state, refreshes it, then asks in the chat and gets an answer citing one of the feed's
articles by its URL. A visitor without the password sees the sources, read-only.

The feed is served by the fake site on loopback, allowed through `web.allow_hosts` (the server
refuses loopback addresses from the admin by default). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import SAMPLE_DIR, running_server
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, ask, open_chat, screenshot
from tests.web_site import FakeSite, Site, article_html, rss

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
FERRY = ["The night ferry between Lowtown and the island of Brisa will run again from 14 April, the harbour office said.",
         "Tickets will cost 18 euros for adults and the crossing takes two hours and ten minutes.",
         "The service was suspended last autumn after one of its two boats failed an inspection."]
MARKET = ["Lowtown's covered market will open on Sundays from May, the council decided on Tuesday.",
          "Forty stallholders had asked for the change, saying weekend visitors kept asking for it.",
          "The market hall was built in 1894 and restored in 2019."]


@pytest.fixture(scope="module")
def feed_site() -> Iterator[Site]:
    with FakeSite() as site:
        items = []
        for path, title, date, text in [("/news/ferry", "Night ferry to Brisa returns in April", "2024-03-06", FERRY),
                                        ("/news/market", "Covered market to open on Sundays", "2024-03-07", MARKET)]:
            site.page(path, article_html(title, date, text, author="Lena Ortiz"))
            items.append({"title": title, "link": site.url(path), "guid": path, "date": date,
                          "description": text[0]})
        site.feed("/rss.xml", rss(items, title="Lowtown Harbour News"), etag='"v1"')
        yield site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("web-served") / "data"
    env = {"QA_ADMIN_PASSWORD": PASSWORD, "QA_WEB__ALLOW_HOSTS": "[127.0.0.1]",
           "QA_WEB__BACKGROUND_REFRESH": "false"}  # refreshed by the administrator's click only
    with running_server(data, SAMPLE_DIR, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_text(page: object, selector: str, text: str, timeout_ms: int = 60_000) -> None:
    """Wait until the element's visible text holds `text` (a Gradio table keeps hidden copies of its cells)."""
    page.wait_for_function("([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)",
                           arg=[selector, text], timeout=timeout_ms)


def test_admin_adds_a_feed_refreshes_it_and_the_chat_cites_its_article(page: object, server: str,
                                                                       feed_site: Site) -> None:
    feed = feed_site.url("/rss.xml")

    def field(selector: str) -> object:  # a Gradio text or number box's own input (input or textarea)
        return page.locator(selector).locator("input, textarea").first

    open_chat(page, server + "/")
    page.get_by_role("tab", name="Articles").click()
    field("#qa-admin-password").fill(PASSWORD)
    field("#qa-source-url").fill(feed)
    field("#qa-source-minutes").fill("30")
    page.locator("#qa-add-source").click()
    status = page.locator("#qa-sources-status")
    status.get_by_text("Added feed").wait_for(timeout=60_000)
    sources = page.locator("#qa-sources")
    wait_text(page, "#qa-sources", feed)
    assert "never refreshed" in sources.inner_text() and feed_site.hits["/rss.xml"] == 0

    field("#qa-source-choice").click()
    page.get_by_role("option", name=feed).click()
    page.locator("#qa-refresh-source").click()
    status.get_by_text("2 indexed").wait_for(timeout=120_000)
    assert feed_site.url("/news/ferry") in status.inner_text()
    wait_text(page, "#qa-sources", "Lowtown Harbour News")
    row = sources.inner_text()
    assert "ok" in row and "UTC" in row and "30" in row
    wait_text(page, "#qa-articles", "Night ferry to Brisa returns in April")
    screenshot(page, "web-sources-admin.png")

    state = httpx.get(f"{server}/api/sources").json()[0]
    assert (state["url"], state["last_status"], state["new"], state["interval_minutes"]) == (feed, "ok", 2, 30)

    page.get_by_role("tab", name="Chat").click()
    box = page.locator("#qa-question textarea")
    ask(box, "How much will a ferry ticket to Brisa cost?")
    bot = page.locator("#qa-chatbot")
    bot.get_by_text("18 euros").first.wait_for(timeout=60_000)
    bot.get_by_text("Sources").first.wait_for(timeout=30_000)
    text = bot.inner_text()
    assert "Night ferry to Brisa returns in April" in text and "2024-03-06" in text
    link = bot.locator(f"a[href='{feed_site.url('/news/ferry')}']")
    assert link.count() >= 1  # the citation shows the article's URL, as a link
    screenshot(page, "web-sources-chat.png")


def test_a_visitor_sees_the_sources_but_cannot_change_them(page: object, server: str, feed_site: Site) -> None:
    from gradio_client import Client

    open_chat(page, server + "/")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#qa-sources").wait_for(timeout=30_000)
    client = Client(server, verbose=False)
    with pytest.raises(Exception, match="admin password"):
        client.predict("wrong", feed_site.url("/other.xml"), "feed", 60, api_name="/add_source")
    refused = httpx.post(f"{server}/api/sources", json={"url": feed_site.url("/other.xml")})
    assert refused.status_code == 401 and refused.json()["ok"] is False
    assert feed_site.url("/other.xml") not in {s["url"] for s in httpx.get(f"{server}/api/sources").json()}
