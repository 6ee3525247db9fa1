"""The articles as tools for AI assistants: an MCP server at /mcp (`server.mcp: true`).

Built with the official `mcp` SDK (`MCPServer`, Streamable HTTP) and mounted in the FastAPI
app; Gradio's own MCP server (`gradio[mcp]`) was not used because its extra downgrades
pydantic. Tools:

- ask: the same grounded answer and citations as the chat and `POST /api/ask`;
- search: the ranked passages (the chunks `ArticleRetriever` returns as documents), with the
  best sentence;
- list_articles: what is indexed.

A refused call (an empty question, `since: "soon"`) is the project's `QAError`: the tool raises
the SDK's `ToolError` with the same message `POST /api/ask` gives, which the client gets as an
`isError` result ("Error executing tool ask: the question is empty: ..."); the SDK logs it at
INFO without a traceback, and the traceback is logged here at DEBUG only. Anything else is a
crash, which the SDK reports as "Error executing tool NAME" and logs with its traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from index.errors import QAError
from index.models import public_source
from qa.answering.scoring import ScoredChunk
from qa.api import Assistant

INSTRUCTIONS = (
    "Answers questions from a collection of indexed news articles. Every answer quotes or cites "
    "the articles it comes from; when the articles do not answer, it says 'Not in the articles'. "
    "Use `ask` for a grounded answer, `search` for the passages themselves, `list_articles` to see "
    "what is indexed."
)


log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def refusals_as_tool_errors(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The project's errors as the SDK's `ToolError`: the client reads why, the log stays quiet."""
    @functools.wraps(tool)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await tool(*args, **kwargs)
        except QAError as exc:
            log.debug("MCP tool %s refused the call: %s", tool.__name__, exc, exc_info=True)
            raise ToolError(str(exc)) from None

    return call


def build_mcp(assistant: Assistant) -> MCPServer:
    server = MCPServer(name="news-qa", instructions=INSTRUCTIONS, version="0.1.0")

    @server.tool()
    @refusals_as_tool_errors
    async def ask(question: str, since: str | None = None, until: str | None = None,
                  as_of: str | None = None) -> dict[str, Any]:
        """Answer a question from the news articles, with numbered citations.

        Args:
            question: The question in plain language.
            since: Only articles published on or after this date (YYYY-MM-DD).
            until: Only articles published on or before this date (YYYY-MM-DD).
            as_of: The date 'this week' or 'recently' are read against (YYYY-MM-DD; default today).
        """
        answer = await anyio.to_thread.run_sync(
            lambda: assistant.ask(question, since=since, until=until, as_of=as_of))
        return answer.to_dict()

    @server.tool()
    @refusals_as_tool_errors
    async def search(query: str, k: int = 5, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """The passages of the articles that best match a query, best first.

        Args:
            query: What to look for.
            k: How many passages (1 to 20).
            since: Only articles published on or after this date (YYYY-MM-DD).
            until: Only articles published on or before this date (YYYY-MM-DD).
        """
        k = max(1, min(int(k), 20))

        def run() -> list[dict[str, Any]]:
            ranking = assistant.rank(query, k=k, since=since, until=until)
            return [_passage(chunk) for chunk in ranking.chunks[:k]]

        return await anyio.to_thread.run_sync(run)

    @server.tool()
    @refusals_as_tool_errors
    async def list_articles(limit: int = 100) -> list[dict[str, Any]]:
        """The indexed articles, newest first: id, title, date, source, URL and chunk count.

        Args:
            limit: Most articles listed (1 to 1000).
        """
        found = await anyio.to_thread.run_sync(assistant.articles)
        return [a.public_dict() for a in found[: max(1, min(int(limit), 1000))]]

    return server


def _passage(chunk: ScoredChunk) -> dict[str, Any]:
    """A ranked chunk as the search tool gives it (the fields of `qa.chain.chunk_document`'s
    metadata it keeps, the source made public)."""
    hit, best = chunk.hit, chunk.best
    return {"text": hit.text, "article_id": hit.article_id, "title": hit.title, "date": hit.date,
            "source": public_source(hit.source or ""), "url": hit.url, "rank": chunk.rank + 1,
            "score": round(chunk.score, 4), "best_sentence": best.text if best else None,
            "page": hit.page_at(best.start) if best else hit.page}
