"""Indexes the fast mail models decide over (issue 10: a decision must not scan group
members, sender lists or every rule, only what can match the message).

Every index here narrows a question to *candidates*; the exact test of
:mod:`isc.models.mailmatch` still decides each one. An index is sound exactly when it never
leaves out a party the exact test would accept; each key below argues it, and
``tests/models/test_indexed_mail_models.py`` checks the models against the plain lookups of
:mod:`isc.models.reference.mail`.

A *leaf* is a party that is not an address group. Groups are flattened once (nested groups
resolved, a group met again on the way cut: it adds nothing, as in the plain matcher) and
their leaves filed under keys an address and its LDAP names are looked up by:

- ``E:`` + a normalised address: an LDAP user written as an address (string equality);
- ``A:`` + local part ``@`` domain: a pattern without ``*`` (the address must equal it);
- ``D:`` + a domain: a pattern whose domain part has no ``*`` (the address's domain must
  equal it);
- ``S:`` + a domain: ``*.domain`` patterns (the address's domain ends in ``.domain``, so
  ``domain`` is one of its parent domains);
- ``L:`` + a local part: ``name@*``-like patterns with a literal local part;
- ``R:`` + the first RDN's value of an LDAP name (equal names and a bare name against a DN
  both agree on it);
- everything else (``*@*``, anyone, the organisation, other globs) is a candidate for every
  address, and so is every leaf for an address outside ASCII: RE2 folds case there as a
  dictionary would not.
"""

from __future__ import annotations

import functools
import heapq
import ipaddress
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

from isc.ir.ems import EmsPolicy, EmsRule, RuleKind
from isc.ir.mail import (
    Direction,
    KeywordExpression,
    KeywordMatch,
    MailPolicy,
    MailRule,
    Party,
    PartyKind,
    RouteException,
    RouteType,
)
from isc.ir.requests import MailMessage
from isc.models.index import IntervalIndex, Memo, PerObject, parent_domains
from isc.models.mailmatch import (
    PartyMatcher,
    Resolver,
    address_matches,
    domain_matches,
    domain_of,
    first_rdn,
    ldap_name,
    normalize,
    split,
    users_of,
)

V = TypeVar("V")
R = TypeVar("R", MailRule, EmsRule)


def _canon(domain: str) -> str:
    """A domain as :func:`~isc.models.mailmatch.domain_matches` compares it."""
    return domain.strip().lower().rstrip(".")


@functools.lru_cache(maxsize=1 << 18)
def pattern_keys(pattern: str) -> tuple[str, ...] | None:
    """The keys of an address pattern (None: a candidate for every address)."""
    pat = normalize(pattern)
    if not pat.isascii() or pat in ("*", "*@*"):
        return None
    if "@" in pat:
        local, domain = split(pat)
    else:
        local, domain = "*", pat
    dom = _canon(domain)
    if dom.startswith("@"):
        dom = dom[1:]
    if "*" not in dom:
        # a whole address by itself: the members of one domain do not crowd one key
        return (f"A:{local}@{dom}",) if "@" in pat and "*" not in local else (f"D:{dom}",)
    if dom.startswith("*.") and "*" not in dom[2:]:
        return (f"S:{dom[2:]}",)
    if "@" in pat and "*" not in local:
        return (f"L:{local}",)
    return None


def leaf_keys(leaf: Party) -> tuple[str, ...] | None:
    """The keys of a leaf party (None: every address; ``()``: no address at all)."""
    kind = leaf.kind
    if kind is PartyKind.ADDRESS:
        return pattern_keys(leaf.value)
    if kind is PartyKind.LDAP_USER and "@" in leaf.value and "=" not in leaf.value:
        return (f"E:{normalize(leaf.value)}",)
    if kind in (PartyKind.LDAP_GROUP, PartyKind.LDAP_USER):
        return (f"R:{first_rdn(ldap_name(leaf.value))}",)
    if kind in (PartyKind.ANYONE, PartyKind.MY_ORGANIZATION):
        return None
    return ()


@functools.lru_cache(maxsize=1 << 16)
def address_keys(address: str, ldap: tuple[str, ...]) -> tuple[str, ...] | None:
    """The keys an address and its side's LDAP names are looked up by (None: every leaf)."""
    a = normalize(address)
    if not a.isascii():
        return None
    local, domain = split(address)
    dom = _canon(domain)
    keys = [f"E:{a}", f"A:{local}@{dom}", f"D:{dom}", f"L:{local}"]
    keys += [f"S:{d}" for d in parent_domains(dom) if d != dom]
    keys += [f"R:{first_rdn(ldap_name(h))}" for h in ldap]
    return tuple(keys)


