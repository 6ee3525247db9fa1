"""The one-line widget (`<script src=".../widget.js" data-...>`, ui/static/widget.js) in a real
headless Chromium, on a plain page of another origin served by the test, at 1280 and 375 px: the
launcher opens the chat in a panel, a question over the sample article is answered and shown from
its start, the panel closes; a hostile `* { ... !important }` rule on the page changes nothing
of the launcher or the panel. Also: /widget.js as a script include, and /embed -> /embed/.

Screenshots: test-artifacts/face-launcher-{1280,375}.png (the open panel with its answer).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from index.embedding.embed import Embedder
from qa.config import Settings
from tests.support import ARTIFACTS, SAMPLE_DIR, free_port, running_server
from tests.test_face_layout import assert_first_line_visible, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "What did Macron announce about missiles?"
EXAMPLE = "Who dismissed the idea of sending ground troops?"
ACCENT = "#aa2200"
# What a careless (or hostile) site's stylesheet does to every element, as forcefully as it can.
HOSTILE = """
* { font: italic 900 31px/3 serif !important; letter-spacing: 3px !important; color: lime !important;
    background: #300 !important; margin: 9px !important; padding: 17px !important;
    border: 7px dashed red !important; box-sizing: content-box !important; display: block !important;
    position: static !important; text-transform: uppercase !important; max-width: 60px !important;
    min-height: 90px !important; visibility: visible !important; }
button, iframe, div, p { display: none !important; width: 3px !important; height: 3px !important; }
"""
SIZES = [{"width": 1280, "height": 800}, {"width": 375, "height": 667}]


def host_html(server: str, css: str, lang: str = "en", options: str = "") -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Our newsroom</title><style>{css}</style></head>
<body><h1>Our newsroom</h1><p>Today's stories.</p>
<script src="{server}/widget.js" {options or f'data-title="Ask our newsroom" data-accent="{ACCENT}"'}
        data-examples="{EXAMPLE}|What is the capital of Peru?"></script>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("served") / "data", SAMPLE_DIR) as url:  # only read, never changed
        yield url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, server: str) -> Iterator[str]:
    """Another origin (another port) with the host page, plain and with the hostile rule."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "plain.html").write_text(host_html(server, "body { font-family: sans-serif; }"), encoding="utf-8")
    (folder / "hostile.html").write_text(host_html(server, HOSTILE), encoding="utf-8")
    # No title or language of its own: the page's language (French) names the labels; on the left.
    (folder / "gauche.html").write_text(host_html(server, "", "fr-FR", 'data-position="bottom-left" '
                                                  'data-accent="red;x:url(//evil)"'), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    contexts = []

    def make(viewport: dict[str, int]) -> object:
        contexts.append(browser.new_context(viewport=viewport))
        return contexts[-1].new_page()

    yield make
    for c in contexts:
        c.close()


# What is measured of the widget's parts (in the shadow root: playwright's CSS selectors pierce it).
PARTS = ("news-qa-widget", ".qa-launcher", ".qa-panel", ".qa-bar", ".qa-title", ".qa-close", ".qa-frame")
STYLES = ("fontSize", "fontFamily", "fontWeight", "fontStyle", "lineHeight", "letterSpacing", "color",
          "backgroundColor", "marginTop", "paddingTop", "borderTopWidth", "borderTopStyle", "boxSizing", "display",
          "position", "textTransform")


def measure(page: object) -> dict[str, dict]:
    """Each visible part's box and computed style."""
    return page.evaluate("""([parts, styles]) => {
        const root = document.querySelector('news-qa-widget');
        const out = {};
        for (const sel of parts) {
            const el = sel === 'news-qa-widget' ? root : root.shadowRoot.querySelector(sel);
            if (!el) continue;
            const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
            out[sel] = {box: [r.x, r.y, r.width, r.height].map(v => Math.round(v * 10) / 10),
                        style: Object.fromEntries(styles.map(s => [s, cs[s]]))};
        }
        return out;
    }""", [list(PARTS), list(STYLES)])


def open_panel(page: object) -> object:
    launcher = page.locator(".qa-launcher")
    launcher.wait_for(timeout=30_000)
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.locator(".qa-frame").count() == 0  # nothing loads before the reader asks for it
    launcher.click()
    assert launcher.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator(".qa-frame")
    frame.locator("#qa-question textarea").wait_for(timeout=60_000)
    return frame


@pytest.mark.parametrize("viewport", SIZES, ids=lambda v: str(v["width"]))
def test_the_launcher_opens_asks_shows_the_answer_start_and_closes(context: object, site: str,
                                                                   viewport: dict[str, int]) -> None:
    page = context(viewport)
    page.goto(f"{site}/plain.html", wait_until="domcontentloaded")
    frame = open_panel(page)
    panel = page.locator(".qa-panel").bounding_box()
    width = viewport["width"]
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width and panel["y"] >= 0
    assert panel["y"] + panel["height"] <= viewport["height"]
    if width <= 480:  # a phone: the panel is the screen
        assert panel["width"] == width and panel["height"] == viewport["height"]
        assert not page.locator(".qa-launcher").is_visible()
    # The page's options, in the frame: title, English labels, the examples, the accent colour.
    assert page.locator(".qa-title").inner_text() == "Ask our newsroom"
    empty = frame.locator("#qa-chatbot")
    empty.get_by_text("Ask our newsroom").wait_for(timeout=30_000)
    assert "the answer quotes the articles" in empty.inner_text()
    example = empty.get_by_text(EXAMPLE)
    example.wait_for(timeout=30_000)
    assert frame.locator("#qa-question textarea").get_attribute("placeholder") == "Ask a question about the articles…"
    assert frame.locator("#qa-question .submit-button").evaluate("e => getComputedStyle(e).backgroundColor") \
        == "rgb(170, 34, 0)"

    # Ask: by the example at phone size, by typing on the desktop. Then a second question, so that
    # the answer has to be scrolled to.
    bot = frame.locator("#qa-chatbot")
    if width <= 480:
        example.click()
    else:
        box = frame.locator("#qa-question textarea")
        box.fill(EXAMPLE)
        box.press("Enter")
    bot.get_by_text("Sources", exact=True).first.wait_for(timeout=60_000)
    box = frame.locator("#qa-question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    bot.get_by_text("Sources", exact=True).nth(1).wait_for(timeout=60_000)
    bot.get_by_text("[1] Macron Ukraine Ground Troops").nth(1).wait_for(timeout=30_000)
    page.wait_for_timeout(700)  # the answer is complete; let the last frame settle
    inside = page.locator(".qa-frame").element_handle().content_frame()
    assert_first_line_visible(inside, "long-range missiles")  # in view in the frame, the frame in the panel
    no_horizontal_scroll(inside)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"face-launcher-{width}.png"))

    # Close: by the bar's button; the launcher comes back and keeps the conversation for next time.
    page.locator(".qa-close").click()
    assert not page.locator(".qa-panel").is_visible()
    assert page.locator(".qa-launcher").is_visible()
    assert page.locator(".qa-launcher").get_attribute("aria-expanded") == "false"
    page.locator(".qa-launcher").click()
    assert page.locator(".qa-panel").is_visible()
    assert "long-range missiles" in frame.locator("#qa-chatbot").inner_text()
    page.keyboard.press("Escape")  # the focus is in the frame: Escape there is the frame's
    page.locator(".qa-close").focus()
    page.keyboard.press("Escape")
    assert not page.locator(".qa-panel").is_visible()


