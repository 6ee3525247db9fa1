"""How the faces lay out, in a real headless Chromium at desktop (1280 px) and phone (375 px)
widths: the chat at /, the widget at /embed/ (also in the README's 26rem x 36rem iframe and on a
320 px phone) and the Articles tab. Facts asserted, not pixels compared: no horizontal scroll, a
new answer's first line in view once it has arrived, nothing floating over the messages' text,
source passages cut between words, evidence highlighted only under an answer, one title above
the tabs, table headers on one line and ids not clipped, empty tables that say so.

Screenshots: test-artifacts/face-{chat,widget,articles}-{1280,375}.png (and face-widget-416.png,
face-widget-320.png), committed and shown in the README.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support import ARTIFACTS, SAMPLE_DIR, SAMPLE_FILE, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MISSILES = "What did Macron announce about missiles?"
TROOPS = "Who dismissed the idea of sending ground troops?"
PERU = "What is the capital of Peru?"
WIDTHS = [1280, 375]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("served") / "data", SAMPLE_DIR) as url:  # only read, never changed
        yield url


@pytest.fixture
def open_page(browser: object) -> Iterator[object]:
    """open_page(url, width, height): a fresh page, loaded, once the question box is there.
    It records the fonts the page asks for."""
    contexts = []

    def make(url: str, width: int, height: int = 800) -> object:
        contexts.append(browser.new_context(viewport={"width": width, "height": height}))
        page = contexts[-1].new_page()
        page.fonts = []
        page.on("request", lambda r: page.fonts.append(r.url) if r.url.endswith(".woff2") else None)
        page.goto(url, wait_until="domcontentloaded")
        page.locator("#qa-question textarea").wait_for(timeout=60_000)
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page: object, name: str, *, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def ask(page: object, question: str) -> None:
    """Ask and wait until the answer is complete (its source heading is the last thing streamed)."""
    bot = page.locator("#qa-chatbot")
    answers = bot.locator(".message-row.bot-row").count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    bot.locator(".message-row.bot-row").nth(answers).get_by_text(re.compile("^(Closest )?[Ss]ources")) \
        .first.wait_for(timeout=60_000)
    page.wait_for_timeout(700)  # the last update rendered, the scroll settled


def no_horizontal_scroll(page: object) -> None:
    """`page`: a page or a frame (they both evaluate)."""
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def first_line(page: object) -> dict:
    """The newest answer's first line, against the window and the box it scrolls in."""
    return page.evaluate("""() => {
        const rows = document.querySelectorAll('#qa-chatbot .message-row.bot-row');
        const first = rows[rows.length - 1].querySelector('.message-content p');
        const top = first.getBoundingClientRect().top, height = parseFloat(getComputedStyle(first).lineHeight);
        const box = document.querySelector('#qa-chatbot .bubble-wrap').getBoundingClientRect();
        return {top, bottom: top + height, boxTop: box.top, boxBottom: box.bottom, window: innerHeight,
                answerHeight: rows[rows.length - 1].getBoundingClientRect().height, text: first.innerText};
    }""")


def assert_first_line_visible(page: object, expected: str) -> None:
    """The newest answer's first line is in view; when the answer is taller than the view, near
    its top (the rest follows below it, not above)."""
    line = first_line(page)
    assert expected in line["text"], line
    assert 0 <= line["top"] and line["bottom"] <= line["window"], f"the answer's first line is out of view: {line}"
    assert line["boxTop"] - 1 <= line["top"] and line["bottom"] <= line["boxBottom"] + 1, line
    view_top, view_bottom = max(line["boxTop"], 0), min(line["boxBottom"], line["window"])
    if line["answerHeight"] > view_bottom - view_top:
        assert line["top"] - view_top <= 0.4 * (view_bottom - view_top), f"a long answer starts low in view: {line}"


