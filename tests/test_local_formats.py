"""Local Markdown and HTML files -> article text, through libraries: Markdown is parsed by
markdown-it-py and its tokens rendered to plain text with the source's paragraph breaks; HTML
goes through the same trafilatura extraction as web pages, with a plain fallback for tiny pages
and pages it finds no text in. Metadata rules (front matter, `# Heading`, og:title, <title>,
<h1>, article:published_time, <time>, og:url, canonical) are those of tests/test_load.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.extraction import PAGES, words
from index.loading import html as html_module
from index.errors import LoadError
from index.loading.load import load_file
from index.loading.markdown import markdown_text
from index.loading.text import sentence_spans, split_sentences
from index.loading.web.extract import extract_article
from qa.answering.sentence_roles import LIST, classify_all
from tests.web_site import BOILERPLATE_WORDS, article_html


def load_text(folder: Path, name: str, content: str) -> str:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    [article] = load_file(path).articles
    return article.text


# --- Markdown ---------------------------------------------------------------------------------

def test_markdown_paragraph_breaks_are_those_of_the_source() -> None:
    source = ("The talks began in May.\nThey ended in June.\n\n"  # a soft break stays a line break
              "## Background\nThe treaty dates from 1990.\n\n"   # a heading right above its paragraph
              "Setext heading\n--------------\n\nLast paragraph.")
    text = markdown_text(source)
    assert text == ("The talks began in May.\nThey ended in June.\n\nBackground\nThe treaty dates from 1990.\n\n"
                    "Setext heading\n\nLast paragraph.")
    assert split_sentences(text)[:2] == ["The talks began in May.", "They ended in June."]


def test_markdown_lists_keep_their_markers_and_stay_under_their_introduction() -> None:
    source = "The recalled meals include:\n- chicken curry\n- beef *stew*\n\n1. first\n2) second\n\nAfter."
    text = markdown_text(source)
    # "2)" starts a new list (another delimiter) on the next line: still the next line.
    assert text == "The recalled meals include:\n- chicken curry\n- beef stew\n\n1. first\n2) second\n\nAfter."
    spans = sentence_spans(text)
    assert classify_all(text, spans)[0].role == LIST  # quoted with its items, as before


def test_markdown_inline_markup_goes_and_its_text_stays() -> None:
    source = ("Some *em*, _em_, **strong**, __strong__, ~~struck~~, `code`, [a link](https://x.example/a \"t\"), "
              "![a chart of prices](chart.png), [a reference][r], <https://auto.example>, \\*escaped\\* & AT&amp;T.\n\n"
              "[r]: https://ref.example")
    assert markdown_text(source) == ("Some em, em, strong, strong, struck, code, a link, a chart of prices, "
                                     "a reference, https://auto.example, *escaped* & AT&T.")


def test_markdown_block_quotes_code_tables_and_rules() -> None:
    source = ("> Quoted words\n> on two lines.\n\n"
              "```python\n# a comment, not a heading\nprint(1)\n```\n\n"
              "| City | Rain |\n|---|---|\n| Oslo | 12 mm |\n| Bergen | 40 mm |\n\n"
              "---\n\n"
              "    indented code\n\nEnd.")
    assert markdown_text(source) == ("Quoted words\non two lines.\n\n# a comment, not a heading\nprint(1)\n\n"
                                     "City | Rain\nOslo | 12 mm\nBergen | 40 mm\n\nindented code\n\nEnd.")


def test_markdown_raw_html_keeps_its_visible_text_only() -> None:
    source = ('Before<br>after <span class="x">inline</span> tags.\n\n'
              '<div class="note">\n<p>An <b>HTML</b> block.</p>\n</div>\n\n'
              "<!-- an editor's comment -->\n\n"
              "<script>alert('no')</script>\n\n"
              "End.")
    assert markdown_text(source) == "Before\nafter inline tags.\n\nAn HTML block.\n\nEnd."


def test_markdown_title_and_front_matter_rules_are_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("# Harbour reopens\n\nThe harbour reopened on **Friday**.\n\n# A second top heading\n\nEnd.\n",
                    encoding="utf-8")
    [article] = load_file(path).articles
    assert article.title == "Harbour reopens"
    assert article.text == "The harbour reopened on Friday.\n\nA second top heading\n\nEnd."
    path.write_text("---\ntitle: From front matter\ndate: 2024-03-01\nurl: https://example.com/h\n---\n"
                    "# Heading stays text\n\nBody.\n", encoding="utf-8")
    [article] = load_file(path).articles
    assert (article.title, article.date, article.id) == ("From front matter", "2024-03-01", "https://example.com/h")
    assert article.text == "Heading stays text\n\nBody."


def test_markdown_nested_too_deep_fails_rather_than_losing_text(tmp_path: Path) -> None:
    assert markdown_text("> " * 60 + "deep") == "deep"
    with pytest.raises(LoadError, match="Markdown nested too deep"):
        load_text(tmp_path, "deep.md", "before\n\n" + "> " * 150 + "deep text\n\nafter")


def test_markdown_that_renders_to_nothing_fails_as_before(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no article text"):
        load_text(tmp_path, "empty.md", "---\ntitle: Only metadata\n---\n<!-- nothing -->\n\n---\n")


# --- HTML -------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", sorted(PAGES.glob("*.html")), ids=lambda p: p.stem)
def test_a_saved_page_reads_as_the_same_page_fetched(page: Path) -> None:
    # One extractor: a page saved to disk gives the text the web path extracts from it.
    [article] = load_file(page).articles
    fetched = extract_article(page.read_bytes(), f"https://pages.example/{page.stem}")
    assert article.text == fetched.text


def test_saved_pages_beat_the_old_local_extraction() -> None:
    # The BeautifulSoup path read these pages at precision 0.845, recall 0.813.
    overlap = extracted = expected = 0
    for page in sorted(PAGES.glob("*.html")):
        got, gold = words(load_file(page).articles[0].text), words(page.with_suffix(".txt").read_text("utf-8"))
        overlap += sum((got & gold).values())
        extracted += sum(got.values())
        expected += sum(gold.values())
    assert overlap / extracted >= 0.94 and overlap / expected >= 0.99, (overlap / extracted, overlap / expected)


def test_a_saved_news_page_keeps_its_metadata_rules_and_drops_the_boilerplate(tmp_path: Path) -> None:
    paragraphs = ["The harbour of Lowtown reopened on Friday after a storm closed it for nine days, the port "
                  "authority said.",
                  "Repairs to the northern pier cost 2.4 million euros and were paid for by the regional government.",
                  "Fishermen said the first boats would leave on Monday morning at six o'clock."]
    path = tmp_path / "harbour.html"
    path.write_text(article_html("Harbour reopens", "2024-03-01", paragraphs, author="Maria Stone",
                                 canonical="https://courier.example/news/harbour",
                                 og_url="https://courier.example/og/harbour"), encoding="utf-8")
    [article] = load_file(path).articles
    assert article.title == "Harbour reopens | The Lowtown Courier"  # <title>, as the README's table says
    assert article.date == "2024-03-01"
    assert article.id == article.url == "https://courier.example/og/harbour"  # og:url before canonical
    assert article.text.split("\n\n") == paragraphs  # the <h1> headline and the byline are not text
    for word in BOILERPLATE_WORDS:
        assert word not in article.text


def test_tiny_pages_and_fragments_still_load(tmp_path: Path) -> None:
    assert load_text(tmp_path, "p.html", "<p>Only body.</p>") == "Only body."
    assert load_text(tmp_path, "plain.html", "Just some words, no tags.") == "Just some words, no tags."
    assert load_text(tmp_path, "two.html", "<h2>Sub</h2><p>One.</p><ul><li>item <b>one</b></li></ul>") == \
        "Sub\n\nOne.\n\nitem one"
    xhtml = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
             "<title>X</title></head><body><p>An XHTML file.</p></body></html>")
    assert load_text(tmp_path, "x.htm", xhtml) == "An XHTML file."


def test_metadata_from_h1_and_meta_name_date(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text('<html><head><meta name="date" content="2022-08-09"></head><body><time datetime="2020-01-01">'
                    "</time><h1>The <em>Headline</em></h1><p>Body text.</p></body></html>", encoding="utf-8")
    [article] = load_file(path).articles
    assert (article.title, article.date, article.text) == ("The Headline", "2022-08-09", "Body text.")


@pytest.mark.parametrize("content", [
    "<html><body><script>var x = 1;</script><style>p{}</style></body></html>",
    "<!-- only a comment -->",
    "<html><head><title>T</title></head><body></body></html>",
    "<html><body><nav>Home | World</nav><footer>Copyright</footer></body></html>",
])
def test_an_html_file_without_text_fails_with_the_same_reason(tmp_path: Path, content: str) -> None:
    with pytest.raises(LoadError, match="^no article text, skipped$"):
        load_text(tmp_path, "none.html", content)


def test_html_nested_too_deep_fails_rather_than_losing_text(tmp_path: Path) -> None:
    assert load_text(tmp_path, "deep.html", "<p>" + "<b>" * 500 + "deep text" + "</b>" * 500 + "</p>") == "deep text"
    with pytest.raises(LoadError, match="nested more than 2048"):
        load_text(tmp_path, "deeper.html", "<p>before</p>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "<p>after</p>")


def test_when_trafilatura_finds_nothing_the_page_blocks_are_read(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_module, "extract_main", lambda tree, url=None: None)
    sentence = "The council met on Tuesday to discuss the ferry timetable again."
    page = ("<html><head><title>Ferries</title></head><body><nav>Home</nav><main><h1>Ferries</h1>"
            + "".join(f"<p>{sentence} Part {n}.</p>" for n in range(6))
            + "<ul><li>An <b>item</b><p>with a paragraph inside</p> and its tail.</li></ul></main>"
            "<footer>Copyright</footer></body></html>")
    paragraphs = load_text(tmp_path, "page.html", page).split("\n\n")
    assert paragraphs[:6] == [f"{sentence} Part {n}." for n in range(6)]  # the repeated <h1> title dropped
    assert "Home" not in paragraphs and "Copyright" not in paragraphs
    # A block's own text, once, without the block nested in it.
    assert paragraphs[6:] == ["An item and its tail.", "with a paragraph inside"]
