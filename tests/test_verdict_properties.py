"""Properties of the directions, on generated exports (semantics.md §5):

- an object's ``directions`` are exactly the directions its probes showed (one witness for
  each, replaying in the whole policy when it says so) plus the ones assumed by rule, each
  with a reason, and its tag summarises them;
- no difference the whole-policy probes show goes undeclared by the objects that decided it;
- ``--never-broaden`` exits 1 exactly when some object has ``broadened`` among its
  directions.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given

import isc
from isc.backends.ems import fidelity as mail_fidelity
from isc.backends.ems import verify as mail_verify
from isc.backends.ems.probes import policy_pool as mail_pool
from isc.backends.verification import Edits
from isc.backends.ztsa_ia import fidelity as web_fidelity
from isc.backends.ztsa_ia import verify as web_verify
from isc.backends.ztsa_ia.probes import policy_pool as web_pool
from isc.cli import main
from isc.frontends.mail_unparse import unparse_mail
from isc.frontends.web_unparse import unparse_web
from isc.ir.common import Difference, Fidelity
from isc.ir.ems import EmsPolicy
from isc.ir.export import Export, ReportEntry
from isc.ir.mail import MailPolicy
from isc.ir.requests import message_from_json, request_from_json
from isc.ir.web import WebPolicy
from isc.ir.ztsa import ZtsaPolicy
from isc.models import ems, imsva, iwsva, ztsa
from strategies import _parsed, web_policies
from strategies_mail import mail_policies

#: A tunneled host written "[a]b" made a probe URL that the URL parser refused (a traceback).
BRACKETS = WebPolicy(tunneling=(_parsed("string: [a]b"),))  # type: ignore[arg-type]


def _entry_is_consistent(e: ReportEntry) -> None:
    shown = {Difference(w["direction"]) for w in e.witnesses}
    assert e.directions == shown | e.assumed, e.source
    assert len(shown) == len(e.witnesses)  # one witness per direction
    if e.fidelity is not Fidelity.DROPPED:
        assert e.fidelity is Fidelity.of(e.directions)
    if e.fidelity is not Fidelity.EXACT:
        assert e.reasons, e.source
    if e.witnesses:
        assert e.witness is not None and e.witness["direction"] == e.witnesses[0]["direction"]


@given(web=web_policies())
@example(web=BRACKETS)
def test_web_directions_are_what_the_probes_show(web: WebPolicy) -> None:
    out = isc.compile(Export(web=web), "ztsa-ia")
    doc = out.document
    assert isinstance(doc, ZtsaPolicy)
    identities = {dn: name for dn, name, _ in out.identities}
    for e in out.report:
        _entry_is_consistent(e)
        for w in e.witnesses:
            direction = Difference(w["direction"])
            assert web_fidelity.difference(w["source"], w["target"]) is direction
            if w["scope"] == "policy":
                r = request_from_json(w["request"])
                s, t = iwsva.decide(web, r), ztsa.decide(doc, r, identities)
                assert (s.action, t.action) == (w["source"], w["target"]), e.source
    # every difference of the whole-policy probes is declared by an object that decided it
    found = web_verify.verify(web, out, out, Edits(), web_pool(web))
    assert [f for f in found if f.undeclared] == []


@given(policy=mail_policies())
def test_mail_directions_are_what_the_probes_show(policy: MailPolicy) -> None:
    out = isc.compile(Export(mail=policy), "ems")
    doc = out.document
    assert isinstance(doc, EmsPolicy)
    for e in out.report:
        _entry_is_consistent(e)
        for w in e.witnesses:
            direction = Difference(w["direction"])
            m = message_from_json(w["message"])
            if w["scope"] == "policy":
                s, t = imsva.decide(policy, m), ems.decide(doc, m)
                assert direction in mail_fidelity.differences(s, t), e.source
                assert (s.action, t.action) == (w["source"], w["target"])
    found = mail_verify.verify(policy, out, out, Edits(), mail_pool(policy, doc))
    assert [f for f in found if f.undeclared] == []


def _never_broaden(files: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    """``isc compile --never-broaden`` on the files: its exit status and report entries."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for name, text in files.items():
            (src / name).write_text(text, encoding="utf-8")
        rc = main(["compile", str(src), "-o", str(Path(tmp) / "out"), "--never-broaden",
                   "--format", "json"])
        report = json.loads((Path(tmp) / "out" / "report.json").read_text(encoding="utf-8"))
    return rc, report["objects"]


@given(web=web_policies())
def test_never_broaden_fails_exactly_on_a_broadened_direction_web(web: WebPolicy) -> None:
    rc, entries = _never_broaden({"policy.ini": unparse_web(web)})
    assert rc == (1 if any("broadened" in e["directions"] for e in entries) else 0)


@given(policy=mail_policies())
def test_never_broaden_fails_exactly_on_a_broadened_direction_mail(policy: MailPolicy
                                                                   ) -> None:
    rc, entries = _never_broaden({"Policy.xml": unparse_mail(policy)})
    assert rc == (1 if any("broadened" in e["directions"] for e in entries) else 0)
