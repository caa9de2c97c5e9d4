"""The IWSVA / IWSS web decision model (spec semantics.md §1), decided over an index.

:class:`WebIndex` is built once per policy (lazily, on its first decision, and kept while the
policy lives): every URL entry of every list in one :class:`~isc.models.index.LiteralIndex`,
the policies of each kind in a :class:`~isc.models.index.Selector` by account, each policy's
category → action table, schedules by name. A decision costs the entries and policies that
can match it, not the length of the lists. The plain model that scans everything is
:mod:`isc.models.reference.iwsva`; the two must agree on every request.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from isc.ir import categories
from isc.ir.common import Span
from isc.ir.requests import DecidedBy, Decision, Url, WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    CategoryRef,
    Schedule,
    UrlFilteringPolicy,
    UrlMatchType,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from isc.models.index import LiteralIndex, Memo, PerObject, Selector
from isc.models.urlmatch import haystack, iwsva_matches, required_literal

UNTESTED = 90
T = TypeVar("T")


def by(kind: str, name: str, span: Span | None) -> DecidedBy:
    return DecidedBy(kind, name, span.file if span else None, span.line if span else None)


@functools.lru_cache(maxsize=4096)
def _ip_bounds(kind: AccountKind, value: str) -> tuple[int, int, int] | None:
    try:
        if kind is AccountKind.IP:
            a = ipaddress.ip_address(value)
            return (a.version, int(a), int(a))
        if kind is AccountKind.IP_RANGE:
            first, _, last = value.partition("-")
            lo, hi = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
            return (lo.version, int(lo), int(hi))
        if kind is AccountKind.IP_SUBSET:
            n = ipaddress.ip_network(value, strict=False)
            return (n.version, int(n.network_address), int(n.broadcast_address))
    except ValueError:
        return None
    return None


@functools.lru_cache(maxsize=65536)
def client_address(client: str | None) -> tuple[int, int] | None:
    """A request's client as ``(IP version, integer)``; None when it is not an address."""
    if client is None:
        return None
    try:
        a = ipaddress.ip_address(client)
    except ValueError:
        return None
    return (a.version, int(a))


@functools.lru_cache(maxsize=65536)
def ldap_name(value: str) -> str:
    """The comparable form of an LDAP DN or name: lower-case, no blanks around separators."""
    return ",".join(part.strip() for part in value.split(",")).lower()


def account_matches(account: Account, req: WebRequest) -> bool:
    kind = account.kind
    if kind in (AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET):
        client = client_address(req.client)
        bounds = _ip_bounds(kind, account.value)
        return client is not None and bounds is not None and bounds[0] == client[0] and (
            bounds[1] <= client[1] <= bounds[2])
    if kind is AccountKind.LDAP_USER:
        return req.user is not None and ldap_name(req.user) == ldap_name(account.value)
    if kind is AccountKind.LDAP_GROUP:
        return any(ldap_name(g) == ldap_name(account.value) for g in req.groups)
    if kind is AccountKind.HOST:
        return req.client is not None and req.client.lower() == account.value.lower()
    return False


def ip_bounds(account: Account) -> tuple[int, int, int] | None:
    """An IP, range or subnet account as ``(IP version, first, last)``; None for any other
    account, or one whose value is not an address."""
    return _ip_bounds(account.kind, account.value)


def account_key(account: Account) -> str | None:
    """What an LDAP user, LDAP group or host account matches, as the model compares it (two
    accounts of one key match the same requests); None for IP accounts."""
    kind = account.kind
    if kind is AccountKind.LDAP_USER:
        return "u:" + ldap_name(account.value)
    if kind is AccountKind.LDAP_GROUP:
        return "g:" + ldap_name(account.value)
    if kind is AccountKind.HOST:
        return "h:" + account.value.lower()
    return None


