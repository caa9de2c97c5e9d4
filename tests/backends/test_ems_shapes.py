"""Sender entries that compare alike share one comparison (issue 10, decision 161): the
tags and directions of a compile that reuses them equal those of a compile that compares
every entry in full, on generated rule sets."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import isc
from isc.ir.mail import MailPolicy, Party, PartyKind
from strategies_mail import mail_policies

#: the module (the package exports a function of the same name)
lowering = importlib.import_module("isc.backends.ems.lower")
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402


def _tags(mail: MailPolicy, reuse: bool) -> tuple[list[tuple[Any, ...]], int]:
    """Every report entry's tag and directions, and how many probe messages the sender
    entries' comparisons decided."""
    calls = [0]
    real = lowering.compare

    def counting(source: Any, target: Any, probes: list[Any], **kwargs: Any) -> Any:
        if len(source.approved_senders) + len(source.blocked_senders) == 1:
            calls[0] += len(probes)
        return real(source, target, probes, **kwargs)

    with mock.patch.object(lowering, "REUSE_SHAPES", reuse), \
            mock.patch.object(lowering, "compare", counting):
        _, report, _, _, _ = lowering.lower(mail, lambda s: s, lowering.Options())
    return [(e.source.kind, e.source.name, e.source.line, e.fidelity.value,
             frozenset(e.directions), e.witnesses) for e in report], calls[0]


def _party_values(mail: MailPolicy) -> list[str]:
    """The address patterns a rule or group names: sender entries drawn from them reach
    those rules, so that entries differ in what they reach."""
    found = [p.value for r in mail.rules for p in (*r.route.senders, *r.route.recipients)
             if p.kind is PartyKind.ADDRESS]
    found += [e.sender.value for r in mail.rules for e in r.route.exceptions
              if e.sender.kind is PartyKind.ADDRESS]
    found += [p.value for g in mail.address_groups for p in g.addresses
              if p.kind is PartyKind.ADDRESS]
    return found


@st.composite
def _with_reaching_senders(draw: Any) -> MailPolicy:
    mail = draw(mail_policies())
    pool = [*_party_values(mail), "a@x.example", "*@x.example", "*@*.example", "b@*",
            "user@corp.example.co.jp", "*@sub.x.example"]
    pick = st.lists(st.sampled_from(pool), max_size=6, unique=True)
    return attrs.evolve(
        mail,
        approved_senders=tuple(Party(PartyKind.ADDRESS, v) for v in draw(pick)),
        blocked_senders=tuple(Party(PartyKind.ADDRESS, v) for v in draw(pick)))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_with_reaching_senders())
def test_shared_sender_comparisons_give_the_tags_of_comparing_every_entry(
        mail: MailPolicy) -> None:
    assert _tags(mail, True)[0] == _tags(mail, False)[0]


@pytest.mark.parametrize("seed", [1, 2])
def test_on_generated_exports_and_with_fewer_comparisons(seed: int, tmp_path: Path) -> None:
    generate.generate_mail(tmp_path, rules=20, addresses=400, expressions=60, senders=120,
                           seed=seed)
    mail = isc.load(tmp_path).mail
    assert mail is not None and len(mail.approved_senders) + len(mail.blocked_senders) == 120
    shared, fewer = _tags(mail, True)
    every, all_calls = _tags(mail, False)
    assert shared == every
    assert all_calls > 1000 and fewer < all_calls / 4  # most entries were not compared


