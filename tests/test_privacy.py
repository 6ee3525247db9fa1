"""No public answer or listing shows the server's absolute file paths: not the JSON API, the
chat and widget's source cards, the Articles tab or the MCP tools. New ingests store a
relative source; an index built before that is cut to file names at the boundary."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embedding.embed import Embedder
from index.models import Article, public_source
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import SAMPLE_DIR
from ui.articles import article_rows
from ui.app import create_app
from ui.render import render_answer

OLD_STYLE = Article(id="old", title="Ferry timetable approved", date="2024-03-01",
                    source="/srv/newsroom/private/2024/ferry.txt", path="/srv/newsroom/private/2024/ferry.txt",
                    text="The harbour council approved the new ferry timetable on Tuesday after a long debate.")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("privacy") / "data"
    settings.server.mcp = True
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest([SAMPLE_DIR])
    assistant.ingest_articles([OLD_STYLE])  # as an index from before relative sources holds it
    return assistant


@pytest.mark.parametrize("source, shown", [
    ("/srv/news/a.txt", "a.txt"), ("C:\\Users\\ed\\news\\b.txt", "b.txt"), ("\\\\share\\news\\c.txt", "c.txt"),
    ("world/d.txt", "world/d.txt"), ("https://example.org/e", "https://example.org/e"), ("e.txt", "e.txt"),
])
def test_public_source_cuts_absolute_paths_only(source: str, shown: str) -> None:
    assert public_source(source) == shown


def test_new_ingests_store_relative_sources(assistant: Assistant) -> None:
    sample = next(a for a in assistant.articles() if a.id != "old")
    assert sample.source == "2024-02-27-macron-ukraine-ground-troops.txt"
    assert sample.path == str((SAMPLE_DIR / sample.source).resolve())  # kept for administrators


def test_the_json_api_and_the_mcp_tools_show_no_server_path(assistant: Assistant) -> None:
    with TestClient(create_app(assistant)) as client:
        answer = client.post("/api/ask", json={"question": "When was the ferry timetable approved?"}).json()
        articles = client.get("/api/articles").json()
        streamed = client.post("/api/ask/stream", json={"question": "When was the ferry timetable approved?"}).text
    assert answer["citations"][0]["source"] == "ferry.txt"
    assert {a["source"] for a in articles} == {"ferry.txt", "2024-02-27-macron-ukraine-ground-troops.txt"}
    tools = asyncio.run(_mcp_calls(assistant))
    assert tools[1][0]["source"] in ("ferry.txt", "2024-02-27-macron-ukraine-ground-troops.txt")
    for body in (json.dumps(answer), json.dumps(articles), streamed, json.dumps(tools)):
        assert "/srv/" not in body and str(SAMPLE_DIR.resolve()) not in body and '"path"' not in body


async def _mcp_calls(assistant: Assistant) -> list:
    from mcp import Client

    from ui.mcp import build_mcp

    results = []
    async with Client(build_mcp(assistant)) as client:  # in process: the same tools as at /mcp
        for name, arguments in (("ask", {"question": "When was the ferry timetable approved?"}),
                                ("search", {"query": "ferry timetable", "k": 3}), ("list_articles", {})):
            result = await client.call_tool(name, arguments)
            content = result.structured_content
            results.append(content.get("result", content) if isinstance(content, dict) else content)
    return results


def test_source_cards_and_the_articles_tab_show_no_server_path(assistant: Assistant) -> None:
    card = render_answer(assistant.ask("When was the ferry timetable approved?"))
    assert "Source: ferry.txt" in card and "/srv/" not in card
    rows = article_rows(assistant)
    assert "/srv/" not in json.dumps(rows) and str(SAMPLE_DIR.resolve()) not in json.dumps(rows)
