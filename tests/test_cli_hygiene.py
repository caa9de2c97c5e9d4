"""Command-line hygiene (issue "Verdicts a security team can trust"): help for every option,
bare ``isc``, JSON-only output with ``--format json``, "did you mean" hints, unknown
categories, the identity-map formats, carets under East Asian text, and output-directory
errors. Every run must end without a Python traceback (``run`` checks that)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from isc import cli
from isc.diagnostics import Diagnostic, Severity
from isc.errors import IscError
from test_cli import BROADENS, EXACT, flip_block_rules, run, tree_digest, write_export
from test_cli_mail import POLICY, WEB

#: The commands that read an InterScan export (INPUT...), and every command.
INPUT_COMMANDS = ("compile", "check", "inspect", "explain", "verify", "replay")
COMMANDS = (*INPUT_COMMANDS, "report")

#: Blocks "Proxy Avoidance" for members of one LDAP group; ZTSA spells the category
#: "Proxy Avoidance and Anonymizers" (TMUFE ID 39).
LDAP = """\
[url-filtering-policy "Sales"]
priority = 1
enabled = yes
account = ldap-group "CN=Sales,OU=Groups,DC=corp,DC=example"
category "Proxy Avoidance" = block

[url-filtering-policy "Global Policy"]
global = yes
enabled = yes
category "Gambling" = block
"""

SALES = "CN=Sales,OU=Groups,DC=corp,DC=example"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "utf-8"}


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object; fails on any line that is not one."""
    objs = []
    for line in text.splitlines():
        obj = json.loads(line)
        assert isinstance(obj, dict), line
        objs.append(obj)
    return objs


def _mapping(outdir: Path) -> dict[str, tuple[str, bool]]:
    doc = json.loads((outdir / "ztsa-ia.json").read_text(encoding="utf-8"))
    return {m["ldapDn"]: (m["ssoName"], m["confirmed"]) for m in doc["identityMapping"]}


# ---------------------------------------------------------------------- help


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_option_and_argument_has_help() -> None:
    parser = cli._parser()
    subs = _subparsers(parser)
    assert sorted(subs) == sorted(COMMANDS)
    missing = []
    for name, p in [("isc", parser), *subs.items()]:
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not (action.help and action.help.strip()) or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help_names_every_option(command: str) -> None:
    """Every option appears in the command's help; the export readers share the input
    options."""
    proc = subprocess.run([sys.executable, "-m", "isc", command, "--help"], capture_output=True,
                          text=True, timeout=60, env=_env(), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    sub = _subparsers(cli._parser())[command]
    options = [s for a in sub._actions for s in a.option_strings]
    assert "--format" in options
    assert [s for s in options if s not in proc.stdout] == []
    if command in INPUT_COMMANDS:
        assert "--limit-mb" in options and "INPUT" in proc.stdout
    else:
        assert "OUTDIR" in proc.stdout


def test_bare_isc_prints_help_and_exits_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "isc"], capture_output=True, text=True,
                          timeout=60, env=_env(), check=False)
    assert proc.returncode == 2
    assert proc.stdout.startswith("usage: isc")
    assert all(c in proc.stdout for c in COMMANDS)
    assert "exits 2" in proc.stdout  # the epilog documents it
    assert proc.stderr.strip() == "isc: error: a command is required"


