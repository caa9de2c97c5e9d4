"""The reference IWSVA / IWSS web decision model (spec semantics.md §1): every list scanned
entry by entry, every policy in order. The oracle of :mod:`isc.models.iwsva`."""

from __future__ import annotations

from collections.abc import Iterable

from isc.ir.requests import DecidedBy, Decision, Url, WebRequest
from isc.ir.web import CategoryRef, UrlPattern, WebAction, WebPolicy
from isc.models.iwsva import (
    account_matches,
    by,
    file_type_matches,
    policy_action,
    predefined_ids,
)
from isc.models.urlmatch import iwsva_matches


def accounts_match(accounts: Iterable[object], req: WebRequest) -> bool:
    accounts = tuple(accounts)
    return not accounts or any(account_matches(a, req) for a in accounts)  # type: ignore[arg-type]


def schedule_active(web: WebPolicy, name: str | None, req: WebRequest) -> bool:
    if name is None or req.when is None:
        return True
    schedule = web.schedule(name)
    if schedule is None:
        return True
    return schedule.active(req.when.weekday(), req.when.hour * 60 + req.when.minute)


def first(entries: tuple[UrlPattern, ...], url: Url, host_only: bool) -> UrlPattern | None:
    return next((p for p in entries if iwsva_matches(p, url, host_only=host_only)), None)


def url_categories(web: WebPolicy, req: WebRequest, url: Url, host_only: bool
                   ) -> frozenset[CategoryRef]:
    refs = {CategoryRef(id=i) for i in predefined_ids(req)}
    for cc in web.custom_categories:
        if first(cc.entries, url, host_only) is not None:
            refs.add(CategoryRef(custom=cc.name))
    return frozenset(refs)


def _approved(web: WebPolicy, names: Iterable[str], url: Url, host_only: bool) -> str | None:
    for name in names:
        lst = web.approved_list(name)
        if lst is not None and first(lst.entries, url, host_only) is not None:
            return name
    return None


def decrypted(web: WebPolicy, req: WebRequest, url: Url) -> tuple[bool, DecidedBy | None]:
    if url.scheme != "https":
        return True, None
    if req.decrypted is not None:
        return req.decrypted, None
    tunnel = first(web.tunneling, url, True)
    if tunnel is not None:
        return False, by("https-tunneling", tunnel.stored, tunnel.span)
    for policy in web.https_decryption:
        if not policy.enabled or not accounts_match(policy.accounts, req):
            continue
        decided = by("https-decryption-policy", policy.name, policy.span)
        if _approved(web, policy.exceptions, url, True) is not None:
            return False, decided
        if policy.decrypt_all:
            return True, decided
        cats = url_categories(web, req, url, True)
        wanted = {c.category for c in policy.categories if c.decrypt}
        return bool(cats & wanted), decided
    return False, None


def decide(web: WebPolicy, req: WebRequest) -> Decision:
    url = req.parsed
    is_decrypted, _ = decrypted(web, req, url)
    host_only = not is_decrypted
    trace: list[str] = [f"decrypted={is_decrypted}"]

    def done(action: str, decided: DecidedBy | None) -> Decision:
        return Decision(action, decided, decrypted=is_decrypted, trace=tuple(trace))

    for kind, lst, action in (("global-trusted-urls", web.global_trusted, "allow"),
                              ("global-url-blocking", web.global_blocking, "block")):
        if lst is None or not lst.enabled:
            continue
        hit = first(lst.entries, url, host_only)
        if hit is not None and first(lst.exceptions, url, host_only) is None:
            return done(action, by(f"{kind}.entry", hit.stored, hit.span))
    if url.scheme == "https" and req.decrypted is None:
        tunnel = first(web.tunneling, url, True)
        if tunnel is not None:
            return done("allow", by("https-tunneling", tunnel.stored, tunnel.span))
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
        decided = by("url-filtering-policy", policy.name, policy.span)
        exc = _approved(web, policy.exceptions, url, host_only)
        if exc is not None:
            trace.append(f"{policy.name}: exception, approved list {exc!r}")
            return Decision("allow", decided)
        if cats is None:
            cats = url_categories(web, req, url, host_only)
        action = policy_action(policy, cats)
        trace.append(f"{policy.name}: {action.value if action else 'match-next'}")
        if action is not None:
            return Decision(action.value, decided)
    return None


def _atp(web: WebPolicy, req: WebRequest, url: Url, host_only: bool) -> DecidedBy | None:
    if req.file_type is None:
        return None
    for policy in web.atp:
        if not policy.enabled or not accounts_match(policy.accounts, req):
            continue
        if _approved(web, policy.exceptions, url, host_only) is not None:
            return None
        if any(file_type_matches(e, req.file_type) for e in policy.block_file_types):
            return by("atp-policy", policy.name, policy.span)
        return None
    return None
