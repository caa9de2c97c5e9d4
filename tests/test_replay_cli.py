"""``isc replay`` end to end on the bundled examples (issue 13): generated logs of every
kind, every line accounted for, and the events decided differently exactly those the
fidelity tags declare (checked with verify's own judgement of each probe)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from logwriters import (
    access_line,
    mail_json_line,
    msgtra_line,
    polevt_line,
    settled,
    timed,
    web_json_line,
)

import isc
from isc.backends.ems import verify as mail_verify
from isc.backends.ems.probes import policy_pool as mail_pool
from isc.backends.verification import Edits
from isc.backends.ztsa_ia import verify as web_verify
from isc.backends.ztsa_ia.probes import policy_pool as web_pool
from isc.schemas import validate
from test_cli import run

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "examples" / "iwsva-sakura" / "export"
MAIL = REPO / "examples" / "imsva-kaede" / "export"


@pytest.fixture(scope="module")
def outdirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from isc.cli import main

    out = {}
    for name, export in (("web", WEB), ("mail", MAIL)):
        d = tmp_path_factory.mktemp(name)
        assert main(["compile", str(export), "-o", str(d), "-q"]) == 0
        out[name] = d
    return out


def _replay(capsys: pytest.CaptureFixture[str], export: Path, out: Path, *logs: Path,
            extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
    argv: list[str | Path] = ["replay", export, "--against", out, "--format", "json", "-q"]
    for log in logs:
        argv += ["--log", log]
    rc, stdout, _ = run(capsys, *argv, *extra)
    doc = json.loads(stdout)
    validate(doc, "replay-1")
    assert doc["lines"]["read"] == sum(doc["lines"][b] for b in isc.replay.BUCKETS)
    return rc, doc


def _differ_as_declared(doc: dict[str, Any], findings: list[Any]) -> None:
    """The events replay found decided differently are as many as the probes verify finds
    so, and verify finds each declared by the compiled document's tags."""
    assert findings and all(not f.undeclared for f in findings)
    differing = sum(doc["events"][b] for b in ("narrowed", "broadened", "approximated"))
    assert differing == len(findings)


def test_web_requests_differ_exactly_where_the_tags_say(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], outdirs: dict[str, Path]) -> None:
    export = isc.load(str(WEB))
    requests = list(dict.fromkeys(timed(r) for r in web_pool(export.web, limit=400, seed=3)))
    log = tmp_path / "requests.jsonl"
    log.write_text("\n".join(web_json_line(r) for r in requests) + "\n", encoding="utf-8")
    rc, doc = _replay(capsys, WEB, outdirs["web"], log)
    assert rc == 0
    assert doc["lines"]["read"] == len(requests)  # a final newline ends the last line
    assert doc["events"]["undetermined"] == doc["events"]["unreadable"] == 0
    # verify's judgement of the same requests: which differ, and is each declared?
    given = isc.load(str(outdirs["web"] / "ztsa-ia.json"))
    base = isc.optimize(export)
    compiled = isc.compile(base, "ztsa-ia")
    findings = web_verify.verify(base.web, given, compiled, Edits(), requests)
    _differ_as_declared(doc, findings)
    assert doc["events"]["same"] == len(requests) - len(findings)


def test_mail_messages_differ_exactly_where_the_tags_say(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], outdirs: dict[str, Path]) -> None:
    export = isc.load(str(MAIL))
    given = isc.load(str(outdirs["mail"] / "ems.json"))
    messages = list(dict.fromkeys(settled(m) for m in mail_pool(export.mail, given.document,
                                                                  limit=300, seed=3)))
    log = tmp_path / "messages.jsonl"
    log.write_text("\n".join(mail_json_line(m) for m in messages), encoding="utf-8")
    rc, doc = _replay(capsys, MAIL, outdirs["mail"], log)
    assert rc == 0
    assert doc["lines"]["read"] == len(messages)
    assert doc["events"]["undetermined"] == doc["events"]["unreadable"] == 0
    base = isc.optimize(export)
    compiled = isc.compile(base, "ems")
    # replay decides each recipient of a message; the pool's messages have one
    _differ_as_declared(doc, mail_verify.verify(base.mail, given, compiled, Edits(), messages))


