"""Bytes -> text for article files: UTF-8 (with or without BOM), UTF-16 and UTF-32 with their
byte-order mark (what Windows editors save as "Unicode"), else Windows-1252/Latin-1 with a
warning; binary content is refused rather than indexed as garbage."""

from __future__ import annotations

import codecs

from index.errors import LoadError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def bom_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 when `head` starts with its byte-order mark (what Windows editors
    save as "Unicode"), else None."""
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Decode UTF-8 (with or without BOM), UTF-16 and UTF-32 (with a BOM), falling back to
    Windows-1252/Latin-1.

    Raises `LoadError` for binary content rather than indexing garbage.
    """
    encoding = bom_encoding(data[:4])
    if encoding is not None:
        try:
            return data.decode(encoding).lstrip("\ufeff"), []
        except UnicodeDecodeError as exc:
            raise LoadError(f"starts with a {encoding.upper()} byte-order mark but is not {encoding.upper()} "
                            f"text (byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise LoadError("binary content (NUL bytes), not a text file")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "Latin-1"
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) < 0xA0)
    if controls > max(2, len(text) // 100):
        raise LoadError("binary content (not valid UTF-8 or Latin-1 text)")
    return text, [f"not UTF-8; decoded as {encoding}"]
