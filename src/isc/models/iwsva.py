"""The IWSVA / IWSS web decision model (spec semantics.md §1)."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from isc.ir import categories
from isc.ir.common import Span
from isc.ir.requests import DecidedBy, Decision, Url, WebRequest
from isc.ir.web import (
    Account,
    AccountKind,
    CategoryRef,
    UrlFilteringPolicy,
    UrlPattern,
    WebAction,
    WebPolicy,
)
from isc.models.urlmatch import index, iwsva_matches

UNTESTED = 90


def _by(kind: str, name: str, span: Span | None) -> DecidedBy:
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


def ldap_name(value: str) -> str:
    """The comparable form of an LDAP DN or name: lower-case, no blanks around separators."""
    return ",".join(part.strip() for part in value.split(",")).lower()


def account_matches(account: Account, req: WebRequest) -> bool:
    kind = account.kind
    if kind in (AccountKind.IP, AccountKind.IP_RANGE, AccountKind.IP_SUBSET):
        if req.client is None:
            return False
        bounds = _ip_bounds(kind, account.value)
        try:
            client = ipaddress.ip_address(req.client)
        except ValueError:
            return False
        return bounds is not None and bounds[0] == client.version and (
            bounds[1] <= int(client) <= bounds[2])
    if kind is AccountKind.LDAP_USER:
        return req.user is not None and ldap_name(req.user) == ldap_name(account.value)
    if kind is AccountKind.LDAP_GROUP:
        return any(ldap_name(g) == ldap_name(account.value) for g in req.groups)
    if kind is AccountKind.HOST:
        return req.client is not None and req.client.lower() == account.value.lower()
    return False


def accounts_match(accounts: Iterable[Account], req: WebRequest) -> bool:
    """A policy applies to its accounts; one without accounts applies to everyone."""
    accounts = tuple(accounts)
    return not accounts or any(account_matches(a, req) for a in accounts)


def schedule_active(web: WebPolicy, name: str | None, req: WebRequest) -> bool:
    if name is None or req.when is None:
        return True
    schedule = web.schedule(name)
    if schedule is None:
        return True
    return schedule.active(req.when.weekday(), req.when.hour * 60 + req.when.minute)


def predefined_ids(req: WebRequest) -> frozenset[int]:
    """The request's predefined categories as TMUFE IDs; none given means Untested."""
    ids = set()
    for c in req.categories:
        found = categories.lookup(c)
        if found is not None:
            ids.add(found.id)
    return frozenset(ids) if ids else frozenset({UNTESTED})


def _first(entries: tuple[UrlPattern, ...], url: Url, host_only: bool) -> UrlPattern | None:
    if len(entries) > 4:
        return index(entries).first(url, host_only)
    return next((p for p in entries if iwsva_matches(p, url, host_only=host_only)), None)


def url_categories(web: WebPolicy, req: WebRequest, url: Url, host_only: bool
                   ) -> frozenset[CategoryRef]:
    """Predefined categories from the caller plus the custom categories isc computes."""
    refs = {CategoryRef(id=i) for i in predefined_ids(req)}
    for cc in web.custom_categories:
        if _first(cc.entries, url, host_only) is not None:
            refs.add(CategoryRef(custom=cc.name))
    return frozenset(refs)


def _approved(web: WebPolicy, names: Iterable[str], url: Url, host_only: bool) -> str | None:
    for name in names:
        lst = web.approved_list(name)
        if lst is not None and _first(lst.entries, url, host_only) is not None:
            return name
    return None


def decrypted(web: WebPolicy, req: WebRequest, url: Url) -> tuple[bool, DecidedBy | None]:
    """Whether an HTTPS request is decrypted, and which object decided it."""
    if url.scheme != "https":
        return True, None
    if req.decrypted is not None:
        return req.decrypted, None
    tunnel = _first(web.tunneling, url, True)
    if tunnel is not None:
        return False, _by("https-tunneling", tunnel.stored, tunnel.span)
    for policy in web.https_decryption:
        if not policy.enabled or not accounts_match(policy.accounts, req):
            continue
        by = _by("https-decryption-policy", policy.name, policy.span)
        if _approved(web, policy.exceptions, url, True) is not None:
            return False, by
        if policy.decrypt_all:
            return True, by
        cats = url_categories(web, req, url, True)
        wanted = {c.category for c in policy.categories if c.decrypt}
        return bool(cats & wanted), by
    return False, None


