"""Address wildcards, party matching and direction (isc.models.mailmatch)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isc.errors import IscError
from isc.ir.mail import Direction, Party, PartyKind, RouteException
from isc.ir.requests import MailMessage
from isc.models.mailmatch import (
    PartyMatcher,
    address_matches,
    direction_of,
    domain_matches,
    in_domains,
    ip_in,
    ldap_matches,
)


@pytest.mark.parametrize(("pattern", "address", "expected"), [
    ("*@*", "anyone@anywhere.example", True),
    ("*@*", "", True),
    ("*", "x@y.z", True),
    ("name@*", "name@a.example", True),
    ("name@*", "NAME@B.EXAMPLE", True),
    ("name@*", "other@a.example", False),
    ("*@domain.tld", "a@domain.tld", True),
    ("*@domain.tld", "a@sub.domain.tld", False),
    ("*@domain.tld", "a@otherdomain.tld", False),
    ("name@*.tld", "name@x.tld", True),
    ("name@*.tld", "name@a.b.tld", True),
    ("name@*.tld", "name@x.tldx", False),
    ("name@*.tld", "other@x.tld", False),
    ("*@*.tld", "a@x.tld", True),
    ("*@*.company.com", "a@mail.company.com", True),
    ("*@*.company.com", "a@a.b.company.com", True),
    ("*@*.company.com", "a@company.com", False),
    ("*@*.company.com", "a@evilcompany.com", False),
    ("User@Example.COM", "user@example.com", True),
    ("user@example.com", "<User@Example.com>", True),
    ("user@example.com", "user@example.com.evil", False),
    ("example.com", "a@example.com", True),
    ("example.com", "a@sub.example.com", False),
    ("*.example.com", "a@sub.example.com", True),
    ("name@*", "", False),
    ("*@example.com", "", False),
    ("社員@example.co.jp", "社員@EXAMPLE.co.jp", True),
    ("a.b@example.com", "axb@example.com", False),
])
def test_address_wildcards(pattern: str, address: str, expected: bool) -> None:
    assert address_matches(pattern, address) is expected


@given(st.from_regex(r"[a-z0-9._-]{1,10}", fullmatch=True),
       st.from_regex(r"[a-z0-9-]{1,8}(\.[a-z0-9-]{1,8}){0,3}", fullmatch=True))
def test_exact_and_star_patterns(local: str, domain: str) -> None:
    addr = f"{local}@{domain}"
    assert address_matches(addr, addr.upper())
    assert address_matches("*@*", addr)
    assert address_matches(f"{local}@*", addr)
    assert address_matches(f"*@{domain}", addr)
    assert not address_matches(f"*@*.{domain}", addr)  # subdomains only
    assert address_matches(f"*@*.{domain}", f"{local}@x.{domain}")


def test_domain_matching() -> None:
    assert domain_matches("Example.COM", "example.com.")
    assert not domain_matches("example.com", "www.example.com")
    assert domain_matches("*.example.com", "www.example.com")
    assert not domain_matches("*.example.com", "example.com")
    assert domain_matches("*", "x.y")
    assert not domain_matches("*", "")


def test_in_domains_accepts_domains_and_address_patterns() -> None:
    entries = ("example.co.jp", "*.example.net", "ceo@partner.example")
    assert in_domains("a@EXAMPLE.co.jp", entries)
    assert not in_domains("a@sub.example.co.jp", entries)
    assert in_domains("a@mx.example.net", entries)
    assert in_domains("ceo@partner.example", entries)
    assert not in_domains("cfo@partner.example", entries)


def _msg(sender: str, recipient: str, **kw: object) -> MailMessage:
    return MailMessage(sender=sender, recipient=recipient, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("sender", "recipient", "expected"), [
    ("x@outside.example", "a@example.co.jp", Direction.INCOMING),
    ("a@example.co.jp", "x@outside.example", Direction.OUTGOING),
    ("a@example.co.jp", "b@example.co.jp", Direction.INCOMING),   # both internal
    ("x@outside.example", "y@elsewhere.example", Direction.INCOMING),  # neither
])
def test_direction_from_internal_domains(sender: str, recipient: str,
                                         expected: Direction) -> None:
    assert direction_of(_msg(sender, recipient), ("example.co.jp",)) is expected


def test_given_direction_wins_and_bad_direction_is_an_isc_error() -> None:
    m = _msg("a@example.co.jp", "x@outside.example", direction="Inbound")
    assert direction_of(m, ("example.co.jp",)) is Direction.INCOMING
    with pytest.raises(IscError) as err:
        direction_of(_msg("a@b.c", "d@e.f", direction="sideways"), ())
    assert err.value.code == "ISC1006"


def test_ldap_names() -> None:
    dn = "CN=Sales, OU=Groups,DC=example,DC=com"
    assert ldap_matches("cn=sales,ou=groups,dc=example,dc=com", [dn])
    assert ldap_matches("Sales", [dn])
    assert not ldap_matches("Sale", [dn])
    assert not ldap_matches("CN=Sales,OU=Other,DC=example,DC=com", [dn])


def test_party_kinds() -> None:
    groups = {
        "Execs": (Party(PartyKind.ADDRESS, "ceo@example.com"),
                  Party(PartyKind.ADDRESS_GROUP, "Board")),
        "Board": (Party(PartyKind.ADDRESS, "*@board.example.com"),
                  Party(PartyKind.ADDRESS_GROUP, "Execs")),   # a cycle is harmless
    }
    pm = PartyMatcher(("example.com",), groups.get)
    assert pm.matches(Party(PartyKind.ANYONE), "", ())
    assert pm.matches(Party(PartyKind.ADDRESS_GROUP, "Execs"), "CEO@example.com", ())
    assert pm.matches(Party(PartyKind.ADDRESS_GROUP, "Execs"), "x@board.example.com", ())
    assert not pm.matches(Party(PartyKind.ADDRESS_GROUP, "Execs"), "cfo@example.com", ())
    assert not pm.matches(Party(PartyKind.ADDRESS_GROUP, "Nope"), "ceo@example.com", ())
    assert pm.matches(Party(PartyKind.MY_ORGANIZATION), "a@example.com", ())
    assert not pm.matches(Party(PartyKind.MY_ORGANIZATION), "a@example.org", ())
    assert pm.matches(Party(PartyKind.LDAP_GROUP, "Sales"), "a@example.com",
                      ("CN=Sales,DC=example,DC=com",))
    assert not pm.matches(Party(PartyKind.LDAP_GROUP, "Sales"), "a@example.com", ())
    assert pm.matches(Party(PartyKind.LDAP_USER, "a@example.com"), "A@example.com", ())
    assert pm.matches(Party(PartyKind.LDAP_USER, "CN=Alice,DC=example,DC=com"),
                      "a@example.com", ("cn=alice,dc=example,dc=com",))
    assert not pm.matches(Party(PartyKind.LDAP_USER, "CN=Alice,DC=example,DC=com"),
                          "a@example.com", ())


def test_route_and_exceptions() -> None:
    pm = PartyMatcher((), lambda _: None)
    exc = (RouteException(Party(PartyKind.ADDRESS, "partner@x.example"),
                          Party(PartyKind.ADDRESS, "*@example.com")),)
    rcpts = (Party(PartyKind.ADDRESS, "*@example.com"),)
    assert pm.route_matches((), rcpts, exc, _msg("other@x.example", "a@example.com"))
    assert not pm.route_matches((), rcpts, exc, _msg("partner@x.example", "a@example.com"))
    assert not pm.route_matches((), rcpts, (), _msg("other@x.example", "a@example.org"))
    # an exception side left out is anyone
    only_sender = (RouteException(sender=Party(PartyKind.ADDRESS, "partner@x.example")),)
    assert not pm.route_matches((), (), only_sender, _msg("partner@x.example", "z@z.z"))


def test_ip_in() -> None:
    assert ip_in("203.0.113.0/24", "203.0.113.9")
    assert ip_in("198.51.100.7", "198.51.100.7")
    assert not ip_in("198.51.100.7", "198.51.100.8")
    assert not ip_in("2001:db8::/32", "203.0.113.9")
    assert not ip_in("mail.example.com", "203.0.113.9")
    assert not ip_in("203.0.113.0/24", None)
    assert not ip_in("203.0.113.0/24", "not-an-ip")