def flatten(parties: Iterable[Party], resolve: Resolver) -> list[Party]:
    """The leaves of ``parties``, groups resolved (each group once: one met again adds
    nothing, and a missing group nothing)."""
    out: list[Party] = []
    seen: set[str] = set()
    stack = list(reversed(tuple(parties)))
    while stack:
        p = stack.pop()
        if p.kind is PartyKind.ADDRESS_GROUP:
            if p.value in seen:
                continue
            seen.add(p.value)
            members = resolve(p.value)
            if members is not None:
                stack.extend(reversed(tuple(members)))
        else:
            out.append(p)
    return out


class PartyIndex:
    """Items (ints) filed under the keys of the leaves they stand for."""

    __slots__ = ("_all", "_always", "_keys")

    def __init__(self) -> None:
        self._keys: dict[str, list[int]] = {}
        self._always: list[int] = []
        self._all: list[int] = []

    def add(self, item: int, keys: tuple[str, ...] | None) -> None:
        if keys == ():
            return
        self._all.append(item)
        if keys is None:
            self._always.append(item)
        else:
            for k in keys:
                self._keys.setdefault(k, []).append(item)

    def candidates(self, keys: tuple[str, ...] | None) -> set[int]:
        if keys is None:
            return set(self._all)
        out = self.keyed(keys)
        out.update(self._always)
        return out

    def keyed(self, keys: tuple[str, ...]) -> set[int]:
        """The candidates filed under ``keys`` (not those that are always candidates)."""
        out: set[int] = set()
        found = self._keys
        for k in keys:
            items = found.get(k)
            if items is not None:
                out.update(items)
        return out

    @property
    def always(self) -> frozenset[int]:
        """The items that are candidates for every address."""
        return frozenset(self._always)


def _side_keys(address: str, ldap: Collection[str]) -> tuple[str, ...] | None:
    return address_keys(address, tuple(ldap))


class IndexedPartyMatcher(PartyMatcher):
    """:class:`PartyMatcher` with each address group flattened and indexed once."""

    def __init__(self, domains: Sequence[str], resolve: Resolver) -> None:
        super().__init__(domains, resolve)
        self._groups: dict[str, tuple[PartyIndex, list[Party]] | None] = {}
        # the organisation by set look-ups: domains and ``*.domain`` by the address's domain
        # and its parents, address patterns by their keys (in_domains decides the same)
        self._domains = DomainSet([d for d in self.domains if "@" not in d])
        self._addresses = AddressList([d for d in self.domains if "@" in d])
        #: what a list of parties (a rule's senders, its exceptions ...) said about one
        #: side (or both sides) of a message: probes repeat their sender and recipient
        #: across many features, and policies share their rules' tuples. Keyed by the
        #: list's identity; an entry keeps its list alive, so an id is not reused while in.
        self._said: Memo[tuple[Any, ...], tuple[object, bool]] = Memo()

    def group(self, name: str) -> tuple[PartyIndex, list[Party]] | None:
        if name not in self._groups:
            members = self.resolve(name)
            if members is None:
                self._groups[name] = None
            else:
                leaves = flatten([Party(PartyKind.ADDRESS_GROUP, name)], self.resolve)
                index = PartyIndex()
                for i, leaf in enumerate(leaves):
                    index.add(i, leaf_keys(leaf))
                self._groups[name] = (index, leaves)
        return self._groups[name]

    def internal(self, address: str) -> bool:
        return (self._domains.matches(domain_of(address))
                or self._addresses.first(address) is not None)

    def matches(self, party: Party, address: str, ldap: Collection[str],
                _seen: frozenset[str] = frozenset()) -> bool:
        if party.kind is not PartyKind.ADDRESS_GROUP:
            return super().matches(party, address, ldap)
        found = self.group(party.value)
        if found is None:
            return False
        index, leaves = found
        plain = super().matches
        return any(plain(leaves[i], address, ldap)
                   for i in index.candidates(_side_keys(address, ldap)))

    def any_matches(self, parties: Sequence[Party], address: str,
                    ldap: Collection[str]) -> bool:
        if not parties:
            return True
        key = (id(parties), address, tuple(ldap))
        found = self._said.get(key)
        if found is not None and found[0] is parties:
            return found[1]
        said = super().any_matches(parties, address, ldap)
        self._said.put(key, (parties, said))
        return said

    def excepted(self, exceptions: Sequence[RouteException], message: MailMessage) -> bool:
        if not exceptions:
            return False
        key = (id(exceptions), message.sender, message.sender_groups, message.recipient,
               message.recipient_groups)
        found = self._said.get(key)
        if found is not None and found[0] is exceptions:
            return found[1]
        said = super().excepted(exceptions, message)
        self._said.put(key, (exceptions, said))
        return said


