"""Bad input, each with a clear outcome and nothing lost: one folder holding every kind of
broken, odd or hostile file is ingested in one run; the good files are indexed, each bad one is
reported with its reason, and the service keeps answering."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from index.embedding.embed import Embedder
from index.loading.load import decode_bytes, load_file
from qa.api import Assistant
from qa.config import Settings
from tests.conftest import ROOT, SAMPLE_FILE

GOOD = "The harbour council approved the new ferry timetable on Tuesday after a long debate."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def _zip_bytes(tmp: Path) -> bytes:
    with zipfile.ZipFile(tmp / "a.zip", "w") as archive:
        archive.writestr("inner.txt", "hello")
    return (tmp / "a.zip").read_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-input")
    folder = root / "articles"
    folder.mkdir()
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "blank.txt": b"  \n\t\n   ",
        "photo.png": PNG,
        "photo-renamed.txt": PNG,
        "archive.txt": _zip_bytes(root),
        "paper.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        "invalid-utf8.txt": "Caf\u00e9 owners in Lyon said the new ferry rules hurt trade.".encode("cp1252") + b"\x81",
        "latin1.txt": "Title: Gr\u00fc\u00dfe aus M\u00fcnchen\n\nDie Stra\u00dfenbahn f\u00e4hrt wieder nach Schwabing.".encode("latin-1"),
        "utf16-le.txt": ("\ufeffTitle: Windows notepad story\n\n" + GOOD.replace("ferry", "tram")).encode("utf-16-le"),
        "utf16-be.txt": ("\ufeffTitle: Big endian story\n\nThe lighthouse keeper retired after forty years.")
        .encode("utf-16-be"),
        "utf32.txt": ("\ufeffThe glacier lost twelve metres of ice this summer, scientists said.").encode("utf-32"),
        "one-long-line.txt": (("The river flooded the lower town again. " * 130_000)[:5_000_000]).encode(),
        "malformed.html": b"<html><head><title>Storm hits coast</title><body><p>Winds of 120 km/h <b>tore roofs"
                          b"<p>Power was cut to 4,000 homes.<div></span></html",
        "malformed.json": b'{"title": "Half", "text": "The vote was ',
        "mixed.jsonl": "\n".join([
            json.dumps({"id": "jl-1", "title": "Bridge reopens", "text": "The old bridge reopened to cyclists."}),
            '{"id": "jl-2", "title": broken',
            json.dumps({"id": "jl-3", "title": "No text here"}),
            json.dumps({"id": "jl-4", "title": "Bakery wins prize", "text": "A small bakery won the national prize."}),
        ]).encode(),
        "bad-date.txt": b"Title: Market day\ndate 2024-13-45\n\nThe farmers market moved to the square.",
        "notes.docx": b"PK\x03\x04 not really a docx",
        "good story.txt": GOOD.encode(),
        "\u00e9t\u00e9 \u2014 r\u00e9sum\u00e9 \u65b0\u95fb.txt": "Title: Unicode name\n\nThe summer festival drew 30,000 visitors."
        .encode(),
        "-leading-dash.txt": b"Title: Dash\n\nA file whose name starts with a dash is still an article.",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    deep = folder
    for level in range(60):
        deep = deep / f"level{level}"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("Title: Deep\n\nA file sixty folders down is found and indexed.")
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # a symlink loop
    (folder / "dangling.txt").symlink_to(root / "nowhere.txt")
    return folder


@pytest.fixture(scope="module")
def ingested(corpus: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> tuple[Assistant, dict]:
    settings = Settings()
    settings.data.dir = tmp_path_factory.mktemp("bad-input-index")
    assistant = Assistant(settings, embedder=embedder)
    report = assistant.ingest([corpus])
    by_name = {Path(f.path).name: f for f in report.files}
    return assistant, by_name


@pytest.mark.parametrize("name, status, says", [
    ("empty.txt", "failed", "empty file"),
    ("blank.txt", "failed", "file contains only whitespace"),
    ("photo.png", "skipped", "unsupported file type '.png'"),
    ("photo-renamed.txt", "failed", "binary content"),
    ("archive.txt", "failed", "binary content"),
    ("paper.pdf", "failed", "corrupt PDF, cannot be read: Stream has ended unexpectedly"),
    ("notes.docx", "failed", "corrupt .docx: not a readable zip archive"),
    ("malformed.json", "failed", "invalid JSON at line 1 column"),
    ("dangling.txt", "failed", "broken symbolic link"),
])
def test_each_bad_file_is_reported_with_its_reason(ingested: tuple, name: str, status: str, says: str) -> None:
    _, report = ingested
    assert report[name].status == status and says in report[name].reason


@pytest.mark.parametrize("name, holds, warning", [
    ("invalid-utf8.txt", "Café owners in Lyon", "not UTF-8; decoded as Latin-1"),
    ("latin1.txt", "Die Straßenbahn fährt wieder", "not UTF-8; decoded as Windows-1252"),
    ("utf16-le.txt", "approved the new tram timetable", None),
    ("utf16-be.txt", "The lighthouse keeper retired", None),
    ("utf32.txt", "The glacier lost twelve metres", None),
    ("one-long-line.txt", "The river flooded the lower town", None),
    ("malformed.html", "Power was cut to 4,000 homes.", None),
    ("bad-date.txt", "farmers market moved", "unrecognized date '2024-13-45', left empty"),
    ("good story.txt", "ferry timetable", None),
    ("été — résumé 新闻.txt", "summer festival drew 30,000", None),
    ("-leading-dash.txt", "still an article", None),
    ("deep.txt", "sixty folders down", None),
])
def test_odd_but_readable_files_are_indexed_and_answerable(ingested: tuple, name: str, holds: str,
                                                           warning: str | None) -> None:
    assistant, report = ingested
    assert report[name].status == "indexed", report[name]
    assert (warning in report[name].warnings) if warning else not report[name].warnings
    docs = assistant.retriever.invoke(holds, k=3)  # found by what it says
    assert any(holds in d.page_content for d in docs), [d.metadata["title"] for d in docs]


def test_a_jsonl_with_bad_lines_keeps_the_good_ones_and_names_the_bad(ingested: tuple) -> None:
    assistant, report = ingested
    jsonl = report["mixed.jsonl"]
    assert jsonl.status == "indexed" and jsonl.articles == 2
    assert jsonl.warnings == ["line 2: invalid JSON (Expecting value), skipped",
                              "line 3: no 'text' or 'content' field, skipped"]
    ids = {a.id for a in assistant.articles()}
    assert {"jl-1", "jl-4"} <= ids and not {"jl-2", "jl-3"} & ids


def test_the_batch_indexes_everything_good_once(ingested: tuple) -> None:
    assistant, report = ingested
    indexed = [name for name, f in report.items() if f.status == "indexed"]
    assert len(indexed) == 13 and len(assistant.articles()) == 14  # mixed.jsonl holds two
    assert len(report) == 22  # the symlink loop is not followed: no file is seen twice


def test_sources_shown_to_readers_are_never_absolute_paths(ingested: tuple, corpus: Path) -> None:
    assistant, _ = ingested
    for article in assistant.articles():
        assert not article.source.startswith("/"), article.source
        assert article.path.startswith(str(corpus.resolve()))  # the full path stays for admins
    deep = next(a for a in assistant.articles() if a.title == "Deep")
    assert deep.source == "/".join(f"level{n}" for n in range(60)) + "/deep.txt"


def test_an_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root here, where chmod 000 does not stop reading: make the read fail as it would.
    target = tmp_path / "locked.txt"
    target.write_text("Title: Locked\n\nSecret.")
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self == target:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    from index.errors import LoadError

    with pytest.raises(LoadError, match="cannot read file: Permission denied"):
        load_file(target)


def test_a_utf16_file_without_valid_content_after_its_bom_is_refused() -> None:
    from index.errors import LoadError

    with pytest.raises(LoadError, match="UTF-16 byte-order mark but is not UTF-16"):
        decode_bytes(b"\xff\xfeA\x00\x00\xd8")  # an unpaired surrogate


@pytest.mark.slow
def test_the_cli_ingests_a_file_named_with_a_leading_dash(corpus: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QA_DATA__DIR": str(tmp_path / "data")}
    qa = str(Path(os.sys.executable).with_name("qa"))
    done = subprocess.run([qa, "ingest", "--", str(corpus / "-leading-dash.txt"), str(SAMPLE_FILE)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "indexed" in done.stdout and "-leading-dash.txt" in done.stdout
    assert "Summary: 2 indexed" in done.stdout