def test_iwsva_syslog_every_line_accounted_for(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], outdirs: dict[str, Path]) -> None:
    export = isc.load(str(WEB))
    requests = [timed(r) for r in web_pool(export.web, limit=200, seed=1)]
    lines = [access_line(r, n) for n, r in enumerate(requests, 1)]
    lines += ["<134>iwsva01: <PERF> [EVT_PERFORMANCE|INFO] tk_metric_cpu=12",
              "garbage that is no log line", "", "<134>iwsva01: [ACCESS_TRACKING|INFO] x "
              "tk_username=u,tk_url=http://a.example/,tk_da"]
    rotated = tmp_path / "logs"
    rotated.mkdir()
    (rotated / "access.log").write_text("\r\n".join(lines[:100]) + "\r\n", encoding="utf-8")
    with gzip.open(rotated / "access.log.1.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[100:]))
    rc, doc = _replay(capsys, WEB, outdirs["web"], rotated)
    assert rc == 0
    assert doc["lines"]["read"] == len(lines)
    assert doc["lines"]["unreadable"] == 2 and doc["lines"]["not-a-request"] == 2
    assert {u["reason"] for u in doc["unreadable"]} and all(
        u["file"].endswith(".gz") for u in doc["unreadable"])
    # the example's policies name LDAP groups and users: logs that lack them say so
    reasons = " ".join(r["reason"] for r in doc["undetermined"])
    assert "user" in reasons or "groups" in reasons
    assert doc["logs"] == {"access": len(requests)}


def test_imsva_logs_joined_by_message_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], outdirs: dict[str, Path]) -> None:
    export = isc.load(str(MAIL))
    given = isc.load(str(outdirs["mail"] / "ems.json"))
    messages = [settled(m) for m in mail_pool(export.mail, given.document, limit=60, seed=2)]
    polevt = [polevt_line(m, n, rule="ルール") for n, m in enumerate(messages, 1)]
    msgtra = [msgtra_line(m, n) for n, m in enumerate(messages, 1)]
    (tmp_path / "polevt.imss.20261130.0001").write_bytes(
        "\n".join(polevt + ["broken\tline"]).encode("cp932", "replace"))
    (tmp_path / "msgtra.imss.20261130.0001").write_text("\n".join(msgtra), encoding="utf-8")
    rc, doc = _replay(capsys, MAIL, outdirs["mail"], tmp_path)
    assert rc == 0
    assert doc["lines"]["read"] == 2 * len(messages) + 1
    assert doc["lines"]["unreadable"] == 1
    events = sum(doc["events"][b] for b in isc.replay.BUCKETS)
    assert events == len(messages) + 1  # each message's two lines are one event
    assert doc["logs"] == {"imsva": len(messages)}
    # mail logs hold no body: messages whose rules read one are undetermined, with why
    assert all(r["reason"].startswith("the log does not give ") for r in doc["undetermined"])
    # every logged action is accounted for in the calibration, compared or not
    cal = doc["calibration"]
    assert cal["compared"] + cal["notComparable"] + cal["undetermined"] == len(messages)


def test_the_gate_the_file_and_unusable_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], outdirs: dict[str, Path]) -> None:
    report = json.loads((outdirs["web"] / "report.json").read_text(encoding="utf-8"))
    witness = next(w for o in report["objects"] for w in o.get("witnesses", [])
                   if w["direction"] == "broadened" and w["scope"] == "policy")
    r = isc.ir.requests.request_from_json(witness["request"])
    log = tmp_path / "w.jsonl"
    log.write_text(web_json_line(timed(r)) + "\n", encoding="utf-8")
    rc, doc = _replay(capsys, WEB, outdirs["web"], log, extra=("--fail-on", "broadened"))
    assert doc["directions"]["broadened"] == 1 and rc == 1
    rc, _ = _replay(capsys, WEB, outdirs["web"], log, extra=("--fail-on", "narrowed"))
    assert rc == 0
    target = tmp_path / "replay.json"
    rc, text, _ = run(capsys, "replay", WEB, "--against", outdirs["web"], "--log", log,
                      "-o", target, "-q")
    assert rc == 0 and "1 lines" in text and "broadened" in text
    validate(json.loads(target.read_text(encoding="utf-8")), "replay-1")
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n", encoding="utf-8")
    rc, _, err = run(capsys, "replay", WEB, "--against", outdirs["web"], "--log", junk)
    assert rc == 2 and "not a log isc reads" in err
    rc, _, err = run(capsys, "replay", WEB, "--against", outdirs["web"], "--log",
                     tmp_path / "missing.log")
    assert rc == 2 and "missing.log" in err
    # documents of another input: refused, as verify refuses them
    rc, _, err = run(capsys, "replay", MAIL, "--against", outdirs["web"], "--log", log)
    assert rc == 2


def test_sample_is_stated(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          outdirs: dict[str, Path]) -> None:
    export = isc.load(str(WEB))
    requests = [timed(r) for r in web_pool(export.web, limit=100, seed=4)]
    log = tmp_path / "r.jsonl"
    log.write_text("\n".join(web_json_line(r) for r in requests), encoding="utf-8")
    rc, doc = _replay(capsys, WEB, outdirs["web"], log, extra=("--sample", "10"))
    assert rc == 0 and doc["sampling"]["events"] == 10
    assert doc["sampling"]["of"] == len(requests)
    assert sum(doc["events"].values()) == 10
