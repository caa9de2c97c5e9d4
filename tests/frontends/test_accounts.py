"""Accounts (spec formats.md §5 "Accounts", research iwsva.md §3.1)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.diagnostics import Span
from isc.errors import IscError, ParseError
from isc.frontends.accounts import account_bounds, format_account, parse_account
from isc.ir.web import Account, AccountKind

#: ``account = <text>``: the value starts at column 11 of line 7.
SPAN = Span("policy.ini", 7, 11)

K = AccountKind


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # documented examples (formats.md §3, iwsva.md §3.1)
        ("ip 192.168.0.150", K.IP, "192.168.0.150"),
        ("ip-range 192.168.0.10-192.168.0.20", K.IP_RANGE, "192.168.0.10-192.168.0.20"),
        ("ip-subset 192.168.1.0/24", K.IP_SUBSET, "192.168.1.0/24"),
        ("ip-subset 192.168.1.0/255.255.255.0", K.IP_SUBSET, "192.168.1.0/24"),
        ("ip-subset 10.1.2.3", K.IP_SUBSET, "10.1.2.3/32"),
        ("ip 2001:db8::1", K.IP, "2001:db8::1"),
        ("ip-range 2001:db8::1-2001:db8::ff", K.IP_RANGE, "2001:db8::1-2001:db8::ff"),
        ("ip-subset 2001:db8::/64", K.IP_SUBSET, "2001:db8::/64"),
        (
            'ldap-user "CN=Taro Yamada,OU=Eng,DC=corp,DC=example"',
            K.LDAP_USER,
            "CN=Taro Yamada,OU=Eng,DC=corp,DC=example",
        ),
        (
            'ldap-group "CN=Engineering,OU=Groups,DC=corp,DC=example"',
            K.LDAP_GROUP,
            "CN=Engineering,OU=Groups,DC=corp,DC=example",
        ),
        ("host proxy01.example.co.jp", K.HOST, "proxy01.example.co.jp"),
        # canonical forms
        ("IP 2001:DB8:0:0::1", K.IP, "2001:db8::1"),
        ("ip-range 10.0.0.1 - 10.0.0.1", K.IP_RANGE, "10.0.0.1-10.0.0.1"),
        ("ip-subset 192.168.1.77/24", K.IP_SUBSET, "192.168.1.0/24"),
        ("ip-subset 10.0.0.0/0.0.0.0", K.IP_SUBSET, "0.0.0.0/0"),
        ("ip-subset 2001:db8::1", K.IP_SUBSET, "2001:db8::1/128"),
        ("ip-subset 2001:db8::1:2/112", K.IP_SUBSET, "2001:db8::1:0/112"),
        ('ldap-user "a \\"quoted\\" \\\\ name"', K.LDAP_USER, 'a "quoted" \\ name'),
        ("ldap-group CN=Sales, OU=Groups  ", K.LDAP_GROUP, "CN=Sales, OU=Groups"),
        ('ldap-user "  kept blanks "', K.LDAP_USER, "  kept blanks "),
        ("ldap-user 山田太郎", K.LDAP_USER, "山田太郎"),
        ("host Proxy01.Example.CO.JP.", K.HOST, "proxy01.example.co.jp"),
        ("host 例え.jp", K.HOST, "xn--r8jz45g.jp"),
        ("  ip   10.0.0.1  ", K.IP, "10.0.0.1"),
    ],
)
def test_parse(text: str, kind: AccountKind, value: str) -> None:
    account = parse_account(text, SPAN)
    assert account == Account(kind, value)
    assert account.span == SPAN
    assert parse_account(format_account(account), SPAN) == account


@pytest.mark.parametrize(
    ("text", "column", "code", "message"),
    [
        # documented errors (formats.md §5)
        ("ip 10.0.0.300", 4, "ISC1004", "not an IPv4 or IPv6 address"),
        ("ip-range 192.168.0.20-192.168.0.10", 23, "ISC1004", "before it starts"),
        ("ip-subset 192.168.1.0/33", 23, "ISC1004", "out of range 0-32"),
        # the brief's other errors
        ("ip-subset 2001:db8::/129", 22, "ISC1004", "out of range 0-128"),
        ("ip-subset 10.0.0.0/255.0.255.0", 20, "ISC1004", "not contiguous"),
        ("ip-subset 2001:db8::/255.255.0.0", 22, "ISC1004", "needs an IPv4 address"),
        ("ip-subset 10.0.0.0/255.255.0.256", 20, "ISC1004", "not a dotted mask"),
        ("ip-range 10.0.0.1-2001:db8::1", 19, "ISC1004", "mixes IPv4 and IPv6"),
        ("ip-range 2001:db8::ff-2001:db8::1", 23, "ISC1004", "before it starts"),
        ("ipaddr 10.0.0.1", 1, "ISC1004", "unknown account kind 'ipaddr'"),
        ("user CN=x", 1, "ISC1004", "unknown account kind 'user'"),
        ("", 1, "ISC1004", "empty account"),
        ("ip", 3, "ISC1004", "missing an IP address"),
        ("ip   ", 3, "ISC1004", "missing an IP address"),
        ("ip-range 10.0.0.1", 18, "ISC1004", "missing '-'"),
        ("ip-range 10.0.0.1-", 19, "ISC1004", "missing an IP address"),
        ("ldap-user", 10, "ISC1004", "missing an LDAP name"),
        ('ldap-user ""', 11, "ISC1004", "empty LDAP name"),
        ("host", 5, "ISC1004", "missing a host name"),
        ("host a..example", 8, "ISC1004", "bad host name label"),
        ("host under score.example", 12, "ISC1004", "expected the end"),
        ("ip 10.0.0.1 10.0.0.2", 13, "ISC1004", "expected the end"),
        ("ip 10.0.0.0/8", 12, "ISC1004", "expected the end"),
        ("ip fe80::1%eth0", 4, "ISC1004", "zone index"),
        ("ip-subset 10.0.0.0/x", 20, "ISC1004", "expected a mask"),
        # quoting errors carry the quoted-string code
        ('ldap-user "CN=x', 11, "ISC1010", "unterminated"),
        ('ldap-user "CN=\\x"', 15, "ISC1010", "bad escape"),
    ],
)
def test_errors(text: str, column: int, code: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_account(text, SPAN)
    err = info.value
    assert err.code == code
    assert message in err.message
    assert (err.file, err.line, err.column) == ("policy.ini", 7, SPAN.column + column - 1)


def test_unknown_kind_hint() -> None:
    with pytest.raises(ParseError) as info:
        parse_account("ip-rnage 10.0.0.1-10.0.0.2", SPAN)
    assert "did you mean ip-range?" in info.value.notes


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("ip 10.0.0.1", (4, 0x0A000001, 0x0A000001)),
        ("ip-range 10.0.0.1-10.0.0.9", (4, 0x0A000001, 0x0A000009)),
        ("ip-subset 192.168.1.0/24", (4, 0xC0A80100, 0xC0A801FF)),
        ("ip-subset 2001:db8::/126", (6, 0x20010DB8 << 96, (0x20010DB8 << 96) + 3)),
        ("ldap-user CN=x", None),
        ("host a.example", None),
    ],
)
def test_bounds(text: str, bounds: tuple[int, int, int] | None) -> None:
    assert account_bounds(parse_account(text, SPAN)) == bounds


# ---------------------------------------------------------------- properties

_addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))


@st.composite
def _ranges(draw: st.DrawFn) -> Account:
    version = draw(st.sampled_from((4, 6)))
    a, b = draw(st.ip_addresses(v=version)), draw(st.ip_addresses(v=version))
    first, last = min(a, b), max(a, b)  # type: ignore[type-var]
    return Account(K.IP_RANGE, f"{first.compressed}-{last.compressed}")


@st.composite
def _subsets(draw: st.DrawFn) -> Account:
    addr = draw(_addresses)
    bits = draw(st.integers(0, addr.max_prefixlen))
    return Account(K.IP_SUBSET, ipaddress.ip_network(f"{addr}/{bits}", strict=False).compressed)


_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1
).filter(lambda s: s.strip() != "")
_labels = st.from_regex(r"[a-z0-9_]([a-z0-9_-]{0,20}[a-z0-9_])?", fullmatch=True)
_hosts = st.lists(_labels, min_size=1, max_size=4).map(".".join)

accounts = st.one_of(
    _addresses.map(lambda a: Account(K.IP, a.compressed)),
    _ranges(),
    _subsets(),
    _names.map(lambda n: Account(K.LDAP_USER, n)),
    _names.map(lambda n: Account(K.LDAP_GROUP, n)),
    _hosts.map(lambda h: Account(K.HOST, h)),
)


@given(accounts)
def test_format_round_trip(account: Account) -> None:
    assert parse_account(format_account(account), SPAN) == account


@given(accounts)
def test_bounds_cover_the_account(account: Account) -> None:
    bounds = account_bounds(account)
    if account.kind in (K.IP, K.IP_RANGE, K.IP_SUBSET):
        assert bounds is not None
        version, first, last = bounds
        assert version in (4, 6)
        assert first <= last
    else:
        assert bounds is None


_kinds = st.sampled_from([*(k.value for k in AccountKind), "", "IP", "ip-"])


@given(st.one_of(st.text(), st.tuples(_kinds, st.text()).map(" ".join)))
def test_arbitrary_text_raises_only_isc_errors(text: str) -> None:
    try:
        account = parse_account(text, SPAN)
    except IscError as err:
        assert err.code in ("ISC1004", "ISC1010")
        assert err.column is not None and err.column >= SPAN.column
        return
    assert parse_account(format_account(account), SPAN) == account