def overlaps(page: object) -> list[str]:
    """Anything that floats in the chat (its label badge, its corner buttons) and covers the
    visible part of a message's text."""
    return page.evaluate("""() => {
        const chat = document.querySelector('#qa-chatbot');
        const clip = chat.querySelector('.bubble-wrap').getBoundingClientRect();
        const floating = [...chat.querySelectorAll('label, .block-label, .top-panel, .icon-button-wrapper.top-panel')]
            .filter(e => e.offsetParent !== null).map(e => [e, e.getBoundingClientRect()]);
        const texts = [...chat.querySelectorAll('.message-content, .placeholder-content')];
        const found = [];
        for (const t of texts) {
            const r = t.getBoundingClientRect();
            const v = {left: Math.max(r.left, clip.left), right: Math.min(r.right, clip.right),
                       top: Math.max(r.top, clip.top), bottom: Math.min(r.bottom, clip.bottom)};
            if (v.right <= v.left || v.bottom <= v.top) continue;
            for (const [e, f] of floating)
                if (f.left < v.right && v.left < f.right && f.top < v.bottom && v.top < f.bottom)
                    found.push(`${e.className} over "${t.innerText.slice(0, 40)}"`);
        }
        return found;
    }""")


def article_text() -> str:
    return " ".join(SAMPLE_FILE.read_text(encoding="utf-8").split())


def assert_passages_cut_between_words(passages: list[str]) -> None:
    """Each passage is a piece of the article that starts and ends between words ("…" marks a cut
    inside a sentence, never inside a word)."""
    article = article_text()
    assert passages
    for shown in passages:
        text = " ".join(shown.split())
        inner = text.removeprefix("…").removesuffix("…")
        assert inner, passages
        assert not text.endswith(".…"), text
        at = article.find(inner)
        assert at >= 0, f"not a piece of the article: {inner[:80]}"
        end = at + len(inner)
        assert at == 0 or article[at - 1] == " ", f"starts inside a word: …{article[max(0, at - 15):at + 25]}"
        assert end == len(article) or article[end] == " ", f"ends inside a word: {article[end - 25:end + 15]}…"


def passages(page: object) -> list[str]:
    return page.locator("#qa-chatbot blockquote").all_text_contents()  # closed cards' too


