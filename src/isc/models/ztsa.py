"""The ZTSA Internet Access decision model (spec semantics.md §2), on a :class:`ZtsaPolicy`,
decided over an index.

:class:`ZtsaIndex` is built once per policy (lazily, kept while the policy lives): list and
custom-category entries by domain (host and parent domains) or by a literal of their
pattern, inspection exceptions by domain, rules by source (user and group names, address
intervals of their IP address groups). The plain model is :mod:`isc.models.reference.ztsa`;
the two must agree on every request.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Mapping

from isc.ir import categories
from isc.ir.common import Meta, alike_but_meta
from isc.ir.requests import DecidedBy, Decision, Url, WebRequest
from isc.ir.ztsa import (
    CustomUrlCategory,
    FileProfile,
    HttpsInspectionRule,
    InspectAction,
    InternetAccessRule,
    IpAddressGroup,
    MatchMode,
    Sources,
    ZtsaPolicy,
)
from isc.models.index import DomainIndex, LiteralIndex, Memo, PerObject, Selector
from isc.models.iwsva import client_address, file_type_matches, ldap_name, predefined_ids
from isc.models.urlmatch import domain_matches, haystack, required_literal, ztsa_matches


def by(kind: str, name: str, meta: Meta | None) -> DecidedBy:
    src = meta.source if meta else None
    return DecidedBy(kind, name, src.file if src else None, src.line if src else None)


@functools.lru_cache(maxsize=4096)
def _request_categories(cats: tuple[str | int, ...], ids: frozenset[int]) -> frozenset[str]:
    names: set[str] = set()
    for c in cats:
        if isinstance(c, str) and categories.ztsa_name(c) and categories.lookup(c) is None:
            names.add(categories.ztsa_name(c) or c)
    for cid in ids:
        z = categories.BY_ID[cid].ztsa_name if cid in categories.BY_ID else None
        if z:
            names.add(z)
    return frozenset(names)


def request_categories(req: WebRequest) -> frozenset[str]:
    """The request's predefined categories as ZTSA names (those ZTSA has)."""
    return _request_categories(req.categories, predefined_ids(req))


class Identity:
    """Maps the request's LDAP identities to SSO names through the document's mapping."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {ldap_name(k): v.lower() for k, v in mapping.items()}

    def names(self, values: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for v in values:
            out.add(v.lower())
            mapped = self.mapping.get(ldap_name(v))
            if mapped:
                out.add(mapped)
        return out


@functools.lru_cache(maxsize=65536)
def address_bounds(address: str) -> tuple[int, int, int] | None:
    """An IP address group entry as ``(version, first, last)``; None when unreadable. A
    range is taken in the version of its first address, as :func:`address_holds` does."""
    try:
        if "-" in address:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in address.split("-", 1))
            return (lo.version, int(lo), int(hi))
        net = ipaddress.ip_network(address, strict=False)
        return (net.version, int(net.network_address), int(net.broadcast_address))
    except ValueError:
        return None


def address_holds(address: str, client: tuple[int, int] | None) -> bool:
    """Is the client ``(version, int)`` in one IP address group entry?"""
    bounds = address_bounds(address)
    return client is not None and bounds is not None and bounds[0] == client[0] and (
        bounds[1] <= client[1] <= bounds[2])




class _Entries:
    """Entries of URL lists and custom categories (``(list, position, mode, value)``), found
    by domain or by a literal of the pattern."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, MatchMode, str, str | None]] = []
        self.domains = DomainIndex()
        self.literals = LiteralIndex()
        self.lists = 0

    def add_list(self, entries: Iterable[tuple[MatchMode, str]]) -> int:
        lid = self.lists
        self.lists += 1
        for pos, (mode, value) in enumerate(entries):
            item = len(self.items)
            if mode is MatchMode.DOMAIN:
                self.domains.add(item, _domain_key(value))
                self.items.append((lid, pos, mode, value, None))
            else:
                literal = required_literal(value)
                self.literals.add(item, literal)
                self.items.append((lid, pos, mode, value, literal))
        return lid

    def first_by_list(self, url: Url, host_only: bool) -> dict[int, int]:
        """List → position of its first matching entry."""
        hay = haystack(url, host_only)
        hits = self.domains.candidates(url.host)
        hits += self.literals.candidates(hay)
        found: dict[int, int] = {}
        for i in sorted(set(hits)):
            lid, pos, mode, value, literal = self.items[i]
            if lid not in found and (literal is None or literal in hay) and ztsa_matches(
                    mode, value, url, host_only=host_only):
                found[lid] = pos
        return found


