"""Reading inputs: directories, ``.tar`` / ``.tar.gz`` / ``.tgz`` archives and single files
(formats.md §6).

Archives are read member by member in memory and never extracted. Links, devices, absolute
paths and ``..`` members are refused; members and whole archives are bounded in size, so a
decompression bomb stops at the limit.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.errors import InputError, LimitError

DEFAULT_LIMIT = 512 * 1024 * 1024
MAX_MEMBERS = 100_000


@attrs.frozen
class Member:
    """One file read from an input: ``display`` for messages, ``rel`` for output documents."""

    display: str
    rel: str
    data: bytes


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


def is_archive(data: bytes) -> bool:
    if data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00":
        return True
    return len(data) > 262 and data[257:262] == b"ustar"


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


def _read_file(path: Path, display: str, limits: Limits) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.archive_bytes:
            raise LimitError(f"file is {size} bytes, over the limit of {limits.archive_bytes}",
                             code="ISC4001", span=Span(display))
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", span=Span(display)) from exc


def read_inputs(paths: list[str], limits: Limits, diags: list[Diagnostic]) -> list[Member]:
    """Every member of every input, in a deterministic order."""
    members: list[Member] = []
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise InputError(f"no such file or directory: {given}", span=Span(given))
        if path.is_dir():
            members.extend(_read_directory(path, given, limits, diags))
            continue
        data = _read_file(path, given, limits)
        if is_archive(data):
            members.extend(read_archive(data, given, limits, diags))
        else:
            members.append(Member(given, path.name, data))
    return members


def _read_directory(root: Path, given: str, limits: Limits, diags: list[Diagnostic]
                    ) -> list[Member]:
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
            if not full.is_file():
                continue
            data = _read_file(full, display, limits)
            if is_archive(data):
                diags.append(Diagnostic.at("ISC2008", Severity.WARNING,
                                           "an archive inside a directory input is not opened; "
                                           "give it as an input of its own", Span(display)))
                continue
            out.append(Member(display, rel, data))
    return out
