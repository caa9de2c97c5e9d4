"""Appliance log files for ``isc replay`` (spec logs.md): files, ``.gz`` files and directories
of rotated files, each file's kind detected from its content, read as a stream.

Memory does not grow with the number of lines: lines are read one at a time, gzip is
decompressed as it is read, and mail lines wait for their partners (joined by message ID)
in a bounded window (:class:`~isc.frontends.mail_logs.MailJoiner`). Each line is decoded
on its own (UTF-8, else CP932/Shift_JIS, else EUC-JP: IMSVA writes subjects in the
sender's charset), without its line terminator (CRLF too). A line that decodes under none,
or is longer than :data:`MAX_LINE`, is :class:`~isc.ir.events.Unreadable`, never skipped.

A file whose kind cannot be told from its first lines, a missing path or a broken gzip
stream is unusable input (an :class:`~isc.errors.IscError`, exit 2): replaying half a log
and counting the rest as unreadable would misstate every figure.
"""

from __future__ import annotations

import datetime as dt
import gzip
import heapq
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from isc.diagnostics import Span
from isc.errors import IscError
from isc.frontends import mail_logs, web_logs
from isc.ir.events import Event, NotARequest, Unreadable, Where

#: A longer line is unreadable (a log line is a few hundred bytes; a binary file is not a log).
MAX_LINE = 1 << 20
#: How many lines the kind detection looks at.
_PEEK = 20
_ENCODINGS = ("utf-8", "cp932", "euc_jp")

KINDS = ("iwsva-syslog", "imsva-polevt", "imsva-msgtra", "json")
#: The ``log`` of a not-a-request line, by file kind.
_LOG = {"iwsva-syslog": "iwsva", "imsva-polevt": "imsva", "imsva-msgtra": "imsva", "json": "json"}

_POLEVT = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def log_files(paths: Sequence[str]) -> list[Path]:
    """Every file named, a directory's files (not its subdirectories' hidden files) in name
    order, so that rotated files are read oldest name first; each file once."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*")
                          if p.is_file() and not any(part.startswith(".")
                                                     for part in p.relative_to(path).parts))
        elif path.is_file():
            out.append(path)
        else:
            raise IscError(f"no such log file or directory: {given}", code="ISC1009",
                           span=Span(given))
    return list(dict.fromkeys(out))


def _open(path: Path) -> BinaryIO:
    raw = path.open("rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def lines(path: Path, display: str) -> Iterator[tuple[int, str | Unreadable]]:
    """The file's lines, decoded, numbered from 1; a line that cannot be decoded or is too
    long is an :class:`Unreadable` in its place."""
    try:
        with _open(path) as f:
            n = 0
            while True:
                data = f.readline(MAX_LINE + 1)
                if not data:
                    return
                n += 1
                if len(data) > MAX_LINE and not data.endswith(b"\n"):
                    yield n, Unreadable(Where(display, n),
                                        f"longer than {MAX_LINE} bytes: not a log line")
                    while data and not data.endswith(b"\n"):  # skip the rest of it
                        data = f.readline(MAX_LINE + 1)
                    continue
                yield n, _decode(data.rstrip(b"\r\n"), Where(display, n))
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IscError(f"{display}: cannot be read: {exc}", code="ISC1009",
                       span=Span(display)) from None


def _decode(data: bytes, where: Where) -> str | Unreadable:
    for enc in _ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return Unreadable(where, "decodes neither as UTF-8, Shift_JIS nor EUC-JP")


def detect(sample: Iterable[str]) -> str | None:
    """The kind of a log from its first lines (:data:`KINDS`), or None."""
    for text in sample:
        line = text.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                json.loads(line)
            except ValueError:
                return None
            return "json"
        if ",tk_" in line or re.search(r"\btk_[a-z_]+=", line):
            return "iwsva-syslog"
        fields = text.split("\t")
        if len(fields) >= 2 and _POLEVT.match(fields[0]) and _UUID.fullmatch(fields[1]):
            return "imsva-polevt"
        if len(fields) >= 6 and fields[0].endswith("Transac"):
            return "imsva-msgtra"
        return None
    return None


def read_logs(paths: Sequence[str], *, window: int = 50_000) -> Iterator[Event]:
    """Every event of the logs named: web and JSON files one after another, then the IMSVA
    files merged by time (each file is in time order; polevt and msgtra lines of one
    message are written within moments of each other, so merged they meet inside the join
    window however many messages a day holds); mail events as their lines are joined."""
    mail: list[Iterator[tuple[int, str | Unreadable]]] = []
    kinds: list[str] = []
    displays: list[str] = []
    for path in log_files(paths):
        display = str(path)
        head: list[tuple[int, str | Unreadable]] = []
        stream = lines(path, display)
        for item in stream:
            head.append(item)
            if len(head) >= _PEEK:
                break
        kind = detect(t for _, t in head if isinstance(t, str))
        if kind is None:
            if not head:
                continue  # an empty file holds no line to account for
            raise IscError(f"{display}: not a log isc reads (IWSVA syslog, IMSVA polevt or "
                           f"msgtra, or isc's JSON request lines); see docs/replay.md §1",
                           code="ISC1009", span=Span(display))
        if kind.startswith("imsva-"):
            mail.append(_chain(head, stream))
            kinds.append(kind)
            displays.append(display)
            continue
        for n, text in _chain(head, stream):
            yield text if isinstance(text, Unreadable) else _parse_web(kind, n, text, display)
    if mail:
        joiner = mail_logs.MailJoiner(window)
        records = heapq.merge(*(_timed(kind, display, stream) for kind, display, stream
                                in zip(kinds, displays, mail, strict=True)),
                              key=lambda item: item[0])
        for _, record in records:
            if isinstance(record, Unreadable | NotARequest):
                yield record
            else:
                yield from joiner.add(record)
        yield from joiner.flush()


_Record = mail_logs.PolicyEvent | mail_logs.Tracking | Unreadable | NotARequest


def _timed(kind: str, display: str, stream: Iterator[tuple[int, str | Unreadable]]
           ) -> Iterator[tuple[tuple[dt.datetime, int], _Record]]:
    """The file's records keyed by their wall-clock time (a line without one takes the time
    of the line before it), then by line number."""
    parse = mail_logs.parse_polevt if kind == "imsva-polevt" else mail_logs.parse_msgtra
    last = dt.datetime.min
    for n, text in stream:
        record: _Record
        if isinstance(text, Unreadable):
            record = text
        elif not text.strip():
            record = NotARequest(Where(display, n), "imsva", "a blank line")
        else:
            record = parse(n, text, display)
            when = getattr(record, "time", None)
            if when is not None:
                # the appliance's wall clock: polevt writes an offset, msgtra may not
                last = when.replace(tzinfo=None)
        yield (last, n), record


def _chain(head: list[tuple[int, str | Unreadable]],
           rest: Iterator[tuple[int, str | Unreadable]]
           ) -> Iterator[tuple[int, str | Unreadable]]:
    yield from head
    yield from rest


def _parse_web(kind: str, n: int, text: str, display: str) -> Event:
    if not text.strip():  # a blank line (the end of a file, often) carries no request
        return NotARequest(Where(display, n), _LOG[kind], "a blank line")
    if kind == "iwsva-syslog":
        return web_logs.parse_iwsva_line(n, text, display)
    return web_logs.parse_json_line(n, text, display)


__all__ = ["KINDS", "MAX_LINE", "detect", "lines", "log_files", "read_logs"]
