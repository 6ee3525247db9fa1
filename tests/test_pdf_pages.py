"""Page numbers from PDF to citation, and PDFs made as publishing tools make them (fpdf2): a quote
on page 3 is cited "p. 3" (Python API, `qa ask --json`, the CLI's text, the chat card), two
columns read column by column, table cells kept, scanned and encrypted files fail with their
reason, metadata title and date used; PDF and Word files served at a URL are indexed as files are.
Real model, real Chroma, the fake web site on loopback."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.document_files import (columns_by_rows, documents, feature_page, two_columns, two_columns_by_rows,
                                  with_table, word_document)
from bench.document_texts import RAIL_TABLE
from index.errors import LoadError
from index.loading.load import load_file
from index.models import Hit
from index.pages import chunk_page_metadata, page_of, pages_from_metadata
from qa.api import Assistant
from qa.config import Settings
from tests.test_pdf_docx import make_pdf
from tests.web_site import Site, site  # noqa: F401
from ui.cli.serve import app
from ui.render import render_answer

HEADER = "The Lowtown Courier - Saturday 9 March 2024"
# Four pages of one report, one list of paragraphs per page; page 2 ends mid-sentence, page 3 goes on.
PAGES = [
    ["Council report on the Lune valley roads",
     "The regional council published its yearly report on the roads of the Lune valley on Friday. "
     "It covers repairs, new projects and the state of the bridges.",
     "Most of the spending last year went to resurfacing the valley road between Kirkby and Sedbergh, "
     "which had been closed for six weeks after the winter floods."],
    ["Traffic on the valley road has returned to its level before the floods, the report says, with "
     "about 9,000 vehicles a day in summer.",
     "The council also counted cyclists for the first time. On a busy Sunday in July, 1,140 cyclists "
     "used the old railway path that runs beside the river, and the report recommends widening"],
    ["it before next summer.",
     "The new bridge over the Lune at Halton will open to traffic on 14 September, the regional "
     "roads agency said. It replaces a footbridge that was washed away in the floods of 2021.",
     "Work on the bridge cost 7.4 million pounds, about a tenth more than planned, because the "
     "foundations had to go deeper than the first survey suggested."],
    ["The report ends with a list of smaller repairs planned for the autumn, including new "
     "drainage on the road to Dent and the replacement of two cattle grids.",
     "The council will discuss the report at its meeting on 21 March."],
]
BRIDGE_QUOTE = "The new bridge over the Lune at Halton will open to traffic on 14 September"


def report_pdf(pages: list[list[str]] = PAGES, *, title: str | None = "Lune valley roads report",
               created: dt.datetime | None = dt.datetime(2024, 3, 9, 8, 0, tzinfo=dt.timezone.utc),
               scanned: set[int] = frozenset(), user_password: str | None = None,  # type: ignore[assignment]
               furniture: bool = True, headers: list[str] | None = None, roman: bool = False) -> bytes:
    """The report, one list of paragraphs per page (a page break where the list ends), with (with
    `furniture`) a running header and "Page N of M" footers (or each page's line of `headers`,
    and with `roman` a bare roman page number); the pages in `scanned` (from 1) hold only a
    picture of text, as a scanner makes them; with `user_password`, encrypted (RC4, fpdf2's
    default)."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    class Paper(FPDF):
        def header(self) -> None:
            if not furniture:
                return
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 5, headers[self.page_no() - 1] if headers else HEADER, new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            if not furniture:
                return
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            number = ["i", "ii", "iii", "iv", "v"][self.page_no() - 1] if roman else f"Page {self.page_no()} of {{nb}}"
            self.cell(0, 10, number, align="C")

    pdf = Paper(format="A4")
    if title:
        pdf.set_title(title)
    if created is not None:
        pdf.set_creation_date(created)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    for number, paragraphs in enumerate(pages, 1):
        pdf.add_page()
        if number in scanned:
            picture = Image.new("L", (600, 300), 255)
            ImageDraw.Draw(picture).text((20, 20), "\n".join(paragraphs)[:200], fill=0)
            pdf.image(picture, x=20, y=30, w=170)
            continue
        for paragraph in paragraphs:
            pdf.set_font("Helvetica", "B" if paragraph == PAGES[0][0] else "", 16 if paragraph == PAGES[0][0] else 11)
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output()) if created is not None else without_dates(bytes(pdf.output()))


def without_dates(data: bytes) -> bytes:
    """The PDF without creation and modification dates in its document information (fpdf2
    always writes them)."""
    import pypdf
    from pypdf.generic import NameObject

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    info = writer._info.get_object()  # noqa: SLF001 - pypdf has no public way to delete an entry
    for key in ("/CreationDate", "/ModDate"):
        info.pop(NameObject(key), None)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- pages in the loaded text ----------------------------------------------------------------------
