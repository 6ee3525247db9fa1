"""The chat and the widget say "Sources differ", in a real headless Chromium: `qa serve` over the
evolving-toll articles (tests/data/conflicts, only read), a question whose sources give 19 and
20 dead. Screenshot: test-artifacts/conflicts-chat.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ARTIFACTS, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTICLES = Path(__file__).resolve().parent / "data" / "conflicts" / "articles"
TOLL = "How many people died in the Dunmore warehouse fire?"
LINE = re.compile(r"Sources differ: 20 \[(\d)\] \(Nov 7\), 19 \[(\d)\] \(Nov 6\)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("served") / "data", ARTICLES) as url:
        yield url


def answer_of(page: object, url: str) -> object:
    """Ask TOLL at `url` and return the answer's message once its sources are shown."""
    page.goto(url, wait_until="domcontentloaded")
    box = page.locator("#qa-question textarea")
    box.wait_for(timeout=60_000)
    box.fill(TOLL)
    box.press("Enter")
    message = page.locator("#qa-chatbot .message-row.bot-row").last
    message.get_by_text(re.compile("^Sources$")).first.wait_for(timeout=60_000)
    return message


@pytest.mark.parametrize("path", ["/", "/embed/"])
def test_the_chat_shows_sources_differ_above_the_sources(page: object, server: str, path: str) -> None:
    message = answer_of(page, server + path)
    line = message.get_by_text(LINE).first
    line.wait_for(timeout=10_000)
    assert line.is_visible()
    newer, older = LINE.search(line.inner_text()).groups()
    # Above the sources, and both values' sources are listed under it.
    heading = message.get_by_text(re.compile("^Sources$")).first
    assert line.bounding_box()["y"] < heading.bounding_box()["y"]
    text = message.inner_text()
    assert f"[{newer}] Dunmore fire toll rises" in text and f"[{older}] Nineteen dead" in text
    if path == "/":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "conflicts-chat.png"), full_page=True)
