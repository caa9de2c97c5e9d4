"""Mail address and party matching shared by the IMSVA and EmS models (semantics.md §3-4).

Addresses compare case-insensitively. A pattern is ``local@domain`` where either side is a
literal or contains ``*`` (any run of characters, dots included), so the documented forms
(research imsva.md §1.2) mean:

- ``*@*`` and ``*``: every address, the null sender ``<>`` included;
- ``name@*``: that local part at any domain;
- ``*@domain.tld``: that domain only, not its subdomains;
- ``name@*.tld`` / ``*@*.tld``: any domain ending in ``.tld``;
- ``*@*.company.com``: any subdomain of company.com at any depth, **not** company.com itself
  (add ``*@company.com`` for the apex, as in EmS and ZTSA).

A pattern without ``@`` is a domain (``example.com``, ``*.example.com``). The forms the
front-end rejects (``*name@x``, ``name@x.*``) still match as the same glob here.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Collection, Iterable, Sequence

from isc.errors import IscError
from isc.ir.mail import Direction, Party, PartyKind, Route, RouteException
from isc.ir.requests import MailMessage
from isc.models.globs import Glob, translate

#: Looks up an address group by name: its member parties, or None when there is no such group.
Resolver = Callable[[str], Sequence[Party] | None]


@functools.lru_cache(maxsize=16384)
def _glob(pattern: str) -> Glob:
    """``*`` any run (dots included), everything else literal (``?`` too); RE2, so linear in
    the address whatever the pattern (:mod:`isc.models.globs`)."""
    return Glob(translate(pattern, question=False, escapes=False))


@functools.lru_cache(maxsize=1 << 18)
def normalize(address: str) -> str:
    """``" <A@Example.COM> "`` → ``"a@example.com"``; ``<>`` → ``""``."""
    text = address.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text.lower()


def split(address: str) -> tuple[str, str]:
    """Local part and domain (the last ``@`` separates them; no ``@``: no domain)."""
    local, at, domain = normalize(address).rpartition("@")
    return (local, domain.rstrip(".")) if at else (domain, "")


def domain_of(address: str) -> str:
    return split(address)[1]


def domain_matches(pattern: str, domain: str) -> bool:
    """``example.com`` only itself; ``*.example.com`` its subdomains; ``*`` every domain."""
    pat = pattern.strip().lower().rstrip(".")
    if pat.startswith("@"):
        pat = pat[1:]
    dom = domain.strip().lower().rstrip(".")
    if "*" not in pat:
        return pat == dom
    return bool(dom) and _glob(pat).fullmatch(dom) is not None


@functools.lru_cache(maxsize=1 << 18)
def address_matches(pattern: str, address: str) -> bool:
    """Whether ``address`` is one of the addresses ``pattern`` stands for (module doc).
    Cached: fidelity probing asks the same pairs millions of times (benchmarks/README.md)."""
    pat = normalize(pattern)
    if pat in ("*", "*@*"):
        return True
    if "@" not in pat:
        return domain_matches(pat, domain_of(address))
    p_local, p_domain = split(pat)
    a_local, a_domain = split(address)
    if "@" not in normalize(address):
        return False
    local_ok = (p_local == a_local if "*" not in p_local
                else _glob(p_local).fullmatch(a_local) is not None)
    return local_ok and domain_matches(p_domain, a_domain)


def in_domains(address: str, entries: Iterable[str]) -> bool:
    """Whether ``address`` belongs to the Internal Addresses / managed domains ``entries``
    (each a domain, ``*.domain`` or an address pattern)."""
    for entry in entries:
        if "@" in entry:
            if address_matches(entry, address):
                return True
        elif domain_matches(entry, domain_of(address)):
            return True
    return False


_DIRECTIONS = {"incoming": Direction.INCOMING, "inbound": Direction.INCOMING,
               "outgoing": Direction.OUTGOING, "outbound": Direction.OUTGOING}


def direction_of(message: MailMessage,
                 domains: Sequence[str] | Callable[[str], bool]) -> Direction:
    """The caller's ``direction`` if given; else incoming when the recipient is internal,
    outgoing when only the sender is, incoming when neither is (mail from outside to an
    address the list forgot). Internal to internal is therefore incoming. ``domains``: the
    Internal Addresses or managed domains, or what tells whether an address is in them
    (:meth:`PartyMatcher.internal`)."""
    if message.direction is not None:
        found = _DIRECTIONS.get(message.direction.strip().lower())
        if found is None:
            raise IscError(f"unknown mail direction {message.direction!r} "
                           "(incoming or outgoing)", code="ISC1006")
        return found
    internal = domains if callable(domains) else lambda address: in_domains(address, domains)
    if internal(message.recipient):
        return Direction.INCOMING
    if internal(message.sender):
        return Direction.OUTGOING
    return Direction.INCOMING


def ldap_name(value: str) -> str:
    """The comparable form of a DN or name: lower-case, no blanks around separators."""
    return ",".join(part.strip() for part in value.split(",")).lower()


def first_rdn(name: str) -> str:
    head = name.split(",", 1)[0]
    return head.split("=", 1)[1].strip() if "=" in head else head


def ldap_matches(wanted: str, have: Iterable[str]) -> bool:
    """Full DNs compare whole; a bare name (no ``=``) compares with the first RDN's value,
    so ``Sales`` matches ``CN=Sales,OU=Groups,DC=example,DC=com``."""
    w = ldap_name(wanted)
    for h in have:
        n = ldap_name(h)
        if n == w:
            return True
        if ("=" not in w) != ("=" not in n) and first_rdn(w) == first_rdn(n):
            return True
    return False


def users_of(route: Route) -> tuple[Party, ...]:
    """The single "Users" list of a ``both`` route: its senders and recipients together.
    ``anyone`` entries add nothing (empty: everyone), so ``<senders><anyone/></senders>``
    beside a recipients list does not widen it."""
    users = (p for p in route.senders + route.recipients if p.kind is not PartyKind.ANYONE)
    return tuple(dict.fromkeys(users))


class PartyMatcher:
    """Matches route and rule parties against one side of a message.

    ``domains`` are the Internal Addresses (IMSVA) or managed domains (EmS) that
    ``MY_ORGANIZATION`` stands for; ``resolve`` finds address groups by name.
    """

    def __init__(self, domains: Sequence[str], resolve: Resolver) -> None:
        self.domains = tuple(domains)
        self.resolve = resolve

    def matches(self, party: Party, address: str, ldap: Collection[str],
                _seen: frozenset[str] = frozenset()) -> bool:
        kind = party.kind
        if kind is PartyKind.ANYONE:
            return True
        if kind is PartyKind.ADDRESS:
            return address_matches(party.value, address)
        if kind is PartyKind.MY_ORGANIZATION:
            return self.internal(address)
        if kind is PartyKind.LDAP_GROUP:
            return ldap_matches(party.value, ldap)
        if kind is PartyKind.LDAP_USER:
            # A user is named by mail address, or by DN (listed by the caller among the
            # side's identities); a user written as an address is only that address.
            if "@" in party.value and "=" not in party.value:
                return normalize(party.value) == normalize(address)
            return ldap_matches(party.value, ldap)
        if kind is PartyKind.ADDRESS_GROUP:
            if party.value in _seen:
                return False  # a group that contains itself adds nothing
            members = self.resolve(party.value)
            seen = _seen | {party.value}
            return members is not None and any(
                self.matches(m, address, ldap, seen) for m in members)
        return False

    def internal(self, address: str) -> bool:
        """Whether ``address`` is in the Internal Addresses or managed domains (what
        ``MY_ORGANIZATION`` stands for, and what decides a message's direction)."""
        return in_domains(address, self.domains)

    def any_matches(self, parties: Sequence[Party], address: str,
                    ldap: Collection[str]) -> bool:
        """An empty side means anyone."""
        return not parties or any(self.matches(p, address, ldap) for p in parties)

    def excepted(self, exceptions: Sequence[RouteException], message: MailMessage) -> bool:
        """Whether a sender→recipient exception pair covers the message."""
        return any(
            self.matches(e.sender, message.sender, message.sender_groups)
            and self.matches(e.recipient, message.recipient, message.recipient_groups)
            for e in exceptions)

    def users_match(self, users: Sequence[Party], exceptions: Sequence[RouteException],
                    message: MailMessage) -> bool:
        """A ``both`` route: one "Users" list that the sender *or* the recipient matches
        (research imsva.md §1.2)."""
        return (not users
                or any(self.matches(p, message.sender, message.sender_groups) for p in users)
                or any(self.matches(p, message.recipient, message.recipient_groups)
                       for p in users)) and not self.excepted(exceptions, message)

    def route_matches(self, senders: Sequence[Party], recipients: Sequence[Party],
                      exceptions: Sequence[RouteException], message: MailMessage) -> bool:
        return (self.any_matches(senders, message.sender, message.sender_groups)
                and self.any_matches(recipients, message.recipient, message.recipient_groups)
                and not self.excepted(exceptions, message))


def ip_in(entry: str, client: str | None) -> bool:
    """Whether the client IP is ``entry`` (an address or CIDR); entries that are not IPs
    (domains) never match: isc does not resolve names."""
    if not client:
        return False
    try:
        addr = ipaddress.ip_address(client.strip())
        net = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return addr.version == net.version and addr in net
