"""collapse-accounts: the address accounts of every policy become the fewest ranges covering
the same addresses, repeated accounts go, and no decision of the IWSVA model changes."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from typing import TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import isc
from isc.diagnostics import Severity, Span
from isc.frontends.accounts import format_account, parse_account
from isc.frontends.web_unparse import unparse_web
from isc.ir import categories
from isc.ir.requests import WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    AppControlPolicy,
    AtpPolicy,
    CategoryAction,
    CategoryRef,
    DecryptCategory,
    HttpsDecryptionPolicy,
    UrlFilteringPolicy,
    WebAction,
    WebPolicy,
)
from isc.models import iwsva
from isc.models.iwsva import _ip_bounds, accounts_match
from isc.passes import PassContext
from isc.passes.collapse_accounts import collapse_accounts
from pass_checks import web_decisions
from strategies import web_policies as front_end_policies
from strategies import web_requests

SPAN = Span("policy.ini", 1, 1)
V4 = int(ipaddress.IPv4Address("10.0.0.0"))
V6 = int(ipaddress.IPv6Address("2001:db8::"))
IP_KINDS = (AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET)


def acc(text: str) -> Account:
    """An account as the front-end reads ``text``."""
    return parse_account(text, SPAN)


def run(web: WebPolicy) -> tuple[WebPolicy, PassContext]:
    ctx = PassContext()
    ctx.current = "collapse-accounts"
    return collapse_accounts(web, ctx), ctx


def collapsed(*texts: str) -> list[str]:
    """The accounts of a URL filtering policy with ``texts``, collapsed, as written."""
    web = WebPolicy(url_filtering=(UrlFilteringPolicy("P", 1, accounts=tuple(
        acc(t) for t in texts)),))
    out, _ = run(web)
    return [format_account(a) for a in out.url_filtering[0].accounts]


def _policies(web: WebPolicy) -> list[tuple[str, tuple[Account, ...]]]:
    return [(kind, p.accounts) for kind, group in (
        ("url-filtering-policy", web.url_filtering), ("https-decryption-policy",
                                                      web.https_decryption),
        ("atp-policy", web.atp), ("application-control-policy", web.app_control))
        for p in group]


def _account_count(web: WebPolicy) -> int:
    return sum(len(a) for _, a in _policies(web))


# ---------------------------------------------------------------- unit cases


def test_adjacent_addresses_become_a_range() -> None:
    assert collapsed("ip 10.0.0.1", "ip 10.0.0.2") == ["ip-range 10.0.0.1-10.0.0.2"]
    assert collapsed("ip 10.0.0.2", "ip 10.0.0.1") == ["ip-range 10.0.0.1-10.0.0.2"]
    # an aligned pair is one CIDR block
    assert collapsed("ip 10.0.0.3", "ip 10.0.0.2") == ["ip-subset 10.0.0.2/31"]


def test_adjacent_ranges_and_subsets_join() -> None:
    assert collapsed("ip-range 10.0.0.0-10.0.0.127", "ip-subset 10.0.0.128/25") == [
        "ip-subset 10.0.0.0/24"]
    assert collapsed("ip-subset 10.0.0.0/24", "ip-range 10.0.1.0-10.0.1.9") == [
        "ip-range 10.0.0.0-10.0.1.9"]


def test_a_gap_of_one_address_keeps_two_accounts() -> None:
    assert collapsed("ip 10.0.0.1", "ip 10.0.0.3") == ["ip 10.0.0.1", "ip 10.0.0.3"]
    assert collapsed("ip-range 10.0.0.1-10.0.0.5", "ip-range 10.0.0.7-10.0.0.9") == [
        "ip-range 10.0.0.1-10.0.0.5", "ip-range 10.0.0.7-10.0.0.9"]


def test_overlapping_ranges_join() -> None:
    assert collapsed("ip-range 10.0.0.10-10.0.0.50", "ip-range 10.0.0.40-10.0.0.60") == [
        "ip-range 10.0.0.10-10.0.0.60"]


def test_ipv4_and_ipv6_are_never_joined() -> None:
    # 0.0.0.1 and ::2 are adjacent integers, but the model compares the version first
    assert collapsed("ip 0.0.0.1", "ip ::2") == ["ip 0.0.0.1", "ip ::2"]
    assert collapsed("ip-subset 10.0.0.0/31", "ip ::a00:2") == ["ip-subset 10.0.0.0/31",
                                                                 "ip ::a00:2"]
    # IPv4-mapped IPv6 is IPv6
    assert collapsed("ip ::ffff:10.0.0.1", "ip 10.0.0.1") == ["ip ::ffff:a00:1", "ip 10.0.0.1"]


def test_ipv6_joins_within_its_family() -> None:
    assert collapsed("ip-subset 2001:db8::/65", "ip-subset 2001:db8:0:0:8000::/65") == [
        "ip-subset 2001:db8::/64"]
    assert collapsed("ip 2001:db8::1", "ip 2001:db8::2", "ip 2001:db8::4") == [
        "ip-range 2001:db8::1-2001:db8::2", "ip 2001:db8::4"]


def test_contained_accounts_go_and_the_container_stays_where_it_is() -> None:
    assert collapsed("ip 192.168.0.150", "ip-range 192.168.0.10-192.168.0.20",
                     "ip-subset 192.168.0.0/24", "ldap-user \"CN=Taro,DC=corp\"") == [
        "ip-subset 192.168.0.0/24", "ldap-user \"CN=Taro,DC=corp\""]


def test_one_address_is_an_ip_and_one_block_a_subset() -> None:
    assert collapsed("ip-subset 10.9.9.9/32") == ["ip 10.9.9.9"]
    assert collapsed("ip-range 10.9.9.9-10.9.9.9") == ["ip 10.9.9.9"]
    assert collapsed("ip-subset 2001:db8::7/128") == ["ip 2001:db8::7"]
    assert collapsed("ip-range 10.8.0.0-10.8.255.255") == ["ip-subset 10.8.0.0/16"]
    assert collapsed("ip-range 2001:db8::-2001:db8::ffff") == ["ip-subset 2001:db8::/112"]
    # not aligned: a range, however large
    assert collapsed("ip-range 10.8.0.1-10.8.1.0") == ["ip-range 10.8.0.1-10.8.1.0"]


def test_repeats_go() -> None:
    assert collapsed("ip 10.0.0.1", "ip 10.0.0.1", "ip-subset 10.0.0.1/32") == ["ip 10.0.0.1"]
    assert collapsed("ip-subset 10.0.0.0/24", "ip-subset 10.0.0.0/255.255.255.0") == [
        "ip-subset 10.0.0.0/24"]


def test_ldap_names_the_model_compares_equal_are_one_account() -> None:
    assert collapsed('ldap-group "CN=Sales,OU=Groups,DC=corp"',
                     'ldap-group "cn=sales , ou=GROUPS,  dc=corp"',
                     'ldap-user "CN=Sales,OU=Groups,DC=corp"',
                     'ldap-user "cn=sales,ou=groups,dc=corp"') == [
        'ldap-group "CN=Sales,OU=Groups,DC=corp"', 'ldap-user "CN=Sales,OU=Groups,DC=corp"']
    # a name that differs inside a component is another name
    assert len(collapsed('ldap-user "CN=Sales Team,DC=corp"',
                         'ldap-user "CN=SalesTeam,DC=corp"')) == 2


def test_host_accounts_are_repeats_only_when_equal_ignoring_case() -> None:
    web = WebPolicy(atp=(AtpPolicy("A", 1, accounts=(
        Account(AccountKind.HOST, "pc1.example.jp"), Account(AccountKind.HOST, "PC1.Example.JP"),
        Account(AccountKind.HOST, "10.0.0.1"), Account(AccountKind.IP, "10.0.0.1"))),))
    out, _ = run(web)
    assert [a.value for a in out.atp[0].accounts] == ["pc1.example.jp", "10.0.0.1", "10.0.0.1"]


def test_the_whole_address_space_stays_written() -> None:
    assert collapsed("ip-subset 0.0.0.0/1", "ip-range 128.0.0.0-255.255.255.255") == [
        "ip-subset 0.0.0.0/0"]
    assert collapsed("ip-subset ::/1", "ip-subset 8000::/1", "ip 10.0.0.1") == [
        "ip-subset ::/0", "ip 10.0.0.1"]


def test_an_empty_account_list_stays_empty_and_a_single_canonical_one_unchanged() -> None:
    web = WebPolicy(url_filtering=(UrlFilteringPolicy("Everyone", 1),
                                   UrlFilteringPolicy("One", 2, accounts=(acc("ip 10.0.0.1"),))))
    out, ctx = run(web)
    assert out == web
    assert out.url_filtering[1] is web.url_filtering[1]
    assert ctx.changes == [] and ctx.diagnostics == []


def test_accounts_the_model_cannot_read_are_left_alone() -> None:
    odd = (Account(AccountKind.IP, "not an address"),
           Account(AccountKind.IP_RANGE, "10.0.0.9-10.0.0.3"),      # ends before it starts
           Account(AccountKind.IP_RANGE, "::1-10.0.0.5"),           # mixes the families
           Account(AccountKind.IP, "fe80::1%eth0"))                 # a zone index
    accounts = (odd[0], acc("ip 10.0.0.5"), *odd[1:], acc("ip 10.0.0.6"), odd[0])
    web = WebPolicy(app_control=(AppControlPolicy("A", 1, accounts=accounts),))
    out, _ = run(web)
    assert out.app_control[0].accounts == (
        odd[0], Account(AccountKind.IP_RANGE, "10.0.0.5-10.0.0.6"), *odd[1:], odd[0])


def test_every_policy_kind_is_collapsed() -> None:
    two = (acc("ip 10.0.0.2"), acc("ip 10.0.0.3"))
    web = WebPolicy(url_filtering=(UrlFilteringPolicy("U", 1, accounts=two),),
                    https_decryption=(HttpsDecryptionPolicy("H", 1, accounts=two),),
                    atp=(AtpPolicy("A", 1, accounts=two),),
                    app_control=(AppControlPolicy("C", 1, accounts=two),))
    out, ctx = run(web)
    for _, accounts in _policies(out):
        assert accounts == (acc("ip-subset 10.0.0.2/31"),)
    assert sorted({c.kind for c in ctx.changes}) == [
        "application-control-policy.account", "atp-policy.account",
        "https-decryption-policy.account", "url-filtering-policy.account"]


def test_order_is_first_position_of_each_kept_account() -> None:
    assert collapsed("ip-subset 10.0.0.1/32", "ip 10.0.0.1", "host x.example", "ip 10.0.0.1"
                     ) == ["ip 10.0.0.1", "host x.example"]
    assert collapsed('ldap-user "CN=A,DC=x"', "ip 10.0.0.7", "host pc.example",
                     "ip 2001:db8::1", "ip 10.0.0.6", "ip-subset 10.0.0.0/24", "ip 2001:db8::",
                     'ldap-group "CN=G,DC=x"') == [
        'ldap-user "CN=A,DC=x"', "host pc.example", "ip-subset 2001:db8::/127",
        "ip-subset 10.0.0.0/24", 'ldap-group "CN=G,DC=x"']


def test_each_account_that_goes_is_reported_with_the_account_it_went_into() -> None:
    web = WebPolicy(url_filtering=(UrlFilteringPolicy("Lab", 1, accounts=(
        acc("ip 10.0.0.1"), acc("ip 10.0.0.2"), acc("ip 10.0.0.2"),
        acc("ip-subset 10.1.0.0/24"), acc("ip 10.1.0.7"),
        acc('ldap-group "CN=G,DC=x"'), acc('ldap-group "cn=g, dc=x"'))),))
    _, ctx = run(web)
    got = [(c.action, c.kind, c.name, c.kept_kind, c.kept_name) for c in ctx.changes]
    kind = "url-filtering-policy.account"
    assert got == [
        ("merged", kind, "10.0.0.1", kind, "10.0.0.1-10.0.0.2"),
        ("merged", kind, "10.0.0.2", kind, "10.0.0.1-10.0.0.2"),
        ("merged", kind, "10.0.0.2", kind, "10.0.0.1-10.0.0.2"),
        ("removed", kind, "10.1.0.7", kind, "10.1.0.0/24"),
        ("removed", kind, "cn=g, dc=x", kind, "CN=G,DC=x"),
    ]
    assert all(c.pass_name == "collapse-accounts" for c in ctx.changes)
    for change, diag in zip(ctx.changes, ctx.diagnostics, strict=True):
        assert diag.code == "ISC2015" and diag.severity is Severity.NOTE
        # one sentence naming both accounts and the policy
        assert change.name in change.reason and change.kept_name in change.reason  # type: ignore[operator]
        assert "\"Lab\"" in change.reason


def test_collapsed_accounts_round_trip_through_the_export_syntax() -> None:
    text = """\
