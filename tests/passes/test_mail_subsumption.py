"""remove-subsumed-mail-addresses: an address entry that another entry of the same address
group or sender list always matches too is dropped, and no IMSVA decision changes.

The cover test is checked against the model's own matcher on a universe of addresses that
fills every wildcard with fresh values (so "every address in the universe" stands for
"every address"), and the pass is checked on generated policies built to hold such entries,
with messages from and to the entries' addresses and their near misses, and exhaustively
(every sender x recipient x direction) on a small universe.
"""

from __future__ import annotations

import importlib
import itertools
import random
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import isc
from isc.ir.ems import ems_sender_ok
from isc.ir.mail import (
    AddressGroup,
    Flag,
    FlagCondition,
    Intercept,
    InterceptAction,
    MailPolicy,
    MailRule,
    Match,
    Party,
    PartyKind,
    Route,
    RouteException,
    RouteType,
    RuleType,
    SpamCondition,
    TagSubject,
)
from isc.ir.requests import MailMessage
from isc.models import imsva
from isc.models.mailmatch import address_matches
from isc.passes import PassContext
from isc.passes.remove_subsumed_mail_addresses import (
    covers,
    form_of,
    remove_subsumed_mail_addresses,
    subsumed,
)
from pass_checks import same_mail_decision
from strategies_mail import mail_messages, optimisable_mail_policies

PASS = remove_subsumed_mail_addresses


def _addr(value: str) -> Party:
    return Party(PartyKind.ADDRESS, value)


def _values(parties: tuple[Party, ...]) -> list[str]:
    return [p.value for p in parties]


def _run(mail: MailPolicy, ctx: PassContext | None = None) -> MailPolicy:
    return PASS(mail, ctx or PassContext())


def _group_policy(*values: str) -> MailPolicy:
    return MailPolicy(address_groups=(AddressGroup("g", tuple(_addr(v) for v in values)),))


def _kept_group(*values: str) -> list[str]:
    out = _run(_group_policy(*values))
    return _values(out.address_groups[0].addresses)


# ---------------------------------------------------------------- the small universe

#: Domains three deep, a sibling and a parent, and local parts (one capitalised).
DOMAINS = ["x.example", "a.x.example", "b.a.x.example", "y.example", "example"]
LOCALS = ["ann", "Bob", "*"]


def _vocabulary() -> list[str]:
    """Every documented form over the small universe, and other spellings of some."""
    out = ["*@*", "*"]
    for local in LOCALS:
        for d in DOMAINS:
            out += [f"{local}@{d}", f"{local}@*.{d}"]
        out.append(f"{local}@*")
    out += ["ANN@X.EXAMPLE", " <ann@x.example> ", "*@A.X.Example.", "bob@*.X.EXAMPLE"]
    return out


VOCABULARY = _vocabulary()


def _fill(pattern: str, locals_: tuple[str, ...], domains: tuple[str, ...]) -> set[str]:
    """Addresses that fill ``pattern``'s wildcards with each of the given values."""
    local, at, domain = pattern.strip().strip("<>").strip().rpartition("@")
    if not at:
        return set()
    return {f"{lo}@{do}" for lo in ([local] if local != "*" else locals_)
            for do in ([domain] if "*" not in domain else
                       [domain.replace("*", d, 1) for d in domains])}


def _universe(patterns: list[str], fresh: bool = True) -> list[str]:
    """Addresses for every pattern, its wildcards filled with values no pattern names (one
    label and two), plus the near misses: apexes, other local parts, no ``@`` at all."""
    out = {"", "noat", "zed@"}
    fills = (("f1", "f2"), ("fz", "fz.fq")) if fresh else (("zed",), ("sub",))
    for p in patterns:
        out |= _fill(p, *fills)
    for d in DOMAINS:
        out |= {f"ann@{d}", f"zed@{d}", f"ANN@{d.upper()}", f"zed@c.{d}"}
    return sorted(out)


UNIVERSE = _universe(VOCABULARY)


def _matched(pattern: str, universe: list[str]) -> frozenset[str]:
    return frozenset(a for a in universe if address_matches(pattern, a))


# ---------------------------------------------------------------- the cover test