def universal(leaf: Party) -> bool:
    """A leaf every address matches."""
    return leaf.kind is PartyKind.ANYONE or (
        leaf.kind is PartyKind.ADDRESS and normalize(leaf.value) in ("*", "*@*"))


class GroupKeys:
    """Address groups by the keys of their leaves (the inverse of a group's own index):
    the groups an address may be a member of. A group is filed when a slot first names
    it, from the leaves its matcher flattened (:meth:`IndexedPartyMatcher.group`)."""

    def __init__(self, matcher: IndexedPartyMatcher) -> None:
        self._group = matcher.group
        self._ids: dict[str, int] = {}
        self._names: list[str] = []
        self._index = PartyIndex()
        self.universal: set[str] = set()
        #: candidates by keys: every slot index of every policy sharing these groups asks
        #: the same addresses; emptied when a group is filed (it may be a candidate)
        self._found: Memo[tuple[str, ...] | None, frozenset[str]] = Memo()

    def need(self, name: str) -> None:
        if name in self._ids:
            return
        self._found.clear()
        i = self._ids[name] = len(self._names)
        self._names.append(name)
        found = self._group(name)
        for leaf in found[1] if found is not None else ():
            self._index.add(i, leaf_keys(leaf))
            if universal(leaf):
                self.universal.add(name)

    def candidates(self, keys: tuple[str, ...] | None) -> frozenset[str]:
        found = self._found.get(keys)
        if found is None:
            names = self._names
            found = self._found.put(keys, frozenset(
                names[i] for i in self._index.candidates(keys)))
        return found


class SlotIndex:
    """Lists of parties (*slots*: a rule's senders, an exception's sender) by position,
    found by address: a slot is a candidate when one of its parties, or a leaf of a group
    it names, may match. Groups are keyed once (:class:`GroupKeys`), however many slots
    name them. An empty slot, or one with a party every address matches, is *universal*."""

    def __init__(self, groups: GroupKeys) -> None:
        self._groups = groups
        self._direct = PartyIndex()
        self._by_group: dict[str, list[int]] = {}

    def add(self, item: int, parties: Sequence[Party]) -> None:
        if not parties:
            self._direct.add(item, None)
            return
        for p in parties:
            if p.kind is PartyKind.ADDRESS_GROUP:
                self._groups.need(p.value)
                self._by_group.setdefault(p.value, []).append(item)
            else:
                self._direct.add(item, leaf_keys(p))

    def universal(self, parties: Sequence[Party]) -> bool:
        return not parties or any(
            universal(p) or (p.kind is PartyKind.ADDRESS_GROUP
                             and p.value in self._groups.universal) for p in parties)

    def candidates(self, keys: tuple[str, ...] | None) -> set[int]:
        out = self._direct.candidates(keys)
        out.update(self._named(keys))
        return out

    def keyed(self, keys: tuple[str, ...]) -> set[int]:
        """The candidates but those that are always candidates (:attr:`always`)."""
        out = self._direct.keyed(keys)
        out.update(self._named(keys))
        return out

    @property
    def always(self) -> frozenset[int]:
        """Slots that are candidates for every address (empty, or a party without keys)."""
        return self._direct.always

    def _named(self, keys: tuple[str, ...] | None) -> set[int]:
        out: set[int] = set()
        by_group = self._by_group
        if not by_group:
            return out
        names = self._groups.candidates(keys)
        # the smaller side drives: a rule names a few groups, an address may be in many
        if len(by_group) < len(names):
            for name, items in by_group.items():
                if name in names:
                    out.update(items)
        else:
            for name in names:
                found = by_group.get(name)
                if found is not None:
                    out.update(found)
        return out


