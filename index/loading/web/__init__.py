"""Articles from the web: pages, RSS/Atom feeds and sitemaps, fetched safely and kept fresh.

One module per job:

    urls       canonical URLs (the article id of a web article), tracking parameters dropped
    fetch      `Fetcher`: http(s) only, robots.txt, redirects, one deadline, limits, caching headers
    addresses  `AddressPolicy`: which addresses may be connected to (web.allow_private, allow_hosts)
    transport  the guarded network backend and httpx transport, bounded by the fetch's deadline
    decoding   bounded gzip/deflate decoding of response bodies (compression bombs stop at the limit)
    extract    page -> `Article` (trafilatura): main text, title, date, author, canonical URL
    feeds      RSS 2.0 / Atom (feedparser) -> `FeedEntry`s
    sitemaps   sitemap.xml, sitemap indexes, Google news sitemaps -> URLs with lastmod
    state      `WebState`: what each source and entry looked like last time (SQLite in the data dir)
    reports    `ItemReport`, `SourceReport`, `RefreshReport`, `SourceState`: the typed results
    refresh    `WebIngestor`: one URL, one feed, one sitemap, or every source, into the index

Nothing here imports `qa`; `qa.web.WebSources` wires these to an `Assistant` (writer lock,
configuration). Every article goes through `Ingestor.ingest_articles`, the same indexing
contract as files (idempotent, replace on change).
"""