def test_two_cores_give_the_same_comparisons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             split_parts: list[int]) -> None:
    """The rules' and the sender entries' comparisons, the sweep and the witnesses in the
    whole policy split over two processes give the document and report of one process,
    witnesses and sweep included."""
    from isc.backends import comparison

    generate.generate_mail(tmp_path, rules=20, addresses=400, expressions=60, senders=120,
                           seed=3)
    mail = isc.load(tmp_path).mail
    assert mail is not None
    monkeypatch.setattr(comparison, "_MIN_SPLIT", 2)
    monkeypatch.setattr(lowering, "_MIN_SWEEP_SPLIT", 2)
    monkeypatch.setattr(lowering, "_MIN_KEY_SPLIT", 2)
    monkeypatch.setattr(lowering, "_MIN_TRANSLATE_SPLIT", 2)
    splits = split_parts

    def report(jobs: str) -> list[Any]:
        monkeypatch.setenv("ISC_JOBS", jobs)
        policy, entries, diagnostics, sweep, _ = lowering.lower(mail, lambda s: s,
                                                                lowering.Options())
        return [policy, sweep, diagnostics,
                *((e.source, e.fidelity, e.directions, e.witnesses) for e in entries)]

    one = report("1")
    # the keyword expressions' translations, the sender entries' keys, the fidelity stage
    # (every comparison but the first of each sender key and those known by rule), the
    # sweep, the whole-policy witnesses
    assert len(splits) == 5 and set(splits) == {1}
    splits.clear()
    assert report("2") == one
    # here the same but the sweep (in the sweep's process): each split in halves, or in
    # runs while that process held the other core (workers.split)
    assert len(splits) == 4 and all(n >= 2 for n in splits)


@pytest.mark.parametrize("pattern", [
    "ceo@example.co.jp", "*@partner.example", "*@*.partner.example", "sales@*", "*@*", "*",
    "a?b@x.example", "CEO@Example.co.jp", "*@*.*.example"])
def test_probes_at_positions_are_the_probes(pattern: str) -> None:
    """An entry of a known key makes only its messages at the key's positions: they must be
    the messages a full comparison would have decided there."""
    from isc.backends.ems import probes

    mail = MailPolicy(internal_domains=("example.co.jp",))
    every = probes.sender_probes(mail, [pattern])
    assert probes.sender_probes_at(mail, pattern, range(len(every))) == every
    assert probes.sender_probes_at(mail, pattern, [len(every) - 1, 0]) == [every[-1], every[0]]


@pytest.mark.parametrize(("seed", "lowered"), [(1, False), (2, False), (1, True)])
def test_shared_whole_policy_decisions_are_the_models_decisions(seed: int, lowered: bool,
                                                                tmp_path: Path) -> None:
    """Witnesses in the whole policy share decisions between messages whose senders the
    policies tell apart no further (``WholeDecisions``): on a generated export (rules that
    route by sender, sender lists, DKIM and DMARC), every message of the sweep's pool sent
    from each of the export's sender entries and party addresses is decided as deciding it
    with both models does, and the sharing is used; also with the sender slots the
    lowering found on its rule sets (``lowered``), as the compile's witnesses use them."""
    from isc.backends.ems.probes import policy_pool
    from isc.backends.ems.shapes import WholeDecisions
    from isc.models import ems, imsva

    generate.generate_mail(tmp_path, rules=20, addresses=400, expressions=60, senders=120,
                           seed=seed)
    mail = isc.load(tmp_path).mail
    assert mail is not None
    low = lowering.Lowering(mail, lambda s: s, lowering.Options())
    target = low.run()
    assert low.sender_slots is not None
    whole = WholeDecisions(mail, target, low.sender_slots if lowered else None)
    values = [*_party_values(mail), *(p.value for p in (*mail.approved_senders,
                                                         *mail.blocked_senders))]
    senders = sorted({v.replace("*", "q") for v in values if "@" in v})[:40]
    pool = policy_pool(mail, target, limit=60, seed=seed)
    differ = 0
    for message in pool:
        seen = set()
        for sender in [message.sender, *senders]:
            m = attrs.evolve(message, sender=sender, direction=message.direction or "incoming",
                             sender_groups=())
            direct = (imsva.decide(mail, m), ems.decide(target, m))
            assert whole.decide(m) == direct, sender
            seen.add(direct)
        differ += len(seen) > 1
    assert differ >= 5  # senders that decide otherwise were among them
    assert len(whole._known) < len(pool) * (len(senders) + 1)  # and some were shared
