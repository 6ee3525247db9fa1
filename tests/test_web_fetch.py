"""Fetching is safe and polite: http(s) only, bounded and re-checked redirects, no private
addresses unless allowed, robots.txt, size limit, timeouts, the user agent, conditional GET;
and canonical URLs drop what only tracks the reader."""

from __future__ import annotations

import threading
import time

import pytest

from index.errors import (BlockedURLError, FetchTimeoutError, HTTPStatusError, PageTooLargeError,
                          RobotsDisallowedError, TooManyRedirectsError)
from index.loading.web.addresses import AddressPolicy
from index.loading.web.fetch import Fetcher, FetchPolicy
from index.loading.web.urls import canonicalize
from tests.web_site import Site, site  # noqa: F401

LOOPBACK = ("127.0.0.1",)  # the tests' explicit allowance: the fake site is on loopback


def fetcher(**kw: object) -> Fetcher:
    return Fetcher(FetchPolicy(**{"allow_hosts": LOOPBACK, **kw}))  # type: ignore[arg-type]


# -- canonical URLs ----------------------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    ("HTTPS://Example.ORG:443/News/a?utm_source=rss&utm_medium=x&b=2&a=1#comments",
     "https://example.org/News/a?a=1&b=2"),
    ("http://example.org:80", "http://example.org/"),
    ("http://example.org:8080/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2&ref=tw&id=7", "http://example.org:8080/a?id=7"),
    ("https://bücher.example/ü", "https://xn--bcher-kva.example/%C3%BC"),
])
def test_canonical_urls(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonical_urls_resolve_relative_links_and_refuse_other_schemes() -> None:
    assert canonicalize("../b?x=1", base="https://a.org/news/x/") == "https://a.org/news/b?x=1"
    for bad in ("ftp://a.org/x", "file:///etc/passwd", "javascript:alert(1)", "http://", "mailto:a@b.c"):
        with pytest.raises(BlockedURLError, match="http"):
            canonicalize(bad)


# -- the address policy ------------------------------------------------------------------------
@pytest.mark.parametrize("address, kind", [
    ("10.0.0.5", "private"), ("192.168.1.1", "private"), ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link-local"), ("100.64.0.1", "reserved"), ("0.0.0.0", "unspecified"),
    ("::ffff:10.0.0.5", "private"), ("fd00::1", "private"),
])
def test_non_public_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    with pytest.raises(BlockedURLError, match=f"blocked: .*{kind}"):
        AddressPolicy().check(address, address)
    AddressPolicy(allow_private=True).check(address, address)  # allowed when asked


def test_allow_list_of_hosts_and_networks() -> None:
    policy = AddressPolicy(allow_hosts=["news.intranet", "10.20.0.0/16"])
    policy.check("news.intranet", "10.9.9.9")
    policy.check("wiki", "10.20.3.4")
    with pytest.raises(BlockedURLError, match=r"blocked: other \(10.9.9.9\) is a private address"):
        policy.check("other", "10.9.9.9")
    AddressPolicy().check("example.org", "93.184.216.34")  # public


def test_loopback_is_refused_by_default_when_connecting(site: Site) -> None:
    site.page("/a", "<p>x</p>")
    with Fetcher(FetchPolicy()) as plain, pytest.raises(BlockedURLError, match="127.0.0.1 is a loopback address"):
        plain.fetch(site.url("/a"))
    # A host *name* is checked on the address it resolves to, when connecting.
    with Fetcher(FetchPolicy()) as plain, pytest.raises(BlockedURLError, match=r"localhost \(127.0.0.1\)"):
        plain.fetch(site.url("/a", host="localhost"))
    assert site.hits["/a"] == 0
    assert Fetcher(FetchPolicy(allow_private=True)).fetch(site.url("/a")).status == 200


# -- redirects ---------------------------------------------------------------------------------
def test_redirects_are_followed_and_bounded(site: Site) -> None:
    site.page("/final", "<p>here</p>")
    site.redirect("/r1", "/r2", 301)
    site.redirect("/r2", site.url("/final"), 308)
    with fetcher() as f:
        result = f.fetch(site.url("/r1"))
    assert result.final_url == site.url("/final") and result.content == b"<p>here</p>"
    assert result.redirects == [site.url("/r1"), site.url("/r2")]
    site.redirect("/loop", "/loop")
    with fetcher(max_redirects=3) as f, pytest.raises(TooManyRedirectsError, match="more than 3 redirects"):
        f.fetch(site.url("/loop"))
    assert site.hits["/loop"] == 4


def test_each_redirect_hop_is_checked_again(site: Site) -> None:
    site.redirect("/to-private", "http://10.0.0.5/admin")
    site.redirect("/to-other-loopback", f"http://127.0.0.2:{site.port}/x")
    site.redirect("/to-file", "file:///etc/passwd")
    with fetcher() as f:
        with pytest.raises(BlockedURLError, match="blocked: 10.0.0.5 is a private address"):
            f.fetch(site.url("/to-private"))
        with pytest.raises(BlockedURLError, match="127.0.0.2 is a loopback address"):
            f.fetch(site.url("/to-other-loopback"))
        with pytest.raises(BlockedURLError, match="only http and https"):
            f.fetch(site.url("/to-file"))


def test_a_redirect_into_a_robots_disallowed_path_is_refused(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    site.redirect("/open", "/private/page")
    site.page("/private/page", "<p>secret</p>")
    with fetcher() as f, pytest.raises(RobotsDisallowedError, match="disallows /private/page"):
        f.fetch(site.url("/open"))
    assert site.hits["/private/page"] == 0


# -- robots.txt ----------------------------------------------------------------------------------
def test_robots_txt_is_respected_cached_and_can_be_turned_off(site: Site) -> None:
    site.page("/robots.txt", "User-agent: news-qa\nDisallow: /members\n\nUser-agent: *\nDisallow:\n",
              content_type="text/plain")
    site.page("/members/a", "<p>m</p>")
    site.page("/news/a", "<p>n</p>")
    with fetcher() as f:
        assert f.fetch(site.url("/news/a")).status == 200
        with pytest.raises(RobotsDisallowedError, match=r"robots.txt of 127.0.0.1 disallows /members/a"):
            f.fetch(site.url("/members/a"))
        f.fetch(site.url("/news/a"))
    assert site.hits["/robots.txt"] == 1 and site.hits["/members/a"] == 0
    with fetcher(respect_robots=False) as f:
        assert f.fetch(site.url("/members/a")).status == 200
    assert site.hits["/robots.txt"] == 1


def test_missing_robots_allows_and_a_failing_one_disallows(site: Site) -> None:
    site.page("/a", "<p>a</p>")
    with fetcher() as f:
        assert f.fetch(site.url("/a")).status == 200  # robots.txt: 404
    site.page("/robots.txt", "oops", status=503)
    with fetcher() as f, pytest.raises(RobotsDisallowedError, match="could not be read"):
        f.fetch(site.url("/a"))


# -- limits, errors, headers ---------------------------------------------------------------------
@pytest.mark.parametrize("length", [True, False], ids=["content-length", "streamed"])
def test_size_limit_stops_reading(site: Site, length: bool) -> None:
    site.page("/huge", b"<p>" + b"x" * (3 * 1024 * 1024) + b"</p>", length=length)
    with fetcher(max_bytes=1024 * 1024) as f, pytest.raises(PageTooLargeError, match="page larger than 1 MB"):
        f.fetch(site.url("/huge"))


def test_timeout(site: Site) -> None:
    site.page("/slow", "<p>late</p>", delay_s=2.0)
    started = time.monotonic()
    with fetcher(timeout_s=0.3) as f, pytest.raises(FetchTimeoutError, match="timed out after 0.3 s"):
        f.fetch(site.url("/slow"))
    assert time.monotonic() - started < 1.8


def test_http_errors_and_refused_connections_are_clear(site: Site) -> None:
    with fetcher() as f:
        with pytest.raises(HTTPStatusError, match="HTTP 404 Not Found"):
            f.fetch(site.url("/missing"))
        from index.errors import FetchError
        from tests.support import free_port

        with pytest.raises(FetchError, match="connection refused"):
            f.fetch(f"http://127.0.0.1:{free_port()}/x")


def test_user_agent_and_conditional_get(site: Site) -> None:
    site.page("/feed", "<rss/>", etag='"v1"', last_modified="Fri, 01 Mar 2024 10:00:00 GMT")
    with fetcher(user_agent="TestBot/2.0 (+https://example.org/bot)") as f:
        first = f.fetch(site.url("/feed"))
        assert first.etag == '"v1"' and first.last_modified == "Fri, 01 Mar 2024 10:00:00 GMT"
        again = f.fetch(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b""
    assert site.headers["/feed"]["user-agent"] == "TestBot/2.0 (+https://example.org/bot)"
    assert site.headers["/feed"]["if-none-match"] == '"v1"'
    assert site.headers["/robots.txt"]["user-agent"].startswith("TestBot/2.0")


def test_per_host_concurrency_is_limited(site: Site) -> None:
    active = peak = 0
    lock = threading.Lock()
    for n in range(6):
        site.page(f"/p{n}", "<p>x</p>", delay_s=0.2)
    original = Fetcher._get

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            return original(self, *args, **kwargs)
        finally:
            with lock:
                active -= 1

    with fetcher(per_host_concurrency=2, workers=6, respect_robots=False) as f:
        Fetcher._get = counting  # type: ignore[method-assign]
        try:
            results = list(f.map(lambda n: f.fetch(site.url(f"/p{n}")), range(6)))
        finally:
            Fetcher._get = original  # type: ignore[method-assign]
    assert all(not isinstance(r, Exception) for _, r in results) and peak == 2
