"""Unit tests for index/loading/load.py (files -> articles) and index/loading/dates.py (dates -> ISO)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from index.loading.dates import parse_date
from index.errors import LoadError, UnsupportedFileError
from index.loading.load import LoadedFile, decode_bytes, iter_files, iter_sources, load_file
from index.loading.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = ROOT / "data" / "articles" / "2024-02-27-macron-ukraine-ground-troops.txt"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load_one(folder: Path, name: str, content: str | bytes) -> tuple[LoadedFile, object]:
    loaded = load_file(write(folder, name, content))
    assert len(loaded.articles) == 1
    return loaded, loaded.articles[0]


# --- plain text -------------------------------------------------------------------------------

def test_bundled_sample_article() -> None:
    loaded = load_file(SAMPLE_FILE)
    assert loaded.warnings == []
    [article] = loaded.articles
    assert article.date == "2024-02-27"
    assert article.title == "Macron Ukraine Ground Troops"
    assert not article.text.lower().startswith("date")
    assert article.text.startswith("French President Emmanuel Macron")
    assert article.path == str(SAMPLE_FILE.resolve())
    assert article.source == SAMPLE_FILE.name  # no URL: the file name, never the server's absolute path
    assert article.url is None


def test_date_header_on_the_same_line_as_the_body(tmp_path: Path) -> None:
    # The shape of the bundled sample, in a file whose name carries no date.
    loaded, article = load_one(tmp_path, "note.txt",
                               " date 2023-05-01 Body text starts here. More text.\n\nSecond paragraph.")
    assert loaded.warnings == []
    assert article.date == "2023-05-01"
    assert article.text == "Body text starts here. More text.\n\nSecond paragraph."
    assert article.title == "Note"  # from the file name


def test_date_header_on_its_own_line_with_a_time(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "note.txt", "date: 2023-05-01T10:00:00Z\nThe body.")
    assert article.date == "2023-05-01"
    assert article.text == "The body."


def test_date_header_keeps_a_body_that_starts_with_a_number(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "note.txt", " date 2024-02-27 10 people were hurt in the blast.")
    assert article.date == "2024-02-27"
    assert article.text == "10 people were hurt in the blast."


def test_key_value_header_lines(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "story.txt",
                               "Title: The Headline\nDate: 5 March 2023\nURL: https://example.com/a\n\n"
                               "Body of the story. Second sentence.")
    assert loaded.warnings == []
    assert article.title == "The Headline"
    assert article.date == "2023-03-05"
    assert article.url == "https://example.com/a"
    assert article.id == "https://example.com/a"  # the URL is the id when there is no explicit one
    assert article.source == "https://example.com/a"
    assert article.text == "Body of the story. Second sentence."


def test_explicit_id_header_wins_over_url(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "story.txt", "ID: story-42\nURL: https://example.com/a\n\nBody.")
    assert article.id == "story-42"
    assert article.url == "https://example.com/a"


def test_unrecognized_date_is_a_warning_not_an_error(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "story.txt", "Date: someday soon\n\nBody.")
    assert article.date is None
    assert any("someday soon" in w for w in loaded.warnings)


def test_headline_paragraph_becomes_the_title(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "story.txt",
                          "Big Storm Hits Coast\n\nA storm hit the coast today. Many were affected.")
    assert article.title == "Big Storm Hits Coast"
    assert article.text == "A storm hit the coast today. Many were affected."


def test_sentence_first_paragraph_is_not_a_headline(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "2022-01-05_storm-report.txt",
                          "A storm hit the coast today.\n\nMany were affected.")
    assert article.title == "Storm Report"  # from the file name, date prefix dropped
    assert article.date == "2022-01-05"  # from the file name
    assert article.text == "A storm hit the coast today.\n\nMany were affected."


def test_ids_without_id_or_url_are_stable_and_distinct(tmp_path: Path) -> None:
    first = load_file(write(tmp_path, "a/story.txt", "Body one.")).articles[0]
    again = load_file(tmp_path / "a" / "story.txt").articles[0]
    other = load_file(write(tmp_path, "b/story.txt", "Body one.")).articles[0]
    assert first.id == again.id
    assert first.id != other.id
    assert first.id.startswith("story-")


# --- Markdown ---------------------------------------------------------------------------------

def test_markdown_front_matter(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "post.md",
                               "---\ntitle: Front Matter Title\ndate: 2023-01-02\n"
                               "url: https://example.com/fm\nid: my-id\n---\n"
                               "Some **bold** text with [a link](https://example.com/x).\n")
    assert loaded.warnings == []
    assert article.title == "Front Matter Title"
    assert article.date == "2023-01-02"  # YAML turns it into a date object
    assert article.url == "https://example.com/fm"
    assert article.id == "my-id"
    assert article.text == "Some bold text with a link."


def test_markdown_leading_heading_becomes_the_title(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "post.md", "# The Heading\n\nBody with `code` and __more__.")
    assert article.title == "The Heading"
    assert article.text == "Body with code and more."


def test_markdown_heading_after_front_matter_title_stays_in_the_text(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "post.md", "---\ntitle: Real Title\n---\n# Other Heading\n\nBody.")
    assert article.title == "Real Title"
    assert "Other Heading" in article.text and "#" not in article.text


def test_markdown_subheading_stays_its_own_paragraph(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "post.md", "# Title\n\nIntro sentence.\n\n## Background\n\nThe talks began in May.")
    assert split_sentences(article.text) == ["Intro sentence.", "Background", "The talks began in May."]


def test_invalid_front_matter_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="front matter"):
        load_file(write(tmp_path, "post.md", "---\ntitle: [unclosed\n---\nBody."))


# --- HTML -------------------------------------------------------------------------------------

HTML = """<!doctype html>
<html><head>
<title>Page Title</title>
<meta property="article:published_time" content="2023-04-05T08:00:00Z">
<link rel="canonical" href="https://example.com/h">
<script>var secret = "HEAD_SCRIPT_TEXT";</script>
<style>p { color: red; }</style>
</head>
<body>
<nav>Home | World | Politics</nav>
<article>
  <h1>Page Title</h1>
  <time datetime="2020-01-01">1 January 2020</time>
  <p>First paragraph here.</p>
  <script>alert("BODY_SCRIPT_TEXT")</script>
  <p>Second paragraph.</p>