class RuleSelector:
    """Rules (by position) that a message's sender and recipient may reach: a rule whose
    senders cannot match the sender (or recipients the recipient) is never a candidate.
    A ``both`` route's one Users list is reached by either side."""

    def __init__(self, routes: Sequence[tuple[Sequence[Party], Sequence[Party], bool]],
                 groups: GroupKeys) -> None:
        self._senders, self._recipients, self._users = (
            SlotIndex(groups), SlotIndex(groups), SlotIndex(groups))
        for i, (senders, recipients, both) in enumerate(routes):
            if both:
                self._users.add(i, senders)
            else:
                self._senders.add(i, senders)
                self._recipients.add(i, recipients)
        # the rules every message reaches, in order, kept apart: a decision walks them
        # only as far as it goes (a rule that stops the message), so a policy of many
        # rules for anyone costs each decision the rules it tries, not all of them
        self._s_always, self._r_always = self._senders.always, self._recipients.always
        self._static = sorted((self._s_always & self._r_always) | self._users.always)
        self._static_set = frozenset(self._static)
        #: the keyed rules of a message's parties (all of it outside ASCII), by parties:
        #: probes repeat their sender and recipient across many features
        self._found: Memo[tuple[str, tuple[str, ...], str, tuple[str, ...]],
                          tuple[bool, list[int]]] = Memo()

    def candidates(self, message: MailMessage) -> Iterator[int]:
        """The rules (by position, in order) the message may reach, lazily."""
        parties = (message.sender, message.sender_groups, message.recipient,
                   message.recipient_groups)
        found = self._found.get(parties)
        if found is None:
            found = self._found.put(parties, self._keyed(message))
        every, extra = found
        if every:
            return iter(extra)
        if not extra:
            return iter(self._static)
        return heapq.merge(self._static, extra)

    def _keyed(self, message: MailMessage) -> tuple[bool, list[int]]:
        """``(True, every candidate)`` outside ASCII, else ``(False, the candidates that
        are not static)``, in order."""
        sender = _side_keys(message.sender, message.sender_groups)
        recipient = _side_keys(message.recipient, message.recipient_groups)
        if sender is None or recipient is None:  # outside ASCII: every rule may
            found = (self._senders.candidates(sender)
                     & self._recipients.candidates(recipient))
            found |= self._users.candidates(sender) | self._users.candidates(recipient)
            return True, sorted(found)
        s_keyed = self._senders.keyed(sender)
        r_keyed = self._recipients.keyed(recipient)
        # (S ∩ R) ∪ U with S = always ∪ keyed (and so R and U); the always parts are static
        extra = {i for i in s_keyed if i in self._r_always or i in r_keyed}
        extra.update(i for i in r_keyed if i in self._s_always)
        extra |= self._users.keyed(sender) | self._users.keyed(recipient)
        extra -= self._static_set
        return False, sorted(extra)


class AddressList:
    """Address patterns (a sender list) by position: the first that matches an address."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = tuple(patterns)
        self._index = PartyIndex()
        for i, p in enumerate(self._patterns):
            self._index.add(i, pattern_keys(p))

    def first(self, address: str) -> int | None:
        pats = self._patterns
        for i in sorted(self._index.candidates(address_keys(address, ()))):
            if address_matches(pats[i], address):
                return i
        return None


class DomainSet:
    """Domain patterns (DKIM and DMARC domain lists): whether one matches a domain, as
    :func:`~isc.models.mailmatch.domain_matches` decides, by set look-ups: a literal by
    equality, ``*.domain`` by the domain's parent domains; any other pattern, and any
    domain outside ASCII, by the exact test."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = tuple(patterns)
        self._literal: set[str] = set()
        self._suffix: set[str] = set()
        self._other: list[str] = []
        for p in self._patterns:
            pat = _canon(p)
            if pat.startswith("@"):
                pat = pat[1:]
            if not pat.isascii():
                self._other.append(p)
            elif "*" not in pat:
                self._literal.add(pat)
            elif pat.startswith("*.") and "*" not in pat[2:]:
                self._suffix.add(pat[2:])
            else:
                self._other.append(p)

    def matches(self, domain: str) -> bool:
        dom = _canon(domain)
        if not dom.isascii():
            return any(domain_matches(p, domain) for p in self._patterns)
        if dom in self._literal:
            return True
        if dom and self._suffix and any(d in self._suffix for d in parent_domains(dom)
                                        if d != dom):
            return True
        return any(domain_matches(p, domain) for p in self._other)


def _ip_key(version: int, value: int) -> int:
    """One integer line for both versions: IPv4 below IPv6."""
    return value if version == 4 else (1 << 33) + value