class AccountCover(Generic[T]):
    """The requests a growing set of account lists matches, to ask whether it *covers* an
    account list (every request that list matches is matched by one of them) and by whom
    (optimisation passes: a policy whose accounts are covered by earlier policies that
    decide everything is never reached).

    An empty list matches everyone. IP accounts are covered by the union of the intervals
    added (of their IP version, adjacent ones joined); LDAP and host accounts only by one
    of the same key (group membership is not known offline). An account whose value the
    model cannot read is never covered: the passes keep what they cannot reason about."""

    def __init__(self) -> None:
        self.everyone: T | None = None
        self._keys: dict[str, T] = {}
        self._ips: list[tuple[tuple[int, int, int], T]] = []
        #: per IP version, disjoint sorted intervals ``[first, last]``, adjacent ones joined
        self._spans: dict[int, list[tuple[int, int]]] = {}
        self._added: dict[int, int] = {}

    def add(self, accounts: Iterable[Account], who: T) -> None:
        accounts = tuple(accounts)
        self._added.setdefault(id(who), len(self._added))
        if not accounts and self.everyone is None:
            self.everyone = who
        for a in accounts:
            key = account_key(a)
            bounds = _readable(a)
            if key is not None:
                self._keys.setdefault(key, who)
            elif bounds is not None:
                self._ips.append((bounds, who))
                self._insert(*bounds)

    def _insert(self, version: int, lo: int, hi: int) -> None:
        spans = self._spans.setdefault(version, [])
        i = bisect.bisect_left(spans, (lo, lo))
        if i > 0 and spans[i - 1][1] + 1 >= lo:  # join the neighbours it overlaps or touches
            i -= 1
        j = i
        while j < len(spans) and spans[j][0] <= hi + 1:
            lo, hi = min(lo, spans[j][0]), max(hi, spans[j][1])
            j += 1
        spans[i:j] = [(lo, hi)]

    def _covered(self, account: Account) -> bool:
        key = account_key(account)
        if key is not None:
            return key in self._keys
        bounds = _readable(account)
        if bounds is None:
            return False
        version, lo, hi = bounds
        spans = self._spans.get(version, [])
        # the run starting at or before lo
        i = bisect.bisect_right(spans, lo, key=lambda s: s[0]) - 1
        return i >= 0 and spans[i][0] <= lo and hi <= spans[i][1]

    def covers(self, accounts: Iterable[Account]) -> bool:
        """Does every request the account list matches match an added list?"""
        accounts = tuple(accounts)
        if self.everyone is not None:
            return True
        return bool(accounts) and all(self._covered(a) for a in accounts)

    def shadowers(self, accounts: Iterable[Account]) -> list[T] | None:
        """Who covers the account list, in the order added (for an IP account, everyone
        whose intervals overlap it; the first list for everyone, when one was added); None
        when it is not covered."""
        accounts = tuple(accounts)
        if not self.covers(accounts):
            return None
        if self.everyone is not None:
            return [self.everyone]
        found: dict[int, T] = {}
        for a in accounts:
            key = account_key(a)
            if key is not None:
                who = self._keys[key]
                found.setdefault(id(who), who)
                continue
            bounds = _readable(a)
            assert bounds is not None  # covered accounts are readable
            version, lo, hi = bounds
            for (v, first, last), who in self._ips:
                if v == version and first <= hi and lo <= last:
                    found.setdefault(id(who), who)
        return sorted(found.values(), key=lambda w: self._added[id(w)])


def _readable(account: Account) -> tuple[int, int, int] | None:
    """The interval of an IP account that matches some address (an inverted range matches
    none and is not read)."""
    bounds = ip_bounds(account)
    return bounds if bounds is not None and bounds[1] <= bounds[2] else None


def accounts_match(accounts: Iterable[Account], req: WebRequest) -> bool:
    """A policy applies to its accounts; one without accounts applies to everyone."""
    accounts = tuple(accounts)
    return not accounts or any(account_matches(a, req) for a in accounts)


@functools.lru_cache(maxsize=4096)
def _predefined(cats: tuple[str | int, ...]) -> frozenset[int]:
    ids = set()
    for c in cats:
        found = categories.lookup(c)
        if found is not None:
            ids.add(found.id)
    return frozenset(ids) if ids else frozenset({UNTESTED})


@functools.lru_cache(maxsize=4096)
def _predefined_refs(cats: tuple[str | int, ...]) -> frozenset[CategoryRef]:
    return frozenset(CategoryRef(id=i) for i in _predefined(cats))


def predefined_ids(req: WebRequest) -> frozenset[int]:
    """The request's predefined categories as TMUFE IDs; none given means Untested."""
    return _predefined(req.categories)


