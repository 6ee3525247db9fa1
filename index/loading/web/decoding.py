"""Bounded decompression of HTTP bodies: gzip and deflate, layer by layer, as the bytes arrive.

    >>> decoder = BodyDecoder(response.headers.get("content-encoding", ""), limit=5 * 1024 * 1024)
    >>> for raw in response.iter_raw():
    ...     for piece in decoder.feed(raw):      # raises BodyTooLarge past the limit
    ...         body += piece

A compression bomb (1 GiB of zeros in 1 MB of gzip) must never be decompressed in full before
its size is known: every layer is inflated with `zlib.decompressobj(...).decompress(data,
max_length)`, at most `CHUNK` bytes at a time, its output counted as it is produced and refused
past `limit`; the unconsumed input waits for the next round. `Content-Encoding: gzip, gzip` is
undone outermost layer first, each layer bounded, nothing held but one chunk per layer.

Only gzip (also `x-gzip`, several members) and deflate (zlib-wrapped, or raw as some servers
send it) are decoded: `ACCEPT_ENCODING` asks for these. Any other encoding (br, zstd, compress,
an unknown one) is refused before a byte is decoded (`UnsupportedEncoding`): a server may send
it whatever the request asked for, and the libraries that decode it are not bounded here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPT_ENCODING = "gzip, deflate"
CHUNK = 64 * 1024  # the most one layer produces per step
_GZIP = 16 + zlib.MAX_WBITS  # gzip header and trailer
_ZLIB = zlib.MAX_WBITS  # zlib header (RFC 1950), what HTTP calls deflate
_RAW = -zlib.MAX_WBITS  # bare deflate (RFC 1951), what some servers send as deflate


class UnsupportedEncoding(ValueError):
    """The body is compressed with an encoding that is not decoded (br, zstd, ...)."""


class BodyTooLarge(ValueError):
    """Decoding produced more than the limit."""


class BrokenEncoding(ValueError):
    """The compressed data is not valid."""


def encodings(header: str) -> list[str]:
    """The content codings of a `Content-Encoding` header, in the order they were applied."""
    names = [name.strip().lower() for name in header.split(",")]
    return [name for name in names if name and name != "identity"]


class _Layer:
    """One gzip or deflate layer, inflated at most `CHUNK` bytes at a time and `limit` in all."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.produced = 0
        self.gzip = name in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(_GZIP if self.gzip else _ZLIB)
        self._first = True  # deflate: a zlib header is expected first, else it is raw deflate
        self._ended = False  # the stream is complete: what follows is ignored

    def feed(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for data in pieces:
            while data and not self._ended:
                try:
                    out = self._obj.decompress(data, CHUNK)
                except zlib.error as exc:
                    if self.gzip or not self._first:
                        raise BrokenEncoding(f"broken {self.name} data ({exc})") from None
                    self._obj = zlib.decompressobj(_RAW)  # deflate sent without its zlib header
                    self._first = False
                    continue
                self._first = False
                data = self._obj.unconsumed_tail  # what max_length left over: the next round
                if self._obj.eof:
                    data = self._obj.unused_data + data
                    if self.gzip and data[:2] == b"\x1f\x8b":  # another gzip member follows
                        self._obj = zlib.decompressobj(_GZIP)
                    else:
                        self._ended = True  # padding or junk after the stream: ignored, as browsers do
                if out:
                    self.produced += len(out)
                    if self.produced > self.limit:
                        raise BodyTooLarge(f"{self.name} data decodes to more than {self.limit} bytes")
                    yield out


class BodyDecoder:
    """Undoes a response's `Content-Encoding`, never producing more than `limit` bytes per layer.

    Raises: `UnsupportedEncoding` (from the constructor); `BodyTooLarge`, `BrokenEncoding` (from
    `feed`).
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        names = encodings(content_encoding)
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise UnsupportedEncoding(name)
        self.layers = [_Layer(name, limit) for name in reversed(names)]  # the last applied is undone first

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of `data` (the next piece of the raw body), at most `CHUNK` at a time."""
        pieces: Iterable[bytes] = [data]
        for layer in self.layers:  # generators: each layer pulls one chunk at a time from the outer one
            pieces = layer.feed(pieces)
        yield from pieces
