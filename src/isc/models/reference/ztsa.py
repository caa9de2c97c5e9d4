"""The reference ZTSA Internet Access decision model (spec semantics.md §2): every list,
category and rule scanned in order. The oracle of :mod:`isc.models.ztsa`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from isc.ir.requests import DecidedBy, Decision, Url, WebRequest
from isc.ir.ztsa import (
    InspectAction,
    InternetAccessRule,
    Sources,
    ZtsaPolicy,
)
from isc.models.iwsva import file_type_matches
from isc.models.urlmatch import domain_matches, ztsa_matches
from isc.models.ztsa import Identity, request_categories
from isc.models.ztsa import by as _by


def _sources_match(policy: ZtsaPolicy, src: Sources, req: WebRequest, ident: Identity) -> bool:
    if src.users and not (req.user and ident.names([req.user]) & {u.lower() for u in src.users}):
        users_hit = False
    else:
        users_hit = bool(src.users)
    groups_hit = bool(src.groups) and bool(
        ident.names(req.groups) & {g.lower() for g in src.groups})
    ip_hit = False
    if src.ip_address_groups and req.client:
        try:
            client = ipaddress.ip_address(req.client)
        except ValueError:
            client = None
        if client is not None:
            for name in src.ip_address_groups:
                group = policy.ip_group(name)
                if group is not None and any(_in(client, a) for a in group.addresses):
                    ip_hit = True
                    break
    return users_hit or groups_hit or ip_hit


def _in(client: ipaddress.IPv4Address | ipaddress.IPv6Address, address: str) -> bool:
    try:
        if "-" in address:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in address.split("-", 1))
            return lo.version == client.version and int(lo) <= int(client) <= int(hi)
        net = ipaddress.ip_network(address, strict=False)
        return client in net
    except ValueError:
        return False


def _who(policy: ZtsaPolicy, rule_sources: Sources, excludes: Sources, req: WebRequest,
         ident: Identity) -> bool:
    if not rule_sources.empty and not _sources_match(policy, rule_sources, req, ident):
        return False
    return excludes.empty or not _sources_match(policy, excludes, req, ident)


def _custom_hit(policy: ZtsaPolicy, names: Iterable[str], url: Url, host_only: bool) -> bool:
    for name in names:
        cat = policy.custom_category(name)
        if cat is not None and any(
            ztsa_matches(cat.mode, e, url, host_only=host_only) for e in cat.entries
        ):
            return True
    return False


def _url_match(policy: ZtsaPolicy, cats: tuple[str, ...], custom: tuple[str, ...],
               req_cats: frozenset[str], url: Url, host_only: bool) -> bool:
    if not cats and not custom:
        return True
    return bool(set(cats) & req_cats) or _custom_hit(policy, custom, url, host_only)


def decrypted(policy: ZtsaPolicy, req: WebRequest, url: Url, ident: Identity
              ) -> tuple[bool, DecidedBy | None]:
    if url.scheme != "https":
        return True, None
    if req.decrypted is not None:
        return req.decrypted, None
    for exc in policy.inspection_exceptions:
        if domain_matches(exc.domain, url.host, subdomains=False):
            return False, _by("inspection-exception", exc.domain, exc.meta)
    req_cats = request_categories(req)
    for rule in policy.https_inspection_rules:
        if not rule.enabled or not _who(policy, rule.sources, Sources(), req, ident):
            continue
        if _url_match(policy, rule.url_categories, rule.custom_url_categories, req_cats, url,
                      True):
            return rule.action is InspectAction.INSPECT, _by(
                "https-inspection-rule", rule.name, rule.meta)
    return True, None


def decide(policy: ZtsaPolicy, req: WebRequest, identities: Mapping[str, str] | None = None
           ) -> Decision:
    ident = Identity(identities or {})
    url = req.parsed
    is_decrypted, _ = decrypted(policy, req, url, ident)
    host_only = not is_decrypted

    def done(action: str, by: DecidedBy | None) -> Decision:
        return Decision(action, by, decrypted=is_decrypted)

    for kind, entries, action in (("url-allow-list", policy.url_allow_list, "allow"),
                                  ("url-deny-list", policy.url_deny_list, "block")):
        for entry in entries:
            if ztsa_matches(entry.mode, entry.value, url, host_only=host_only):
                return done(action, _by(kind, entry.value, entry.meta))
    req_cats = request_categories(req)
    for rule in policy.internet_access_rules:
        if rule_matches(policy, rule, req, url, host_only, req_cats, ident):
            return done(rule.action.value, _by("internet-access-rule", rule.name, rule.meta))
    return done("allow", None)


def rule_matches(policy: ZtsaPolicy, rule: InternetAccessRule, req: WebRequest, url: Url,
                 host_only: bool, req_cats: frozenset[str], ident: Identity) -> bool:
    if not rule.enabled or rule.cloud_apps:
        return False  # cloud-app rules act on application traffic, not on a URL request
    if not _who(policy, rule.sources, rule.excludes, req, ident):
        return False
    if rule.schedule is not None and req.when is not None and not rule.schedule.active(
        req.when.weekday(), req.when.hour * 60 + req.when.minute
    ):
        return False
    if not _url_match(policy, rule.url_categories, rule.custom_url_categories, req_cats, url,
                      host_only):
        return False
    if rule.file_profiles:
        if req.file_type is None:
            return False
        profiles = [policy.file_profile(n) for n in rule.file_profiles]
        return any(
            p is not None and any(file_type_matches(t, req.file_type) for t in p.true_file_types)
            for p in profiles
        )
    return True
