"""Classifying inputs never drops content silently (issue "Trustworthy under hostile and messy
input: no silent skip").

Each test is one reproducer that used to end with exit 0 and policy lost, or hang: a file that
looks like policy and cannot be read is an error (exit 2), sniffing looks at what a file
*starts* with (never at a comment inside it), only regular files are read, and a document or
value over a size limit is refused before it is built. Every test runs ``isc`` in-process.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import tarfile
import threading
import tracemalloc
from pathlib import Path

import pytest

import isc
from isc.errors import IscError
from isc.frontends import _text, containers
from test_cli import run

DIAG = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note)"
    r"\[(?P<code>ISC\d{4})\]: (?P<msg>.*)$|"
    r"^(?P<file2>.+?): (?P<sev2>error|warning|note)\[(?P<code2>ISC\d{4})\]: (?P<msg2>.*)$"
)

BAD_LINE = b"\xff\xfe\xfa\x00"
#: A web policy whose custom category holds one line that decodes under no candidate.
UNDECODABLE = (b'[product]\nname = IWSVA\n\n[custom-category "Bad"]\nbad.example\n'
               + BAD_LINE + b"\n")
#: The offset of the first bad byte, and its line.
BAD_OFFSET, BAD_LINE_NO = UNDECODABLE.index(BAD_LINE), 6
POLICY = '[custom-category "Good"]\ngood.example\n'
LIST_IMPORT = "<Company> trusted URLs\n[allow]\nhttp://intranet.example/*\n"


def diagnostics(err: str) -> list[tuple[str, int, str, str, str]]:
    """(file, line, severity, code, message) of every diagnostic printed."""
    out = []
    for line in err.splitlines():
        m = DIAG.match(line)
        if m is None:
            continue
        if m.group("code"):
            out.append((m.group("file"), int(m.group("line")), m.group("sev"),
                        m.group("code"), m.group("msg")))
        else:
            out.append((m.group("file2"), 0, m.group("sev2"), m.group("code2"),
                        m.group("msg2")))
    return out


def only(err: str, code: str) -> tuple[str, int, str, str, str]:
    (found,) = [d for d in diagnostics(err) if d[3] == code]
    return found


def custom_categories(*paths: Path) -> set[str]:
    export = isc.load(*map(str, paths))
    assert isinstance(export, isc.Export) and export.web is not None
    return {c.name for c in export.web.custom_categories}


def tar(members: list[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------------- undecodable policy


@pytest.mark.parametrize("in_directory", [False, True])
def test_undecodable_policy_is_an_error_at_the_first_bad_byte(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], in_directory: bool) -> None:
    """It holds a NUL byte, but it starts like a policy: ISC1001, not "a binary file"."""
    (tmp_path / "in").mkdir()
    f = tmp_path / "in" / "policy.ini"
    f.write_bytes(UNDECODABLE)
    rc, _out, err = run(capsys, "check", tmp_path / "in" if in_directory else f)
    assert rc == 2, err
    file, line, sev, _code, msg = only(err, "ISC1001")
    assert (file, line, sev) == (str(f), BAD_LINE_NO, "error")
    assert f"offset {BAD_OFFSET} (0xff)" in msg
    assert "ISC2008" not in err


def test_a_named_binary_file_is_an_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A file the user names is decoded, whatever its bytes: never skipped as binary."""
    f = tmp_path / "export.dat"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x81\x00\xff")
    rc, _out, err = run(capsys, "check", f)
    assert rc == 2
    assert only(err, "ISC1001")[:3] == (str(f), 1, "error")


def test_a_binary_file_found_in_a_directory_is_still_only_reported(tmp_path: Path) -> None:
    (tmp_path / "policy.ini").write_text(POLICY)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    export = isc.load(str(tmp_path))
    assert [(d.code, d.severity.value) for d in export.diagnostics] == [("ISC2008", "warning")]


# ---------------------------------------------------------------------- PEM by its start


def test_a_certificate_marker_in_a_comment_does_not_make_a_pem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "policy.ini"
    f.write_text("# -----BEGIN CERTIFICATE-----\n" + POLICY)
    rc, out, err = run(capsys, "inspect", f)
    assert rc == 0, err
    assert f"{f}: web-policy (utf-8)" in out
    assert custom_categories(f) == {"Good"}