def test_cover_test_is_exactly_set_inclusion_on_documented_forms() -> None:
    """``covers`` says yes exactly when every address the first matches, the second
    matches too: sound (never yes wrongly) and complete on every documented form."""
    sets = {p: _matched(p, UNIVERSE) for p in VOCABULARY}
    wrong = []
    for e, w in itertools.product(VOCABULARY, VOCABULARY):
        fe, fw = form_of(e), form_of(w)
        assert fe is not None and fw is not None, (e, w)
        if covers(fe, fw) != (sets[e] <= sets[w]):
            wrong.append((e, w, covers(fe, fw)))
    assert wrong == []


@pytest.mark.parametrize(("e", "w"), [
    ("a@x.example", "*@x.example"),
    ("a@b.x.example", "*@*.x.example"),
    ("*@b.x.example", "*@*.x.example"),
    ("*@*.b.x.example", "*@*.x.example"),
    ("a@*.b.x.example", "*@*.x.example"),
    ("a@*.b.x.example", "a@*.x.example"),
    ("a@x.example", "a@*"),
    ("a@*.x.example", "a@*"),
    ("a@x.example", "A@X.EXAMPLE."),
    ("<a@x.example>", "a@x.example"),
    ("a*b@x.example", "*@*"),
    ("x.example", "*"),
])
def test_covered(e: str, w: str) -> None:
    fe, fw = form_of(e), form_of(w)
    assert fw is not None
    assert fe is None or covers(fe, fw)
    assert subsumed([w, e]) == {1: 0}


@pytest.mark.parametrize(("e", "w"), [
    ("a@x.example", "*@*.x.example"),      # the apex is no subdomain
    ("*@x.example", "*@*.x.example"),
    ("a@bx.example", "*@*.x.example"),     # a suffix that is not a label
    ("*@*.x.example", "*@*.b.x.example"),  # wider than the cover
    ("b@x.example", "a@*"),
    ("*@x.example", "a@*"),
    ("a@x.example", "a@y.example"),
    ("a@*", "*@*.example"),                # a@* also matches a@example and a@com
    ("a*b@x.example", "*@x.example"),      # a pattern outside the documented forms
    ("x.example", "*@x.example"),          # a domain pattern: kept
])
def test_not_covered(e: str, w: str) -> None:
    fe, fw = form_of(e), form_of(w)
    assert fe is None or fw is None or not covers(fe, fw)
    assert 1 not in subsumed([w, e])
    assert 0 not in subsumed([e, w])


def test_equal_entries_keep_the_first() -> None:
    assert subsumed(["*@X.example", "*@x.example."]) == {1: 0}
    assert subsumed(["*@x.example.", "*@X.example"]) == {1: 0}
    # and the first of equals even when a wider entry covers both comes before them
    assert subsumed(["*@*", "a@x.example", "A@x.example"]) == {1: 0, 2: 0}


def test_removed_entries_always_name_a_kept_cover() -> None:
    values = list(VOCABULARY)
    random.Random(7).shuffle(values)
    found = subsumed(values)
    assert not set(found.values()) & set(found)
    for e, w in found.items():
        assert _matched(values[e], UNIVERSE) <= _matched(values[w], UNIVERSE)


# ---------------------------------------------------------------- the pass on examples


def test_group_entries_covered_by_a_wildcard_are_removed() -> None:
    mail = MailPolicy(address_groups=(AddressGroup("取引先", (
        _addr("tanaka@osaka.partner.example"),
        _addr("*@*.partner.example"),
        _addr("*@partner.example"),
        _addr("suzuki@partner.example"),
        Party(PartyKind.LDAP_USER, "suzuki@partner.example"),
        Party(PartyKind.LDAP_GROUP, "CN=Partners,DC=x"),
        Party(PartyKind.ADDRESS_GROUP, "other"),
        _addr("*@dev.osaka.partner.example"),
        _addr("sato@other.example"),
    )),))
    ctx = PassContext()
    out = _run(mail, ctx)
    assert [(p.kind.value, p.value) for p in out.address_groups[0].addresses] == [
        ("address", "*@*.partner.example"), ("address", "*@partner.example"),
        ("ldap-user", "suzuki@partner.example"), ("ldap-group", "CN=Partners,DC=x"),
        ("address-group", "other"), ("address", "sato@other.example")]
    assert [(c.action, c.kind, c.name, c.kept_name) for c in ctx.changes] == [
        ("removed", "address-group.entry", "tanaka@osaka.partner.example",
         "*@*.partner.example"),
        ("removed", "address-group.entry", "suzuki@partner.example", "*@partner.example"),
        ("removed", "address-group.entry", "*@dev.osaka.partner.example",
         "*@*.partner.example")]
    assert len(ctx.diagnostics) == 3
    assert all(d.code == "ISC2015" for d in ctx.diagnostics)
    message = ctx.diagnostics[0].message
    assert "tanaka@osaka.partner.example" in message and "*@*.partner.example" in message
    assert "取引先" in message


