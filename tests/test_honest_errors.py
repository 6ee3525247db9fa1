"""What a new user meets first, said plainly: /docs and /redoc offline, a taken port, MCP tool
errors with their reason, the startup line, request errors (no Content-Type, an empty question),
`qa --help` and `qa articles`.

The served tests share one real `qa serve` (MCP on) on loopback, under the tests' network guard;
the docs are loaded in the real headless Chromium of tests/test_browser.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from index.models import ArticleInfo
from tests.support import QA_SCRIPT, ROOT, SAMPLE_DIR, free_port, running_server

EMPTY = "the question is empty: type a question about the articles"
NOT_A_DATE = "since 'soon' is not a date; use YYYY-MM-DD"
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real `qa serve` with MCP on and the sample article; yields (URL, its log file)."""
    data = tmp_path_factory.mktemp("honest") / "data"
    with running_server(data, SAMPLE_DIR, env={"QA_SERVER__MCP": "true"}) as url:
        yield url, data.parent / f"serve-{urlsplit(url).port}.log"


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status
    assert "Traceback" not in response.text
    return body["error"]


# -- 1. /docs and /redoc without the internet ----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_render_offline_from_the_server_itself(served: tuple[str, Path], browser: object,
                                                              path: str) -> None:
    url, _ = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[tuple[str, str]] = []  # (URL, resource type)
    failed: dict[str, str | None] = {}  # URL -> why
    page.on("request", lambda request: requested.append((request.url, request.resource_type)))
    page.on("requestfailed", lambda request: failed.__setitem__(request.url, request.failure))
    try:
        page.goto(url + path, wait_until="load")
        if path == "/docs":
            # Swagger UI: each operation's path (written with zero-width spaces after the slashes).
            operation = page.locator('.opblock-summary-path[data-path="/api/ask"]')
            operation.wait_for(timeout=30_000)
            assert operation.inner_text().replace("\u200b", "") == "/api/ask"
            assert page.locator(".opblock-summary-path").count() >= 4
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("News QA")
        else:
            # ReDoc: the operation's panel shows its method and path.
            page.get_by_text("/api/ask", exact=True).first.wait_for(timeout=30_000)
            assert "Answer a question from the articles" in page.inner_text("body")
        page.wait_for_load_state("networkidle", timeout=30_000)
    finally:
        context.close()
    origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    local = lambda u: u.startswith(origin + "/") or urlsplit(u).scheme in ("data", "blob")  # noqa: E731
    # Every script and stylesheet comes from the server itself, under /docs-assets/ (ReDoc's search
    # worker is a blob: the page makes from the script it was served).
    assets = [u for u, kind in requested if kind in ("script", "stylesheet") and not u.startswith(f"blob:{origin}/")]
    assert assets and all(u.startswith(origin + "/docs-assets/") for u in assets), assets
    # Nothing else went elsewhere either: ReDoc's logo (an <img> from its maker's CDN in every
    # ReDoc page) is refused by the page's Content-Security-Policy inside the browser, unsent.
    elsewhere = [(u, kind, failed.get(u)) for u, kind in requested if not local(u)]
    assert all(kind == "image" and why == "csp" for _, kind, why in elsewhere), elsewhere
    assert not [u for u in failed if local(u)], failed
    assert (origin + "/openapi.json", "fetch") in requested or (origin + "/openapi.json", "xhr") in requested


def test_openapi_json_and_the_docs_pages_name_no_cdn(served: tuple[str, Path]) -> None:
    url, _ = served
    assert "/api/ask" in httpx.get(f"{url}/openapi.json").json()["paths"]
    for path in ("/docs", "/redoc"):
        page = httpx.get(url + path)
        assert page.status_code == 200 and "/openapi.json" in page.text
        assert not re.search(r"""(?:src|href)=["']https?://""", page.text), page.text
    assert httpx.get(f"{url}/docs-assets/swagger-ui-bundle.js").status_code == 200


# -- 4. the startup line -----------------------------------------------------------------------------
def test_the_startup_line_names_every_face_and_mcp(served: tuple[str, Path]) -> None:
    url, log = served
    expected = f"Chat on {url}/ · widget /embed/ · API /api (docs /docs) · MCP /mcp"
    assert expected in log.read_text(encoding="utf-8").splitlines()


