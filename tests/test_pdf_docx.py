"""PDF and Word (.docx) files: real files built here (a hand-written PDF, pypdf's writer for
encryption, python-docx for Word), read into articles and answered from; broken ones (encrypted,
scanned, corrupt, too long) are reported as failed with their reason while the good files of
the same batch are indexed."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

import index.loading.pdf as pdf_module
from index.errors import LoadError
from index.loading.load import SUPPORTED_SUFFIXES, load_file
from qa.api import Assistant

HEADER = "The Harbour Gazette - 27 February 2024"


def make_pdf(pages: list[list[tuple[int, int, int, str]]], info: dict[str, str] | None = None,
             image_only: bool = False) -> bytes:
    """A minimal PDF: each page a list of (x, y, font size, text) lines in Helvetica; with
    `image_only`, every page holds one small image and no text (a scanned page)."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    catalog, pages_id = add(b""), add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        if image_only:
            ops = b"q 200 0 0 200 100 500 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"
        else:
            ops = b"\n".join(b"BT /F1 %d Tf %d %d Td (" % (size, x, y)
                             + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")
                             + b") Tj ET" for x, y, size, text in lines)
        content = add(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> "
                        b">> /Contents %d 0 R >>" % (pages_id, font, content)))
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objs[pages_id - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                          + b"] /Count %d >>" % len(kids))
    info_id = add(b"<< " + b" ".join(b"/%s (%s)" % (k.encode(), v.encode()) for k, v in info.items()) + b" >>"
                  ) if info else None
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (len(objs) + 1, catalog)
    out += (b" /Info %d 0 R" % info_id if info_id else b"") + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def news_page(number: int, total: int, body: list[str]) -> list[tuple[int, int, int, str]]:
    """A page with a running header, body lines 14 points apart ("" = a blank line: a
    paragraph gap) and a "Page N of M" footer."""
    lines = [(72, 750, 9, HEADER)]
    y = 700
    for text in body:
        if text:
            lines.append((72, y, 11, text))
        y -= 14
    return lines + [(260, 40, 9, f"Page {number} of {total}")]


FERRY_PAGES = [
    ["Ferry talks resume in the harbour", "",
     "The harbour council met the Ukrain-", "ian delegation on Tuesday to discuss", "the new winter ferry timetable.", "",
     "Negotiators said the talks would go on", "through the week and that the"],
    ["night crossing to the islands would be", "kept for the whole winter season.", "",
     "A final vote is expected in March."],
]
FERRY_TEXT = ("The harbour council met the Ukrainian delegation on Tuesday to discuss the new winter ferry timetable.\n\n"
              "Negotiators said the talks would go on through the week and that the night crossing to the islands "
              "would be kept for the whole winter season.\n\n"
              "A final vote is expected in March.")


def ferry_pdf(info: dict[str, str] | None = None) -> bytes:
    return make_pdf([news_page(n, len(FERRY_PAGES), body) for n, body in enumerate(FERRY_PAGES, 1)], info)


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def museum_docx(title: str | None = "Museum reopens east wing", created: dt.datetime | None = None) -> bytes:
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    document.core_properties.created = created or dt.datetime(2024, 3, 1, 9, 30)
    document.add_heading("City museum", level=1)
    document.add_paragraph("The city museum will reopen its east wing on 4 March after a two-year restoration.")
    document.add_heading("Opening hours", level=2)
    document.add_paragraph("Entry on the first weekend is free for residents.")
    document.add_paragraph("Guided tours every hour", style="List Bullet")
    document.add_paragraph("Late opening on Thursdays", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Day", "Hours"), ("Monday", "Closed")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("The restoration cost 12 million euros.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_both_suffixes_are_supported() -> None:
    assert ".pdf" in SUPPORTED_SUFFIXES and ".docx" in SUPPORTED_SUFFIXES


def test_pdf_text_without_page_furniture_with_words_and_paragraphs_rejoined(tmp_path: Path) -> None:
    path = write(tmp_path / "ferry.pdf", ferry_pdf({"Title": "Ferry talks resume",
                                                    "CreationDate": "D:20240227101500+01'00'"}))
    article = load_file(path).articles[0]
    assert (article.title, article.date) == ("Ferry talks resume", "2024-02-27")
    # The headline (the first line) stays in the body when the metadata gives the title.
    assert article.text == "Ferry talks resume in the harbour\n\n" + FERRY_TEXT
    assert "Harbour Gazette" not in article.text and "Page" not in article.text and "Ukrain-" not in article.text


def test_pdf_title_from_first_line_else_file_name(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "ferry.pdf", ferry_pdf())).articles[0]
    assert (article.title, article.date) == ("Ferry talks resume in the harbour", None)
    assert article.text == FERRY_TEXT  # the headline is the title, not body text too
    long_first = "A very long opening line " * 8
    only_body = make_pdf([[(72, 700, 11, long_first.strip()), (72, 686, 11, "and its end.")]])
    article = load_file(write(tmp_path / "2024-03-02-harbour-notes.pdf", only_body)).articles[0]
    assert article.title == "Harbour Notes" and article.date == "2024-03-02"
    assert article.text == long_first.strip() + " and its end."


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "owner.pdf", encrypted(ferry_pdf(), user_password=""))).articles[0]
    assert article.text == FERRY_TEXT