def test_a_universal_entry_covers_every_address_entry_only() -> None:
    assert _kept_group("a@x.example", "*@*.x.example", "odd*@x.example", "*", "x.example"
                       ) == ["*"]
    mail = MailPolicy(address_groups=(AddressGroup("g", (
        Party(PartyKind.LDAP_GROUP, "Sales"), _addr("*@*"), _addr("a@b.example"),
        Party(PartyKind.ADDRESS_GROUP, "h"))),))
    out = _run(mail)
    assert _values(out.address_groups[0].addresses) == ["Sales", "*@*", "h"]


def test_sender_lists_keep_what_email_security_could_hold() -> None:
    """``name@*`` covers ``name@x``, but EmS drops ``name@*``: ``name@x`` stays, or
    ems.json would lose it. Entries EmS drops anyway go."""
    mail = MailPolicy(
        approved_senders=(_addr("ceo@*"), _addr("ceo@partner.example"),
                          _addr("ceo@*.partner.example"), _addr("*@*.bank.example"),
                          _addr("alerts@mail.bank.example"), _addr("ceo@*.mail.bank.example")),
        blocked_senders=(_addr("*@*"), _addr("spam@bad.example"), _addr("a*b@bad.example")))
    ctx = PassContext()
    out = _run(mail, ctx)
    assert _values(out.approved_senders) == [
        "ceo@*", "ceo@partner.example", "*@*.bank.example"]
    assert _values(out.blocked_senders) == ["*@*", "spam@bad.example"]
    assert {(c.kind, c.name, c.kept_name) for c in ctx.changes} == {
        ("approved-senders.entry", "ceo@*.partner.example", "ceo@*"),
        ("approved-senders.entry", "alerts@mail.bank.example", "*@*.bank.example"),
        ("approved-senders.entry", "ceo@*.mail.bank.example", "*@*.bank.example"),
        ("blocked-senders.entry", "a*b@bad.example", "*@*")}
    assert [ems_sender_ok(v) for v in ("ceo@*", "*@*", "*@*.x", "*@x", "a@x", "a@*.x")] == [
        False, False, True, True, True, False]


def test_lists_are_independent() -> None:
    """Approved and blocked senders, and two groups, never cover each other's entries."""
    mail = MailPolicy(
        address_groups=(AddressGroup("g", (_addr("*@x.example"),)),
                        AddressGroup("h", (_addr("a@x.example"),))),
        approved_senders=(_addr("*@x.example"),),
        blocked_senders=(_addr("a@x.example"),))
    ctx = PassContext()
    assert _run(mail, ctx) is mail
    assert ctx.changes == [] and ctx.diagnostics == []


def test_nothing_to_remove_returns_the_same_policy() -> None:
    mail = _group_policy("a@x.example", "*@*.x.example", "b@*")
    assert _run(mail) is mail


def test_a_wrong_cover_would_be_caught() -> None:
    """The decision check of this module fails on a wrong removal: dropping the apex
    ``a@x.example`` in favour of ``*@*.x.example`` changes what the rule stops."""
    mail = MailPolicy(
        address_groups=(AddressGroup("g", (_addr("*@*.x.example"), _addr("a@x.example"))),),
        rules=(MailRule("r", 1, route=Route(RouteType.ALL, (Party(PartyKind.ADDRESS_GROUP,
                                                                    "g"),)),
                        intercept=Intercept(InterceptAction.DELETE)),))
    wrong = attrs.evolve(mail, address_groups=(AddressGroup("g", (_addr("*@*.x.example"),)),))
    message = MailMessage("a@x.example", "b@y.example", direction="outgoing")
    assert imsva.decide(mail, message) != imsva.decide(wrong, message)
    assert _run(mail) is mail


XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<imss-policy product="IMSVA" version="9.1.0.2011">
  <internal-addresses><domain>example.co.jp</domain></internal-addresses>
  <address-group name="顧問先">
    <address>*@lawfirm.example</address>
    <address>sensei@lawfirm.example</address>
    <address>*</address>
  </address-group>
  <rule name="監査" order="1" type="other">
    <route type="both"><senders><address-group ref="顧問先"/></senders></route>
    <actions><intercept action="none"/><bcc>audit@example.co.jp</bcc></actions>
  </rule>
  <approved-senders>
    <address>*@*.partner.example</address>
    <address>sales@tokyo.partner.example</address>
  </approved-senders>
</imss-policy>
"""


def test_spans_of_both_entries_are_reported() -> None:
    mail = isc.loads(XML, filename="Policy.xml").mail
    assert mail is not None
    ctx = PassContext()
    out = _run(mail, ctx)
    assert _values(out.address_groups[0].addresses) == ["*@*"]
    assert _values(out.approved_senders) == ["*@*.partner.example"]
    lines = [(c.name, c.span.line if c.span else None, c.kept_span.line if c.kept_span
              else None) for c in ctx.changes]
    assert lines == [("*@lawfirm.example", 5, 7), ("sensei@lawfirm.example", 6, 7),
                     ("sales@tokyo.partner.example", 15, 14)]
    assert [d.line for d in ctx.diagnostics] == [5, 6, 15]


def test_large_lists_take_near_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each entry is compared only with the few entries that can cover it: the number of
    cover tests grows with the list, not with its square."""
    # the module (the package exports a function of the same name)
    module = importlib.import_module("isc.passes.remove_subsumed_mail_addresses")

    calls = 0
    real = module.covers

    def counting(e: Any, w: Any) -> bool:
        nonlocal calls
        calls += 1
        return real(e, w)

    monkeypatch.setattr(module, "covers", counting)
    n = 20_000
    values = ["*@*.big.example", "*@big.example",
              *(f"u{i}@d{i % 100}.big.example" for i in range(n)),
              *(f"u{i}@other{i}.example" for i in range(n))]
    found = subsumed(values)
    assert len(found) == n and set(found.values()) == {0}
    assert calls <= 2 * len(values)


# ---------------------------------------------------------------- generated policies


_LOCAL_FILL = ("ann", "Bob", "zed")
_DOMAIN_FILL = ("x.example", "a.x.example", "c", "c.d")


def _specialise(draw: Any, pattern: str) -> str:
    """A pattern that ``pattern`` covers (or another spelling of it)."""
    local, at, domain = pattern.strip().strip("<>").strip().rpartition("@")
    if not at:
        local, domain = "*", "*"
    if local == "*" and draw(st.booleans()):
        local = draw(st.sampled_from(["ann", "Bob", "ANN"]))
    if domain == "*" and draw(st.booleans()):
        domain = draw(st.sampled_from([*DOMAINS, *(f"*.{d}" for d in DOMAINS)]))
    elif domain.startswith("*.") and draw(st.booleans()):
        domain = draw(st.sampled_from(["", "*."])) + draw(
            st.sampled_from(["c.", "c.d."])) + domain[2:]
    how = draw(st.sampled_from(["as is", "upper", "blanks", "dot"]))
    out = f"{local}@{domain}"
    if how == "upper":
        out = out.upper()
    elif how == "blanks":
        out = f" <{out}> "
    elif how == "dot" and not domain.endswith("*"):
        out += "."
    return out


_patterns = st.sampled_from(VOCABULARY)


@st.composite
def redundant_entries(draw: Any, *, senders: bool = False) -> tuple[str, ...]:
    """Address entries some of which are covered by others: each derived entry comes
    before or after the entry it was derived from."""
    pool = [p for p in VOCABULARY if not senders or p.strip() not in ("*", "*@*")]
    entries = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    for _ in range(draw(st.integers(1, 5))):
        base = draw(st.sampled_from(entries))
        entries.insert(draw(st.integers(0, len(entries))), _specialise(draw, base))
    for _ in range(draw(st.integers(0, 2))):
        # and entries just beside one: what a cover test that says yes too often removes
        base = draw(st.sampled_from(entries))
        entries.insert(draw(st.integers(0, len(entries))), _beside(draw, base))
    return tuple(entries)