def _action(listed: dict[CategoryRef, WebAction], cats: Iterable[CategoryRef]
            ) -> WebAction | None:
    decisive = [a for a in (listed.get(c, WebAction.ALLOW) for c in cats)
                if a is not WebAction.MATCH_NEXT]
    if not decisive:
        return None
    return max(decisive, key=lambda a: a.restrictiveness)


def policy_action(policy: UrlFilteringPolicy, cats: frozenset[CategoryRef]) -> WebAction | None:
    """The most restrictive non-match-next action over ``cats``; None if all are match-next.
    A category the policy does not list is allowed."""
    return _action({c.category: c.action for c in policy.categories}, cats)


def file_type_matches(entry: str, file_type: str) -> bool:
    """``executables`` covers ``executables/exe``; ``compressed/7z`` only itself."""
    e, f = entry.strip().lower(), file_type.strip().lower()
    return f == e or f.startswith(e + "/") or f.rsplit("/", 1)[-1] == e


def account_selector(policies: Sequence[tuple[int, tuple[Account, ...]]]) -> Selector[str]:
    """Policies (by position) keyed by their accounts, as :func:`request_keys` finds them."""
    sel: Selector[str] = Selector()
    for i, accounts in policies:
        if not accounts:
            sel.everyone(i)
        for a in accounts:
            kind = a.kind
            if kind is AccountKind.LDAP_USER:
                sel.key(i, "u:" + ldap_name(a.value))
            elif kind is AccountKind.LDAP_GROUP:
                sel.key(i, "g:" + ldap_name(a.value))
            elif kind is AccountKind.HOST:
                sel.key(i, "h:" + a.value.lower())
            else:
                bounds = _ip_bounds(kind, a.value)
                if bounds is not None:
                    sel.interval(i, *bounds)
    return sel


def request_keys(req: WebRequest) -> list[str]:
    keys = [f"g:{ldap_name(g)}" for g in req.groups]
    if req.user is not None:
        keys.append("u:" + ldap_name(req.user))
    if req.client is not None:
        keys.append("h:" + req.client.lower())
    return keys