def test_a_real_pem_is_still_a_certificate(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ca.pem"
    f.write_text("\n  -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    rc, out, _err = run(capsys, "inspect", f)
    assert rc == 0 and f"{f}: PEM certificate" in out


# ---------------------------------------------------------------------- UTF-16 and UTF-32


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                   "utf-32-be"])
def test_utf16_and_utf32_policies_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           codec: str) -> None:
    """With a BOM (``utf-16``, ``utf-32``) or, for UTF-16, without (its NUL pattern)."""
    if codec == "utf-32-be":
        data = b"\x00\x00\xfe\xff" + POLICY.encode(codec)
    else:
        data = POLICY.encode(codec)
    f = tmp_path / "policy.ini"
    f.write_bytes(data)
    rc, out, err = run(capsys, "inspect", f)
    assert rc == 0, err
    assert f"{f}: web-policy (" in out
    assert custom_categories(f) == {"Good"}


def test_bomless_utf16_xml_rule_set_is_read(tmp_path: Path) -> None:
    f = tmp_path / "Policy.xml"
    f.write_bytes('<imss-policy product="IMSVA">\n</imss-policy>\n'.encode("utf-16-le"))
    export = isc.load(str(f))
    assert export.mail is not None
    assert [file.kind for file in export.files] == ["mail rule set"]


def test_unicode_forms_are_sniffed() -> None:
    assert _text.unicode_form("[a]\n".encode("utf-16-le")) == ("utf-16-le", 0)
    assert _text.unicode_form("[a]\n".encode("utf-16")[:2] + b"[\x00") == ("utf-16-le", 2)
    assert _text.unicode_form(b"\xff\xfe\x00\x00[\x00\x00\x00") == ("utf-32-le", 4)
    assert _text.unicode_form(UNDECODABLE) is None
    assert _text.unicode_form(b"[a]\n") is None


# ---------------------------------------------------------------------- "<" that is not XML


def test_a_list_import_file_whose_title_starts_with_lt_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "TrustedURLs.ini"
    f.write_text(LIST_IMPORT)
    rc, _out, err = run(capsys, "inspect", f)
    assert rc == 0, err
    assert "ISC2008" not in err
    export = isc.load(str(f))
    assert export.web is not None and export.web.global_trusted is not None


# ---------------------------------------------------------------------- archive magic bytes


MAGIC_TEXTS = {
    "bzip2": "BZh export\n[allow]\nhttp://intranet.example/*\n",
    "tar": "#" + "-" * 256 + "ustar\n[allow]\nhttp://intranet.example/*\n",
}


@pytest.mark.parametrize("magic", sorted(MAGIC_TEXTS))
@pytest.mark.parametrize("in_directory", [False, True])
def test_text_that_starts_like_an_archive_is_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], magic: str,
        in_directory: bool) -> None:
    (tmp_path / "in").mkdir()
    f = tmp_path / "in" / "TrustedURLs.ini"
    f.write_text(MAGIC_TEXTS[magic])
    if magic == "tar":
        assert f.read_bytes()[257:262] == b"ustar"
    assert containers.archive_kind(f.read_bytes()) == "broken"
    rc, _out, err = run(capsys, "check", tmp_path / "in" if in_directory else f)
    assert rc == 0, err
    assert diagnostics(err) == []
    export = isc.load(str(tmp_path / "in" if in_directory else f))
    assert export.web is not None and export.web.global_trusted is not None


def test_a_corrupt_archive_given_alone_is_still_an_archive_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "fake.tgz"
    f.write_bytes(b"\x1f\x8b" + b"garbage" * 50)
    rc, _out, err = run(capsys, "check", f)
    assert rc == 2 and only(err, "ISC1008")[0] == str(f)


def test_a_nested_archive_in_a_directory_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "policy.ini").write_text(POLICY)
    nested = tmp_path / "in" / "more.tar.gz"
    nested.write_bytes(tar([("other.ini", POLICY.encode())]))
    rc, _out, err = run(capsys, "check", tmp_path / "in")
    assert rc == 2
    assert only(err, "ISC2008")[:3] == (str(nested), 0, "error")


def test_a_nested_archive_in_an_archive_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outer = tmp_path / "export.tar"
    outer.write_bytes(tar([("policy.ini", POLICY.encode()),
                           ("more.tar.bz2", tar([("x.ini", b"[a]\n")], "w:bz2"))], "w"))
    rc, _out, err = run(capsys, "check", outer)
    assert rc == 2
    assert only(err, "ISC2008")[:3] == (f"{outer}:more.tar.bz2", 0, "error")


