"""The MCP server (server.mcp: true): a real MCP client talks to a real `qa serve` on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from mcp import Client

from tests.support import SAMPLE_DIR, running_server

pytestmark = pytest.mark.slow


def _payload(result) -> object:  # noqa: ANN001
    """A tool result's JSON: its structured content, else its text block."""
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) and set(content) == {"result"} else content
    return json.loads(result.content[0].text)


def test_an_mcp_client_lists_the_tools_and_asks(tmp_path: Path) -> None:
    async def session(url: str) -> tuple[list[str], object, object, object]:
        async with Client(f"{url}/mcp") as client:
            tools = await client.list_tools()
            answer = await client.call_tool("ask", {"question": "What did Macron announce about missiles?"})
            passages = await client.call_tool("search", {"query": "ground troops", "k": 2})
            articles = await client.call_tool("list_articles", {})
            return sorted(t.name for t in tools.tools), answer, passages, articles

    with running_server(tmp_path / "data", SAMPLE_DIR, env={"QA_SERVER__MCP": "true"}) as url:
        names, answer, passages, articles = asyncio.run(session(url))
    assert names == ["ask", "list_articles", "search"]
    assert not answer.is_error
    body = _payload(answer)
    assert body["outcome"] == "answered" and "medium- and long-range missiles" in body["answer"]
    assert body["citations"][0]["date"] == "2024-02-27"
    found = _payload(passages)
    assert len(found) == 2 and "ground troops" in found[0]["text"] and found[0]["rank"] == 1
    (article,) = _payload(articles)
    assert article["title"] == "Macron Ukraine Ground Troops"


def test_mcp_is_off_by_default(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as url:
        response = httpx.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code in (404, 405)
