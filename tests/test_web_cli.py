"""`qa ingest URL`, `qa ingest --feed`, `qa ingest --sitemap`, `qa refresh`, `qa sources --json`, as a user
runs them (the fake site on loopback, allowed explicitly with --allow-private or web.allow_hosts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.web_site import HARBOUR, LIBRARY, TRAM, Site, article_html, publish, rss, site, sitemap  # noqa: F401
from ui.cli.serve import app

runner = CliRunner()


def qa(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if "--json" in args and result.stdout.strip():
        json.loads(result.stdout)  # stdout is one JSON document, whatever stderr says
        return result.exit_code, result.stdout
    return result.exit_code, result.output


def test_ingest_a_url_then_ask(site: Site) -> None:
    site.page("/news/harbour", article_html("Lowtown harbour reopens after storm", "2024-03-01", HARBOUR))
    code, output = qa("ingest", "--allow-private", site.url("/news/harbour?utm_source=x"))
    assert code == 0, output
    assert "indexed" in output and "Lowtown harbour reopens after storm (2024-03-01)" in output
    assert "URLs: 1 indexed" in output
    code, output = qa("ask", "--json", "How much did the repairs to the northern pier cost?")
    cited = json.loads(output)["citations"][0]
    assert cited["source"] == site.url("/news/harbour") and cited["date"] == "2024-03-01"


def test_a_private_address_is_refused_by_default_with_exit_status_1(site: Site) -> None:
    site.page("/news/harbour", article_html("Harbour", "2024-03-01", HARBOUR))
    code, output = qa("ingest", site.url("/news/harbour"))
    assert code == 1
    assert "failed" in output and "blocked: 127.0.0.1 is a loopback address" in output
    assert site.hits["/news/harbour"] == 0


def test_feed_refresh_and_sources(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [publish(site, "/news/harbour", "Lowtown harbour reopens after storm", "2024-03-01", HARBOUR),
             publish(site, "/news/library", "Library extends opening hours for exams", "2024-03-02", LIBRARY)]
    site.feed("/rss.xml", rss(items), etag='"v1"')
    code, output = qa("ingest", "--json", "--allow-private", "--feed", site.url("/rss.xml"))
    assert code == 0, output
    [feed] = json.loads(output)["web"]
    assert feed["summary"]["indexed"] == 2 and feed["kind"] == "feed"
    # The source remembers its owner's allowance: `qa refresh` needs no flag.
    items.append(publish(site, "/news/tram", "Tram line to the university opens in September", "2024-03-03", TRAM))
    site.feed("/rss.xml", rss(items), etag='"v2"')
    code, output = qa("refresh")
    assert code == 0, output
    assert "2 unchanged" in output and "1 indexed" in output
    code, output = qa("refresh", site.url("/rss.xml"))
    assert code == 0 and "not modified" in output
    code, output = qa("sources", "--json")
    [state] = json.loads(output)
    assert state["url"] == site.url("/rss.xml") and state["kind"] == "feed" and state["title"] == "The Lowtown Courier"
    assert state["last_status"] == "not_modified" and state["entries"] == 3 and state["next_due"]
    code, output = qa("sources")
    assert "last refresh" in output and "1 source(s)" in output


def test_sitemap_and_a_failing_source(site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_WEB__ALLOW_HOSTS", "[127.0.0.1]")
    publish(site, "/news/tram", "Tram line to the university opens in September", "2024-03-03", TRAM)
    site.page("/sitemap.xml", sitemap([(site.url("/news/tram"), "2024-03-03")]), content_type="application/xml")
    code, output = qa("ingest", "--sitemap", site.url("/sitemap.xml"))
    assert code == 0 and "1 indexed" in output, output
    code, output = qa("ingest", "--feed", site.url("/missing.xml"))
    assert code == 1 and "HTTP 404" in output
    code, output = qa("refresh", "--json")
    assert code == 1
    result = json.loads(output)
    assert result["failed_sources"] == 1 and result["summary"]["unchanged"] == 1
    code, output = qa("refresh", "https://nowhere.example/feed.xml")
    assert code == 2 and "unknown source" in output
    code, output = qa("ingest")
    assert code == 2 and "nothing to ingest" in output