# ---------------------------------------------------------------------- rule-set XML


def test_xml_declaring_utf16_in_utf8_bytes_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "Policy.xml"
    f.write_text('<?xml version="1.0" encoding="UTF-16"?>\n<imss-policy>\n</imss-policy>\n')
    rc, _out, err = run(capsys, "compile", f, "-o", tmp_path / "out")
    assert rc == 2
    file, line, sev, _code, msg = only(err, "ISC1013")
    assert (file, line, sev) == (str(f), 1, "error")
    assert "UTF-16" in msg and "declaration" in msg
    assert not (tmp_path / "out" / "ems.json").exists()


def test_a_namespaced_root_is_an_error(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "Policy.xml"
    f.write_text('<imss-policy xmlns="urn:example:imss">\n<stamp name="s">x</stamp>\n'
                 "</imss-policy>\n")
    rc, _out, err = run(capsys, "compile", f, "-o", tmp_path / "out")
    assert rc == 2
    file, line, sev, _code, msg = only(err, "ISC1013")
    assert (file, line, sev) == (str(f), 1, "error")
    assert "namespace 'urn:example:imss'" in msg
    assert not (tmp_path / "out" / "ems.json").exists()


def test_an_xml_value_over_the_limit_is_refused_with_bounded_memory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    size = 50_000_000
    f = tmp_path / "Policy.xml"
    f.write_bytes(b'<imss-policy>\n<stamp name="' + b"a" * size + b'">x</stamp>\n</imss-policy>')
    tracemalloc.start()
    try:
        rc, _out, err = run(capsys, "check", f)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rc == 2
    assert only(err, "ISC4009")[:3] == (str(f), 2, "error")
    assert peak < 2 * size + 20_000_000  # the file's bytes once, no decoded copies


# ---------------------------------------------------------------------- same path twice


def test_two_archive_members_with_one_path_are_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arc = tmp_path / "export.tar.gz"
    arc.write_bytes(tar([("policy.ini", POLICY.encode()),
                         ("./policy.ini", b'[custom-category "Other"]\nother.example\n')]))
    rc, _out, err = run(capsys, "check", arc)
    assert rc == 2
    file, _line, sev, _code, msg = only(err, "ISC4008")
    assert (file, sev) == (f"{arc}:./policy.ini", "error")
    assert "'./policy.ini'" in msg and "'policy.ini'" in msg


def test_one_file_given_twice_is_an_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    f = tmp_path / "in" / "policy.ini"
    f.write_text(POLICY)
    rc, _out, err = run(capsys, "check", tmp_path / "in", f)
    assert rc == 2
    assert only(err, "ISC4008")[:3] == (str(f), 0, "error")


# ---------------------------------------------------------------------- not regular files


def test_a_device_is_refused_without_reading_it(capsys: pytest.CaptureFixture[str]) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    rc, _out, err = run(capsys, "check", "/dev/zero")
    assert rc == 2
    file, _line, sev, _code, msg = only(err, "ISC4007")
    assert (file, sev) == ("/dev/zero", "error") and "character device" in msg


def _unblock(fifo: Path) -> threading.Timer:
    """Open the FIFO for writing after a while, so a test that would hang fails instead."""
    def release() -> None:
        with contextlib.suppress(OSError):
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
    timer = threading.Timer(5.0, release)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.parametrize("in_directory", [False, True])
def test_a_fifo_is_refused_without_opening_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], in_directory: bool) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "policy.ini").write_text(POLICY)
    fifo = tmp_path / "in" / "pipe"
    os.mkfifo(fifo)
    timer = _unblock(fifo)
    try:
        rc, _out, err = run(capsys, "check", tmp_path / "in" if in_directory else fifo)
    finally:
        timer.cancel()
    assert rc == 2
    file, _line, sev, _code, msg = only(err, "ISC4007")
    assert (file, sev) == (str(fifo), "error") and "FIFO" in msg


def test_a_socket_in_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "policy.ini").write_text(POLICY)
    path = tmp_path / "s.sock"
    if len(str(path)) > 100:
        pytest.skip("path too long for a UNIX socket")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        with pytest.raises(IscError) as info:
            isc.load(str(tmp_path))
    finally:
        sock.close()
    assert [(d.code, d.file) for d in info.value.diagnostics if d.code == "ISC4007"] == [
        ("ISC4007", str(path))]
