"""The project's one exception hierarchy.

It lives in `index` (the bottom layer) so that `qa` and `ui` can catch it without `index`
importing anything above it. Messages say what happened, to what, and what to do.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(QAError):
    """The configuration file or an environment override is invalid."""


class LoadError(QAError):
    """A file could not be turned into articles."""


class UnsupportedFileError(LoadError):
    """The file's type is not one the loaders read."""


class ModelLoadError(QAError):
    """The embedding model could not be loaded from local files."""


class EmbeddingMismatchError(QAError):
    """The index was built with another embedding model than the one configured."""


class ArticleNotFoundError(QAError):
    """No indexed article has the given id."""


class IndexBusyError(QAError):
    """Another process is writing to the index (one writer per data directory)."""


class EmptyQuestionError(QAError):
    """The question is empty or whitespace only."""


class StoreUnavailableError(QAError):
    """The store's engine named in the configuration (a Chroma server, Milvus) cannot be reached.

    `address` is the engine's address without credentials (for a 503 body), when known.
    """

    def __init__(self, message: str, address: str | None = None) -> None:
        super().__init__(message)
        self.address = address


class FetchError(QAError):
    """A web page, feed or sitemap could not be fetched; the message says why, for a user."""


class BlockedURLError(FetchError):
    """The URL is not one the fetcher may request (not http(s), or a refused address)."""


class RobotsDisallowedError(FetchError):
    """The site's robots.txt disallows fetching the URL."""


class PageTooLargeError(FetchError):
    """The response is larger than the configured size limit."""


class FetchTimeoutError(FetchError):
    """The site did not answer (or finish answering) in time."""


class HTTPStatusError(FetchError):
    """The site answered with an HTTP error status (4xx, 5xx)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class TooManyRedirectsError(FetchError):
    """The URL redirected more times than allowed."""


class FeedError(QAError):
    """A feed or sitemap document could not be read."""


class ExtractError(QAError):
    """No article could be extracted from a page."""