@pytest.mark.parametrize("viewport", SIZES, ids=lambda v: str(v["width"]))
def test_the_host_pages_css_does_not_change_the_widget(context: object, site: str, viewport: dict[str, int]) -> None:
    measured = {}
    for name in ("plain", "hostile"):
        page = context(viewport)
        page.goto(f"{site}/{name}.html", wait_until="domcontentloaded")
        page.locator(".qa-launcher").wait_for(timeout=30_000)
        closed = measure(page)
        open_panel(page)
        measured[name] = (closed, measure(page))
        if name == "hostile":  # the rule is in force on the page itself
            assert page.locator("h1").evaluate("e => getComputedStyle(e).fontSize") == "31px"
    for state in (0, 1):  # closed, then open
        plain, hostile = measured["plain"][state], measured["hostile"][state]
        # Where the (empty) host element sits in the page's flow is the page's business.
        plain["news-qa-widget"].pop("box"), hostile["news-qa-widget"].pop("box")
        for part in plain.keys() | hostile.keys():
            assert hostile.get(part) == plain.get(part), part
    closed, opened = measured["plain"]
    assert closed[".qa-launcher"]["box"][2:] == [56, 56]
    assert closed[".qa-launcher"]["style"]["backgroundColor"] == "rgb(170, 34, 0)"
    assert opened[".qa-frame"]["box"][3] > 300  # the chat has its room


def test_position_language_and_a_bad_colour(context: object, site: str) -> None:
    page = context(SIZES[0])
    page.goto(f"{site}/gauche.html", wait_until="domcontentloaded")
    launcher = page.locator(".qa-launcher")
    launcher.wait_for(timeout=30_000)
    assert launcher.bounding_box()["x"] == 20 and launcher.get_attribute("aria-label") == "Interroger les articles"
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(37, 99, 235)"  # the default
    frame = open_panel(page)
    assert page.locator(".qa-panel").bounding_box()["x"] == 20
    assert page.locator(".qa-title").inner_text() == "Interrogez les articles"
    assert page.locator(".qa-close").get_attribute("aria-label") == "Fermer"
    frame.locator("#qa-chatbot").get_by_text("Posez une question").wait_for(timeout=30_000)
    assert frame.locator("#qa-question textarea").get_attribute("placeholder") == "Une question sur les articles…"
    src = page.locator(".qa-frame").get_attribute("src")
    assert "lang=fr" in src and "accent" not in src  # a colour that is not a hex colour is never passed on


def test_the_widget_script_and_the_embed_address(server: str) -> None:
    script = httpx.get(f"{server}/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "attachShadow" in script.text
    moved = httpx.get(f"{server}/embed?lang=fr&title=Nouvelles", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "embed/?lang=fr&title=Nouvelles"
    assert httpx.get(f"{server}/embed", follow_redirects=True).url.path == "/embed/"
    widget = httpx.get(f"{server}/embed/?title=x")
    assert widget.status_code == 200 and widget.headers["content-security-policy"] == "frame-ancestors *"
    assert moved.headers["content-security-policy"] == "frame-ancestors *"


def test_embed_origins_limit_who_frames_the_widget(settings: Settings, embedder: Embedder) -> None:
    from starlette.testclient import TestClient

    from qa.api import Assistant
    from ui.app import create_app

    server = settings.server.model_copy(update={"embed_origins": ["https://news.example.com"]})
    client = TestClient(create_app(Assistant(settings.model_copy(update={"server": server}), embedder=embedder)))
    for path in ("/embed/", "/embed"):
        policy = client.get(path, follow_redirects=False).headers["content-security-policy"]
        assert policy == "frame-ancestors 'self' https://news.example.com"
    script = client.get("/widget.js")  # the script loads on any page; framing is the CSP's to allow
    assert script.status_code == 200 and "frame-ancestors" in script.headers["content-security-policy"]