def _beside(draw: Any, pattern: str) -> str:
    """A pattern next to ``pattern`` that it does not cover: the apex of ``*.d``, a
    subdomain wildcard of a domain, another local part, a domain that ends alike."""
    local, at, domain = pattern.strip().strip("<>").strip().rpartition("@")
    if not at:
        return "ann@x.example"
    how = draw(st.sampled_from(["apex", "sub", "local", "alike"]))
    if how == "apex" and domain.startswith("*."):
        domain = domain[2:]
    elif how == "sub" and "*" not in domain:
        domain = f"*.{domain}"
    elif how == "local":
        local = "zed" if local != "zed" else "ann"
    else:
        domain = "z" + domain.lstrip("*.")
    return f"{local}@{domain}"


def _near(address: str) -> set[str]:
    """Addresses just beside one: the parent domain, a subdomain, another local part."""
    local, _, domain = address.rpartition("@")
    out = {f"zed@{domain}", f"{local}@c.{domain}"}
    if "." in domain:
        out.add(f"{local}@{domain.split('.', 1)[1]}")
    return out


def _pool(mail: MailPolicy) -> list[str]:
    values = [p.value for g in mail.address_groups for p in g.addresses
              if p.kind is PartyKind.ADDRESS]
    values += [p.value for p in mail.approved_senders + mail.blocked_senders]
    out = {"", "outside@elsewhere.example"}
    for v in values:
        filled = _fill(v.strip().lower(), _LOCAL_FILL, _DOMAIN_FILL)
        out |= filled
        for a in filled:
            out |= _near(a)
    return sorted(out)


def _policy(g1: tuple[str, ...], g2: tuple[str, ...], approved: tuple[str, ...],
            blocked: tuple[str, ...]) -> MailPolicy:
    """Every use of a group and a sender list the model has: route sides, a ``both`` Users
    list, exceptions, a nested group, and spam conditions the sender lists decide."""
    def grp(name: str) -> Party:
        return Party(PartyKind.ADDRESS_GROUP, name)

    return MailPolicy(
        internal_domains=("x.example", "*.x.example"),
        address_groups=(
            AddressGroup("G1", tuple(_addr(v) for v in g1)),
            AddressGroup("G2", (*(_addr(v) for v in g2), grp("G1"),
                                Party(PartyKind.LDAP_GROUP, "Sales"))),
        ),
        rules=(
            MailRule("in", 1, route=Route(RouteType.INCOMING, (grp("G1"),)),
                     actions=(TagSubject("[in]"),)),
            MailRule("out", 2, route=Route(RouteType.OUTGOING, (), (grp("G2"),), (
                RouteException(grp("G1"), Party(PartyKind.ANYONE)),)),
                actions=(TagSubject("[out]"),)),
            MailRule("users", 3, route=Route(RouteType.BOTH, (grp("G1"),),
                                             (Party(PartyKind.ANYONE),)),
                     actions=(TagSubject("[users]"),)),
            MailRule("spam", 4, route=Route(RouteType.ALL, (grp("G2"),), (grp("G1"),)),
                     conditions=(SpamCondition(),),
                     intercept=Intercept(InterceptAction.QUARANTINE)),
            MailRule("spam in", 5, route=Route(RouteType.INCOMING, exceptions=(
                RouteException(Party(PartyKind.ANYONE), grp("G2")),)),
                match=Match.ANY,
                conditions=(SpamCondition(), FlagCondition(Flag.GRAYMAIL)),
                intercept=Intercept(InterceptAction.DELETE)),
            MailRule("av", 6, type=RuleType.ANTIVIRUS, route=Route(
                RouteType.ALL, (), (grp("G2"),)), intercept=Intercept(InterceptAction.DELETE)),
        ),
        approved_senders=tuple(_addr(v) for v in approved),
        blocked_senders=tuple(_addr(v) for v in blocked),
    )


@st.composite
def redundant_policies(draw: Any) -> MailPolicy:
    return _policy(draw(redundant_entries()), draw(redundant_entries()),
                   draw(redundant_entries(senders=True)), draw(redundant_entries(senders=True)))


def _messages(draw: Any, mail: MailPolicy, n: int) -> list[MailMessage]:
    pool = _pool(mail)
    out = []
    for _ in range(n):
        out.append(MailMessage(
            draw(st.sampled_from(pool)), draw(st.sampled_from(pool)),
            direction=draw(st.sampled_from([None, "incoming", "outgoing"])),
            spam_score=draw(st.sampled_from([None, 1.0, 9.0])),
            graymail=draw(st.booleans()), virus=draw(st.booleans()),
            sender_groups=draw(st.sampled_from([(), ("Sales",)]))))
    return out