def test_the_startup_line_without_mcp() -> None:
    from ui.cli.serve import startup_line

    assert startup_line("127.0.0.1", 7860, mcp=False) == \
        "Chat on http://127.0.0.1:7860/ · widget /embed/ · API /api (docs /docs)"
    assert startup_line("::1", 7860, mcp=True).startswith("Chat on http://[::1]:7860/ ")


# -- 3. MCP tool errors carry their reason ---------------------------------------------------------
def test_mcp_tool_errors_say_what_api_ask_says_without_a_traceback_in_the_log(served: tuple[str, Path]) -> None:
    from mcp import Client

    url, log = served
    calls = [("ask", {"question": ""}), ("ask", {"question": "  "}),
             ("ask", {"question": "What did Macron announce?", "since": "soon"}),
             ("search", {"query": "missiles", "since": "soon"})]

    async def session() -> list[object]:
        async with Client(f"{url}/mcp") as client:
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    before = log.read_text(encoding="utf-8")
    # In a thread of its own: this module's browser keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        results = thread.submit(asyncio.run, session()).result()
    for (name, arguments), result in zip(calls, results, strict=True):
        assert result.is_error, (name, arguments)
        text = result.content[0].text
        expected = NOT_A_DATE if "since" in arguments else EMPTY
        assert text == f"Error executing tool {name}: {expected}", text
        if name == "ask":  # the same message as POST /api/ask
            assert _error(httpx.post(f"{url}/api/ask", json=arguments), 400) == expected
    time.sleep(0.5)
    logged = log.read_text(encoding="utf-8")[len(before):]
    assert "Traceback" not in logged and "Error executing tool" not in logged, logged


# -- 5. request errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   ", "\t\n"])
@pytest.mark.parametrize("route", ["/api/ask", "/api/ask/stream"])
def test_an_empty_or_blank_question_gets_one_error_shape(served: tuple[str, Path], route: str, question: str) -> None:
    url, _ = served
    response = httpx.post(url + route, json={"question": question})
    assert response.json() == {"ok": False, "status": 400, "error": EMPTY}


@pytest.mark.parametrize("headers, says", [
    ({"Content-Type": "application/x-www-form-urlencoded"},
     "the Content-Type header must be application/json (this request's Content-Type is "
     "application/x-www-form-urlencoded): send the JSON body with `-H 'Content-Type: application/json'`"),
    ({"Content-Type": "text/plain"}, "(this request's Content-Type is text/plain)"),
    ({}, "the Content-Type header must be application/json (this request has none)"),
])
def test_a_json_body_without_a_json_content_type_is_told_which_header(served: tuple[str, Path],
                                                                       headers: dict[str, str], says: str) -> None:
    url, _ = served
    response = httpx.post(f"{url}/api/ask", content=b'{"question": "What did Macron announce?"}', headers=headers)
    assert says in _error(response, 415)


def test_an_empty_body_is_told_what_to_send(served: tuple[str, Path]) -> None:
    url, _ = served
    response = httpx.post(f"{url}/api/ask", headers={"Content-Type": "application/json"})
    assert _error(response, 422) == 'invalid request: body: missing: send a JSON object, e.g. {"question": "..."}'