class IpSet:
    """IP entries (addresses and networks) by position: the first holding a client, as
    :func:`~isc.models.mailmatch.ip_in` decides (an entry that is no IP holds nothing)."""

    def __init__(self, entries: Sequence[str]) -> None:
        intervals = []
        for i, e in enumerate(entries):
            try:
                net = ipaddress.ip_network(e.strip(), strict=False)
            except ValueError:
                continue
            lo = int(net.network_address)
            intervals.append((i, _ip_key(net.version, lo),
                              _ip_key(net.version, lo + net.num_addresses - 1)))
        self._index = IntervalIndex(intervals)

    def first(self, client: str | None) -> int | None:
        if not client:
            return None
        try:
            addr = ipaddress.ip_address(client.strip())
        except ValueError:
            return None
        found = self._index.stab(_ip_key(addr.version, int(addr)))
        return min(found) if found else None


class _Shared:
    """Parts of an index shared by policies that hold the very same tuples: fidelity
    compares thousands of policies made with ``attrs.evolve`` from one (a sender entry
    added to the whole rule set), and their rules and groups need not be indexed again.
    Bounded, least recently used first out. The groups' parts are bounded apart: a policy
    holds few group lists, and its whole-policy index must still find them after hundreds
    of one-rule or one-list policies without groups came and went (the witnesses of an
    estate rebuilt its groups otherwise, 0.8 s on the large preset). An entry keeps its
    tuples alive, so an ``id`` is never reused while in it."""

    def __init__(self, bound: int = 256, groups: int = 32) -> None:
        Found = OrderedDict[tuple[object, ...], tuple[tuple[object, ...], Any]]
        self._parts: dict[bool, tuple[Found, int]] = {False: (OrderedDict(), bound),
                                                      True: (OrderedDict(), groups)}

    def get(self, name: str, parts: tuple[object, ...], build: Callable[[], V]) -> V:
        found, bound = self._parts[name in _GROUP_PARTS]
        key = (name, *map(id, parts))
        known = found.get(key)
        if known is not None and all(a is b for a, b in zip(known[0], parts, strict=True)):
            found.move_to_end(key)
            return cast(V, known[1])
        value = build()
        found[key] = (parts, value)
        found.move_to_end(key)
        if len(found) > bound:
            found.popitem(last=False)
        return value

    def clear(self) -> None:
        for found, _ in self._parts.values():
            found.clear()


#: What :class:`_Shared` keeps per list of address groups.
_GROUP_PARTS = frozenset({"groups", "matcher", "group-keys"})


_SHARED = _Shared()


class _Rules(Generic[R]):
    """Rules in order, and the selector of those a message may reach (built on first use)."""

    def __init__(self, rules: tuple[R, ...],
                 routes: Callable[[R], tuple[Sequence[Party], Sequence[Party], bool]],
                 groups: GroupKeys) -> None:
        self.rules: tuple[R, ...] = rules
        self._routes: Callable[[R], tuple[Sequence[Party], Sequence[Party], bool]] = routes
        self._groups = groups
        self._selector: RuleSelector | None = None

    def reached(self, message: MailMessage) -> Iterator[R]:
        """The rules the message may reach, in order, lazily (a decision stops early)."""
        if not self.rules:
            return iter(())
        if self._selector is None:
            self._selector = RuleSelector([self._routes(r) for r in self.rules], self._groups)
        rules = self.rules
        return (rules[i] for i in self._selector.candidates(message))


def _mail_route(r: MailRule) -> tuple[Sequence[Party], Sequence[Party], bool]:
    if r.route.type is RouteType.BOTH:
        return users_of(r.route), (), True
    return r.route.senders, r.route.recipients, False


def _ems_route(r: EmsRule) -> tuple[Sequence[Party], Sequence[Party], bool]:
    return r.senders, r.recipients, False