@pytest.mark.parametrize("data, says", [
    (lambda: encrypted(ferry_pdf(), "reader-secret"), "encrypted PDF: it cannot be opened without a password"),
    (lambda: make_pdf([[]] * 2, image_only=True), "scanned PDF: no text layer on any of its 2 pages"),
    (lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "corrupt PDF"),
    (lambda: ferry_pdf()[:300], "corrupt PDF"),
    (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20, "corrupt PDF"),
])
def test_unreadable_pdfs_fail_with_their_reason(tmp_path: Path, data, says: str) -> None:  # noqa: ANN001
    with pytest.raises(LoadError, match=f"^{says}"):
        load_file(write(tmp_path / "bad.pdf", data()))


def test_a_pdf_over_the_page_limit_fails_saying_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "MAX_PDF_PAGES", 1)
    with pytest.raises(LoadError, match="^PDF has 2 pages, over the 1-page limit"):
        load_file(write(tmp_path / "long.pdf", ferry_pdf()))


def test_docx_blocks_in_order_with_headings_lists_and_tables(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "museum.docx", museum_docx())).articles[0]
    assert (article.title, article.date) == ("Museum reopens east wing", "2024-03-01")
    assert article.text == (
        "City museum\n"
        "The city museum will reopen its east wing on 4 March after a two-year restoration.\n\n"
        "Opening hours\n"
        "Entry on the first weekend is free for residents.\n\n"
        "- Guided tours every hour\n- Late opening on Thursdays\n\n"
        "Day | Hours\nMonday | Closed\n\n"
        "The restoration cost 12 million euros.")


def test_docx_title_from_first_heading_and_no_template_date(tmp_path: Path) -> None:
    template_stamp = dt.datetime(2013, 12, 23, 23, 15, tzinfo=dt.timezone.utc)  # python-docx's own template
    article = load_file(write(tmp_path / "museum.docx", museum_docx(title=None, created=template_stamp))).articles[0]
    assert article.title == "City museum" and article.text.startswith("The city museum will reopen")


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("data, says", [
    (b"PK\x03\x04 not really a docx", "corrupt .docx: not a readable zip archive"),
    (_zip({"hello.txt": b"hi"}), "corrupt .docx, cannot be read as a Word document"),
    (museum_docx()[:-200], "corrupt .docx"),
])
def test_unreadable_docx_fails_with_its_reason(tmp_path: Path, data: bytes, says: str) -> None:
    with pytest.raises(LoadError, match=f"^{says}"):
        load_file(write(tmp_path / "bad.docx", data))


def test_a_batch_indexes_the_good_documents_answers_from_them_and_reports_the_bad(assistant: Assistant,
                                                                                   tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write(folder / "ferry.pdf", ferry_pdf({"Title": "Ferry talks resume", "CreationDate": "D:20240227101500Z"}))
    write(folder / "museum.docx", museum_docx())
    write(folder / "locked.pdf", encrypted(ferry_pdf(), "reader-secret"))
    write(folder / "scan.pdf", make_pdf([[]], image_only=True))
    write(folder / "broken.pdf", ferry_pdf()[:300])
    write(folder / "broken.docx", b"PK\x03\x04 not really a docx")
    report = assistant.ingest([folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert {name: f.status for name, f in by_name.items()} == {
        "ferry.pdf": "indexed", "museum.docx": "indexed", "locked.pdf": "failed", "scan.pdf": "failed",
        "broken.pdf": "failed", "broken.docx": "failed"}
    assert "without a password" in by_name["locked.pdf"].reason
    assert "run OCR first" in by_name["scan.pdf"].reason
    assert by_name["broken.pdf"].reason.startswith("corrupt PDF")
    assert by_name["broken.docx"].reason.startswith("corrupt .docx")

    answer = assistant.ask("Who did the harbour council meet on Tuesday?")
    assert "Ukrainian delegation" in answer.text and answer.citations[0].title == "Ferry talks resume"
    answer = assistant.ask("When will the city museum reopen its east wing?")
    assert "4 March" in answer.text and answer.citations[0].title == "Museum reopens east wing"
    assert answer.citations[0].date == "2024-03-01"
