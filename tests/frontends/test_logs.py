"""Reading log files for ``isc replay``: encodings line by line, CRLF, gzip, directories of
rotated files, kind detection, and unusable input (issue 13)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from isc.errors import IscError
from isc.frontends.logs import MAX_LINE, detect, lines, log_files, read_logs
from isc.ir.events import MailEvent, NotARequest, Unreadable, WebEvent

ACCESS = ("<134>iwsva01: [ACCESS_TRACKING|INFO] Access tk_username=10.1.1.1,"
          "tk_url=http://a.example/x,y,tk_date_field=2026-11-30 10:00:00,"
          "tk_client_ip=10.1.1.1,tk_category=46")
POLEVT = ("2026/11/30 10:15:01 GMT+09:00\t00000001-0000-4000-8000-000000000001\t"
          "a@example.com\tb@example.jp\t{subject}\t1\t\t0000000000000000\t\t1.000000\t"
          "00100000000000000\t0.000000")
MSGTRA = ("NormalTransac\t2026 Nov 30 10:15:00 +09:00\t#null#\t#null#\t<1@example.com>\t"
          "00000001-0000-4000-8000-000000000001\tX1\t1\ta@example.com\tb@example.jp\t"
          "{subject}\tmx.example[192.0.2.7]\t[192.0.2.20]:25\t250 Ok\tsent\t00100000000000000")


def test_each_line_decoded_alone_without_its_terminator(tmp_path: Path) -> None:
    path = tmp_path / "polevt.imss.20261130.0001"
    path.write_bytes(POLEVT.format(subject="見積書").encode("cp932") + b"\r\n"
                     + POLEVT.format(subject="請求書").encode("utf-8") + b"\r\n"
                     + b"subject \x81\x7f\r\n")  # no Shift_JIS, UTF-8 or EUC-JP text
    got = list(lines(path, "p"))
    assert [n for n, _ in got] == [1, 2, 3]
    assert isinstance(got[0][1], str) and "見積書" in got[0][1] and not got[0][1].endswith("\r")
    assert isinstance(got[1][1], str) and "請求書" in got[1][1]
    bad = got[2][1]
    assert isinstance(bad, Unreadable) and str(bad.where) == "p:3"


def test_a_line_too_long_is_unreadable_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_bytes(b"x" * (MAX_LINE + 10) + b"\n" + ACCESS.encode() + b"\n")
    got = list(lines(path, "a"))
    assert isinstance(got[0][1], Unreadable) and "longer than" in got[0][1].reason
    assert got[1] == (2, ACCESS)


def test_kinds_are_told_from_content() -> None:
    assert detect([ACCESS]) == "iwsva-syslog"
    assert detect(["", "# c", '{"url": "http://a.example/"}']) == "json"
    assert detect([POLEVT.format(subject="s")]) == "imsva-polevt"
    assert detect([MSGTRA.format(subject="s")]) == "imsva-msgtra"
    assert detect(["hello world"]) is None
    assert detect(["{not json"]) is None


def test_directories_gzip_and_the_join_across_files(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / ".hidden").mkdir(parents=True)
    (logs / ".hidden" / "junk").write_text("junk\n", encoding="utf-8")
    (logs / "empty.log").write_text("", encoding="utf-8")
    with gzip.open(logs / "msgtra.imss.20261130.0001.gz", "wt", encoding="utf-8") as f:
        f.write(MSGTRA.format(subject="件名") + "\n")
    (logs / "polevt.imss.20261130.0001").write_text(POLEVT.format(subject="件名") + "\n\n",
                                                    encoding="utf-8")
    (logs / "access.log").write_text(ACCESS + "\r\n", encoding="utf-8")
    assert [p.name for p in log_files([str(logs)])] == [
        "access.log", "empty.log", "msgtra.imss.20261130.0001.gz",
        "polevt.imss.20261130.0001"]
    events = list(read_logs([str(logs)]))
    kinds = sorted(type(e).__name__ for e in events)
    assert kinds == ["MailEvent", "NotARequest", "WebEvent"]
    mail = next(e for e in events if isinstance(e, MailEvent))
    assert len(mail.where) == 2 and mail.message.subject == "件名"
    assert mail.message.client_ip == "192.0.2.7"
    web = next(e for e in events if isinstance(e, WebEvent))
    assert web.request.url == "http://a.example/x,y"
    blank = next(e for e in events if isinstance(e, NotARequest))
    assert blank.reason == "a blank line"


def test_unusable_input_stops_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IscError) as err:
        list(read_logs([str(tmp_path / "nope.log")]))
    assert "nope.log" in str(err.value)
    junk = tmp_path / "notes.txt"
    junk.write_text("meeting notes\n", encoding="utf-8")
    with pytest.raises(IscError) as err:
        list(read_logs([str(junk)]))
    assert "not a log isc reads" in str(err.value)
    broken = tmp_path / "access.log.gz"
    broken.write_bytes(gzip.compress((ACCESS + "\n").encode())[:-12])
    with pytest.raises(IscError) as err:
        list(read_logs([str(broken)]))
    assert "cannot be read" in str(err.value)
