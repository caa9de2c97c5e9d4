"""The web sweep decides the policy as lowered while fidelity adds directions to it
(``backends/ztsa_ia/lower.Whole``); ``ztsa.decided_alike`` is what allows that: two policies
that differ only in directions and review notes decide every request alike, and anything
a decision reads, the source included, makes them differ."""

from __future__ import annotations

import attrs

from isc.ir.common import Difference, Meta, Origin
from isc.ir.requests import WebRequest
from isc.ir.ztsa import InternetAccessRule, ListEntry, MatchMode, RuleAction, ZtsaPolicy
from isc.models import ztsa


def _policy() -> ZtsaPolicy:
    src = Meta.of(Origin("policy.ini", 3, "global-url-blocking.entry", "@bad.example*"))
    return ZtsaPolicy(
        url_deny_list=(ListEntry(MatchMode.URL, "*bad.example*", src),),
        internet_access_rules=(InternetAccessRule("all", RuleAction.ALLOW),))


def _widened(p: ZtsaPolicy) -> ZtsaPolicy:
    return attrs.evolve(p, url_deny_list=tuple(
        attrs.evolve(e, meta=Meta.of(e.meta.source, {Difference.NARROWED}, ("swept",)))
        for e in p.url_deny_list))


def test_a_policy_differing_only_in_directions_decides_alike() -> None:
    old = _policy()
    new = _widened(old)
    assert ztsa.decided_alike(old, new)
    req = WebRequest("http://www.bad.example/x")
    before = ztsa.decide(old, req)
    assert ztsa.decide(new, req) == before
    assert before.action == "block" and before.decided_by is not None
    assert before.decided_by.line == 3


def test_a_policy_that_may_decide_otherwise_is_not_alike() -> None:
    old = _policy()
    changed = attrs.evolve(old, url_deny_list=tuple(
        attrs.evolve(e, value="*other.example*") for e in old.url_deny_list))
    assert not ztsa.decided_alike(old, changed)
    assert ztsa.decide(changed, WebRequest("http://www.bad.example/x")).action == "allow"
    moved = attrs.evolve(old, url_deny_list=tuple(
        attrs.evolve(e, meta=Meta.of(Origin("policy.ini", 9, e.meta.source.kind,
                                            e.meta.source.name)))
        for e in old.url_deny_list if e.meta.source is not None))
    # the source is what a decision names
    assert not ztsa.decided_alike(old, moved)
    assert ztsa.decide(moved, WebRequest("http://www.bad.example/x")).decided_by != \
        ztsa.decide(old, WebRequest("http://www.bad.example/x")).decided_by
    rules = attrs.evolve(old, internet_access_rules=(
        InternetAccessRule("all", RuleAction.BLOCK),))
    assert not ztsa.decided_alike(old, rules)
    longer = attrs.evolve(old, internet_access_rules=(
        *old.internet_access_rules, InternetAccessRule("more", RuleAction.BLOCK)))
    assert not ztsa.decided_alike(old, longer)


def test_mail_indexes_keep_their_groups_while_one_rule_policies_come_and_go() -> None:
    """The mail indexes share their groups' parts by the groups' tuple; hundreds of policies
    without those groups (one keyword list, one rule) do not push them out, so the whole
    policy's index finds the matcher its comparisons built, not a new one."""
    from isc.ir.mail import AddressGroup, MailPolicy, MailRule, Party, PartyKind
    from isc.models import mailindex

    groups = (AddressGroup("staff", (Party(PartyKind.ADDRESS, "*@corp.example"),)),)
    whole = MailPolicy(internal_domains=("corp.example",), address_groups=groups)
    mailindex.release(whole)
    first = mailindex.MailIndex(whole).matcher
    for i in range(600):  # more than the bound of the other parts
        mailindex.MailIndex(MailPolicy(rules=(MailRule(f"r{i}", i + 1),)))
    assert mailindex.MailIndex(attrs.evolve(whole, rules=())).matcher is first
    # and the other parts stay bounded: the first one-rule policy's rules were pushed out
    one = MailPolicy(rules=(MailRule("only", 1),))
    index = mailindex.MailIndex(one)
    for i in range(600):
        mailindex.MailIndex(MailPolicy(rules=(MailRule(f"s{i}", i + 1),)))
    assert mailindex.MailIndex(one)._mail is not index._mail