def _readme_curl() -> list[str]:
    server = README.split("## The server\n", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", server, re.S) if "curl" in b]
    return shlex.split(block.replace("\\\n", " "))


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_the_readme_curl_answers_and_curl_without_the_header_is_told_why(served: tuple[str, Path]) -> None:
    url, _ = served
    args = _readme_curl()
    assert args[0] == "curl" and "Content-Type: application/json" in args
    args = [a.replace("http://127.0.0.1:7860", url) for a in args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "medium- and long-range missiles" in json.loads(done.stdout)["answer"]
    bare = [a for i, a in enumerate(args) if a != "-H" and (i == 0 or args[i - 1] != "-H")]
    done = subprocess.run(bare, capture_output=True, text=True, timeout=60)
    body = json.loads(done.stdout)
    assert body["status"] == 415 and "Content-Type header must be application/json" in body["error"]


# -- 2. a port in use ---------------------------------------------------------------------------------
def test_a_busy_port_is_one_line_and_exit_status_2_before_the_model_loads(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # A model that cannot load: had `qa serve` loaded it first, this would be the error.
        env = {**os.environ, "QA_EMBEDDING__MODEL": str(tmp_path / "no-such-model")}
        done = subprocess.run([QA_SCRIPT, "serve", "--port", str(port)], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Chat on" not in done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: port {port} on 127.0.0.1 is already in use")
    assert re.search(r"`qa serve --port (\d+)`, QA_SERVER__PORT=\1 or `make serve PORT=\1`", line), line
    assert "Errno" not in line and "Traceback" not in done.stderr
    suggested = int(re.search(r"--port (\d+)", line).group(1))
    with socket.socket() as probe:  # the suggested port is free
        probe.bind(("127.0.0.1", suggested))


@pytest.mark.parametrize("args, says", [
    (["--port", "70000"], "--port 70000 is not a TCP port (1 to 65535)"),
    (["--host", "no-such-host.invalid"], "cannot listen on no-such-host.invalid: no such host name"),
    (["--host", "192.0.2.1"], "cannot listen on 192.0.2.1: it is not an address of this machine"),
])
def test_an_address_that_cannot_be_listened_on_is_one_line(args: list[str], says: str) -> None:
    from ui.cli.serve import app

    result = CliRunner().invoke(app, ["serve", "--port", str(free_port()), *args])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_make_serve_passes_port() -> None:
    done = subprocess.run(["make", "-n", "-o", "install", "serve", "PORT=7861"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "qa serve --ingest-if-empty data/articles --port 7861" in done.stdout


# -- 6. `qa --help` -----------------------------------------------------------------------------------
def test_every_command_help_flows_in_whole_sentences() -> None:
    from ui.cli.serve import app

    top = CliRunner().invoke(app, ["--help"], prog_name="qa", env={"COLUMNS": "200"})
    assert top.exit_code == 0, top.output
    rows = [line for line in top.output.split("Commands", 1)[1].splitlines() if line.startswith("│")]
    listed = [re.match(r"│ ([a-z]+)\s{2,}(.*?)\s*│$", row) for row in rows]
    assert all(listed), rows  # one line per command at 200 columns: no hard line break inside
    for match in listed:
        assert match.group(2).endswith("."), match.group(0)  # the summary is a whole sentence
    for info in app.registered_commands:
        paragraphs = info.help.split("\n\n")
        assert all("\n" not in p and p.endswith((".", ".)")) for p in paragraphs), (info.name, info.help)
    narrow = CliRunner().invoke(app, ["watch", "--help"], prog_name="qa", env={"COLUMNS": "72"})
    text = " ".join(line.strip() for line in narrow.output.splitlines())
    assert "Files still being written are read once quiet; hidden, temporary and unsupported files are ignored." \
        in text


# -- 7. `qa articles` ---------------------------------------------------------------------------------
def test_qa_articles_has_id_and_source_columns_and_the_same_json() -> None:
    from ui.cli.serve import app

    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(SAMPLE_DIR)]).exit_code == 0
    table = runner.invoke(app, ["articles"])
    assert table.exit_code == 0, table.output
    header, row, count = table.output.splitlines()
    assert re.split(r"\s{2,}", header.strip()) == ["date", "title", "chunks", "id", "source"]
    listed = json.loads(runner.invoke(app, ["articles", "--json"]).output)
    (article,) = listed
    assert set(article) == {"id", "title", "source", "date", "url", "path", "chunks", "author"}
    assert re.split(r"\s{2,}", row.strip()) == [article["date"], article["title"], str(article["chunks"]),
                                                article["id"], article["source"]]
    assert count == "1 article(s)"


def test_qa_articles_never_cuts_an_id_or_a_url_on_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import ui.cli.app as cli

    url = "https://news.example.com/2024/03/05/council-approves-the-new-library-budget-after-a-long-debate"
    found = [ArticleInfo(id=url, title="Council approves the library budget", source=url, date="2024-03-05",
                         url=url, path=None, chunks=4),
             ArticleInfo(id="macron-dce8da98", title="Macron Ukraine Ground Troops", source="macron.txt",
                         date=None, url=None, path="/srv/macron.txt", chunks=3)]
    for width in (60, 240):
        screen = Console(force_terminal=True, width=width, color_system=None, record=True, highlight=False,
                         soft_wrap=True)
        monkeypatch.setattr(cli, "out", screen)
        cli._print_articles(found)
        text = screen.export_text()
        assert url in text and "macron-dce8da98" in text and "macron.txt" in text, text
        if width == 240:
            assert re.split(r"\s{2,}", text.splitlines()[0].strip()) == ["date", "title", "chunks", "id", "source"]
        else:
            assert f"id      {url}" in text and "source  macron.txt" in text
