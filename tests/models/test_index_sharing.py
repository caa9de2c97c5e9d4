"""The sweep widens directions on a new ZTSA policy and lets it decide with the index built
for the old one (``ztsa.carry_index``): only where nothing an index reads differs."""

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


def test_a_policy_differing_only_in_directions_decides_with_the_old_index() -> None:
    old = _policy()
    req = WebRequest("http://www.bad.example/x")
    before = ztsa.decide(old, req)
    new = _widened(old)
    ztsa.carry_index(old, new)
    assert ztsa.ZtsaIndex.of(new) is ztsa.ZtsaIndex.of(old)
    assert ztsa.decide(new, req) == before
    assert before.action == "block" and before.decided_by is not None
    assert before.decided_by.line == 3


def test_a_policy_that_decides_otherwise_gets_its_own_index() -> None:
    old = _policy()
    ztsa.decide(old, WebRequest("http://www.bad.example/x"))
    changed = attrs.evolve(old, url_deny_list=tuple(
        attrs.evolve(e, value="*other.example*") for e in old.url_deny_list))
    ztsa.carry_index(old, changed)
    assert ztsa.ZtsaIndex.of(changed) is not ztsa.ZtsaIndex.of(old)
    assert ztsa.decide(changed, WebRequest("http://www.bad.example/x")).action == "allow"
    moved = attrs.evolve(old, url_deny_list=tuple(
        attrs.evolve(e, meta=Meta.of(Origin("policy.ini", 9, e.meta.source.kind,
                                            e.meta.source.name)))
        for e in old.url_deny_list if e.meta.source is not None))
    ztsa.carry_index(old, moved)  # the source is what a decision names: not the same index
    assert ztsa.ZtsaIndex.of(moved) is not ztsa.ZtsaIndex.of(old)
    rules = attrs.evolve(old, internet_access_rules=(
        InternetAccessRule("all", RuleAction.BLOCK),))
    ztsa.carry_index(old, rules)
    assert ztsa.ZtsaIndex.of(rules) is not ztsa.ZtsaIndex.of(old)


def test_without_an_index_nothing_is_carried() -> None:
    old = _policy()  # never decided: no index to share
    new = _widened(old)
    ztsa.carry_index(old, new)
    assert ztsa.decide(new, WebRequest("http://bad.example/")).action == "block"