</article>
<footer>Copyright</footer>
</body></html>
"""


def test_html_metadata_and_text(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "page.html", HTML)
    assert loaded.warnings == []
    assert article.title == "Page Title"
    assert article.date == "2023-04-05"  # the meta tag wins over <time>
    assert article.url == "https://example.com/h"
    assert article.id == "https://example.com/h"
    assert article.text == "First paragraph here.\n\nSecond paragraph."


def test_html_script_style_and_furniture_are_not_text(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "page.html", HTML)
    for leaked in ("SCRIPT_TEXT", "alert", "secret", "color", "Politics", "Copyright"):
        assert leaked not in article.text
    assert "Page Title" not in article.text  # the repeated <h1> is dropped


def test_html_inline_markup_does_not_add_spaces(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "page.html",
                          '<html><body><p>Talks with <a href="/nato">NATO</a>, the alliance, began. '
                          "It was <em>un</em>precedented.</p></body></html>")
    assert article.text == "Talks with NATO, the alliance, began. It was unprecedented."


def test_html_time_element_gives_the_date(tmp_path: Path) -> None:
    _, article = load_one(tmp_path, "page.htm",
                          "<html><body><time datetime='2021-06-07T09:00:00+02:00'>June</time>"
                          "<p>Only body.</p></body></html>")
    assert article.date == "2021-06-07"
    assert article.text == "Only body."
    assert article.title == "Page"  # no <title>, <meta> or <h1>: the file name


# --- JSON and JSONL ---------------------------------------------------------------------------

def test_json_single_object(tmp_path: Path) -> None:
    record = {"title": "J1", "text": "Json body.", "date": "2023-02-03", "id": "j-1"}
    loaded, article = load_one(tmp_path, "one.json", json.dumps(record))
    assert loaded.warnings == []
    assert (article.id, article.title, article.date, article.text) == ("j-1", "J1", "2023-02-03", "Json body.")


def test_json_list_with_a_record_without_text(tmp_path: Path) -> None:
    records = [{"title": "A", "text": "Body A."}, {"text": "Body B.", "url": "https://example.com/b"},
               {"title": "No text here"}]
    loaded = load_file(write(tmp_path, "list.json", json.dumps(records)))
    assert [a.text for a in loaded.articles] == ["Body A.", "Body B."]
    assert loaded.articles[0].title == "A"
    assert loaded.articles[1].title == "List #2"  # untitled record: file name and position
    assert loaded.articles[1].id == "https://example.com/b"
    assert len(loaded.warnings) == 1 and "record 3" in loaded.warnings[0]
    assert len({a.id for a in loaded.articles}) == 2


def test_json_articles_wrapper_and_alternative_text_fields(tmp_path: Path) -> None:
    data = {"articles": [{"id": "x1", "content": "Body X.", "published": "2024-01-31"},
                         {"body": "Body Y."}]}
    loaded = load_file(write(tmp_path, "wrap.json", json.dumps(data)))
    assert [a.text for a in loaded.articles] == ["Body X.", "Body Y."]
    assert loaded.articles[0].id == "x1"
    assert loaded.articles[0].date == "2024-01-31"


def test_jsonl_keeps_good_lines_and_warns_about_the_bad_one(tmp_path: Path) -> None:
    content = '{"text": "Line one."}\nthis is not json\n\n{"text": "Line four.", "id": "l4"}\n'
    loaded = load_file(write(tmp_path, "feed.jsonl", content))
    assert [a.text for a in loaded.articles] == ["Line one.", "Line four."]
    assert loaded.articles[1].id == "l4"
    assert len(loaded.warnings) == 1
    assert "line 2" in loaded.warnings[0]


def test_json_without_any_usable_record_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="record 1"):
        load_file(write(tmp_path, "bad.json", json.dumps([{"title": "only"}, 3])))
    with pytest.raises(LoadError, match="invalid JSON"):
        load_file(write(tmp_path, "broken.json", '{"text": '))


# --- bytes and encodings ----------------------------------------------------------------------

def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "bom.txt", b"\xef\xbb\xbfTitle: With BOM\n\nBody here.")
    assert loaded.warnings == []
    assert article.title == "With BOM"
    assert "\ufeff" not in article.text


def test_cp1252_bytes_decode_with_a_warning(tmp_path: Path) -> None:
    loaded, article = load_one(tmp_path, "legacy.txt", b"Caf\xe9 cr\xe8me is nice. \x93Quoted\x94.")
    assert article.text == "Café crème is nice. “Quoted”."
    assert len(loaded.warnings) == 1 and "not UTF-8" in loaded.warnings[0]


def test_decode_bytes() -> None:
    assert decode_bytes("Zoë".encode()) == ("Zoë", [])
    assert decode_bytes(b"\xef\xbb\xbfabc") == ("abc", [])
    text, warnings = decode_bytes("naïve".encode("latin-1"))
    assert text == "naïve" and warnings and "not UTF-8" in warnings[0]
    text, warnings = decode_bytes(b"\x81 abc")  # undefined in cp1252: Latin-1
    assert text == "\x81 abc" and "Latin-1" in warnings[0]


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="binary"):
        decode_bytes(b"abc\x00def")
    with pytest.raises(LoadError, match="binary"):
        load_file(write(tmp_path, "blob.txt", b"PK\x03\x04\x00\x00binary"))


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="empty file"):
        load_file(write(tmp_path, "empty.txt", b""))
    with pytest.raises(LoadError, match="whitespace"):
        load_file(write(tmp_path, "blank.md", b" \n\n\t"))


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match=r"\.pptx"):  # .pdf and .docx are read now
        load_file(write(tmp_path, "slides.pptx", b"PK\x03\x04"))
    assert issubclass(UnsupportedFileError, LoadError)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        load_file(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(LoadError):
        load_file(tmp_path / "folder.txt")


# --- iter_files -------------------------------------------------------------------------------

def test_iter_files_walks_sorted_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for name in ("b.txt", "a/z.md", "a/b/c.json", "notes.pdf", ".hidden.txt", ".git/config.txt",
                 "a/.cache/x.txt"):
        write(root, name, "x")
    found = list(iter_files([root]))
    assert found == [(root / "a" / "b" / "c.json", False), (root / "a" / "z.md", False),
                     (root / "b.txt", False), (root / "notes.pdf", False)]


def test_iter_files_yields_explicit_files_even_missing_or_hidden(tmp_path: Path) -> None:
    hidden = write(tmp_path, ".secret.txt", "x")
    missing = tmp_path / "missing.txt"
    folder = tmp_path / "folder"
    write(folder, "one.txt", "x")
    assert list(iter_files([missing, hidden, str(folder)])) == [
        (missing, True), (hidden, True), (folder / "one.txt", False)]


def test_iter_files_under_a_hidden_root_still_walks_it(tmp_path: Path) -> None:
    root = tmp_path / ".data"
    write(root, "a.txt", "x")
    assert list(iter_files([root])) == [(root / "a.txt", False)]


def test_iter_sources_shows_files_relative_to_root_however_they_are_named(tmp_path: Path) -> None:
    root = tmp_path / "news"
    nested = write(root, "world/a.txt", "x")
    top = write(root, "b.md", "x")
    # Without root: relative to the folder walked, or the bare name of a file named alone.
    assert [s for _, _, s in iter_sources([root / "world", nested])] == ["a.txt", "a.txt"]
    # With root: one source per file, through the folder, a subfolder or the file itself.
    assert [s for _, _, s in iter_sources([root, root / "world", nested, top], root=root)] == [
        "b.md", "world/a.txt", "world/a.txt", "world/a.txt", "b.md"]
    assert [s for _, _, s in iter_sources([str(nested)], root=str(root.resolve()))] == ["world/a.txt"]
    outside = write(tmp_path, "elsewhere/c.txt", "x")
    with pytest.raises(ValueError, match="c.txt is not inside .*news"):
        list(iter_sources([nested, outside], root=root))


# --- parse_date -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "2024-02-27",
    "2024-02-27T10:00:00Z",
    "2024-02-27T10:00:00+01:00",
    "  2024-02-27  ",
    "2024/02/27",
    "27 February 2024",
    "27 Feb 2024",
    "February 27, 2024",
    "Feb 27 2024",
    "27.02.2024",
    "Tue, 27 Feb 2024 10:00:00 +0000",
    dt.date(2024, 2, 27),
    dt.datetime(2024, 2, 27, 23, 59),
])
def test_parse_date_recognized(value: object) -> None:
    assert parse_date(value) == "2024-02-27"


@pytest.mark.parametrize("value", ["garbage", "", "   ", None, 20240227, "2024-02-30", "Feb 2024"])
def test_parse_date_unrecognized_is_none(value: object) -> None:
    assert parse_date(value) is None