def decide(web: WebPolicy, req: WebRequest) -> Decision:
    url = req.parsed
    is_decrypted, _ = decrypted(web, req, url)
    host_only = not is_decrypted
    trace: list[str] = [f"decrypted={is_decrypted}"]

    def done(action: str, by: DecidedBy | None) -> Decision:
        return Decision(action, by, decrypted=is_decrypted, trace=tuple(trace))

    # 1-2. global trusted, then global blocking (exceptions win within a list)
    for kind, lst, action in (("global-trusted-urls", web.global_trusted, "allow"),
                              ("global-url-blocking", web.global_blocking, "block")):
        if lst is None or not lst.enabled:
            continue
        hit = _first(lst.entries, url, host_only)
        if hit is not None and _first(lst.exceptions, url, host_only) is None:
            return done(action, _by(f"{kind}.entry", hit.stored, hit.span))
    # 3. tunneled hosts bypass URL filtering for everyone
    if url.scheme == "https" and req.decrypted is None:
        tunnel = _first(web.tunneling, url, True)
        if tunnel is not None:
            return done("allow", _by("https-tunneling", tunnel.stored, tunnel.span))
    # 4. URL filtering, then 5. ATP on what filtering let through
    result = _filter(web, req, url, host_only, trace)
    if result is not None and result.action == WebAction.BLOCK.value:
        return done(result.action, result.decided_by)
    atp = _atp(web, req, url, host_only)
    if atp is not None:
        return done("block", atp)
    if result is None:
        return done("allow", None)
    return done(result.action, result.decided_by)


def _filter(web: WebPolicy, req: WebRequest, url: Url, host_only: bool, trace: list[str]
            ) -> Decision | None:
    cats: frozenset[CategoryRef] | None = None
    for policy in web.url_filtering:
        if not policy.enabled or not accounts_match(policy.accounts, req):
            continue
        if not schedule_active(web, policy.schedule, req):
            continue
        by = _by("url-filtering-policy", policy.name, policy.span)
        exc = _approved(web, policy.exceptions, url, host_only)
        if exc is not None:
            trace.append(f"{policy.name}: exception, approved list {exc!r}")
            return Decision("allow", by)
        if cats is None:
            cats = url_categories(web, req, url, host_only)
        action = policy_action(policy, cats)
        trace.append(f"{policy.name}: {action.value if action else 'match-next'}")
        if action is not None:
            return Decision(action.value, by)
    return None


def policy_action(policy: UrlFilteringPolicy, cats: frozenset[CategoryRef]) -> WebAction | None:
    """The most restrictive non-match-next action over ``cats``; None if all are match-next.
    A category the policy does not list is allowed."""
    listed = {c.category: c.action for c in policy.categories}
    actions = [listed.get(c, WebAction.ALLOW) for c in cats]
    decisive = [a for a in actions if a is not WebAction.MATCH_NEXT]
    if not decisive:
        return None
    return max(decisive, key=lambda a: a.restrictiveness)


def file_type_matches(entry: str, file_type: str) -> bool:
    """``executables`` covers ``executables/exe``; ``compressed/7z`` only itself."""
    e, f = entry.strip().lower(), file_type.strip().lower()
    return f == e or f.startswith(e + "/") or f.rsplit("/", 1)[-1] == e


def _atp(web: WebPolicy, req: WebRequest, url: Url, host_only: bool) -> DecidedBy | None:
    if req.file_type is None:
        return None
    for policy in web.atp:
        if not policy.enabled or not accounts_match(policy.accounts, req):
            continue
        if _approved(web, policy.exceptions, url, host_only) is not None:
            return None
        if any(file_type_matches(e, req.file_type) for e in policy.block_file_types):
            return _by("atp-policy", policy.name, policy.span)
        return None
    return None