[product]

[url-filtering-policy "Lab"]
priority = 1
account = ip 10.0.0.1
account = ip 10.0.0.2
account = ip-subset 2001:db8::/65
account = ip-subset 2001:db8:0:0:8000::/65
account = ip-range 10.0.1.0-10.0.1.255
account = ip-subset 10.0.2.5
category "Games" = block
"""
    web = isc.loads(text, filename="policy.ini").web
    assert web is not None
    out, _ = run(web)
    again = isc.loads(unparse_web(out), filename="policy.ini").web
    assert again == out
    assert [format_account(a) for a in out.url_filtering[0].accounts] == [
        "ip-range 10.0.0.1-10.0.0.2", "ip-subset 2001:db8::/64", "ip-subset 10.0.1.0/24",
        "ip 10.0.2.5"]


# ---------------------------------------------------------------- strategies
#
# Accounts of a small window of addresses (so that they overlap, adjoin and contain each
# other), LDAP names in several spellings the model reads as one, host names in two cases,
# and a few accounts the model cannot read.

_V4_SPAN = 12
_V6_SPAN = 6
# "CN=Sales,..." is a user name and a group name: the two must stay apart
_USERS = ("CN=Taro Yamada,OU=Eng,DC=corp,DC=example", "CN=Sales,OU=Groups,DC=corp,DC=example")
_GROUPS = ("CN=Sales,OU=Groups,DC=corp,DC=example", "CN=Engineering,OU=Groups,DC=corp,DC=example")
_HOSTS = ("pc1.example.jp", "PC1.Example.JP", "kiosk.example.jp")
_ODD = (Account(AccountKind.IP, "not an address"),
        Account(AccountKind.IP_RANGE, "10.0.0.9-10.0.0.3"),
        Account(AccountKind.IP_RANGE, "::1-10.0.0.5"),
        Account(AccountKind.IP_SUBSET, "10.0.0.5/30"))  # host bits set: the model reads it


def _spellings(name: str) -> list[str]:
    """Spellings of an LDAP name the model compares equal to it."""
    return [name, name.lower(), name.upper(), name.replace(",", " , "), name.replace(",", ", ")]


_SPELT = st.sampled_from([0, 1, 2, 3, 4])


def _address(version: int, offset: int) -> str:
    if version == 4:
        return ipaddress.IPv4Address(V4 + offset).compressed
    return ipaddress.IPv6Address(V6 + offset).compressed


@st.composite
def ip_accounts(draw: st.DrawFn, v4: int = _V4_SPAN, v6: int = _V6_SPAN) -> Account:
    """An address account as the front-end writes it, in a window of v4 IPv4 and v6 IPv6
    addresses."""
    version = draw(st.sampled_from([4, 4, 6]))
    size = v4 if version == 4 else v6
    kind = draw(st.sampled_from(IP_KINDS))
    if kind is AccountKind.IP:
        return Account(kind, _address(version, draw(st.integers(0, size - 1))))
    if kind is AccountKind.IP_RANGE:
        a, b = sorted(draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=2)))
        return Account(kind, f"{_address(version, a)}-{_address(version, b)}")
    block = draw(st.sampled_from([1, 2, 4, 8]))
    start = draw(st.integers(0, (size - 1) // block)) * block
    bits = (32 if version == 4 else 128) - (block.bit_length() - 1)
    return Account(kind, f"{_address(version, start)}/{bits}")


@st.composite
def name_accounts(draw: st.DrawFn) -> Account:
    kind = draw(st.sampled_from([AccountKind.LDAP_USER, AccountKind.LDAP_GROUP,
                                 AccountKind.HOST]))
    if kind is AccountKind.HOST:
        return Account(kind, draw(st.sampled_from(_HOSTS)))
    name = draw(st.sampled_from(_USERS if kind is AccountKind.LDAP_USER else _GROUPS))
    return Account(kind, _spellings(name)[draw(_SPELT)])


def interval_account(version: int, lo: int, hi: int, form: int) -> Account:
    """An account for exactly ``[lo, hi]`` (offsets in the window), written as ``ip``,
    ``ip-range`` or ``ip-subset`` as ``form`` and the interval allow."""
    size = hi - lo + 1
    if size == 1 and form == 0:
        return Account(AccountKind.IP, _address(version, lo))
    if size & (size - 1) == 0 and (V4 if version == 4 else V6) % size == 0 and lo % size == 0 \
            and form != 2:
        bits = (32 if version == 4 else 128) - (size.bit_length() - 1)
        return Account(AccountKind.IP_SUBSET, f"{_address(version, lo)}/{bits}")
    return Account(AccountKind.IP_RANGE, f"{_address(version, lo)}-{_address(version, hi)}")


@st.composite
def chains(draw: st.DrawFn, v4: int = _V4_SPAN, v6: int = _V6_SPAN) -> list[Account]:
    """Intervals one after the other, each overlapping, adjoining, one address short of or
    a few addresses short of the one before, sometimes holding a smaller one: what
    collapsing must join, or must not."""
    version = draw(st.sampled_from([4, 4, 6]))
    size = v4 if version == 4 else v6
    out: list[Account] = []
    pos = draw(st.integers(0, 1))
    while pos < size and len(out) < 5:
        hi = min(pos + draw(st.integers(0, 3)), size - 1)
        out.append(interval_account(version, pos, hi, draw(st.integers(0, 2))))
        if hi > pos and draw(st.booleans()):
            inner = draw(st.integers(pos, hi))
            out.append(interval_account(version, inner, inner, draw(st.integers(0, 2))))
        pos = hi + 1 + draw(st.sampled_from([-1, 0, 0, 1, 1, 2]))
    return out


_WHOLE = st.sampled_from([acc("ip-subset 0.0.0.0/0"), acc("ip-subset ::/0"),
                          acc("ip-subset 0.0.0.0/1"), acc("ip-subset 128.0.0.0/1")])


@st.composite
def account_pools(draw: st.DrawFn, v4: int = _V4_SPAN, v6: int = _V6_SPAN, whole: bool = True
                  ) -> list[Account]:
    """What the policies of one example draw their accounts from."""
    pool = [*draw(chains(v4, v6)), *draw(st.lists(ip_accounts(v4, v6), max_size=3)),
            *draw(st.lists(name_accounts(), max_size=4))]
    if draw(st.booleans()):
        pool += draw(chains(v4, v6))
    if whole:
        pool += draw(st.lists(st.one_of(st.sampled_from(_ODD), _WHOLE), max_size=2))
    return pool


_CATEGORIES = ("Games", "Email")
_REFS = tuple(CategoryRef(id=found.id) for c in _CATEGORIES
              if (found := categories.lookup(c)) is not None)


@st.composite
def web_policies(draw: st.DrawFn, v4: int = _V4_SPAN, v6: int = _V6_SPAN,
                 whole: bool = True) -> WebPolicy:
    """Policies of every kind whose accounts overlap, adjoin, contain and repeat each
    other; they decide differently, so that a changed account changes a decision."""
    pool = draw(account_pools(v4, v6, whole))
    # most of the pool, in some order, with repeats: one policy holds a whole chain
    accounts = st.one_of(st.lists(st.sampled_from(pool), max_size=8),
                         st.permutations(pool).map(lambda p: p[:len(p) - 1])).map(tuple)
    actions = st.sampled_from([WebAction.BLOCK, WebAction.WARN, WebAction.MATCH_NEXT])
    url_filtering = tuple(
        UrlFilteringPolicy(f"U{i}", i, enabled=draw(st.booleans()) or True,
                           accounts=draw(accounts), categories=tuple(
                               CategoryAction(ref, draw(actions)) for ref in _REFS))
        for i in range(1, draw(st.integers(0, 3)) + 1))
    https_decryption = tuple(
        HttpsDecryptionPolicy(f"H{i}", i, accounts=draw(accounts),
                              decrypt_all=draw(st.booleans()),
                              categories=(DecryptCategory(_REFS[0], draw(st.booleans())),))
        for i in range(1, draw(st.integers(0, 3)) + 1))
    atp = tuple(AtpPolicy(f"A{i}", i, accounts=draw(accounts),
                          block_file_types=draw(st.sampled_from([(), ("executables",)])))
                for i in range(1, draw(st.integers(0, 2)) + 1))
    app_control = tuple(AppControlPolicy(f"C{i}", i, accounts=draw(accounts))
                        for i in range(1, draw(st.integers(0, 2)) + 1))
    return WebPolicy(url_filtering=url_filtering, https_decryption=https_decryption, atp=atp,
                     app_control=app_control)


def _clients(web: WebPolicy) -> list[str | None]:
    """Addresses at and around every interval boundary of every address account (in both
    families), host names in both cases, and no client."""
    found: set[tuple[int, int]] = set()
    for _, accounts in _policies(web):
        for a in accounts:
            bounds = _ip_bounds(a.kind, a.value) if a.kind in IP_KINDS else None
            if bounds is None:
                continue
            _, lo, hi = bounds
            for n in (lo - 1, lo, lo + 1, (lo + hi) // 2, hi - 1, hi, hi + 1):
                found.update({(4, n), (6, n)})
    out: list[str | None] = [None, *_HOSTS, "10.0.0.1.example"]
    for version, n in sorted(found):
        if 0 <= n < 2 ** (32 if version == 4 else 128):
            out.append(str(ipaddress.ip_address(n) if version == 4 else
                           ipaddress.IPv6Address(n)))
    return out


def _identities(web: WebPolicy) -> list[tuple[str | None, tuple[str, ...]]]:
    """Users and groups from the accounts, in other spellings, and none."""
    users: list[str | None] = [None]
    groups: list[tuple[str, ...]] = [()]
    for _, accounts in _policies(web):
        for a in accounts:
            if a.kind is AccountKind.LDAP_USER:
                users.append(_spellings(a.value)[1])
            elif a.kind is AccountKind.LDAP_GROUP:
                groups.append((_spellings(a.value)[3],))
    groups.append(tuple(g for gs in groups for g in gs))
    return [(u, g) for u in dict.fromkeys(users) for g in dict.fromkeys(groups)]


def requests(web: WebPolicy, limit: int | None = None) -> Iterable[WebRequest]:
    every = itertools.product(_clients(web), _identities(web), (("Games",), ("Email",)),
                              ("https://www.example.com/", "http://www.example.com/a"),
                              (None, "executables/exe"))
    for client, (user, groups), cats, url, file_type in itertools.islice(every, limit):
        yield WebRequest(url, client=client, user=user, groups=groups, categories=cats,
                         file_type=file_type)


# ---------------------------------------------------------------- properties


@given(web_policies())
def test_every_policy_matches_the_same_requests(web: WebPolicy) -> None:
    out, _ = run(web)
    before, after = _policies(web), _policies(out)
    reqs = [WebRequest("http://x.example/", client=c, user=u, groups=g)
            for c in _clients(web) for u, g in _identities(web)]
    for (kind, old), (kind2, new) in zip(before, after, strict=True):
        assert kind == kind2
        assert bool(old) == bool(new)  # never everyone from someone, nor the reverse
        for r in reqs:
            assert accounts_match(new, r) == accounts_match(old, r), (kind, old, new, r)


@given(web_policies())
def test_decisions_are_preserved(web: WebPolicy) -> None:
    out, _ = run(web)
    reqs = list(requests(web, limit=3000))
    assert web_decisions(out, reqs) == web_decisions(web, reqs)


@given(web_policies())
def test_idempotent(web: WebPolicy) -> None:
    once, _ = run(web)
    twice, ctx = run(once)
    assert twice == once
    assert ctx.changes == []


@given(web_policies())
def test_never_larger_and_every_account_that_goes_is_reported(web: WebPolicy) -> None:
    out, ctx = run(web)
    for (_, old), (_, new) in zip(_policies(web), _policies(out), strict=True):
        assert len(new) <= len(old)
        # a new account replaces at least one reported account
        gone = [a for a in old if a not in new or old.count(a) > new.count(a)]
        assert len(gone) >= len(old) - len(new)
    assert _account_count(out) <= _account_count(web)
    assert len(ctx.changes) == len(ctx.diagnostics)
    assert len(ctx.changes) >= _account_count(web) - _account_count(out)
    assert {c.action for c in ctx.changes} <= {"removed", "merged"}


@given(web_policies(whole=False))
def test_readable_address_accounts_end_disjoint_and_canonical(web: WebPolicy) -> None:
    out, _ = run(web)
    for _, accounts in _policies(out):
        bounds = sorted(b for a in accounts if a.kind in IP_KINDS
                        and (b := _ip_bounds(a.kind, a.value)) is not None)
        for (v1, _, hi), (v2, lo, _) in itertools.pairwise(bounds):
            assert v1 != v2 or hi + 1 < lo  # neither overlapping nor adjacent
        for a in accounts:
            if a.kind in IP_KINDS:
                assert acc(format_account(a)) == a  # what the front-end would write
                if a.kind is AccountKind.IP_SUBSET:
                    assert not a.value.endswith(("/32", "/128"))
                if a.kind is AccountKind.IP_RANGE:
                    first, _, last = a.value.partition("-")
                    net = ipaddress.summarize_address_range(ipaddress.ip_address(first),
                                                            ipaddress.ip_address(last))
                    assert len(list(net)) > 1  # one block would be a subset
        names = [iwsva.ldap_name(a.value) + a.kind.value for a in accounts
                 if a.kind in (AccountKind.LDAP_USER, AccountKind.LDAP_GROUP)]
        assert len(names) == len(set(names))


AnyPolicy = TypeVar("AnyPolicy", UrlFilteringPolicy, HttpsDecryptionPolicy, AtpPolicy,
                    AppControlPolicy)


def _readable(policies: tuple[AnyPolicy, ...]) -> tuple[AnyPolicy, ...]:
    """Without the accounts the front-end would refuse to read."""
    return tuple(attrs.evolve(p, accounts=tuple(a for a in p.accounts if a not in _ODD))
                 for p in policies)


@given(web_policies())
def test_output_round_trips_through_the_export_syntax(web: WebPolicy) -> None:
    out, _ = run(web)
    readable = attrs.evolve(
        out, url_filtering=_readable(out.url_filtering),
        https_decryption=_readable(out.https_decryption), atp=_readable(out.atp),
        app_control=_readable(out.app_control))
    again = isc.loads(unparse_web(readable), filename="policy.ini").web
    for (_, mine), (_, theirs) in zip(_policies(readable), _policies(again or WebPolicy()),
                                      strict=True):
        assert [(a.kind, a.value.lower() if a.kind is AccountKind.HOST else a.value)
                for a in mine] == [(a.kind, a.value) for a in theirs]


@given(st.data())
def test_decisions_are_preserved_on_any_front_end_policy(data: st.DataObject) -> None:
    web = data.draw(front_end_policies(), label="web")
    out, _ = run(web)
    assert run(out)[0] == out
    for r in data.draw(st.lists(web_requests(web), min_size=1, max_size=8), label="requests"):
        a, b = iwsva.decide(web, r), iwsva.decide(out, r)
        assert (b.action, b.decrypted) == (a.action, a.decrypted)


# ---------------------------------------------------------------- exhaustive


_UNIVERSE_CLIENTS: tuple[str | None, ...] = (
    *(str(ipaddress.IPv4Address(V4 + i)) for i in range(-1, 17)),
    str(ipaddress.IPv6Address(V6)), str(ipaddress.IPv6Address(V6 + 1)),
    str(ipaddress.IPv6Address(V6 + 2)), str(ipaddress.IPv6Address(V4)),
    "pc1.example.jp", None)


def _universe() -> list[WebRequest]:
    out = []
    for client, user, groups, cat, scheme, path in itertools.product(
            _UNIVERSE_CLIENTS, (None, *(_spellings(u)[2] for u in _USERS)),
            ((), (_spellings(_GROUPS[0])[4],), (_GROUPS[1].lower(),)),
            ("Games", "Email"), ("https", "http"), ("www.example.com/", "bank.example.jp/")):
        out.append(WebRequest(f"{scheme}://{path}", client=client, user=user, groups=groups,
                              categories=(cat,), file_type="executables/exe"))
    return out


UNIVERSE = _universe()


@pytest.mark.parametrize("seed", range(2))
@given(web=web_policies(v4=16, v6=3, whole=False))
def test_every_request_of_a_small_universe_is_decided_the_same(seed: int, web: WebPolicy
                                                                ) -> None:
    out, _ = run(web)
    half = UNIVERSE[seed::2]
    assert web_decisions(out, half) == web_decisions(web, half)
