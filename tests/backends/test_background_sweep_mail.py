"""The mail whole-policy sweep starts before per-object fidelity, on the EmS policy as
lowered (the draft: no object's directions and notes yet), and its answer stands for the
policy written: a decision reads an object's source, never the directions and notes
fidelity adds (issue 10)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import isc
from isc.frontends.keywords import Dialect, parse_expression
from isc.ir.common import Difference, Meta, alike_but_meta
from isc.ir.ems import DkimVerification, EmsPolicy
from isc.ir.mail import MailPolicy
from isc.ir.requests import MailMessage
from isc.models import ems
from strategies_mail import mail_policies

lowering = importlib.import_module("isc.backends.ems.lower")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "imsva-kaede" / "export"


def _options() -> Any:
    return lowering.Options(parse_expression=lambda text: parse_expression(
        text, dialect=Dialect.EMS), pool_limit=400)


def _written_and_draft(mail: MailPolicy) -> tuple[Any, EmsPolicy]:
    low = lowering.Lowering(mail, lambda s: s, _options())
    low.run()
    assert low.draft is not None
    return low, low.draft


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mail_policies())
def test_the_draft_decides_as_the_policy_written(mail: MailPolicy) -> None:
    low, draft = _written_and_draft(mail)
    assert ems.decided_alike(draft, low.policy)
    # the draft lacks only what fidelity writes: each object's directions and notes
    assert alike_but_meta(draft, low.policy)
    # what the sweep process answers is what sweeping the policy written answers
    split, reordered, _ = low.reordered_sources()
    limit = low.options.pool_limit
    assert lowering.MailWhole(mail, draft, split, reordered, limit).sweep() == \
        lowering.MailWhole(mail, low.policy, split, reordered, limit).sweep()


def test_the_example_is_swept_in_a_second_process(monkeypatch: pytest.MonkeyPatch) -> None:
    export = isc.load(EXAMPLE)
    monkeypatch.setenv("ISC_JOBS", "1")
    one = isc.compile(export, "ems")
    served: list[bool] = []
    real = lowering.Lowering.sweep_server

    def recording(self: Any, *args: Any) -> Any:
        server = real(self, *args)
        served.append(server.forked)
        return server

    monkeypatch.setenv("ISC_JOBS", "2")
    monkeypatch.setattr(lowering.Lowering, "sweep_server", recording)
    two = isc.compile(export, "ems")
    assert served == [True]
    assert isc.dumps(one) == isc.dumps(two)
    assert isc.dumps_report(one) == isc.dumps_report(two)


def test_a_policy_that_decides_otherwise_is_swept_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the policy written ever to decide otherwise than the draft, it is swept here;
    the documents are those of one process."""
    export = isc.load(EXAMPLE)
    monkeypatch.setenv("ISC_JOBS", "1")
    one = isc.compile(export, "ems")
    wholes: list[Any] = []
    real_init = lowering.MailWhole.__init__
    parent = os.getpid()

    def init(self: Any, *args: Any) -> None:
        real_init(self, *args)
        if os.getpid() == parent:
            wholes.append(args[1])

    monkeypatch.setenv("ISC_JOBS", "2")
    monkeypatch.setattr(lowering.ems_model, "decided_alike", lambda old, new: False)
    monkeypatch.setattr(lowering.MailWhole, "__init__", init)
    two = isc.compile(export, "ems")
    # the draft's MailWhole was made in the sweep's process; the one here is of the policy
    # written
    assert len(wholes) == 1 and alike_but_meta(wholes[0], two.document)
    assert isc.dumps(one) == isc.dumps(two)
    assert isc.dumps_report(one) == isc.dumps_report(two)


def test_decided_alike_reads_every_field() -> None:
    """A change in any field but an object's meta is a policy that may decide otherwise;
    one in the directions and notes is not."""
    policy = isc.compile(isc.load(EXAMPLE), "ems").document
    assert isinstance(policy, EmsPolicy)
    assert ems.decided_alike(policy, policy)
    changed_any = False
    for field in attrs.fields(type(policy)):
        value = getattr(policy, field.name)
        objects = value if isinstance(value, tuple) else (value,)
        if not objects or objects[0] is None:
            continue
        first = objects[0]
        if isinstance(first, str):
            other_first: Any = first + "x"
        elif attrs.has(type(first)):
            name, old = next((f.name, getattr(first, f.name)) for f in attrs.fields(type(first))
                             if f.name != "meta" and isinstance(getattr(first, f.name),
                                                                str | bool))
            other_first = attrs.evolve(first, **{name: old + "x" if isinstance(old, str)
                                                 else not old})
            if hasattr(first, "meta") and first.meta.source is not None:
                widened = attrs.evolve(first, meta=Meta.of(
                    first.meta.source, {Difference.NARROWED}, ("swept",)))
                same = (widened, *objects[1:]) if isinstance(value, tuple) else widened
                assert ems.decided_alike(policy, attrs.evolve(policy, **{field.name: same}))
        else:
            continue
        other = (other_first, *objects[1:]) if isinstance(value, tuple) else other_first
        assert not ems.decided_alike(policy, attrs.evolve(policy, **{field.name: other})), \
            field.name
        changed_any = True
    assert changed_any
    # an object where there was none, or one more
    assert not ems.decided_alike(policy, attrs.evolve(
        policy, dkim_verification=None if policy.dkim_verification else DkimVerification()))
    assert not ems.decided_alike(policy, attrs.evolve(policy, rules=policy.rules[:-1]))


def test_a_draft_decision_is_the_written_one() -> None:
    """The decisions the draft's sweep stands for, message by message."""
    mail = isc.load(EXAMPLE).mail
    assert mail is not None
    low, draft = _written_and_draft(mail)
    pool = lowering.probes.policy_pool(mail, low.policy, limit=300)
    assert pool
    for m in pool:
        assert isinstance(m, MailMessage)
        assert ems.decide(draft, m) == ems.decide(low.policy, m)
