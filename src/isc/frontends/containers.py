"""Reading inputs: directories, ``.tar`` / ``.tar.gz`` / ``.tgz`` archives and single files
(formats.md §6).

Archives are read member by member in memory and never extracted. Links, devices, absolute
paths and ``..`` members are refused; members and whole archives are bounded in size, so a
decompression bomb stops at the limit. Only regular files are read: a device, FIFO or socket
is refused after ``stat``, without being opened (``ISC4007``). A file is an archive only when
it really opens as one; an archive inside an input is refused, never skipped. Two members
with one path are refused (``ISC4008``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import InputError, LimitError
from isc.frontends import _text

DEFAULT_LIMIT = 512 * 1024 * 1024
MAX_MEMBERS = 100_000


@attrs.frozen
class Member:
    """One file read from an input: ``display`` for messages, ``rel`` for output documents."""

    display: str
    rel: str
    data: bytes
    #: The user named this file as an input (not found in a directory or archive).
    given: bool = False


@attrs.define
class Limits:
    member_bytes: int = DEFAULT_LIMIT
    archive_bytes: int = DEFAULT_LIMIT
    members: int = MAX_MEMBERS


class _Bounded(io.RawIOBase):
    """A reader that refuses to yield more than ``limit`` bytes in all."""

    def __init__(self, inner: BinaryIO, limit: int, name: str) -> None:
        self.inner, self.limit, self.count, self.name = inner, limit, 0, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        data = self.inner.read(want)
        self.count += len(data)
        if self.count > self.limit:
            raise LimitError(
                f"archive expands to more than {self.limit} bytes; stopped (decompression bomb?)",
                code="ISC4001", span=Span(self.name),
            )
        buffer[: len(data)] = data
        return len(data)


def _magic(data: bytes) -> bool:
    if data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00":
        return True
    return len(data) > 262 and data[257:262] == b"ustar"


def archive_kind(data: bytes) -> str | None:
    """``"archive"`` when the bytes open as a tar archive or a gzip/bzip2/xz stream (the
    first block decompresses, or the tar header's checksum holds), ``"broken"`` when they
    only start with such magic bytes, None otherwise."""
    if not _magic(data):
        return None
    head = data[:1 << 16]
    try:
        if data[:2] == b"\x1f\x8b":
            zlib.decompressobj(31).decompress(head, 1024)
        elif data[:3] == b"BZh":
            bz2.BZ2Decompressor().decompress(head, max_length=1024)
        elif data[:6] == b"\xfd7zXZ\x00":
            lzma.LZMADecompressor().decompress(head, max_length=1024)
        else:
            tarfile.TarInfo.frombuf(data[:512], "utf-8", "surrogateescape")
    except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError, tarfile.TarError):
        return "broken"
    return "archive"


def is_archive(data: bytes) -> bool:
    """True when the bytes really open as an archive (see :func:`archive_kind`)."""
    return archive_kind(data) == "archive"


def _nested(display: str) -> Diagnostic:
    return Diagnostic.at(
        "ISC2008", Severity.ERROR, "an archive (or compressed file) inside an input is not "
        "opened; unpack it, or give it as an input of its own", Span(display))


def _decompressor(raw: BinaryIO, head: bytes) -> BinaryIO:
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if head[:3] == b"BZh":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    return raw


def read_archive(data: bytes, display: str, limits: Limits, diags: list[Diagnostic]
                 ) -> Iterator[Member]:
    """Yield the regular-file members of a tar archive (optionally gzip/bzip2/xz)."""
    stream = _Bounded(_decompressor(io.BytesIO(data), data[:6]), limits.archive_bytes, display)
    try:
        tar = tarfile.open(fileobj=io.BufferedReader(stream), mode="r|")  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise InputError(f"not a readable tar archive: {exc}", code="ISC1008",
                         span=Span(display)) from exc
    count = 0
    seen: dict[str, str] = {}
    try:
        for info in tar:
            count += 1
            if count > limits.members:
                raise LimitError(f"more than {limits.members} archive members", code="ISC4004",
                                 span=Span(display))
            name = info.name
            where = Span(f"{display}:{name}")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
                diags.append(Diagnostic.at("ISC4002", Severity.ERROR,
                                           f"member {name!r} has an absolute or escaping path; "
                                           "refused", where))
                continue
            if info.issym() or info.islnk():
                diags.append(Diagnostic.at("ISC4002", Severity.ERROR,
                                           f"member {name!r} is a link to {info.linkname!r}; "
                                           "refused", where))
                continue
            if info.isdir():
                continue
            if not info.isfile():
                diags.append(Diagnostic.at("ISC4002", Severity.ERROR,
                                           f"member {name!r} is a device or special file; "
                                           "refused", where))
                continue
            if info.size > limits.member_bytes:
                diags.append(Diagnostic.at("ISC4001", Severity.ERROR,
                                           f"member {name!r} is {info.size} bytes, over the "
                                           f"limit of {limits.member_bytes}; refused", where))
                continue
            fh = tar.extractfile(info)
            if fh is None:
                continue
            content = fh.read()
            rel = str(PurePosixPath(*[p for p in parts if p not in (".", "")]))
            if rel in seen:
                diags.append(Diagnostic.at(
                    "ISC4008", Severity.ERROR, f"member {name!r} has the same path as "
                    f"{seen[rel]!r}; re-create the archive with each file once", where))
                continue
            seen[rel] = name
            if archive_kind(content) == "archive":
                diags.append(_nested(f"{display}:{rel}"))
                continue
            yield Member(f"{display}:{rel}", rel, content)
        # read to the end so that gzip checks its length and CRC trailer
        while stream.read(1 << 20):
            pass
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError,
            gzip.BadGzipFile) as exc:
        raise InputError(f"archive is corrupt or truncated: {exc}", code="ISC1008",
                         span=Span(display)) from exc
    finally:
        tar.close()


_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int, display: str) -> Diagnostic:
    what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return Diagnostic.at("ISC4007", Severity.ERROR,
                         f"{what}, not a regular file; not read (isc reads only regular files)",
                         Span(display))


def _read_file(path: Path, display: str, limits: Limits) -> bytes:
    """A regular file's bytes. The caller has checked with ``stat`` that it is one; the open
    does not block and the type is checked again on the open file, so a file swapped for a
    FIFO or a device in between is refused too, and never more than the limit is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                diag = _not_regular(st.st_mode, display)
                raise InputError(diag.message, code="ISC4007", span=Span(display))
            if st.st_size > limits.archive_bytes:
                raise LimitError(f"file is {st.st_size} bytes, over the limit of "
                                 f"{limits.archive_bytes}", code="ISC4001", span=Span(display))
            # the size stat gives, plus one byte to see whether the file grew meanwhile
            data = fh.read(st.st_size + 1)
            while len(data) <= limits.archive_bytes:
                more = fh.read(1 << 20)
                if not more:
                    break
                data += more
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", span=Span(display)) from exc
    if len(data) > limits.archive_bytes:
        raise LimitError(f"file is over the limit of {limits.archive_bytes} bytes",
                         code="ISC4001", span=Span(display))
    return data


#: (device, inode) of every file read → (how it was shown, the index of its input).
_Seen = dict[tuple[int, int], tuple[str, int]]


def _same_file(st: os.stat_result, display: str, given: int, seen: _Seen,
               diags: list[Diagnostic]) -> bool:
    """True (and ``ISC4008``) when this file was already read under another input (a link
    inside one directory to a file in it is read as documented)."""
    key = (st.st_dev, st.st_ino)
    first = seen.setdefault(key, (display, given))
    if first[1] != given:
        diags.append(Diagnostic.at("ISC4008", Severity.ERROR,
                                   f"{display!r} is the same file as {first[0]!r}, already "
                                   "read; give each file once", Span(display)))
        return True
    return False


def read_inputs(paths: list[str], limits: Limits, diags: list[Diagnostic]) -> list[Member]:
    """Every member of every input, in a deterministic order."""
    members: list[Member] = []
    seen: _Seen = {}
    for index, given in enumerate(paths):
        path = Path(given)
        if not os.path.lexists(given):
            raise InputError(f"no such file or directory: {given}", span=Span(given))
        try:
            st = os.stat(given)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", span=Span(given)) from exc
        if stat.S_ISDIR(st.st_mode):
            members.extend(_read_directory(path, given, limits, diags, seen, index))
            continue
        if not stat.S_ISREG(st.st_mode):
            diags.append(_not_regular(st.st_mode, given))
            continue
        if _same_file(st, given, index, seen, diags):
            continue
        data = _read_file(path, given, limits)
        kind = archive_kind(data)
        if kind == "archive" or (kind == "broken" and not _text.starts_like_ini(data)):
            members.extend(read_archive(data, given, limits, diags))
        else:
            members.append(Member(given, path.name, data, given=True))
    return members


def _read_directory(root: Path, given: str, limits: Limits, diags: list[Diagnostic],
                    seen: _Seen, index: int) -> list[Member]:
    out: list[Member] = []
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for dname in dirnames:
            full_dir = Path(dirpath) / dname
            if full_dir.is_symlink():
                diags.append(Diagnostic.at("ISC4002", Severity.WARNING,
                                           "symbolic link to a directory; not followed",
                                           Span(str(Path(given) / full_dir.relative_to(root)))))
        for fname in sorted(filenames):
            full = Path(dirpath) / fname
            rel = full.relative_to(root).as_posix()
            display = str(Path(given) / rel)
            if full.is_symlink():
                target = full.resolve()
                if not target.is_relative_to(real_root):
                    diags.append(Diagnostic.at("ISC4002", Severity.ERROR,
                                               f"symbolic link points outside {given}; "
                                               "not followed", Span(display)))
                    continue
            try:
                st = os.stat(full)
            except OSError:
                diags.append(Diagnostic.at("ISC4002", Severity.WARNING,
                                           "symbolic link to nothing; not read", Span(display)))
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # a link to a directory inside the input: reported above
            if not stat.S_ISREG(st.st_mode):
                diags.append(_not_regular(st.st_mode, display))
                continue
            if _same_file(st, display, index, seen, diags):
                continue
            data = _read_file(full, display, limits)
            if archive_kind(data) == "archive":
                diags.append(_nested(display))
                continue
            out.append(Member(display, rel, data))
    return out