# ---------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(("argv", "hint"), [
    (["compile", "{src}", "--nevr-broaden"], "did you mean --never-broaden?"),
    (["verify", "{src}", "--against", "{src}", "--sampels", "3"], "did you mean --samples?"),
    (["explain", "{src}", "--url", "http://x.example/", "--categroy", "Gambling"],
     "did you mean --category?"),
    (["compil", "{src}"], "did you mean 'compile'?"),
    (["--format", "json", "check", "{src}"], "isc check --format"),
])
def test_usage_errors_name_the_closest_option_or_command(
        argv: list[str], hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    rc, out, err = run(capsys, *[a.format(src=src) for a in argv])
    assert rc == 2
    assert hint in err, err
    assert out == ""


def test_usage_error_is_json_with_format_json(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    rc, _, err = run(capsys, "compile", src, "--format", "json", "--nevr-broaden")
    assert rc == 2
    (obj,) = _json_lines(err)
    assert "did you mean --never-broaden?" in obj["error"]
    assert obj["usage"].startswith("usage: isc compile")


# ---------------------------------------------------------------------- categories


@pytest.mark.parametrize("category", ["Proxy Avoidance", "Proxy Avoidance and Anonymizers",
                                      "39", "proxy avoidance"])
def test_explain_accepts_iwsva_and_ztsa_names_and_ids(
        category: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, LDAP)
    rc, out, err = run(capsys, "explain", src, "--url", "http://proxy.example/", "--group",
                       SALES, "--category", category, "--format", "json")
    assert rc == 0, err
    assert json.loads(out)["source"]["decidedBy"]["name"] == "Sales"


def test_explain_unknown_category_is_an_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Before, "Gamblin" was ignored and the request decided as Untested (allowed)."""
    src = write_export(tmp_path, EXACT)
    rc, out, err = run(capsys, "explain", src, "--url", "http://casino.example/",
                       "--category", "Gamblin", "--category", "4242")
    assert rc == 2
    assert out == ""
    assert "error[ISC2004]: --category: unknown URL category 'Gamblin'; did you mean " \
           "'Gambling'" in err
    assert "unknown URL category ID 4242" in err
    assert "2 error(s)" in err


def test_verify_requests_with_unknown_category_names_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    reqs = tmp_path / "reqs.jsonl"
    lines = ['{"url": "http://a.example/", "categories": ["Gambling", 11]}', "",
             '{"url": "http://b.example/", "categories": ["Gamblin"]}',
             '{"url": "http://c.example/", "categories": "Hackng"}']
    reqs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, stdout, err = run(capsys, "verify", src, "--against", out, "--samples", "5",
                          "--requests", reqs)
    assert rc == 2
    col3, col4 = lines[2].index('"Gamblin"') + 1, lines[3].index('"Hackng"') + 1
    assert f"{reqs}:3:{col3}: error[ISC2004]: unknown URL category 'Gamblin'; did you " \
           "mean 'Gambling'" in err
    assert f"{reqs}:4:{col4}: error[ISC2004]: unknown URL category 'Hackng'" in err
    assert f"{reqs}:1:" not in err
    assert "isc: 2 error(s); nothing written" in err
    assert "isc verify" not in stdout  # nothing was verified


# ---------------------------------------------------------------------- --format json


def _assert_json_only(err: str) -> list[dict[str, Any]]:
    objs = _json_lines(err)
    for o in objs:
        assert {"code", "summary", "progress", "usage"} & set(o), o
    return objs


def test_format_json_compile_is_json_lines_only(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS)
    out = tmp_path / "out"
    rc, stdout, err = run(capsys, "compile", src, "-o", out, "--format", "json")
    assert rc == 0
    assert any(o.get("code") == "ISC3002" for o in _assert_json_only(err))
    compiled, wrote = _json_lines(stdout)
    assert compiled["summary"] == "compile" and compiled["target"] == "ztsa-ia"
    assert compiled["objects"] == sum(compiled["fidelity"].values()) > 0
    assert compiled["fidelity"]["broadened"] >= 1
    assert wrote == {"summary": "wrote", "outdir": str(out),
                     "written": ["ztsa-ia.json", "report.json", "runbook.html"], "removed": []}
    # the gate: its findings and its summary are JSON too
    rc, stdout, err = run(capsys, "compile", src, "-o", out, "--format", "json",
                          "--never-broaden")
    assert rc == 1
    objs = _assert_json_only(err)
    gate = [o for o in objs if o.get("code") == "ISC3007"]
    assert gate and gate[0]["file"].endswith("policy.ini") and gate[0]["line"] == 1
    assert "Engineering" in gate[0]["message"]
    assert objs[-1] == {"summary": "never-broaden", "broadening": len(gate)}
    assert _json_lines(stdout)[-1]["written"] == []  # unchanged
    # an input error and its closing summary
    (src / "policy.ini").write_text(EXACT + "enabled = maybe\n", encoding="utf-8")
    rc, stdout, err = run(capsys, "compile", src, "-o", out, "--format", "json")
    assert rc == 2 and stdout == ""
    objs = _assert_json_only(err)
    assert objs[-1] == {"summary": "error", "command": "compile", "errors": 1}


def test_format_json_check_is_json_lines_only(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, BROADENS)
    rc, stdout, err = run(capsys, "check", src, "--format", "json")
    assert rc == 0 and stdout == ""
    objs = _assert_json_only(err)
    warnings = sum(1 for o in objs if o.get("severity") == "warning")
    notes = sum(1 for o in objs if o.get("severity") == "note")
    assert warnings >= 1
    assert objs[-1] == {"summary": "check", "errors": 0, "warnings": warnings, "notes": notes}


def test_format_json_verify_is_json_lines_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    out = tmp_path / "out"
    assert run(capsys, "compile", src, "-o", out)[0] == 0
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # progress is shown on a terminal
    rc, stdout, err = run(capsys, "verify", src, "--against", out, "--samples", "50",
                          "--format", "json")
    assert rc == 0
    (progress,) = _assert_json_only(err)
    assert progress["progress"] == "verify" and progress["requests"] >= 1
    (summary,) = _json_lines(stdout)
    assert summary == {"summary": "verify", "target": "ztsa-ia",
                       "requests": progress["requests"], "undeclared": 0, "differences": 0,
                       "directions": {"declared": {}, "undeclared": {}}, "edited": []}
    assert flip_block_rules(out) >= 1
    rc, stdout, err = run(capsys, "verify", src, "--against", out, "--samples", "50",
                          "--format", "json")
    assert rc == 1
    _assert_json_only(err)
    objs = _json_lines(stdout)
    found = [o for o in objs if o.get("code") == "ISC3008"]
    assert found and found[0]["severity"] == "error" and "http" in found[0]["message"]
    assert objs[-1]["summary"] == "verify" and objs[-1]["undeclared"] >= len(found)


def test_format_json_explain_is_json_lines_only(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    rc, stdout, err = run(capsys, "explain", src, "--url", "http://casino.example/",
                          "--category", "Gambling", "--format", "json")
    assert rc == 0 and err == ""
    assert json.loads(stdout)["source"]["action"] == "block"
    rc, stdout, err = run(capsys, "explain", src, "--url", "http://casino.example/",
                          "--category", "Gamblin", "--format", "json")
    assert rc == 2 and stdout == ""
    objs = _assert_json_only(err)
    assert objs[0]["code"] == "ISC2004" and "'Gambling'" in objs[0]["message"]
    assert objs[-1] == {"summary": "error", "command": "explain", "errors": 1}
    rc, _, err = run(capsys, "explain", src, "--format", "json")  # needs --url or --mail
    assert rc == 2
    assert [o["code"] for o in _assert_json_only(err)] == ["ISC1009"]


# ---------------------------------------------------------------------- identity map


@pytest.mark.parametrize("text", [
    '{"cn=sales, ou=groups, dc=corp, dc=example": "sales@corp.example"}',
    '\ufeff# LDAP DN,SSO name\n\n"CN=Sales,OU=Groups,DC=corp,DC=example",sales@corp.example\n',
    '"CN=Sales,OU=Groups,DC=corp,DC=example", "sales@corp.example"\r\n',
    "CN=Sales,OU=Groups,DC=corp,DC=example;sales@corp.example\n",
    "  # tab-separated\nCN=Sales,OU=Groups,DC=corp,DC=example\tsales@corp.example\n",
    '"CN=Sales,OU=Groups,DC=corp,DC=example";sales@corp.example\n',
], ids=["json", "csv-bom-comment", "csv-crlf-blank", "semicolon", "tab", "quoted-semicolon"])
def test_identity_map_forms(text: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, LDAP)
    imap = tmp_path / "map.txt"
    imap.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 0, err
    assert _mapping(out) == {SALES: ("sales@corp.example", True)}
    assert "ISC3005" not in err


def test_identity_map_bad_lines_are_located(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, LDAP)
    imap = tmp_path / "map.csv"
    imap.write_text("# comment\n"
                    "CN=Sales,OU=Groups,DC=corp,DC=example,sales@corp.example\n"
                    '"CN=Sales,OU=Groups,DC=corp,DC=example",sales@corp.example\n'
                    '"CN=Eng,DC=corp\n'
                    "CN=Ops,DC=corp;\n"
                    '"cn=sales,ou=groups,dc=corp,dc=example",other@corp.example\n',
                    encoding="utf-8")
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 2
    assert f"{imap}:2:1: error[ISC1002]: expected two CSV fields, DN and SSO name; found 5" in err
    assert "quote a DN that contains commas" in err
    assert f"{imap}:4:1: error[ISC1002]: not a CSV line" in err
    assert f"{imap}:5:1: error[ISC1002]: a mapping needs a DN and an SSO name" in err
    assert f"{imap}:6:1: error[ISC1002]: 'cn=sales,ou=groups,dc=corp,dc=example' is mapped " \
           "to 'other@corp.example' here and to 'sales@corp.example' at line 3" in err
    assert f"{imap}:3:" not in err
    assert "isc: 4 error(s); nothing written" in err
    assert not out.exists()
    imap.write_text('{"CN=Sales,OU=Groups,DC=corp,DC=example": "s",\n  "CN=Eng": 3}\n',
                    encoding="utf-8")
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 2
    assert f"{imap}:2:3: error[ISC1007]: identity map: \"CN=Eng\" must map" in err
    imap.write_text('{"CN=Sales": "s",\n "CN=Eng" "e"}\n', encoding="utf-8")
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 2
    assert f"{imap}:2:11: error[ISC1007]: identity map is not valid JSON" in err
    imap.write_bytes(b"CN=Sales;\xff\n")
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 2
    assert f"{imap}:1:10: error[ISC1001]: identity map is not UTF-8" in err


def test_unused_identity_mapping_is_a_warning(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, LDAP)
    imap = tmp_path / "map.csv"
    imap.write_text(f'"{SALES}",sales@corp.example\n"CN=Salse,OU=Groups,DC=corp",typo\n',
                    encoding="utf-8")
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", src, "-o", out, "--identity-map", imap)
    assert rc == 0, err
    warned = [x for x in err.splitlines() if "ISC3005" in x]
    assert warned == [f"{imap}:2:1: warning[ISC3005]: identity map: 'CN=Salse,OU=Groups,"
                      "DC=corp' matches no LDAP account of a translated rule; its mapping "
                      "to 'typo' is not used"]
    assert _mapping(out) == {SALES: ("sales@corp.example", True)}


# ---------------------------------------------------------------------- carets


@pytest.mark.parametrize(("line", "column", "caret"), [
    ("名前 = ブロック", 6, "       ^"),      # 名前 is four cells wide, then " = "
    ("ｶﾅ = x", 6, "     ^"),               # half-width katakana: one cell each
    ("\tcategory = x", 13, "\t           ^"),  # the tab is kept
    ("cafe\u0301 = x", 9, "       ^"),       # a combining accent takes no cell
    ("ab", 5, "    ^"),                     # past the end of the line
])
def test_caret_is_placed_by_display_width(line: str, column: int, caret: str) -> None:
    d = Diagnostic("ISC1006", Severity.ERROR, "bad", "p.ini", 3, column)
    rendered = d.render(line).splitlines()
    assert rendered[1] == f"    {line}"
    assert rendered[2] == f"    {caret}"


# ---------------------------------------------------------------------- output directory


def _web_and_mail(tmp_path: Path) -> tuple[Path, Path]:
    web = write_export(tmp_path, WEB, sub="web")
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "Policy.xml").write_text(POLICY, encoding="utf-8")
    return web, mail


def test_stale_target_document_is_removed(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    web, mail = _web_and_mail(tmp_path)
    out = tmp_path / "out"
    rc, _, err = run(capsys, "compile", web, mail, "-o", out)
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["ems.json", "report.json", "runbook.html",
                                                     "ztsa-ia.json"]
    rc, stdout, err = run(capsys, "compile", web, "-o", out)
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "runbook.html",
                                                     "ztsa-ia.json"]
    assert "removed ems.json" in stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["target"] == "ztsa-ia"


def test_foreign_file_with_a_target_name_is_not_touched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    web, _ = _web_and_mail(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ems.json").write_text('{"rules": []}\n', encoding="utf-8")
    before = tree_digest(out)
    rc, stdout, err = run(capsys, "compile", web, "-o", out)
    assert rc == 2
    assert f"{out / 'ems.json'}: error[ISC1014]: not an isc document" in err
    assert "move the file away or choose another -o OUTDIR" in err
    assert tree_digest(out) == before and stdout == ""


def test_output_path_that_is_a_file_is_an_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    src = write_export(tmp_path, EXACT)
    target = tmp_path / "out.json"
    target.write_text("keep me\n", encoding="utf-8")
    for outdir in (target, target / "sub"):
        rc, stdout, err = run(capsys, "compile", src, "-o", outdir)
        assert rc == 2, outdir
        assert "error[ISC1014]" in err and str(outdir) in err
        assert stdout == ""
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_output_path_under_proc_is_an_error(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc")
    src = write_export(tmp_path, EXACT)
    rc, _, err = run(capsys, "compile", src, "-o", "/proc/nope/out")
    assert rc == 2
    assert "/proc/nope/out: error[ISC1014]: cannot create the output directory" in err


def test_failed_write_replaces_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    web, mail = _web_and_mail(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "compile", web, mail, "-o", out)[0] == 0
    (web / "policy.ini").write_text(WEB.replace("bad.example", "worse.example"),
                                    encoding="utf-8")
    before = tree_digest(out)
    real = tempfile.mkstemp
    calls = []

    def full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        calls.append(kwargs)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        staged: tuple[int, str] = real(*args, **kwargs)
        return staged

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    rc, _, err = run(capsys, "compile", web, "-o", out)  # would also remove ems.json
    assert rc == 2
    assert "error[ISC1014]: cannot write: No space left on device" in err
    assert len(calls) == 2
    assert tree_digest(out) == before  # neither replaced nor removed, no temporary file left


def test_write_atomic_turns_oserror_into_isc1014(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(IscError) as info:
        cli.write_atomic(blocker / "ztsa-ia.json", "{}")
    assert info.value.code == "ISC1014"
    assert cli.write_atomic(tmp_path / "d" / "a.json", "{}") is True
    assert cli.write_atomic(tmp_path / "d" / "a.json", "{}") is False


def test_write_files_makes_each_content_in_its_turn_and_skips_what_is_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contents given as functions are made one after another, each after the one before
    was staged (an estate's documents are never all held at once); a file that already
    holds its content is not written; one of the same size but other bytes is."""
    made: list[str] = []
    staged: list[str] = []
    real_stage = cli._stage

    def stage(path: Path, data: bytes) -> str:
        staged.append(path.name)
        return real_stage(path, data)

    def content(name: str, text: str) -> Callable[[], str]:
        def make() -> str:
            assert staged == made  # every earlier content is staged before this is made
            made.append(name)
            return text
        return make

    monkeypatch.setattr(cli, "_stage", stage)
    (tmp_path / "b.json").write_text("same", encoding="utf-8")
    (tmp_path / "c.json").write_text("old!", encoding="utf-8")
    written = cli.write_files([(tmp_path / "a.json", content("a.json", "{}")),
                               (tmp_path / "b.json", lambda: b"same"),
                               (tmp_path / "c.json", content("c.json", "new!"))])
    assert [p.name for p in written] == ["a.json", "c.json"] == staged == made
    assert (tmp_path / "c.json").read_text(encoding="utf-8") == "new!"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "c.json"]


def test_an_internal_error_is_a_message_not_a_traceback(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from isc import api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "compile", broken)
    monkeypatch.delenv("ISC_DEBUG", raising=False)
    src = write_export(tmp_path, EXACT)
    rc, out, err = run(capsys, "compile", src, "-o", tmp_path / "out")
    assert rc == 2 and out == ""
    assert err.startswith("isc: internal error: RuntimeError: a bug. This is a bug in isc")
    rc, out, err = run(capsys, "check", src, "--format", "json")
    assert rc == 2
    assert json.loads(err.splitlines()[-1]) == {
        "summary": "internal-error", "command": "check", "error": "RuntimeError: a bug"}


def test_explain_recipient_must_be_an_address(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    eml = Path(__file__).resolve().parents[1] / "examples" / "imsva-kaede" / "messages"
    message = sorted(eml.glob("*.eml"))[0]
    src = write_export(tmp_path, EXACT)
    rc, _, err = run(capsys, "explain", src, "--mail", message, "--recipient", "bad@@x")
    assert rc == 2 and "error[ISC1011]: --recipient: 'bad@@x': more than one '@'" in err