# -- the chat at / -----------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_chat_layout(open_page: object, server: str, width: int) -> None:
    page = open_page(server + "/", width)
    # The header: one title, the intro under it, both above the tabs.
    titles = page.locator("h1")
    assert titles.count() == 1 and titles.inner_text() == "Ask the articles"
    order = page.evaluate("""() => ['#qa-title', '#qa-status', '[role=tablist]']
        .map(s => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order) and order[0] < order[1] < order[2]
    no_horizontal_scroll(page)

    for question, expected in ((MISSILES, "long-range missiles"), (TROOPS, "Mark Rutte")):
        ask(page, question)
        assert_first_line_visible(page, expected)
        assert overlaps(page) == []
        no_horizontal_scroll(page)
    shot(page, f"face-chat-{width}.png")
    # Evidence highlighted under the answers; the closest passages of "not in the articles" not.
    answers = page.locator("#qa-chatbot .message-row.bot-row")
    assert answers.nth(0).locator("mark").count() >= 1
    ask(page, PERU)
    assert "Not in the articles" in answers.nth(2).inner_text()
    assert answers.nth(2).locator("blockquote").count() >= 1 and answers.nth(2).locator("mark").count() == 0
    assert_first_line_visible(page, "Not in the articles")
    assert_passages_cut_between_words(passages(page))
    # Bold text in one face: Gradio's SemiBold file (two letters) is never asked for (ui/static/face.css).
    assert page.locator("h1").evaluate("e => getComputedStyle(e).fontWeight") == "700"
    assert not [f for f in page.fonts if "SemiBold" in f] and [f for f in page.fonts if "SourceSansPro-Bold" in f]


# -- the widget at /embed/ ---------------------------------------------------------------------
WIDGET_SIZES = [(1280, 800), (375, 667), (416, 576), (320, 568)]  # desktop, phone, README iframe, small phone


@pytest.mark.parametrize(("width", "height"), WIDGET_SIZES, ids=[f"{w}x{h}" for w, h in WIDGET_SIZES])
def test_widget_layout(open_page: object, server: str, width: int, height: int) -> None:
    page = open_page(server + "/embed/", width, height)
    chat = page.locator("#qa-chatbot")
    # The empty state: title, a one-line hint, the examples (the newest article's by default).
    chat.get_by_text("Ask the articles").wait_for(timeout=30_000)
    assert "the answer quotes the articles" in chat.inner_text()
    example = chat.get_by_text("What is “Macron Ukraine Ground Troops” about?")
    assert example.is_visible()
    # It fills its frame: the chat down to the question box, and nothing under the box.
    box = page.locator("#qa-question").bounding_box()
    chat_box = chat.bounding_box()
    assert height - (box["y"] + box["height"]) <= 12, f"blank space under the question box: {box}"
    assert box["y"] - (chat_box["y"] + chat_box["height"]) <= 20
    no_horizontal_scroll(page)
    assert overlaps(page) == []

    for question, expected in ((MISSILES, "long-range missiles"), (TROOPS, "Mark Rutte")):
        ask(page, question)
        assert_first_line_visible(page, expected)
        assert overlaps(page) == []
        no_horizontal_scroll(page)
        assert page.evaluate("document.documentElement.scrollHeight") <= height  # only the messages scroll
    shot(page, f"face-widget-{width}.png")
    # Source cards: one line each until clicked.
    cards = chat.locator("details")
    assert cards.count() >= 2
    for i in range(cards.count()):
        summary = cards.nth(i).locator("summary")
        line = summary.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert summary.bounding_box()["height"] <= 1.5 * line and not cards.nth(i).get_attribute("open")
        assert not cards.nth(i).locator("blockquote").is_visible()
    last = cards.nth(cards.count() - 1)
    last.locator("summary").click()
    assert last.get_attribute("open") is not None and last.locator("blockquote").is_visible()
    assert last.locator("mark").count() == 1
    assert_passages_cut_between_words(passages(page))
    no_horizontal_scroll(page)


def test_widget_options_are_text_never_html(open_page: object, server: str) -> None:
    hostile = "<img src=x onerror=window.__pwned=1>"
    page = open_page(f"{server}/embed/?lang=de&title={hostile}%20*bold*&example={hostile}&example=Zweite%20Frage"
                     "&accent=red;background:url(x)", 416, 576)
    chat = page.locator("#qa-chatbot")
    chat.get_by_text("Stellen Sie eine Frage").wait_for(timeout=30_000)  # the German labels
    text = chat.inner_text()
    assert f"{hostile} *bold*" in text and hostile in text.replace(f"{hostile} *bold*", "") and "Zweite Frage" in text
    assert page.locator("#qa-question textarea").get_attribute("placeholder") == "Eine Frage zu den Artikeln…"
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined" and chat.locator("img[src=x]").count() == 0
    assert page.evaluate("document.documentElement.style.getPropertyValue('--qa-accent')") == ""  # not a hex colour


# -- the Articles tab ----------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_articles_tab_layout(open_page: object, server: str, width: int) -> None:
    page = open_page(server + "/", width)
    page.get_by_role("tab", name="Articles").click()
    table = page.locator("#qa-articles")
    table.get_by_text("Macron Ukraine Ground Troops").filter(visible=True).first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    no_horizontal_scroll(page)
    # Headers on one line ("Chunks" once wrapped letter by letter), cells not clipped (the id).
    headers = table.locator("thead th span.header").evaluate_all(
        "els => els.map(e => [e.innerText, e.getBoundingClientRect().height, "
        "parseFloat(getComputedStyle(e).lineHeight)])")
    assert [h[0] for h in headers] == ["Title", "Date", "Source", "Chunks", "Id"]
    assert all(height <= 1.5 * line for _, height, line in headers), headers
    cells = table.locator("[data-testid^=cell-0-]")
    assert cells.count() == 5
    clipped = cells.evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth + 1 "
                                 "|| e.scrollHeight > e.clientHeight + 1).map(e => e.innerText)")
    assert clipped == []
    shown_id = cells.nth(4).inner_text().replace("\n", "")
    assert re.fullmatch(r"2024-02-27-macron-ukraine-ground-troops-[0-9a-f]+", shown_id)  # whole, not clipped
    # Empty tables say so: no web sources yet; the articles' own "none yet" stays hidden.
    assert page.locator("#qa-sources-empty").is_visible()
    assert "None yet" in page.locator("#qa-sources-empty").inner_text()
    assert not page.locator("#qa-articles-empty").is_visible()
    shot(page, f"face-articles-{width}.png", full=True)
