"""``AccountCover`` (the coverage the shadowing passes rest on) says an account list is
covered exactly when every request it matches is matched by an added list: checked against
brute force over every client of a small address space, and by name for LDAP accounts."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from isc.ir.requests import WebRequest
from isc.ir.web import Account, AccountKind
from isc.models.iwsva import AccountCover, accounts_match

BASE = int(ipaddress.ip_address("10.0.0.0"))
CLIENTS = [str(ipaddress.ip_address(BASE + i)) for i in range(32)] + ["2001:db8::1",
                                                                      "2001:db8::2"]


@st.composite
def ip_accounts(draw: st.DrawFn) -> Account:
    kind = draw(st.sampled_from([AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET]))
    if draw(st.integers(0, 9)) == 0:
        return Account(AccountKind.IP, draw(st.sampled_from(["2001:db8::1", "2001:db8::2"])))
    lo = draw(st.integers(0, 31))
    if kind is AccountKind.IP:
        return Account(kind, str(ipaddress.ip_address(BASE + lo)))
    if kind is AccountKind.IP_RANGE:
        hi = draw(st.integers(lo, 31))
        return Account(kind, f"{ipaddress.ip_address(BASE + lo)}-"
                             f"{ipaddress.ip_address(BASE + hi)}")
    bits = draw(st.integers(27, 32))
    net = ipaddress.ip_network(f"{ipaddress.ip_address(BASE + lo)}/{bits}", strict=False)
    return Account(kind, net.compressed)


lists = st.lists(ip_accounts(), min_size=1, max_size=4).map(tuple)


@given(st.lists(lists, max_size=4), lists)
def test_covers_exactly_the_clients_of_the_lists_added(added: list[tuple[Account, ...]],
                                                       query: tuple[Account, ...]) -> None:
    cover: AccountCover[int] = AccountCover()
    for n, accounts in enumerate(added):
        cover.add(accounts, n)
    requests = [WebRequest("http://a.example/", client=c) for c in CLIENTS]
    brute = all(any(accounts_match(a, r) for a in added)
                for r in requests if accounts_match(query, r))
    assert cover.covers(query) == brute
    shadows = cover.shadowers(query)
    assert (shadows is not None) == brute
    if shadows is not None:  # every one named overlaps the query, in the order added
        assert shadows == sorted(shadows)
        for n in shadows:
            assert any(accounts_match(added[n], r) and accounts_match(query, r)
                       for r in requests)


def test_everyone_and_names() -> None:
    cover: AccountCover[str] = AccountCover()
    user = Account(AccountKind.LDAP_USER, "CN=Kato, OU=Users,DC=corp")
    group = Account(AccountKind.LDAP_GROUP, "CN=Eng,DC=corp")
    cover.add((user,), "A")
    assert cover.covers((Account(AccountKind.LDAP_USER, "cn=kato,ou=users,dc=corp"),))
    assert not cover.covers((group,))  # a user never covers a group, nor the reverse
    assert not cover.covers((Account(AccountKind.LDAP_GROUP, "CN=Kato,OU=Users,DC=corp"),))
    assert not cover.covers(())  # no accounts is everyone
    assert not cover.covers((Account(AccountKind.IP_RANGE, "10.0.0.9-10.0.0.1"),))
    cover.add((), "B")
    assert cover.covers(()) and cover.shadowers((group,)) == ["B"]
