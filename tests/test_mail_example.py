"""The bundled mail example (examples/imsva-kaede): golden output, determinism, the sample
messages decided as its README says, and verification against the models."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

import isc
from golden import check_golden, write_outdir
from isc.cli import main
from isc.ir.common import Difference
from isc.ir.ems import EmsPolicy
from isc.ir.export import Output
from isc.ir.mail import InterceptAction
from isc.ir.requests import MailMessage
from isc.schemas import validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "imsva-kaede"
EXPECTED = EXAMPLE / "expected"
MESSAGES = EXAMPLE / "messages"
SALES = ("CN=営業部,OU=Groups,DC=kaede-shoji,DC=co,DC=jp",)


@pytest.fixture(scope="module")
def compiled() -> tuple[isc.Export, Output]:
    export = isc.optimize(isc.load(str(EXAMPLE / "export.tar.gz")))
    return export, isc.compile(export, "ems")


def _golden(name: str, text: str, update: bool) -> None:
    check_golden(EXPECTED / name, text, update)


def test_golden_ems(compiled: tuple[isc.Export, Output], update_golden: bool) -> None:
    _golden("ems.json", isc.dumps(compiled[1]), update_golden)


def test_golden_report(compiled: tuple[isc.Export, Output], update_golden: bool) -> None:
    _golden("report.json", isc.dumps_report(compiled[1]), update_golden)


def test_output_validates_and_names_its_schema(compiled: tuple[isc.Export, Output]) -> None:
    doc = json.loads(isc.dumps(compiled[1]))
    assert doc["schema"] == "isc/ems/1"
    validate(doc, "ems-1")
    validate(json.loads(isc.dumps_report(compiled[1])), "report-1")


def test_directory_and_archive_give_the_same_output(compiled: tuple[isc.Export, Output]
                                                    ) -> None:
    from_dir = isc.compile(isc.optimize(isc.load(str(EXAMPLE / "export"))), "ems")
    assert isc.dumps(from_dir) == isc.dumps(compiled[1])
    assert isc.dumps_report(from_dir) == isc.dumps_report(compiled[1])


def test_every_file_of_the_example_is_accounted_for(compiled: tuple[isc.Export, Output]
                                                    ) -> None:
    export = compiled[0]
    kinds = {Path(f.rel).name: f.kind for f in export.files}
    assert set(kinds) == {"Policy.xml", "imss.ini", "approved-senders.txt", "dkim-domains.txt",
                          "phishing-keywords-sjis.txt", "torihikisaki.txt"}
    assert all(kind != "unrecognised" for kind in kinds.values())
    assert {Path(f.rel).name: f.encoding for f in export.files
            }["phishing-keywords-sjis.txt"] == "cp932"
    assert export.diagnostics == ()


def test_the_example_is_as_rich_as_the_issue_asks(compiled: tuple[isc.Export, Output]) -> None:
    mail = compiled[0].mail
    assert mail is not None
    assert len(mail.rules) >= 20
    assert {r.type.value for r in mail.rules} == {"antivirus", "other"}
    assert {r.route.type.value for r in mail.rules} == {"incoming", "outgoing", "both",
                                                        "pop3", "all"}
    intercepts = {r.intercept.action for r in mail.rules}
    assert InterceptAction.HANDOFF in intercepts
    actions = {type(a).__name__ for r in mail.rules for a in r.actions}
    assert {"Postpone", "Archive"} <= actions
    assert any(p.kind.value == "ldap-group" for r in mail.rules
               for p in r.route.senders + r.route.recipients)
    assert any(not e.text.isascii() for k in mail.keyword_lists for e in k.expressions)
    assert mail.approved_senders and mail.blocked_senders and mail.address_groups


def test_what_cannot_migrate_is_reported(compiled: tuple[isc.Export, Output]) -> None:
    report = compiled[1].report
    reasons = " ".join(r for e in report for r in e.reasons)
    for what in ("POP3", "postpone", "archive", "handoff", "C&C", "received time"):
        assert what.lower() in reasons.lower(), what
    dropped = {e.source.name for e in report if e.fidelity is isc.Fidelity.DROPPED}
    assert any("POP3" in name for name in dropped)
    # semantics.md §5: handoff, postpone and archive are dropped, each with its reason
    actions = {e.source.name.rpartition(": ")[2]: e for e in report
               if e.source.kind == "mail-rule.action"}
    assert set(actions) == {"handoff", "postpone", "archive"}
    for what, e in actions.items():
        assert e.fidelity is isc.Fidelity.DROPPED and e.source.line > 0
        assert what.lower() in e.reasons[0].lower()


def test_load_of_emit_is_identity(compiled: tuple[isc.Export, Output], tmp_path: Path) -> None:
    path = tmp_path / "ems.json"
    path.write_text(isc.dumps(compiled[1]), encoding="utf-8")
    loaded = isc.load(str(path))
    assert isinstance(loaded, Output)
    assert loaded.document == compiled[1].document
    assert isc.dumps(attrs.evolve(compiled[1], report=())) == isc.dumps(loaded)


# ---------------------------------------------------------------------- the sample messages

#: (file, from_eml options, MailMessage fields, IMSVA action, deciding rule or None,
#:  a modification that must be present or None) — messages/README.md, row by row.
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str | None, str | None]] = [
    ("01-invoice-qr-png.eml", {}, {}, "delete", "経理部宛 画像のみの請求書 (QRコード詐欺)",
     "notify:管理者通知"),
    ("02-exe-attachment.eml", {}, {}, "deliver", None, "tag-subject:[添付削除]"),
    ("02-exe-attachment.eml", {"virus": True}, {}, "deliver", None, "clean:all"),
    ("03-ppap-encrypted-zip.eml", {}, {}, "deliver", None, "tag-subject:[PPAP]"),
    ("03-ppap-encrypted-zip.eml", {"spam_score": 9.5}, {}, "delete", "スパム かつ ZIP添付",
     None),
    ("04-ppap-password-notice.eml", {}, {}, "deliver", None, "tag-subject:[PPAPパスワード]"),
    ("08-spoofed-president-bec.eml", {}, {}, "quarantine", "経理部宛 請求書詐欺・BEC",
     "x-header:X-Kaede-BEC=suspect"),
    ("08-spoofed-president-bec.eml", {}, {"spoofed_internal": True}, "quarantine",
     "経理部宛 請求書詐欺・BEC", "tag-subject:[なりすまし注意]"),
    ("09-macro-xlsm.eml", {}, {}, "deliver", None, "delete-attachments:all"),
    ("12-newsletter.eml", {}, {}, "deliver", None, "insert-stamp:社外メール注意"),
    ("12-newsletter.eml", {"graymail": True}, {}, "deliver", None, "tag-subject:[広告]"),
    ("12-newsletter.eml", {"spam_score": 9.5}, {}, "quarantine", "受信 スパムメール", None),
    ("12-newsletter.eml", {"wrs_level": "high"}, {}, "quarantine",
     "受信 危険URL (Webレピュテーション)", None),
    ("12-newsletter.eml", {}, {"cc_email": True}, "delete", "C&C メール (全経路)", None),
    ("12-newsletter.eml", {}, {"client_ip": "198.51.100.66"}, "delete", "198.51.100.66", None),
    ("12-newsletter.eml", {}, {"client_ip": "203.0.113.200"}, "delete", "203.0.113.200", None),
    ("13-resume-zip-to-president.eml", {}, {}, "deliver", None, "archive:監査アーカイブ"),
    ("13-resume-zip-to-president.eml", {"virus": True}, {}, "quarantine", "役員宛 ウイルス隔離",
     "clean:all"),
    ("14-html-login-attachment.eml", {}, {}, "quarantine",
     "受信 HTML添付 (偽ログインページ対策)", None),
    ("05-outgoing-shagaihi.eml", {}, {}, "quarantine", "社外秘 送信保留 (情報漏えい対策)",
     "notify:上長承認依頼"),
    ("06-mynumber-outgoing.eml", {}, {}, "handoff", "マイナンバー 暗号化ゲートウェイ転送", None),
    ("07-large-drawing-outgoing.eml", {}, {}, "deliver", None, "postpone:22:00"),
    ("10-bulk-outgoing.eml", {}, {}, "change-recipient", "一斉送信 (宛先21件以上) の承認",
     "change-recipient:mail-approval@kaede-shoji.co.jp;johosys@kaede-shoji.co.jp"),
    ("11-confidential-english.eml", {}, {}, "deliver", None, "bcc:audit@kaede-shoji.co.jp"),
    ("15-personal-data-outgoing.eml", {}, {}, "quarantine", "個人情報 (スコア判定) 送信保留",
     None),
    ("16-audit-target-outgoing.eml", {}, {}, "deliver", None, "bcc:kansa@kaede-shoji.co.jp"),
    ("16-audit-target-outgoing.eml", {}, {"sender_groups": SALES}, "deliver", None,
     "insert-stamp:送信免責文"),
]


def _message(name: str, options: dict[str, Any], fields: dict[str, Any]) -> MailMessage:
    return attrs.evolve(MailMessage.from_eml(MESSAGES / name, **options), **fields)


@pytest.mark.parametrize(("name", "options", "fields", "action", "rule", "modification"),
                         CASES, ids=[f"{c[0][:2]}-{i}" for i, c in enumerate(CASES)])
def test_sample_message_decided_as_the_readme_says(
        compiled: tuple[isc.Export, Output], name: str, options: dict[str, Any],
        fields: dict[str, Any], action: str, rule: str | None, modification: str | None
) -> None:
    decision = isc.decide_mail(compiled[0], _message(name, options, fields))
    assert decision.action == action
    assert (decision.decided_by.name if decision.decided_by else None) == rule
    if modification is not None:
        assert modification in decision.modifications


def test_per_type_reorder_witness_message(compiled: tuple[isc.Export, Output]) -> None:
    """messages/README.md: an infected 社外秘 mail is quarantined by content rule 10 in IMSVA;
    EmS runs virus scan first, so the outgoing antivirus rule deletes it. The compiler says so
    (ISC3011) and both sides decide as described."""
    export, output = compiled
    m = _message("05-outgoing-shagaihi.eml", {"virus": True}, {})
    assert isc.decide_mail(export, m).action == "quarantine"
    target = isc.decide_mail(output, m)
    assert target.action == "delete" and target.decided_by is not None
    warnings = [d for d in output.diagnostics if d.code == "ISC3011"]
    assert any("社外秘 送信保留" in d.message for d in warnings)
    entry = next(e for e in output.report if e.source.name == "社外秘 送信保留 (情報漏えい対策)")
    assert entry.witness is not None and entry.witness.get("cause") == "per-type reorder"


def test_temporary_ip_block_is_an_access_weakening_drop(compiled: tuple[isc.Export, Output]
                                                        ) -> None:
    export, output = compiled
    m = _message("12-newsletter.eml", {}, {"client_ip": "203.0.113.200"})
    assert isc.decide_mail(export, m).action == "delete"
    assert isc.decide_mail(output, m).action == "deliver"
    entry = next(e for e in output.report if e.source.name == "203.0.113.200")
    assert entry.fidelity is isc.Fidelity.DROPPED
    assert entry.directions == {Difference.BROADENED}


# ---------------------------------------------------------------------- verification


def test_verify_finds_no_undeclared_difference(compiled: tuple[isc.Export, Output],
                                               tmp_path: Path) -> None:
    export, output = compiled
    (result,) = isc.verify(export, str(write_outdir(tmp_path, output)))
    assert result.target == "ems" and not result.edits
    assert result.findings and result.undeclared == ()


def test_verify_catches_a_perturbed_translation(compiled: tuple[isc.Export, Output],
                                                tmp_path: Path) -> None:
    export, output = compiled
    doc = output.document
    assert isinstance(doc, EmsPolicy)
    rules = doc.rules
    index = next(i for i, r in enumerate(rules)
                 if r.enabled and r.intercept.action is InterceptAction.QUARANTINE
                 and r.meta.fidelity is isc.Fidelity.EXACT)
    broken = attrs.evolve(rules[index], intercept=attrs.evolve(
        rules[index].intercept, action=InterceptAction.NONE))
    perturbed = attrs.evolve(output, document=attrs.evolve(
        doc, rules=rules[:index] + (broken,) + rules[index + 1:]))
    (result,) = isc.verify(export, str(write_outdir(tmp_path, output, perturbed)))
    assert len(result.edits.changed) == 1 and broken.name in result.edits.changed[0]
    bad = result.undeclared
    assert bad, "a quarantine rule turned into do-not-intercept must be caught"
    f = bad[0]
    assert f.source.action != f.target.action and f.compiled is not None
    assert f.probe.recipient and Difference.BROADENED in f.undeclared


def test_cli_verify_reports_a_perturbed_output_with_a_witness(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["compile", str(EXAMPLE / "export"), "-o", str(out)]) == 0
    assert main(["verify", str(EXAMPLE / "export"), "--against", str(out)]) == 0
    assert "undeclared: none" in capsys.readouterr().out
    doc = json.loads((out / "ems.json").read_text(encoding="utf-8"))
    rules = [r for r in doc["rules"] if r["enabled"] and r["fidelity"] == "exact"
             and r["intercept"]["action"] == "quarantine"]
    rules[0]["intercept"]["action"] = "none"
    (out / "ems.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(EXAMPLE / "export"), "--against", str(out)]) == 1
    captured = capsys.readouterr()
    printed = captured.out
    assert "error[ISC3008]: ems.json: mail " in printed
    assert "source quarantine by mail-rule" in printed and "target deliver" in printed
    assert "changed by the edited object(s) ems-rule:" in printed
    assert "replay: isc explain INPUT... --against OUTDIR --message '{" in printed
    assert "warning[ISC3016]" in captured.err and "1 object(s) differ" in captured.err


def test_cli_explain_mail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["compile", str(EXAMPLE / "export"), "-o", str(out)]) == 0
    capsys.readouterr()
    eml = str(MESSAGES / "05-outgoing-shagaihi.eml")
    assert main(["explain", str(EXAMPLE / "export"), "--mail", eml, "--virus",
                 "--against", str(out), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"]["action"] == "quarantine"
    assert doc["source"]["decidedBy"]["name"] == "社外秘 送信保留 (情報漏えい対策)"
    assert doc["source"]["decidedBy"]["line"] > 0
    assert doc["target"]["action"] == "delete"
    assert main(["explain", str(EXAMPLE / "export"), "--mail", eml]) == 0
    text = capsys.readouterr().out
    assert text.startswith("source: quarantine by mail-rule \"社外秘 送信保留")
    assert "modifications: notify:上長承認依頼" in text


def test_cli_never_broaden_fails_on_the_example(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(EXAMPLE / "export"), "-o", str(tmp_path),
                 "--never-broaden"]) == 1
    err = capsys.readouterr().err
    assert "error[ISC3007]: --never-broaden: sender-filtering.blocked-ip \"203.0.113.200\"" in err
    assert "witness: mail " in err


def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outs = []
    for seed in ("0", "4242"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "isc", "compile", str(EXAMPLE / "export"),
                        "-o", str(out)], check=True, env=env, capture_output=True)
        outs.append(((out / "ems.json").read_bytes(), (out / "report.json").read_bytes()))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("example", ["iwsva-sakura", "imsva-kaede"])
def test_committed_archive_is_the_export_directory(example: str) -> None:
    """Each example's export.tar.gz is exactly what examples/make_archive.py builds from its
    export/ directory, so the two input forms cannot drift apart."""
    spec = importlib.util.spec_from_file_location("make_archive",
                                                  ROOT / "examples" / "make_archive.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = ROOT / "examples" / example
    assert module.build(folder / "export") == (folder / "export.tar.gz").read_bytes()
