"""Decoding input bytes: UTF-8 (with or without BOM), then Shift_JIS/CP932, then EUC-JP."""

from __future__ import annotations

import re

from isc.diagnostics import Span
from isc.errors import DecodeError

CANDIDATES = ("utf-8", "cp932", "euc_jp")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]{2,}")


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``. With ``encoding`` given only that one is tried."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        if encoding is None:
            encoding = "utf-8"
    candidates = (encoding,) if encoding else CANDIDATES
    first_error: UnicodeDecodeError | None = None
    decoded: list[tuple[str, str]] = []
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        except LookupError as exc:
            raise DecodeError(f"unknown encoding {enc!r}", span=Span(path)) from exc
        if encoding or enc != "cp932" or not _HALF_WIDTH_KANA.search(text):
            return text, enc
        decoded.append((text, enc))  # EUC-JP bytes often decode as CP932 half-width kana
    if decoded:
        return decoded[0]
    assert first_error is not None
    offset = first_error.start
    raise DecodeError(
        f"cannot decode as {', '.join(candidates)}: invalid byte at offset {offset} "
        f"(0x{data[offset]:02x})",
        span=Span(path, *_line_col(data, offset)),
        notes=("give the right encoding with --encoding",),
    )


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1