def test_each_page_starts_where_its_first_line_is_and_a_paragraph_goes_on_across_a_break(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "report.pdf", report_pdf())).articles[0]
    text = article.text
    assert len(article.pages) == 4
    assert [page_of(article.pages, text.index(p[0][:40])) for p in PAGES[1:]] == [2, 3, 4]
    # The paragraph that page 2 leaves open ("...recommends widening") goes on with page 3's first line.
    assert "recommends widening it before next summer." in text
    widening = text.index("recommends widening")
    assert page_of(article.pages, widening) == 2 and page_of(article.pages, widening + len("recommends widening ")) == 3
    assert page_of(article.pages, text.index(BRIDGE_QUOTE)) == 3
    assert HEADER not in text and "Page 3 of 4" not in text  # page furniture gone, offsets still right


def test_running_headers_that_change_with_the_section_and_roman_page_numbers_go(tmp_path: Path) -> None:
    headers = ["Lune valley roads - Repairs 1", "Lune valley roads - Repairs 2",
               "Lune valley roads - Bridges 3", "Lune valley roads - Bridges 4"]
    article = load_file(write(tmp_path / "report.pdf", report_pdf(headers=headers, roman=True))).articles[0]
    assert "Repairs" not in article.text and "Bridges" not in article.text
    assert not {"i", "ii", "iii", "iv"} & set(article.text.split())
    assert page_of(article.pages, article.text.index(BRIDGE_QUOTE)) == 3
    assert article.text.endswith("The council will discuss the report at its meeting on 21 March.")


def test_each_item_of_a_bulleted_list_is_a_paragraph(tmp_path: Path) -> None:
    """The list's lines 14 points apart, as its lead-in's: only the bullets tell the items apart.
    (A hand-made PDF: fpdf2's core fonts cannot set "•".)"""
    items = ["\u2022 new drainage on the road to Dent", "\u2022 two cattle grids replaced near Sedbergh",
             "\u2022 a footpath repaired beside the river"]
    lines = ["Smaller repairs planned for the autumn:", *items]
    data = make_pdf([[(72, 700 - 14 * n, 11, line) for n, line in enumerate(lines)]
                     + [(72, 630, 11, "The council will discuss them on 21 March.")]], {"Title": "Repairs"})
    article = load_file(write(tmp_path / "repairs.pdf", data)).articles[0]
    assert article.text.split("\n\n")[1:4] == items


def test_a_scanned_page_in_between_keeps_its_number_and_is_reported(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path / "report.pdf", report_pdf(scanned={2})))
    article = loaded.articles[0]
    assert "9,000 vehicles" not in article.text  # page 2 is a picture: no text from it
    assert page_of(article.pages, article.text.index(BRIDGE_QUOTE)) == 3
    assert page_of(article.pages, article.text.index("The report ends with")) == 4
    assert [w for w in loaded.warnings if w.startswith("page ")] == [
        "page 2: no text on it besides any running header or footer (a scanned page or a picture?), nothing "
        "read from it; run OCR first (e.g. ocrmypdf) to include it"]


def test_chunk_metadata_carries_the_page_and_the_breaks_inside_the_chunk() -> None:
    pages = (0, 100, 100, 250)  # page 3 has no text: page 4 starts where page 3 would
    assert chunk_page_metadata(pages, 0, 90) == {"page": 1}
    assert chunk_page_metadata(pages, 50, 300) == {"page": 1, "page_breaks": "50,50,200"}
    assert chunk_page_metadata(pages, 120, 200) == {"page": 3}
    meta = chunk_page_metadata(pages, 120, 300)
    assert meta == {"page": 3, "page_breaks": "130"}
    assert pages_from_metadata(meta) == (3, (130,))
    assert chunk_page_metadata((), 0, 10) == {}


@pytest.mark.parametrize("meta", [{}, {"page": "x"}, {"page": 2, "page_breaks": "9,3"}, {"page": 0}])
def test_chunks_without_readable_page_metadata_have_no_page(meta: dict[str, Any]) -> None:
    """An index written before pages were recorded (or damaged metadata): no page, never a wrong one."""
    page, breaks = pages_from_metadata(meta)
    hit = Hit("a", "T", "s.txt", None, None, "Some text here.", 0, 15, 0, 0.5, page=page, page_breaks=breaks)
    assert hit.page_at(3) is None


