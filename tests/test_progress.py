"""The status line of long commands: on a terminal only, never with --quiet or JSON, never
mixed with what is printed (issue 12)."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from isc.progress import Progress
from test_cli import run

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "examples" / "iwsva-sakura" / "export"
MAIL = REPO / "examples" / "imsva-kaede" / "export"
CLEAR = "\r\x1b[K"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_shown_on_a_terminal_and_cleared() -> None:
    out = _Terminal()
    p = Progress.for_stream(out)
    p.stage("reading")
    p.stage("compiling")
    assert out.getvalue() == f"{CLEAR}isc: reading…{CLEAR}isc: compiling…"
    p.done()
    assert out.getvalue().endswith(CLEAR)
    p.done()  # once only
    assert not out.getvalue().endswith(CLEAR + CLEAR)


@pytest.mark.parametrize("stream,quiet", [(io.StringIO(), False), (_Terminal(), True)])
def test_silent_off_a_terminal_and_when_quiet(stream: io.StringIO, quiet: bool) -> None:
    p = Progress.for_stream(stream, quiet=quiet)
    p.stage("reading")
    p.count("probes", 5, 10)
    p.done()
    assert stream.getvalue() == ""


def test_counts_are_throttled_but_the_last_is_shown() -> None:
    now = [0.0]
    out = _Terminal()
    p = Progress(out, True, clock=lambda: now[0])
    for i in range(1, 1001):
        now[0] += 0.001
        p.count("probes", i, 1000)
    shown = re.findall(r"probes ([\d,]+)/1,000", out.getvalue())
    assert shown[-1] == "1,000" and len(shown) < 20


def _terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


def test_compile_shows_its_stages_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    plain = run(capsys, "compile", WEB, "-o", tmp_path / "plain")
    _terminal_stderr(monkeypatch)
    rc, stdout, err = run(capsys, "compile", WEB, "-o", tmp_path / "o")
    assert rc == 0 and stdout == plain[1].replace("plain", "o")
    stages = re.findall(r"\r\x1b\[Kisc: ([^\r\n…]*)…", err)
    assert stages[:2] == ["reading 1 input(s)", "optimising: remove-duplicate-entries"]
    for stage in ("compiling ztsa-ia: lowering", "compiling ztsa-ia: whole-policy sweep",
                  "compiling ztsa-ia: witnesses", "writing the documents"):
        assert stage in stages
    # take the status lines away and what is left is exactly what a pipe gets: nothing
    # printed shares a line with a status line
    status = re.compile(r"\r\x1b\[Kisc: [^\r\n…]*…")
    for m in status.finditer(err):
        assert err.startswith(CLEAR, m.end()), err[m.start():m.end() + 80]
    assert status.sub("", err).replace(CLEAR, "") == plain[2]


@pytest.mark.parametrize("extra", [["--quiet"], ["-q"], ["--format", "json"]])
def test_compile_is_silent_when_asked_or_in_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        extra: list[str]) -> None:
    _terminal_stderr(monkeypatch)
    rc, _, err = run(capsys, "compile", MAIL, "-o", tmp_path / "o", *extra)
    assert rc == 0
    assert "\r" not in err and "optimising" not in err


def test_verify_and_report_show_their_stages(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    assert run(capsys, "compile", MAIL, "-o", out, "-q")[0] == 0
    _terminal_stderr(monkeypatch)
    rc, _, err = run(capsys, "verify", MAIL, "--against", out)
    assert rc == 0
    assert f"{CLEAR}isc: compiling ems: lowering…" in err
    assert re.search(r"isc: verifying ems\.json: [\d,]+ messages…", err)
    rc, md, err = run(capsys, "report", out)
    assert rc == 0 and f"{CLEAR}isc: reading {out}…{CLEAR}" in err
    assert "\r" not in md  # stdout carries the runbook only
    rc, _, err = run(capsys, "report", out, "--quiet")
    assert rc == 0 and err == ""
