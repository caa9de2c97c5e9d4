"""``isc replay``: buckets, counts, calibration, sampling and the gate (issue 13).

The engine is checked against deciding the same requests one by one with
``isc.decide_web``; the whole command against the bundled examples."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import attrs
import logwriters
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import isc
from isc import api, replay
from isc.backends.ems.fidelity import differences as mail_differences
from isc.backends.ems.probes import policy_pool as mail_pool
from isc.backends.ztsa_ia.fidelity import differences as web_differences
from isc.backends.ztsa_ia.probes import policy_pool as web_pool
from isc.frontends.web_logs import parse_json_line
from isc.ir.common import Difference, Fidelity
from isc.ir.events import MailEvent, NotARequest, Recorded, Unreadable, WebEvent, Where
from isc.ir.export import Export
from isc.ir.mail import MailPolicy
from isc.ir.requests import WebRequest, request_from_json
from isc.ir.web import WebPolicy
from isc.schemas import validate
from strategies import web_policies
from strategies_mail import mail_policies

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "examples" / "iwsva-sakura" / "export"


@pytest.fixture(scope="module")
def sakura(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    from isc.cli import main

    out = tmp_path_factory.mktemp("sakura")
    assert main(["compile", str(WEB), "-o", str(out), "-q"]) == 0
    export = isc.load(str(WEB))
    output = isc.load(str(out / "ztsa-ia.json"))
    return export, output, out


def _side(export: Any, output: Any, reads: frozenset[str] = frozenset()) -> replay.Side:
    def decide(r: WebRequest) -> tuple[Any, Any]:
        return isc.decide_web(export, r), isc.decide_web(output, r)
    return replay.Side(decide, web_differences, lambda _: reads)


def _event(n: int, r: WebRequest, unknown: frozenset[str] = frozenset(),
           recorded: Recorded | None = None) -> WebEvent:
    return WebEvent(Where("access.log", n), "json", r, unknown, recorded, r.user or "")


_URLS = st.sampled_from([
    "http://www.example.com/", "https://netbank.example.jp/more.html",
    "http://onlinestorage.example.com/", "http://wiki.sakura.example/attachments/external/",
    "http://pastebin.example.net/sakura-seiki/x", "https://update.microsoft.com",
    "http://share.example.jp/s/x", "http://www.known-phish-site.example/takedown-notice.html"])
_REQUESTS = st.builds(
    WebRequest, url=_URLS,
    client=st.sampled_from(["10.10.5.20", "10.10.64.7", "10.20.1.1", "192.0.2.9"]),
    categories=st.lists(st.sampled_from(["Games", "Hacking", "Social Networking",
                                         "Financial Services", "Untested"]),
                        max_size=2).map(tuple),
    decrypted=st.sampled_from([None, True, False]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_REQUESTS, min_size=1, max_size=30))
def test_buckets_equal_deciding_one_by_one(sakura: tuple[Any, Any, Path],
                                           requests: list[WebRequest]) -> None:
    export, output, _ = sakura
    run = replay.Replay(_side(export, output))
    run.add_all(_event(n, r) for n, r in enumerate(requests, 1))
    got = run.json()
    want: dict[str, int] = dict.fromkeys(replay.BUCKETS, 0)
    for r in requests:
        found = web_differences(isc.decide_web(export, r), isc.decide_web(output, r))
        want["same" if not found else Fidelity.of(found).value] += 1
    assert got["events"] == want
    assert got["lines"]["read"] == len(requests) == sum(got["lines"][b] for b in replay.BUCKETS)


def test_every_line_lands_in_one_bucket(sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    run = replay.Replay(_side(export, output, frozenset({"groups", "when"})))
    r = WebRequest("http://www.example.com/", client="10.10.5.20")
    run.add_all([
        _event(1, r),
        _event(2, r, frozenset({"when"})),          # read by the policy: undetermined
        _event(3, r, frozenset({"file-type"})),     # not read: decided
        NotARequest(Where("access.log", 4), "access", "a performance log line"),
        Unreadable(Where("access.log", 5), "garbage"),
    ])
    doc = run.json()
    assert doc["lines"]["read"] == 5
    assert doc["events"]["undetermined"] == 1
    assert doc["events"]["not-a-request"] == doc["events"]["unreadable"] == 1
    assert doc["undetermined"] == [{"reason": "the log does not give when", "events": 1,
                                    "examples": ["access.log:2"]}]
    assert doc["unreadable"] == [{"file": "access.log", "line": 5, "reason": "garbage"}]


def test_differing_events_name_the_deciding_objects(sakura: tuple[Any, Any, Path]) -> None:
    export, output, out = sakura
    # a broadening report.json shows in the whole policy (isc explain reproduces it)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    witness = next(w for o in report["objects"] for w in o.get("witnesses", [])
                   if w["direction"] == "broadened" and w["scope"] == "policy")
    r = request_from_json(witness["request"])
    s, t = isc.decide_web(export, r), isc.decide_web(output, r)
    assert web_differences(s, t) == {Difference.BROADENED}
    run = replay.Replay(_side(export, output))
    run.add_all([_event(1, r), _event(2, r)])
    doc = run.json()
    assert doc["events"]["broadened"] == 2 and doc["directions"]["broadened"] == 2
    top = doc["targetObjects"][0]
    assert top["events"] == 2 and top["examples"] == ["access.log:1", "access.log:2"]
    assert doc["mostAffectedHosts"][0] == {"host": r.parsed.host, "events": 2,
                                           "examples": ["access.log:1", "access.log:2"]}
    assert replay.failing(doc, "broadened") and replay.failing(doc, "any")
    assert not replay.failing(doc, "narrowed") and not replay.failing(doc, None)


def test_calibration_compares_the_source_model_with_the_appliance(
        sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    r = WebRequest("http://www.example.com/", client="10.10.5.20", categories=("Games",))
    model = isc.decide_web(export, r).action
    other = "allow" if model != "allow" else "block"
    run = replay.Replay(_side(export, output))
    run.add_all([
        _event(1, r, recorded=Recorded(model, "policy")),
        _event(2, r, recorded=Recorded(other, "policy")),
        _event(3, r, recorded=Recorded("block", "virus scan", comparable=False)),
        _event(4, r),
    ])
    cal = run.json()["calibration"]
    assert (cal["compared"], cal["agree"], cal["disagree"], cal["notComparable"]) == (2, 1, 1, 1)
    assert cal["undetermined"] == 0
    assert cal["agreement"] == 0.5
    assert cal["disagreements"][0]["examples"] == ["access.log:2"]
    assert f"appliance {other}" in cal["disagreements"][0]["finding"]


def test_a_sample_is_seeded_and_says_so(sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    events = [_event(n, WebRequest(f"http://host{n % 7}.example/")) for n in range(1, 201)]
    docs = []
    for _ in range(2):
        run = replay.Replay(_side(export, output), sample=20, seed=5).add_all(events)
        run.finish()
        docs.append(run.json())
    assert docs[0] == docs[1]
    assert docs[0]["sampling"]["events"] == 20 and docs[0]["sampling"]["of"] == 200
    assert sum(docs[0]["events"].values()) == 20


def test_reads_fail_closed(sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    reads = replay.web_reads(export.web, output.document)
    # the example's policies name LDAP groups, IP accounts, schedules, categories, file types
    assert reads >= {"groups", "user", "client", "when", "categories", "file-type"}
    empty = replay.web_reads(type(export.web)(), type(output.document)())
    assert empty == frozenset()


def _json_log(path: Path, requests: list[WebRequest]) -> Path:
    lines = []
    for r in requests:
        d = isc.ir.requests.request_to_json(r)
        lines.append(json.dumps(d, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_document_validates(sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    run = replay.Replay(_side(export, output))
    run.add_all([_event(1, WebRequest("http://www.example.com/"))])
    doc = {**run.json(), "input": {"fingerprint": "sha256:x", "documents": ["ztsa-ia.json"]}}
    validate(doc, "replay-1")



# ---------------------------------------------------------------------- generated policies

def _expected(pairs: list[list[tuple[Any, Any]]], differ: Any) -> dict[str, int]:
    want: dict[str, int] = dict.fromkeys(replay.BUCKETS, 0)
    for per_event in pairs:
        found: set[Difference] = set()
        for s, t in per_event:
            found |= differ(s, t)
        want["same" if not found else Fidelity.of(found).value] += 1
    return want


def _replayed(export: Export, out: Any, written: list[str]
              ) -> tuple[dict[str, Any], Any, list[str], list[Any]]:
    """``isc.replay`` of a JSON-lines log against ``out`` written as its OUTDIR: the result,
    the document read back, the log's lines and each line as the reader reads it."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / api.FILENAMES[out.target]).write_text(isc.dumps(out), encoding="utf-8")
        log = where / "events.jsonl"
        log.write_text("\n".join(written), encoding="utf-8")
        doc = api.replay(export, str(where), [str(log)])
        given_doc = isc.load(str(where / api.FILENAMES[out.target]))
        lines = log.read_text(encoding="utf-8").split("\n")  # as the reader: \n only
    return doc, given_doc, lines, [parse_json_line(n, text, "events.jsonl")
                                   for n, text in enumerate(lines, 1)]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(web=web_policies(), seed=st.integers(0, 50))