def test_a_hit_tells_the_page_of_any_offset_in_its_text() -> None:
    hit = Hit("a", "T", "r.pdf", None, None, "x" * 300, 0, 300, 0, 0.5, page=2, page_breaks=(50, 50, 200))
    assert [hit.page_at(o) for o in (0, 49, 50, 199, 200, 299)] == [2, 2, 4, 4, 5, 5]


# -- to the citation -------------------------------------------------------------------------------
def test_a_quote_on_page_3_is_cited_with_page_3_and_the_chat_card_says_so(assistant: Assistant,
                                                                           tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder / "lune-report.pdf", report_pdf())
    (folder / "ferry.txt").write_text("date 2024-03-01\n\nFerry timetable\n\nThe night ferry to the islands "
                                      "will keep running until the end of March, the council said.\n",
                                      encoding="utf-8")
    report = assistant.ingest([folder])
    assert [f.status for f in report.files] == ["indexed", "indexed"]
    answer = assistant.ask("When will the new bridge over the Lune at Halton open to traffic?")
    cited = answer.citations[0]
    assert BRIDGE_QUOTE in cited.quote and cited.title == "Lune valley roads report"
    assert (cited.date, cited.page) == ("2024-03-09", 3)
    assert answer.to_dict()["citations"][0]["page"] == 3
    card = render_answer(answer)
    assert "**[1] Lune valley roads report** · 2024-03-09 · p. 3  \nSource: lune-report.pdf" in card
    assert " · p. 3" in render_answer(answer, collapsed=True)  # the widget's folded card too

    other = assistant.ask("Until when will the night ferry to the islands keep running?")
    assert other.citations[0].title == "Ferry timetable" and other.citations[0].page is None
    assert "p. " not in render_answer(other).split("**Sources**")[1]  # a text file: no page shown

    again = assistant.ingest([folder])  # page metadata is stable: nothing written the second time
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]

    # The LangChain retriever's documents carry the best sentence's page too (None for the text file).
    docs = assistant.retriever.invoke("When will the new bridge over the Lune at Halton open to traffic?")
    bridge = next(d for d in docs if BRIDGE_QUOTE in (d.metadata["best_sentence"] or ""))
    assert bridge.metadata["page"] == 3
    ferry = assistant.retriever.invoke("Until when will the night ferry to the islands keep running?")
    assert ferry[0].metadata["title"] == "Ferry timetable" and ferry[0].metadata["page"] is None