@given(data=st.data())
def test_decisions_are_preserved(data: st.DataObject) -> None:
    mail = data.draw(redundant_policies(), label="mail")
    out = _run(mail)
    for message in _messages(data.draw, mail, 24):
        same_mail_decision(mail, out, message)


@given(data=st.data())
def test_decisions_are_preserved_on_any_policy(data: st.DataObject) -> None:
    mail = data.draw(st.one_of(optimisable_mail_policies(),
                               optimisable_mail_policies(compact=True)), label="mail")
    out = _run(mail)
    for message in data.draw(st.lists(mail_messages(mail), min_size=4, max_size=12),
                             label="messages"):
        same_mail_decision(mail, out, message)


@given(mail=st.one_of(redundant_policies(), optimisable_mail_policies()))
def test_idempotent_and_never_larger(mail: MailPolicy) -> None:
    ctx = PassContext()
    once = _run(mail, ctx)
    again = PassContext()
    assert _run(once, again) == once
    assert again.changes == [] and again.diagnostics == []
    removed = sum(len(a.addresses) - len(b.addresses)
                  for a, b in zip(mail.address_groups, once.address_groups, strict=True))
    removed += len(mail.approved_senders) - len(once.approved_senders)
    removed += len(mail.blocked_senders) - len(once.blocked_senders)
    assert removed >= 0
    assert removed == len(ctx.changes) == len(ctx.diagnostics)
    assert (once != mail) == bool(ctx.changes)
    # everything but the entries is untouched
    assert attrs.evolve(once, address_groups=mail.address_groups,
                        approved_senders=mail.approved_senders,
                        blocked_senders=mail.blocked_senders) == mail


@given(entries=redundant_entries())
def test_removes_every_entry_a_kept_entry_covers(entries: tuple[str, ...]) -> None:
    """Maximal: in an address group, no kept entry is covered by another kept entry (on
    the universe that stands for every address), and what was removed was covered."""
    universe = _universe([*entries, *VOCABULARY])
    out = _run(_group_policy(*entries))
    kept = _values(out.address_groups[0].addresses)
    sets = {v: _matched(v, universe) for v in entries}
    for a, b in itertools.permutations(range(len(kept)), 2):
        assert not sets[kept[a]] <= sets[kept[b]], (kept[a], kept[b])
    union = frozenset().union(*(sets[v] for v in kept))
    assert union == frozenset().union(*sets.values())


@settings(max_examples=15)
@given(g1=redundant_entries(), g2=redundant_entries(),
       approved=redundant_entries(senders=True), blocked=redundant_entries(senders=True))
def test_exhaustive_on_a_small_universe(g1: tuple[str, ...], g2: tuple[str, ...],
                                        approved: tuple[str, ...],
                                        blocked: tuple[str, ...]) -> None:
    """Every sender x recipient x direction of the small universe is decided alike."""
    mail = _policy(g1, g2, approved, blocked)
    out = _run(mail)
    universe = _universe([*g1, *g2, *approved, *blocked], fresh=False)
    for sender, recipient in itertools.product(universe, universe):
        for direction in (None, "incoming", "outgoing"):
            m = MailMessage(sender, recipient, direction=direction, spam_score=9.0)
            assert imsva.decide(out, m) == imsva.decide(mail, m), m


def test_exhaustive_on_every_form_at_once() -> None:
    """Every form of the vocabulary in one group and list, in a fixed shuffled order: most
    are removed, and the whole universe is decided alike."""
    values = list(VOCABULARY)
    random.Random(11).shuffle(values)
    senders = [v for v in values if v.strip() not in ("*", "*@*")]
    mail = _policy(tuple(values), tuple(reversed(values)), tuple(senders),
                   tuple(reversed(senders)))
    out = _run(mail)
    assert len(out.address_groups[0].addresses) == 1
    assert len(out.approved_senders) < len(senders) // 2
    universe = _universe(VOCABULARY, fresh=False)
    for sender, recipient in itertools.product(universe, universe):
        for direction in (None, "incoming", "outgoing"):
            for spam in (None, 9.0):
                m = MailMessage(sender, recipient, direction=direction, spam_score=spam)
                assert imsva.decide(out, m) == imsva.decide(mail, m), m