def test_generated_web_policies_replay_as_decided_one_by_one(web: WebPolicy, seed: int
                                                             ) -> None:
    out = isc.compile(Export(web=web), "ztsa-ia")
    requests = [logwriters.timed(r) for r in web_pool(web, limit=25, seed=seed)]
    assume(requests)
    doc, given_doc, lines, parsed = _replayed(
        Export(web=web), out, [logwriters.web_json_line(r) for r in requests])
    # each line as the reader reads it, decided one by one with the public API
    events = [e for e in parsed if isinstance(e, WebEvent)]
    assert all(not e.unknown for e in events)  # every field given: all decided
    pairs = [[(isc.decide_web(Export(web=web), e.request), isc.decide_web(given_doc, e.request))]
             for e in events]
    want = _expected(pairs, web_differences)
    # a probe URL the reader refuses (no usable host) is an unreadable line, not dropped
    want["unreadable"] = sum(1 for e in parsed if isinstance(e, Unreadable))
    assert len(events) + want["unreadable"] == len(lines)
    assert doc["events"] == want


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(mail=mail_policies(), seed=st.integers(0, 50))
def test_generated_mail_policies_replay_as_decided_one_by_one(mail: MailPolicy, seed: int
                                                              ) -> None:
    out = isc.compile(Export(mail=mail), "ems")
    messages = [logwriters.settled(m)
                for m in mail_pool(mail, out.document, limit=20, seed=seed)]  # type: ignore[arg-type]
    assume(messages)
    doc, given_doc, _, parsed = _replayed(
        Export(mail=mail), out, [logwriters.mail_json_line(m) for m in messages])
    assert all(isinstance(e, MailEvent) and not e.unknown for e in parsed), parsed
    pairs = []
    for e in parsed:
        assert isinstance(e, MailEvent)
        m = e.message
        pairs.append([(isc.decide_mail(Export(mail=mail), one), isc.decide_mail(given_doc, one))
                      for one in (attrs.evolve(m, recipient=r)
                                  for r in dict.fromkeys(m.recipients or (m.recipient,)))])
    assert doc["events"] == _expected(pairs, mail_differences)


def test_an_event_undetermined_for_the_pair_is_calibrated_when_the_source_can_decide(
        sakura: tuple[Any, Any, Path]) -> None:
    export, output, _ = sakura
    r = WebRequest("http://www.example.com/", client="10.10.5.20", categories=("Games",))
    model = isc.decide_web(export, r).action
    rec = Recorded(model, "policy")
    unknown = frozenset({"groups"})
    for source_reads, compared in ((frozenset(), 1), (frozenset({"groups"}), 0)):
        side = attrs.evolve(_side(export, output, frozenset({"groups"})),
                            source_reads=lambda _, reads=source_reads: reads)
        run = replay.Replay(side)
        run.add(_event(1, r, unknown, rec))
        doc = run.json()
        assert doc["events"]["undetermined"] == 1  # the pair cannot be decided either way
        cal = doc["calibration"]
        assert (cal["compared"], cal["agree"], cal["undetermined"]) == (
            compared, compared, 1 - compared)