def test_qa_ask_json_and_text_give_the_page(tmp_path: Path) -> None:
    runner = CliRunner()
    path = write(tmp_path / "lune-report.pdf", report_pdf())
    result = runner.invoke(app, ["ingest", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    question = "How much did the work on the bridge at Halton cost?"
    result = runner.invoke(app, ["ask", "--json", question], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cited = json.loads(result.output)["citations"][0]
    assert "7.4 million pounds" in cited["quote"] and cited["page"] == 3
    result = runner.invoke(app, ["ask", question], catch_exceptions=False)
    assert "Lune valley roads report (2024-03-09), p. 3 - lune-report.pdf" in result.output


# -- layouts, metadata, failures -------------------------------------------------------------------
def _in_order(text: str, parts: list[str]) -> None:
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part[:60]!r} not found (in order) in {text[at:at + 200]!r}"
        at = found + len(part)


@pytest.mark.parametrize("make", [two_columns, two_columns_by_rows, lambda: columns_by_rows(3), feature_page],
                         ids=["column-after-column", "two-by-rows", "three-by-rows", "feature"])
def test_columns_are_read_column_by_column_a_paragraph_at_a_time(make: Any, tmp_path: Path) -> None:
    """Whether the file draws a column whole before the next or row by row across the page; the
    feature's standfirst (larger type) is one paragraph and its bold subheading one of its own."""
    document = make()
    article = load_file(write(tmp_path / "columns.pdf", document.data)).articles[0]
    _in_order(article.text, document.paragraphs)  # every paragraph whole (one crosses the columns), in order
    assert article.text.count("\n\n") == len(document.paragraphs) - 1


def test_a_tables_cells_are_kept_row_by_row(tmp_path: Path) -> None:
    document = with_table()
    article = load_file(write(tmp_path / "rail.pdf", document.data)).articles[0]
    _in_order(article.text, document.paragraphs)
    rows = [" ".join(cells) for cells in RAIL_TABLE]
    assert [p for p in article.text.split("\n\n") if p in rows] == rows  # a row a paragraph, not one blob
    assert "Northern loop 18 10 06:30" in rows


@pytest.mark.parametrize("document", documents(), ids=lambda d: d.name)
def test_the_measured_documents_keep_their_metadata_title_and_date(document: Any, tmp_path: Path) -> None:
    article = load_file(write(tmp_path / f"{document.name}{document.suffix}", document.data)).articles[0]
    assert (article.title, article.date) == (document.title, document.date)
    assert article.text.startswith(document.paragraphs[0])  # with a metadata title the headline stays text


def test_without_metadata_the_first_line_is_the_title_and_the_date_comes_from_the_name(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "2024-03-09-lune.pdf", report_pdf(title=None, created=None))).articles[0]
    assert (article.title, article.date) == (PAGES[0][0], "2024-03-09")
    assert not article.text.startswith(PAGES[0][0])
    assert page_of(article.pages, article.text.index(BRIDGE_QUOTE)) == 3  # the title taken out: pages still right


@pytest.mark.parametrize("furniture, says", [
    (False, r"^scanned PDF: no text layer on any of its 2 pages \(images only\); run OCR first"),
    (True, r"^scanned PDF: no text on any of its 2 pages besides a running header or footer \(images only\); "
           r"run OCR first"),
])
def test_a_scanned_pdf_fails_saying_it_needs_ocr(tmp_path: Path, furniture: bool, says: str) -> None:
    with pytest.raises(LoadError, match=says):
        load_file(write(tmp_path / "scan.pdf", report_pdf(PAGES[:2], scanned={1, 2}, furniture=furniture)))


def test_an_encrypted_pdf_fails_saying_it_needs_a_password(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="^encrypted PDF: it cannot be opened without a password"):
        load_file(write(tmp_path / "locked.pdf", report_pdf(user_password="reader-secret")))
    # Encrypted for its owner only (printing, copying rights): opens, pages and all.
    article = load_file(write(tmp_path / "owner.pdf", report_pdf(user_password=""))).articles[0]
    assert page_of(article.pages, article.text.index(BRIDGE_QUOTE)) == 3


# -- served at a URL -------------------------------------------------------------------------------
@pytest.fixture
def web_assistant(settings: Settings, embedder: Any) -> Assistant:
    settings.web.allow_hosts = ["127.0.0.1"]
    return Assistant(settings, embedder=embedder)


def test_pdf_and_word_files_served_at_a_url_are_indexed_and_cited_with_their_page(site: Site,  # noqa: F811
                                                                                 web_assistant: Assistant) -> None:
    site.page("/reports/lune.pdf", report_pdf(), content_type="application/pdf")
    site.page("/files/school", word_document().data,
              content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    site.page("/download/locked.pdf", report_pdf(user_password="reader-secret"),
              content_type="application/octet-stream")  # a generic type: the bytes say PDF
    site.page("/download/scan", report_pdf(PAGES[:1], scanned={1}, furniture=False), content_type="application/pdf")
    report = web_assistant.web.ingest_urls([site.url(p) for p in ("/reports/lune.pdf", "/files/school",
                                                                  "/download/locked.pdf", "/download/scan")])
    by_url = {item.url.rsplit("/", 1)[-1]: item for item in report.items}
    assert {k: v.status for k, v in by_url.items()} == {"lune.pdf": "indexed", "school": "indexed",
                                                        "locked.pdf": "failed", "scan": "failed"}
    assert by_url["lune.pdf"].title == "Lune valley roads report" and by_url["lune.pdf"].date == "2024-03-09"
    assert "encrypted PDF: it cannot be opened without a password" in by_url["locked.pdf"].reason
    assert "scanned PDF: no text layer" in by_url["scan"].reason

    answer = web_assistant.ask("When will the new bridge over the Lune at Halton open to traffic?")
    cited = answer.citations[0]
    assert BRIDGE_QUOTE in cited.quote and cited.page == 3 and cited.url == site.url("/reports/lune.pdf")
    answer = web_assistant.ask("When do classes begin in the autumn term?")
    assert "26 August" in answer.text and answer.citations[0].title == "School board sets autumn term timetable"
    assert answer.citations[0].page is None  # a Word file has no fixed pages


def test_a_pdf_over_the_fetch_size_limit_is_refused_before_it_is_read(site: Site, settings: Settings,  # noqa: F811
                                                                      embedder: Any) -> None:
    settings.web.allow_hosts = ["127.0.0.1"]
    settings.web.max_page_mb = 0.002  # the report is several times larger
    assistant = Assistant(settings, embedder=embedder)
    site.page("/big.pdf", report_pdf(), content_type="application/pdf")
    item = assistant.web.ingest_urls([site.url("/big.pdf")]).items[0]
    assert (item.status, item.reason) == ("failed", "page larger than 2 KB")  # the fetcher's limit, as for pages
    assert assistant.stats().chunks == 0
