"""Decoding input bytes: a BOM (UTF-8, UTF-16, UTF-32) or the NUL pattern of BOM-less UTF-16
decides; otherwise UTF-8, then Shift_JIS/CP932, then EUC-JP."""

from __future__ import annotations

import re

from isc.diagnostics import Span
from isc.errors import DecodeError

CANDIDATES = ("utf-8", "cp932", "euc_jp")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]{2,}")
#: Byte-order marks, longest first (the UTF-32-LE BOM starts like the UTF-16-LE one).
BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SNIFF = 4096
_INI_HEADER = re.compile(r"[ \t]*\[[^\]\r\n]+\][ \t]*")
_XML_START = ("<?xml", "<imss-policy")


def unicode_form(data: bytes) -> tuple[str, int] | None:
    """``(codec, BOM length)`` for UTF-16 or UTF-32 text: by its BOM, or, without one, by
    the NUL byte in every other position that ASCII text has in UTF-16. None otherwise
    (UTF-8 and the legacy encodings are left to :func:`decode`)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return (codec, len(bom)) if codec != "utf-8" else None
    sample = data[: _SNIFF & ~1]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd * 2 >= pairs and even * 20 <= pairs:
        return "utf-16-le", 0
    if even * 2 >= pairs and odd * 20 <= pairs:
        return "utf-16-be", 0
    return None


def head_text(data: bytes) -> str:
    """The first few KiB as text, good enough to sniff (never raises; no BOM)."""
    form = unicode_form(data)
    if form is not None:
        codec, skip = form
        width = 4 if codec.startswith("utf-32") else 2
        chunk = data[skip: skip + _SNIFF]
        return chunk[: len(chunk) - len(chunk) % width].decode(codec, "replace")
    return data[:_SNIFF].removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def starts_like_ini(data: bytes) -> bool:
    """True when the content starts like an INI-dialect policy or a list import file: after
    blank and comment lines and at most one title line, a ``[section]`` header."""
    text = head_text(data)
    lines = text.splitlines()
    if len(text) >= _SNIFF - 4 and lines:
        lines.pop()  # maybe cut in the middle
    title = False
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if _INI_HEADER.fullmatch(line):
            return not stripped.startswith(_XML_START)
        if title:
            return False
        title = True
    return False


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``. With ``encoding`` given only that one is tried."""
    skip = 0
    if data.startswith(b"\xef\xbb\xbf"):
        skip = 3
        if encoding is None:
            encoding = "utf-8"
    elif encoding is None:
        form = unicode_form(data)
        if form is not None:
            encoding, skip = form
    body = data[skip:]
    candidates = (encoding,) if encoding else CANDIDATES
    first_error: UnicodeDecodeError | None = None
    decoded: list[tuple[str, str]] = []
    for enc in candidates:
        try:
            text = body.decode(enc)
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
    offset = first_error.start + skip
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
