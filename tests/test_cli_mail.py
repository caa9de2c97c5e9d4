"""The ``isc`` command on mail input (spec interface.md): small IMSVA rule sets written to
``tmp_path``, mixed web + mail input, and bad input that must give a located error, never a
traceback."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from isc.cli import main
from isc.schemas import validate

DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note)"
                  r"\[(?P<code>ISC\d{4})\]: (?P<msg>.*)$", re.MULTILINE)

POLICY = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses><domain>example.co.jp</domain></internal-addresses>
  <keyword-list name="社外秘" match="any">
    <expression>社外秘</expression>
  </keyword-list>
  <rule name="Block executables" order="1" type="other">
    <route type="incoming"/>
    <conditions match="any"><attachment-name>*.exe</attachment-name></conditions>
    <actions><intercept action="delete"/></actions>
  </rule>
  <rule name="Hold confidential" order="2" type="other">
    <route type="outgoing"/>
    <conditions match="any"><subject keyword-list="社外秘"/></conditions>
    <actions><intercept action="quarantine"/><tag-subject>[要確認]</tag-subject></actions>
  </rule>
</imss-policy>
"""

WEB = """\
[global-url-blocking]
enabled = yes

[global-url-blocking.block]
@bad.example*
"""

EML = """\
From: sato@example.co.jp
To: buyer@customer.example
Subject: =?UTF-8?B?44CQ56S+5aSW56eY44CR5L6h5qC85pS55a6a?=
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

価格表を送ります。
"""


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    d = tmp_path / "mail"
    d.mkdir()
    (d / "Policy.xml").write_text(POLICY, encoding="utf-8")
    return d


def _diags(text: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in DIAG.finditer(text)]


def test_compile_writes_ems_and_report(mail_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["compile", str(mail_dir), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ems.json", "report.json", "runbook.html"]
    doc = json.loads((out / "ems.json").read_text(encoding="utf-8"))
    validate(doc, "ems-1")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    validate(report, "report-1")
    assert report["target"] == "ems"
    assert {r["name"] for r in doc["rules"]} == {"Block executables", "Hold confidential"}
    assert "ems: " in capsys.readouterr().out


def test_target_without_matching_policy_is_a_usage_error(
        mail_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(mail_dir), "-o", str(tmp_path / "o"),
                 "--target", "ztsa-ia"]) == 2
    assert "no web policy to compile for ztsa-ia" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_mixed_web_and_mail_input_gives_both_documents_and_one_report(
        mail_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "policy.ini").write_text(WEB, encoding="utf-8")
    archive = tmp_path / "both.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(mail_dir / "Policy.xml", arcname="mail/Policy.xml")
        tar.add(tmp_path / "web" / "policy.ini", arcname="web/policy.ini")
    out = tmp_path / "out"
    assert main(["compile", str(archive), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ems.json", "report.json", "runbook.html",
                                                     "ztsa-ia.json"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["target"] == "ztsa-ia+ems"
    kinds = {o["source"]["kind"] for o in report["objects"]}
    assert "mail-rule" in kinds and "global-url-blocking.entry" in kinds
    files = {o["source"]["file"] for o in report["objects"]}
    assert {"mail/Policy.xml", "web/policy.ini"} <= files
    assert main(["compile", str(archive), "-o", str(tmp_path / "e"), "--target", "ems"]) == 0
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == ["ems.json", "report.json",
                                                                 "runbook.html"]


def test_check_and_inspect(mail_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(mail_dir)]) == 0
    assert "0 error(s)" in capsys.readouterr().err
    assert main(["inspect", str(mail_dir)]) == 0
    out = capsys.readouterr().out
    assert "Policy.xml: mail rule set" in out
    assert "mail product: IMSVA 9.1.0.2011" in out
    assert "mail-rule (other, route incoming): 1" in out
    assert "keyword expression: 1" in out


def test_explain_mail_source_and_target(mail_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    eml = tmp_path / "m.eml"
    eml.write_text(EML, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["compile", str(mail_dir), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["explain", str(mail_dir), "--mail", str(eml), "--against", str(out)]) == 0
    text = capsys.readouterr().out
    assert 'source: quarantine by mail-rule "Hold confidential"' in text
    assert "target: quarantine by" in text
    assert "tag-subject:[要確認]" in text
    assert main(["explain", str(mail_dir), "--mail", str(eml), "--direction", "incoming",
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"source": {"action": "deliver", "decidedBy": None}}


@pytest.mark.parametrize("argv", [
    ["--url", "http://x.example/", "--mail", "m.eml"],
    [],
])
def test_explain_needs_exactly_one_of_url_and_mail(
        mail_dir: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(mail_dir), *argv]) == 2
    assert "ISC1009" in capsys.readouterr().err


def test_explain_unreadable_eml_is_an_error_not_a_traceback(
        mail_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(mail_dir), "--mail", str(tmp_path / "missing.eml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error[ISC" in err


def test_schema_violation_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    bad = POLICY.replace('<rule name="Block executables" order="1"',
                         '<rule name="Block executables"')
    (tmp_path / "Policy.xml").write_text(bad, encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    diags = _diags(capsys.readouterr().err)
    assert any(d["code"] == "ISC1013" and d["line"] == "7" and "order" in d["msg"]
               for d in diags), diags


def test_hostile_xml_is_refused_with_a_location(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    hostile = POLICY.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE imss-policy [\n'
        '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n').replace(
        "<expression>社外秘</expression>", "<expression>&xxe;</expression>")
    (tmp_path / "Policy.xml").write_text(hostile, encoding="utf-8")
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error[ISC4003]" in err and "root:" not in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bad_keyword_expression_points_at_its_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Policy.xml").write_text(
        POLICY.replace("<expression>社外秘</expression>", "<expression>社外(秘</expression>"),
        encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    diags = _diags(capsys.readouterr().err)
    assert any(d["code"] == "ISC1012" and d["line"] == "5" for d in diags), diags


def test_never_broaden_on_mail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pop3 = POLICY.replace('<route type="incoming"/>', '<route type="pop3"/>')
    (tmp_path / "Policy.xml").write_text(pop3, encoding="utf-8")
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "ok")]) == 0
    capsys.readouterr()
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "gate"),
                 "--never-broaden"]) == 1
    err = capsys.readouterr().err
    assert ('error[ISC3007]: --never-broaden: mail-rule "Block executables" lets through what '
            'the source stopped (tag dropped)') in err


@pytest.mark.parametrize("first", ["{D}{D}{D}-{D}{D}{D}{D}", "<script>", "[abc]"])
def test_a_named_keyword_file_is_a_list_whatever_its_first_line(
        tmp_path: Path, first: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "kw.txt").write_text(f"{first}\n社外秘\n", encoding="utf-8")
    (tmp_path / "Policy.xml").write_text(POLICY.replace(
        '<keyword-list name="社外秘" match="any">\n    <expression>社外秘</expression>\n'
        '  </keyword-list>',
        '<keyword-list name="社外秘" match="any" file="lists/kw.txt"/>'), encoding="utf-8")
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "keyword expression: 2" in out.out
    assert "ISC2008" not in out.err and "ISC1007" not in out.err