class WebIndex:
    """Everything a decision on one :class:`WebPolicy` looks up, built once."""

    def __init__(self, web: WebPolicy) -> None:
        self._lists: list[tuple[UrlPattern, ...]] = []
        self._items: list[tuple[int, str, UrlPattern]] = []
        self._urls = LiteralIndex()
        self._custom: list[tuple[int, CategoryRef]] = [
            (self._list(cc.entries), CategoryRef(custom=cc.name)) for cc in web.custom_categories]
        self._approved: dict[str, int] = {}
        for al in web.approved_lists:
            if al.name not in self._approved:
                self._approved[al.name] = self._list(al.entries)
        self._custom_refs = dict(self._custom)
        self._list_names = {lid: ("custom-category", ref.custom or "")
                            for lid, ref in self._custom}
        self._list_names.update({lid: ("approved-list", name)
                                 for name, lid in self._approved.items()})
        self._globals: list[tuple[str, int, int, str]] = []
        for kind, lst, action in (("global-trusted-urls", web.global_trusted, "allow"),
                                  ("global-url-blocking", web.global_blocking, "block")):
            if lst is not None and lst.enabled:
                self._globals.append((kind, self._list(lst.entries),
                                      self._list(lst.exceptions), action))
        self._tunneling = self._list(web.tunneling)
        self._entry_kinds = {self._tunneling: "https-tunneling"}
        for kind, entries, exceptions, _ in self._globals:
            self._entry_kinds[entries] = f"{kind}.entry"
            self._entry_kinds[exceptions] = f"{kind}.exception"
        self._schedules: dict[str, Schedule] = {}
        for s in web.schedules:
            self._schedules.setdefault(s.name, s)
        self._filtering = [p for p in web.url_filtering if p.enabled]
        self._tables = [{c.category: c.action for c in p.categories} for p in self._filtering]
        self._decryption = [p for p in web.https_decryption if p.enabled]
        self._atp = [p for p in web.atp if p.enabled]
        self._sel_filtering = account_selector([(i, p.accounts)
                                                for i, p in enumerate(self._filtering)])
        self._sel_decryption = account_selector([(i, p.accounts)
                                                 for i, p in enumerate(self._decryption)])
        self._sel_atp = account_selector([(i, p.accounts) for i, p in enumerate(self._atp)])
        self._memo: Memo[tuple[Url, bool], dict[int, UrlPattern]] = Memo()
        self._selections: Memo[tuple[int, str | None, tuple[str, ...], str | None],
                               list[int]] = Memo()

    def _list(self, entries: tuple[UrlPattern, ...]) -> int:
        lid = len(self._lists)
        self._lists.append(entries)
        for p in entries:
            literal = _literal(p)
            self._urls.add(len(self._items), literal)
            self._items.append((lid, literal, p))
        return lid

    # ---------------------------------------------------------------- URL lists

    def matches(self, url: Url, host_only: bool) -> dict[int, UrlPattern]:
        """The first matching entry of every list that has one, by list."""
        key = (url, host_only)
        found = self._memo.get(key)
        if found is not None:
            return found
        found = {}
        items = self._items
        hay = haystack(url, host_only)
        for i in sorted(self._urls.candidates(hay)):
            lid, literal, p = items[i]
            # the literal first (the index offers everything for a text it cannot search)
            if lid not in found and literal in hay and iwsva_matches(p, url,
                                                                     host_only=host_only):
                found[lid] = p
        return self._memo.put(key, found)

    def url_categories(self, req: WebRequest, url: Url, host_only: bool
                       ) -> frozenset[CategoryRef]:
        """Predefined categories from the caller plus the custom categories isc computes."""
        predefined = _predefined_refs(req.categories)
        custom = self._custom_refs
        matched = [custom[lid] for lid in self.matches(url, host_only) if lid in custom]
        return predefined.union(matched) if matched else predefined

    def matched_objects(self, url: Url, host_only: bool) -> list[tuple[str, str]]:
        """What matches the URL, as ``(kind, name)``: custom categories and approved lists
        some entry of which matches, and the first matching entry of each global list, of
        its exceptions and of the tunneling list."""
        names = self._list_names
        out = []
        for lid, p in self.matches(url, host_only).items():
            found = names.get(lid)
            if found is not None:
                out.append(found)
            else:
                out.append((self._entry_kinds[lid], p.stored))
        return out

    def exception_of(self, trusted: bool) -> Callable[[Url], UrlPattern | None]:
        """The first exception of the global trusted (or blocking) list matching a URL as a
        decrypted request shows it (None: no list, no match)."""
        kind = "global-trusted-urls" if trusted else "global-url-blocking"
        lid = next((exc for k, _, exc, _ in self._globals if k == kind), None)
        return lambda url: None if lid is None else self.matches(url, False).get(lid)

    def entry_of(self, trusted: bool) -> Callable[[Url], UrlPattern | None]:
        """The first entry of the global trusted (or blocking) list matching a URL as a
        decrypted request shows it (None: no list, no match)."""
        kind = "global-trusted-urls" if trusted else "global-url-blocking"
        lid = next((entries for k, entries, _, _ in self._globals if k == kind), None)
        return lambda url: None if lid is None else self.matches(url, False).get(lid)

    def approved(self, names: Iterable[str], url: Url, host_only: bool) -> str | None:
        found = self.matches(url, host_only)
        for name in names:
            lid = self._approved.get(name)
            if lid is not None and lid in found:
                return name
        return None

    # ---------------------------------------------------------------- decisions

    def _selected(self, sel: Selector[str], req: WebRequest) -> list[int]:
        key = (id(sel), req.user, req.groups, req.client)
        found = self._selections.get(key)
        if found is None:
            found = self._selections.put(key, sel.select(request_keys(req),
                                                         client_address(req.client)))
        return found

    def decrypted(self, req: WebRequest, url: Url) -> tuple[bool, DecidedBy | None]:
        """Whether an HTTPS request is decrypted, and which object decided it."""
        if url.scheme != "https":
            return True, None
        if req.decrypted is not None:
            return req.decrypted, None
        tunnel = self.matches(url, True).get(self._tunneling)
        if tunnel is not None:
            return False, by("https-tunneling", tunnel.stored, tunnel.span)
        for i in self._selected(self._sel_decryption, req):
            policy = self._decryption[i]
            decided = by("https-decryption-policy", policy.name, policy.span)
            if self.approved(policy.exceptions, url, True) is not None:
                return False, decided
            if policy.decrypt_all:
                return True, decided
            cats = self.url_categories(req, url, True)
            wanted = {c.category for c in policy.categories if c.decrypt}
            return bool(cats & wanted), decided
        return False, None

    def decide(self, req: WebRequest) -> Decision:
        url = req.parsed
        is_decrypted, _ = self.decrypted(req, url)
        host_only = not is_decrypted
        trace: list[str] = [f"decrypted={is_decrypted}"]

        def done(action: str, decided: DecidedBy | None) -> Decision:
            return Decision(action, decided, decrypted=is_decrypted, trace=tuple(trace))

        # 1-2. global trusted, then global blocking (exceptions win within a list)
        found = self.matches(url, host_only)
        for kind, entries, exceptions, action in self._globals:
            hit = found.get(entries)
            if hit is not None and exceptions not in found:
                return done(action, by(f"{kind}.entry", hit.stored, hit.span))
        # 3. tunneled hosts bypass URL filtering for everyone
        if url.scheme == "https" and req.decrypted is None:
            tunnel = self.matches(url, True).get(self._tunneling)
            if tunnel is not None:
                return done("allow", by("https-tunneling", tunnel.stored, tunnel.span))
        # 4. URL filtering, then 5. ATP on what filtering let through
        result = self._filter(req, url, host_only, trace)
        if result is not None and result.action == WebAction.BLOCK.value:
            return done(result.action, result.decided_by)
        atp = self._atp_decision(req, url, host_only)
        if atp is not None:
            return done("block", atp)
        if result is None:
            return done("allow", None)
        return done(result.action, result.decided_by)

    def _filter(self, req: WebRequest, url: Url, host_only: bool, trace: list[str]
                ) -> Decision | None:
        cats: frozenset[CategoryRef] | None = None
        for i in self._selected(self._sel_filtering, req):
            policy = self._filtering[i]
            if policy.schedule is not None and req.when is not None:
                schedule = self._schedules.get(policy.schedule)
                if schedule is not None and not schedule.active(
                        req.when.weekday(), req.when.hour * 60 + req.when.minute):
                    continue
            decided = by("url-filtering-policy", policy.name, policy.span)
            exc = self.approved(policy.exceptions, url, host_only)
            if exc is not None:
                trace.append(f"{policy.name}: exception, approved list {exc!r}")
                return Decision("allow", decided)
            if cats is None:
                cats = self.url_categories(req, url, host_only)
            action = _action(self._tables[i], cats)
            trace.append(f"{policy.name}: {action.value if action else 'match-next'}")
            if action is not None:
                return Decision(action.value, decided)
        return None

    def _atp_decision(self, req: WebRequest, url: Url, host_only: bool) -> DecidedBy | None:
        if req.file_type is None:
            return None
        for i in self._selected(self._sel_atp, req):
            policy = self._atp[i]
            if self.approved(policy.exceptions, url, host_only) is not None:
                return None
            if any(file_type_matches(e, req.file_type) for e in policy.block_file_types):
                return by("atp-policy", policy.name, policy.span)
            return None
        return None

    # ---------------------------------------------------------------- the cache

    @classmethod
    def of(cls, web: WebPolicy) -> WebIndex:
        """The index of ``web``, built on first use and kept while ``web`` lives."""
        return _INDEXES.get(web, cls)


_INDEXES: PerObject[WebPolicy, WebIndex] = PerObject()


def _literal(p: UrlPattern) -> str:
    """A lower-case text every URL the entry matches contains (see :func:`iwsva_matches`)."""
    if p.kind is UrlMatchType.WEB_SITE:
        return required_literal("*" + p.stored[1:])
    return required_literal(p.stored)


def decrypted(web: WebPolicy, req: WebRequest, url: Url) -> tuple[bool, DecidedBy | None]:
    """Whether an HTTPS request is decrypted, and which object decided it."""
    return WebIndex.of(web).decrypted(req, url)


def release(web: WebPolicy) -> None:
    """Free the index of ``web`` (the next decision builds it again)."""
    _INDEXES.discard(web)


def decide(web: WebPolicy, req: WebRequest) -> Decision:
    return WebIndex.of(web).decide(req)
