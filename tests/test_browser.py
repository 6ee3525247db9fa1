"""What a person does, in a real headless Chromium: chat at /, chat in the widget embedded by a
page on another origin, see that article HTML is shown and never run; and what an
administrator does in the Articles tab, with and without the password.

Screenshots are saved under test-artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import ARTIFACTS, ROOT, SAMPLE_FILE, free_port, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
MISSILES = "What did Macron announce about missiles?"

HOSTILE_ARTICLE = """Title: Council minutes <script>window.__pwned = 1</script>
date 2024-03-05

The town council of Eastbrook approved the new library budget on Tuesday.

A resident pasted <script>window.__pwned = 2</script> and <img src=x onerror="window.__pwned = 3"> into the public comment form, the clerk said.
"""


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("articles")
    shutil.copy(SAMPLE_FILE, folder / SAMPLE_FILE.name)
    (folder / "2024-03-05-council-minutes.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, articles: Path) -> Iterator[str]:
    data = tmp_path_factory.mktemp("served") / "data"
    with running_server(data, articles, env={"QA_ADMIN_PASSWORD": PASSWORD}) as url:
        yield url


def open_chat(page: object, url: str) -> object:
    """Open a chat page; Gradio never reaches networkidle, so wait for the question box."""
    page.goto(url, wait_until="domcontentloaded")
    box = page.locator("#qa-question textarea")
    box.wait_for(timeout=60_000)
    return box


def ask(box: object, question: str) -> None:
    box.fill(question)
    box.press("Enter")


def screenshot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_chat_answers_with_citation_and_source_card(page: object, server: str) -> None:
    box = open_chat(page, server + "/")
    ask(box, MISSILES)
    bot = page.locator("#qa-chatbot")
    bot.get_by_text("medium- and long-range missiles").first.wait_for(timeout=60_000)
    bot.locator("mark").first.wait_for(timeout=30_000)  # the quote highlighted in its passage
    text = bot.inner_text()
    assert "[1]" in text
    assert "Sources" in text and "Macron Ukraine Ground Troops" in text and "2024-02-27" in text
    assert "medium- and long-range missiles" in bot.locator("mark").first.inner_text()
    screenshot(page, "chat.png")


def test_follow_up_and_abstention_in_the_browser(page: object, server: str) -> None:
    box = open_chat(page, server + "/")
    bot = page.locator("#qa-chatbot")
    ask(box, "What did Macron say about ground troops?")
    bot.get_by_text("Sources").first.wait_for(timeout=60_000)
    ask(box, "Was there a consensus on it?")  # a follow-up: it needs the history
    # The first answer may quote the same sentence: wait for the second answer's own sources.
    bot.get_by_text("Sources", exact=True).nth(1).wait_for(timeout=60_000)
    assert bot.inner_text().count("currently no consensus") >= 2
    ask(box, "What is the capital of Peru?")
    bot.get_by_text("Not in the articles").first.wait_for(timeout=60_000)
    assert "Closest sources" in bot.inner_text()
    screenshot(page, "chat-abstention.png")


def test_uncertain_answers_are_marked_in_the_chat(page: object, server: str) -> None:
    box = open_chat(page, server + "/")
    bot = page.locator("#qa-chatbot")
    # On the subject (the missiles), but the article gives no delivery date: the closest quote,
    # marked as such, neither an answer nor "not in the articles".
    ask(box, "When will the missiles be delivered?")
    bot.get_by_text("The closest the articles come").first.wait_for(timeout=60_000)
    text = bot.inner_text()
    assert "Uncertain:" in text and "may not answer the question" in text and "Not in the articles" not in text
    screenshot(page, "chat-uncertain.png")


def test_start_screen_offers_examples_from_the_articles(page: object, server: str) -> None:
    open_chat(page, server + "/")
    status = page.locator("#qa-status")
    status.get_by_text("2 indexed articles").wait_for(timeout=30_000)
    assert page.get_by_text("Macron Ukraine Ground Troops").first.is_visible()


def test_article_html_is_shown_as_text_never_run(page: object, server: str) -> None:
    box = open_chat(page, server + "/")
    ask(box, "What did a resident paste into the public comment form?")
    bot = page.locator("#qa-chatbot")
    bot.get_by_text("the clerk said").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # time for anything injected to run, if it could
    text = bot.inner_text()
    assert "<script>window.__pwned = 2</script>" in text  # shown literally
    assert "<script>window.__pwned = 1</script>" in text  # the hostile title too
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert bot.locator("script").count() == 0 and bot.locator("img[src='x']").count() == 0
    screenshot(page, "chat-escaped-html.png")


@pytest.fixture
def host_page(tmp_path: Path, server: str) -> Iterator[str]:
    """The example host page, served from another origin (another port), pointing at the server."""
    html = (ROOT / "ui" / "static" / "embed-example.html").read_text(encoding="utf-8")
    assert "http://127.0.0.1:7860/embed/" in html
    (tmp_path / "index.html").write_text(html.replace("http://127.0.0.1:7860", server), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_widget_embedded_on_another_origin(page: object, server: str, host_page: str) -> None:
    page.goto(host_page, wait_until="domcontentloaded")
    frame = page.frame_locator("#qa-widget")
    box = frame.locator("#qa-question textarea")
    box.wait_for(timeout=60_000)
    ask(box, MISSILES)
    frame.get_by_text("medium- and long-range missiles").first.wait_for(timeout=60_000)
    widget = frame.locator("body").inner_text()
    assert "[1]" in widget and "2024-02-27" in widget
    assert "Articles" not in widget and "Admin" not in widget  # chat only, no administration
    page.wait_for_timeout(500)
    screenshot(page, "embedded-widget.png")


def test_widget_may_be_framed_but_the_main_page_only_by_itself(server: str) -> None:
    widget = httpx.get(f"{server}/embed/")
    assert widget.headers["content-security-policy"] == "frame-ancestors *"
    main = httpx.get(f"{server}/")
    assert main.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert main.headers["x-frame-options"] == "SAMEORIGIN"
    assert PASSWORD not in widget.text and PASSWORD not in main.text


def test_articles_tab_lists_the_index(page: object, server: str) -> None:
    open_chat(page, server + "/")
    page.get_by_role("tab", name="Articles").click()
    table = page.locator("#qa-articles")
    table.get_by_text("Macron Ukraine Ground Troops").wait_for(timeout=30_000)
    assert "2024-03-05" in table.inner_text()
    screenshot(page, "articles-tab.png")


def test_admin_upload_and_delete_need_the_password(server: str, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    upload = tmp_path / "harbour.md"
    upload.write_text("---\ntitle: Harbour reopens\ndate: 2024-03-01\n---\nThe harbour of Lowtown "
                      "reopened on Friday after a storm closed it for a week.", encoding="utf-8")
    client = Client(server, verbose=False)
    with pytest.raises(Exception, match="admin password"):
        client.predict("wrong", [handle_file(str(upload))], api_name="/upload")
    with pytest.raises(Exception, match="admin password"):
        client.predict("", [handle_file(str(upload))], api_name="/upload")
    assert len(httpx.get(f"{server}/api/articles").json()) == 2

    status, _, _ = client.predict(PASSWORD, [handle_file(str(upload))], api_name="/upload")
    assert "indexed" in status
    listed = {a["title"]: a["id"] for a in httpx.get(f"{server}/api/articles").json()}
    assert "Harbour reopens" in listed
    answer = httpx.post(f"{server}/api/ask", json={"question": "When did the harbour of Lowtown reopen?"}).json()
    assert "Friday" in answer["answer"]

    with pytest.raises(Exception, match="admin password"):
        client.predict("wrong", listed["Harbour reopens"], api_name="/delete")
    assert "Harbour reopens" in {a["title"] for a in httpx.get(f"{server}/api/articles").json()}
    status, _, _ = client.predict(PASSWORD, listed["Harbour reopens"], api_name="/delete")
    assert "Deleted" in status
    assert "Harbour reopens" not in {a["title"] for a in httpx.get(f"{server}/api/articles").json()}


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("empty") / "data") as url:
        yield url


def test_empty_index_explains_how_to_add_articles(page: object, empty_server: str) -> None:
    open_chat(page, empty_server + "/")
    page.locator("#qa-status").get_by_text("No articles are indexed yet").wait_for(timeout=30_000)
    assert "qa ingest" in page.locator("#qa-status").inner_text()
    page.get_by_role("tab", name="Articles").click()
    page.get_by_text("Administration is disabled").wait_for(timeout=30_000)
    from gradio_client import Client

    endpoints = Client(empty_server, verbose=False).view_api(return_format="dict", print_info=False)
    assert "/upload" not in endpoints["named_endpoints"]  # no password configured: no admin at all
    screenshot(page, "empty-index.png")


# -- answer.mode: llm, against a scripted OpenAI-compatible server ------------------------
INVENTED = "The coalition will also send 300 fighter jets by June"


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory, articles: Path) -> Iterator[str]:
    from bench.scripted_llm import Reply, ScriptedLLM, last_user_message

    def answer(request: dict) -> Reply:
        prompt = last_user_message(request)
        n = next(int(line[1]) for line in prompt.splitlines() if line.startswith("[") and "Macron" in line)
        text = (f"Macron announced a new coalition to provide medium- and long-range missiles to Ukraine [{n}]. "
                f"{INVENTED} [{n}].")
        return Reply(text, token_delay_s=0.15)  # slow enough to watch the draft stream

    data = tmp_path_factory.mktemp("served-llm") / "data"
    with ScriptedLLM(answer) as llm, running_server(data, articles, env={
            "QA_ANSWER__MODE": "llm", "QA_LLM__BASE_URL": llm.base_url, "QA_LLM__MODEL": "scripted"}) as url:
        yield url


def test_a_generated_answer_streams_then_the_checked_answer_replaces_it(page: object, llm_server: str) -> None:
    box = open_chat(page, llm_server + "/")
    bot = page.locator("#qa-chatbot")
    ask(box, "What kind of missiles will Ukraine get?")
    # The draft, as it streams: the model's words so far, marked as not yet checked.
    page.wait_for_function("""() => {
        const text = document.querySelector('#qa-chatbot').innerText;
        return text.includes('long-range missiles') && text.includes('Checking each sentence against its sources');
    }""", timeout=60_000)
    screenshot(page, "chat-llm-draft.png")
    bot.get_by_text("Written by a language model").first.wait_for(timeout=60_000)
    text = bot.inner_text()
    assert "Checking each sentence" not in text  # the draft was replaced
    assert "medium- and long-range missiles to Ukraine [1]" in text and "Macron Ukraine Ground Troops" in text
    assert "Removed: 1 generated sentence the sources do not support" in text
    assert INVENTED not in text  # folded away under "Removed", not in the answer
    bot.locator("summary").first.click()
    assert INVENTED in bot.inner_text() and "300 is not in the cited source" in bot.inner_text()
    screenshot(page, "chat-llm-checked.png")