class MailIndex:
    """What one decision on a :class:`MailPolicy` or :class:`EmsPolicy` looks up, built
    once per policy (parts lazily, and shared with policies holding the same tuples)."""

    def __init__(self, policy: MailPolicy | EmsPolicy) -> None:
        domains = (policy.internal_domains if isinstance(policy, MailPolicy)
                   else policy.managed_domains)
        groups_of = policy.address_groups

        def groups() -> Resolver:
            found: dict[str, tuple[Party, ...]] = {}
            for g in groups_of:
                found.setdefault(g.name, g.addresses)
            return found.get

        resolve = _SHARED.get("groups", (groups_of,), groups)
        self.matcher = _SHARED.get("matcher", (groups_of, domains),
                                   lambda: IndexedPartyMatcher(domains, resolve))
        matcher = self.matcher
        self.group_keys = groups_keys = _SHARED.get("group-keys", (groups_of, domains),
                                                    lambda: GroupKeys(matcher))
        lists = policy.keyword_lists

        def keywords() -> dict[str, tuple[KeywordMatch, int | None,
                                          Sequence[KeywordExpression]]]:
            found: dict[str, tuple[KeywordMatch, int | None,
                                   Sequence[KeywordExpression]]] = {}
            for k in lists:
                found.setdefault(k.name, (k.match, k.threshold, k.expressions))
            return found

        self._keywords = _SHARED.get("keywords", (lists,), keywords)
        if isinstance(policy, MailPolicy):
            mail = policy
            self._mail = _SHARED.get("mail-rules", (mail.rules, groups_of), lambda: _Rules(
                mail.rules_in_order(), _mail_route, groups_keys))
            self._mail_lists = (
                AddressList([p.value for p in mail.blocked_senders
                             if p.kind is PartyKind.ADDRESS]),
                AddressList([p.value for p in mail.approved_senders
                             if p.kind is PartyKind.ADDRESS]))
        else:
            ems = policy

            def by_kind() -> dict[tuple[Direction, RuleKind], _Rules[EmsRule]]:
                return {(d, k): _Rules(_sorted_ems(ems.rules, d, k), _ems_route, groups_keys)
                        for d in Direction for k in RuleKind}

            self._ems = _SHARED.get("ems-rules", (ems.rules, groups_of), by_kind)
            self._ems_lists = (AddressList([e.address for e in ems.blocked_senders]),
                               AddressList([e.address for e in ems.approved_senders]))

    def keyword_list(self, name: str) -> tuple[KeywordMatch, int | None,
                                               Sequence[KeywordExpression]] | None:
        return self._keywords.get(name)

    # ---------------------------------------------------------------- IMSVA

    def mail_rules(self, message: MailMessage) -> Iterable[MailRule]:
        """The rules, in order, that the message's parties may reach."""
        return self._mail.reached(message)

    def mail_sender_listed(self, blocked: bool, sender: str) -> bool:
        return self._mail_lists[0 if blocked else 1].first(sender) is not None

    # ---------------------------------------------------------------- EmS

    def ems_rules(self, direction: Direction, kind: RuleKind, message: MailMessage
                  ) -> Iterable[EmsRule]:
        return self._ems[(direction, kind)].reached(message)

    def ems_sender(self, blocked: bool, sender: str) -> int | None:
        """The position of the first blocked (approved) sender entry matching ``sender``."""
        return self._ems_lists[0 if blocked else 1].first(sender)

    # ---------------------------------------------------------------- both

    def first_ip(self, entries: tuple[Any, ...], client: str | None) -> int | None:
        """The position of the first entry (an IP text, or an object with a ``value``)
        holding the client."""
        ips = _SHARED.get("ips", (entries,), lambda: IpSet(
            [e if isinstance(e, str) else e.value for e in entries]))
        return ips.first(client)

    def domain_listed(self, patterns: tuple[str, ...], domain: str) -> bool:
        """Whether a pattern of a DKIM or DMARC domain list matches ``domain``."""
        return _SHARED.get("domains", (patterns,), lambda: DomainSet(patterns)).matches(domain)

    @classmethod
    def of(cls, policy: MailPolicy | EmsPolicy) -> MailIndex:
        return _INDEXES.get(policy, cls)


def _sorted_ems(rules: Iterable[EmsRule], direction: Direction, kind: RuleKind
                ) -> tuple[EmsRule, ...]:
    return tuple(sorted((r for r in rules if r.direction is direction and r.kind is kind),
                        key=lambda r: r.order))


_INDEXES: PerObject[MailPolicy | EmsPolicy, MailIndex] = PerObject()


def release(policy: MailPolicy | EmsPolicy) -> None:
    """Free the index of ``policy`` and every shared part (the next decision builds them
    again)."""
    _INDEXES.discard(policy)
    _SHARED.clear()


__all__ = [
    "AddressList",
    "DomainSet",
    "GroupKeys",
    "IndexedPartyMatcher",
    "IpSet",
    "MailIndex",
    "PartyIndex",
    "RuleSelector",
    "SlotIndex",
    "address_keys",
    "flatten",
    "leaf_keys",
    "pattern_keys",
    "release",
    "universal",
]