@functools.lru_cache(maxsize=65536)
def _lowered(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def _domain_key(value: str) -> str | None:
    """The domain a ZTSA domain entry is filed under (see :func:`domain_matches`): ``d``
    for ``d`` and ``*.d``; None (a candidate for every host) when it holds wildcards
    elsewhere or characters outside ASCII."""
    d = value.strip().lower().rstrip(".")
    if d.startswith("*."):
        d = d[2:]
    if not d.isascii() or "*" in d or "?" in d:
        return None
    return d


class ZtsaIndex:
    """Everything a decision on one :class:`ZtsaPolicy` looks up, built once."""

    def __init__(self, policy: ZtsaPolicy) -> None:
        # the parts, never the policy: the index is cached by a weak reference to it
        self._inspection_exceptions = policy.inspection_exceptions
        self._allow_list = policy.url_allow_list
        self._deny_list = policy.url_deny_list
        self._entries = _Entries()
        self._allow = self._entries.add_list((e.mode, e.value) for e in policy.url_allow_list)
        self._deny = self._entries.add_list((e.mode, e.value) for e in policy.url_deny_list)
        self._custom: dict[str, int] = {}
        for c in policy.custom_url_categories:
            if c.name not in self._custom:
                self._custom[c.name] = self._entries.add_list(
                    (c.mode, e) for e in c.entries)
        self._custom_names = {lid: name for name, lid in self._custom.items()}
        self._exceptions = DomainIndex()
        for i, exc in enumerate(policy.inspection_exceptions):
            self._exceptions.add(i, _domain_key(exc.domain))
        groups: dict[str, IpAddressGroup] = {}
        for g in policy.ip_address_groups:
            groups.setdefault(g.name, g)
        self._groups = groups
        profiles: dict[str, FileProfile] = {}
        for f in policy.file_profiles:
            profiles.setdefault(f.name, f)
        self._profiles = profiles
        self._inspection = [r for r in policy.https_inspection_rules if r.enabled]
        self._sel_inspection = self._selector(r.sources for r in self._inspection)
        self._rules = [r for r in policy.internet_access_rules
                       if r.enabled and not r.cloud_apps]
        self._sel_rules = self._selector(r.sources for r in self._rules)
        self._memo: Memo[tuple[Url, bool], dict[int, int]] = Memo()
        self._identity: tuple[Mapping[str, str] | None, Identity] | None = None
        self._selections: Memo[tuple[int, int, str | None, tuple[str, ...], str | None],
                               list[int]] = Memo()

    def _selector(self, sources: Iterable[Sources]) -> Selector[str]:
        sel: Selector[str] = Selector()
        for i, src in enumerate(sources):
            if src.empty:
                sel.everyone(i)
            for u in src.users:
                sel.key(i, "u:" + u.lower())
            for g in src.groups:
                sel.key(i, "g:" + g.lower())
            for name in src.ip_address_groups:
                group = self._groups.get(name)
                for a in group.addresses if group is not None else ():
                    bounds = address_bounds(a)
                    if bounds is not None:
                        sel.interval(i, *bounds)
        return sel

    # ---------------------------------------------------------------- matching

    def _first(self, url: Url, host_only: bool) -> dict[int, int]:
        key = (url, host_only)
        found = self._memo.get(key)
        if found is None:
            found = self._entries.first_by_list(url, host_only)
            self._memo.put(key, found)
        return found

    def sources_match(self, src: Sources, req: WebRequest, ident: Identity) -> bool:
        """Exactly ``_sources_match`` of the reference model, with groups looked up by name."""
        if src.users and req.user and not ident.names([req.user]).isdisjoint(
                _lowered(src.users)):
            return True
        if src.groups and not ident.names(req.groups).isdisjoint(_lowered(src.groups)):
            return True
        if src.ip_address_groups and req.client:
            client = client_address(req.client)
            for name in src.ip_address_groups:
                group = self._groups.get(name)
                if group is not None and any(address_holds(a, client) for a in group.addresses):
                    return True
        return False

    def _who(self, rule_sources: Sources, excludes: Sources, req: WebRequest, ident: Identity
             ) -> bool:
        if not rule_sources.empty and not self.sources_match(rule_sources, req, ident):
            return False
        return excludes.empty or not self.sources_match(excludes, req, ident)

    def list_hit(self, allow: bool) -> Callable[[Url], bool]:
        """Does an entry of the URL Allow (or Deny) List match a URL as a decrypted request
        shows it?"""
        lid = self._allow if allow else self._deny
        return lambda url: lid in self._first(url, False)

    def matching_categories(self, url: Url, host_only: bool) -> list[str]:
        """The custom categories some entry of which matches."""
        found = self._first(url, host_only)
        names = self._custom_names
        return [names[lid] for lid in found if lid in names]

    def custom_hit(self, names: Iterable[str], url: Url, host_only: bool) -> bool:
        found = self._first(url, host_only)
        for name in names:
            lid = self._custom.get(name)
            if lid is not None and lid in found:
                return True
        return False

    def _url_match(self, cats: tuple[str, ...], custom: tuple[str, ...],
                   req_cats: frozenset[str], url: Url, host_only: bool) -> bool:
        if not cats and not custom:
            return True
        return not req_cats.isdisjoint(cats) or self.custom_hit(custom, url, host_only)

    def _selected(self, sel: Selector[str], req: WebRequest, ident: Identity) -> list[int]:
        memo_key = (id(sel), id(ident), req.user, req.groups, req.client)
        found = self._selections.get(memo_key)
        if found is None:
            keys = ["u:" + n for n in ident.names([req.user])] if req.user else []
            keys += ["g:" + n for n in ident.names(req.groups)]
            found = sel.select(keys, client_address(req.client) if req.client else None)
            self._selections.put(memo_key, found)
        return found

    # ---------------------------------------------------------------- decisions

    def decrypted(self, req: WebRequest, url: Url, ident: Identity
                  ) -> tuple[bool, DecidedBy | None]:
        if url.scheme != "https":
            return True, None
        if req.decrypted is not None:
            return req.decrypted, None
        excs = self._inspection_exceptions
        for i in sorted(self._exceptions.candidates(url.host)):
            exc = excs[i]
            if domain_matches(exc.domain, url.host, subdomains=False):
                return False, by("inspection-exception", exc.domain, exc.meta)
        req_cats = request_categories(req)
        for i in self._selected(self._sel_inspection, req, ident):
            rule: HttpsInspectionRule = self._inspection[i]
            if not self._who(rule.sources, Sources(), req, ident):
                continue
            if self._url_match(rule.url_categories, rule.custom_url_categories, req_cats, url,
                               True):
                return rule.action is InspectAction.INSPECT, by(
                    "https-inspection-rule", rule.name, rule.meta)
        return True, None

    def identity(self, identities: Mapping[str, str] | None) -> Identity:
        """The :class:`Identity` of a mapping, reused while the same mapping is passed (a
        sweep passes one mapping to thousands of decisions)."""
        last = self._identity
        if last is not None and last[0] is identities:
            return last[1]
        ident = Identity(identities or {})
        self._identity = (identities, ident)
        self._selections.clear()  # keyed by the identity's id, which a new one may reuse
        return ident

    def decide(self, req: WebRequest, identities: Mapping[str, str] | None = None) -> Decision:
        ident = self.identity(identities)
        url = req.parsed
        is_decrypted, _ = self.decrypted(req, url, ident)
        host_only = not is_decrypted

        def done(action: str, decided: DecidedBy | None) -> Decision:
            return Decision(action, decided, decrypted=is_decrypted)

        found = self._first(url, host_only)
        for kind, lid, entries, action in (
                ("url-allow-list", self._allow, self._allow_list, "allow"),
                ("url-deny-list", self._deny, self._deny_list, "block")):
            pos = found.get(lid)
            if pos is not None:
                entry = entries[pos]
                return done(action, by(kind, entry.value, entry.meta))
        req_cats = request_categories(req)
        for i in self._selected(self._sel_rules, req, ident):
            rule = self._rules[i]
            if self.rule_matches(rule, req, url, host_only, req_cats, ident):
                return done(rule.action.value, by("internet-access-rule", rule.name, rule.meta))
        return done("allow", None)

    def rule_matches(self, rule: InternetAccessRule, req: WebRequest, url: Url,
                     host_only: bool, req_cats: frozenset[str], ident: Identity) -> bool:
        if not rule.enabled or rule.cloud_apps:
            return False  # cloud-app rules act on application traffic, not on a URL request
        if not self._who(rule.sources, rule.excludes, req, ident):
            return False
        if rule.schedule is not None and req.when is not None and not rule.schedule.active(
            req.when.weekday(), req.when.hour * 60 + req.when.minute
        ):
            return False
        if not self._url_match(rule.url_categories, rule.custom_url_categories, req_cats, url,
                               host_only):
            return False
        if rule.file_profiles:
            if req.file_type is None:
                return False
            profiles = [self._profiles.get(n) for n in rule.file_profiles]
            return any(
                p is not None and any(file_type_matches(t, req.file_type)
                                      for t in p.true_file_types)
                for p in profiles
            )
        return True

    @classmethod
    def of(cls, policy: ZtsaPolicy) -> ZtsaIndex:
        """The index of ``policy``, built on first use and kept while ``policy`` lives."""
        return _INDEXES.get(policy, cls)


_INDEXES: PerObject[ZtsaPolicy, ZtsaIndex] = PerObject()


def custom_category_matches(category: CustomUrlCategory, url: Url, host_only: bool) -> bool:
    """Does any entry of one custom category match (no index: one category, a few entries)?"""
    return any(ztsa_matches(category.mode, e, url, host_only=host_only)
               for e in category.entries)


def decided_alike(old: ZtsaPolicy, new: ZtsaPolicy) -> bool:
    """Do two policies differ at most in their objects' directions and review notes (which
    no decision reads: ``by`` takes only the source)? See :func:`isc.ir.common.alike_but_meta`."""
    return alike_but_meta(old, new)


def release(policy: ZtsaPolicy) -> None:
    """Free the index of ``policy`` (the next decision builds it again)."""
    _INDEXES.discard(policy)


def decrypted(policy: ZtsaPolicy, req: WebRequest, url: Url, ident: Identity
              ) -> tuple[bool, DecidedBy | None]:
    return ZtsaIndex.of(policy).decrypted(req, url, ident)


def decide(policy: ZtsaPolicy, req: WebRequest, identities: Mapping[str, str] | None = None
           ) -> Decision:
    return ZtsaIndex.of(policy).decide(req, identities)
