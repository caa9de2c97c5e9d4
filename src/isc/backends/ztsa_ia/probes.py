"""Probe requests: the finite sample on which source and target models are compared.

Probes are derived from the objects themselves (their patterns, accounts, schedules,
categories), so that every boundary a translation can move is exercised.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Iterator

from isc.ir.requests import WebRequest
from isc.ir.web import Account, AccountKind, UrlMatchType, UrlPattern, WebPolicy

#: A Monday, so weekday() == 0.
_MONDAY = dt.datetime(2024, 1, 1)


_STAR, _QUESTION = re.compile(r"%2a", re.IGNORECASE), re.compile(r"%3f", re.IGNORECASE)


def _literal(pattern: str, fill: str) -> str:
    text = _QUESTION.sub("?", _STAR.sub("*", pattern)) if "%" in pattern else pattern
    return text.replace("*", fill).replace("?", "a")


def pattern_urls(p: UrlPattern) -> list[str]:
    """URLs on both sides of an entry's boundary (formats.md §2 examples included)."""
    stored = p.stored
    out: list[str] = []
    if p.kind is UrlMatchType.WEB_SITE:
        body = stored[1:]
        for fill in ("", "x"):
            lit = _literal(body, fill)
            host, _, rest = lit.partition("/")
            path = "/" + rest if rest else "/"
            for prefix in ("", "www.", "test"):
                out.append(f"http://{prefix}{host}{path}")
                out.append(f"https://{prefix}{host}{path}")
            out.append(f"http://{host}{path.rstrip('/')}/index.html")
            out.append(f"http://{host}.other.example{path}")
            out.append(f"http://other.example/{host}{path}")
    elif p.kind is UrlMatchType.KEYWORD:
        for fill in ("", "x"):
            kw = _literal(stored.strip("*"), fill)
            out += [f"http://www.{kw}.example/", f"http://example.org/a/{kw}/b.html",
                    f"https://{kw}.example.net/", f"http://example.org/?q={kw}"]
    else:
        for fill in ("", "x"):
            lit = _literal(stored, fill)
            url = lit if "://" in lit else f"http://{lit.lstrip('/')}"
            out += [url, url.rstrip("/") + "/more.html", url.replace("http://", "https://", 1)]
            if "://" not in lit:
                out.append(f"https://{lit.lstrip('/')}")
    out.append("http://unrelated.example.invalid/")
    return list(dict.fromkeys(out))


def account_identities(accounts: Iterable[Account]) -> list[dict[str, object]]:
    """Request identity fields that hit each account (and the addresses just outside each
    range), plus one that hits none: no identity at all."""
    out: list[dict[str, object]] = []
    for a in accounts:
        if a.kind is AccountKind.IP:
            out.append({"client": a.value})
        elif a.kind is AccountKind.IP_RANGE:
            lo, hi = a.value.split("-", 1)
            out += [{"client": lo}, {"client": hi}]
            before = _step(lo, -1)
            if before:
                out.append({"client": before})
        elif a.kind is AccountKind.IP_SUBSET:
            net = ipaddress.ip_network(a.value, strict=False)
            out += [{"client": str(net.network_address)}, {"client": str(net[-1])}]
            after = _step(str(net[-1]), 1)
            if after:
                out.append({"client": after})
        elif a.kind is AccountKind.LDAP_USER:
            out.append({"user": a.value})
        elif a.kind is AccountKind.LDAP_GROUP:
            out.append({"groups": (a.value,)})
        elif a.kind is AccountKind.HOST:
            out.append({"client": a.value})
    # a request with no client, user or group misses every account, as one from outside
    # them all does: no made-up address or DN ends up in a witness
    out.append({})
    return out


def _step(address: str, delta: int) -> str | None:
    try:
        return str(ipaddress.ip_address(address) + delta)
    except (ValueError, ipaddress.AddressValueError):
        return None


def schedule_times(web: WebPolicy, names: Iterable[str | None]) -> list[dt.datetime | None]:
    """Instants at every schedule edge of the named schedules (None: always)."""
    out: list[dt.datetime | None] = [None]
    for name in names:
        if name is None:
            continue
        sched = web.schedule(name)
        if sched is None:
            continue
        for day in range(7):
            for start, end in sched.intervals:
                for minute in (start, end - 1, end % 1440, (start - 1) % 1440):
                    out.append(_MONDAY + dt.timedelta(days=day, minutes=minute))
    return list(dict.fromkeys(out))


def combine(urls: list[str], identities: list[dict[str, object]],
            categories: list[tuple[str | int, ...]], times: list[dt.datetime | None],
            file_types: list[str | None] | None = None) -> Iterator[WebRequest]:
    """A covering sample, not the full product: every URL with the first few category sets,
    every identity with every category set, every instant and file type with every identity.
    Each dimension's boundaries are crossed with the dimensions it interacts with most."""
    fts = file_types or [None]
    seen: set[tuple[object, ...]] = set()

    def make(url: str, ident: dict[str, object], cats: tuple[str | int, ...],
             when: dt.datetime | None, ft: str | None) -> Iterator[WebRequest]:
        key = (url, tuple(sorted(ident.items(), key=str)), cats, when, ft)
        if key in seen:
            return
        seen.add(key)
        yield WebRequest(
            url, client=ident.get("client"),  # type: ignore[arg-type]
            user=ident.get("user"),  # type: ignore[arg-type]
            groups=ident.get("groups", ()),  # type: ignore[arg-type]
            categories=cats, when=when, file_type=ft,
        )

    for url in urls:
        for ident in identities[:1] + identities[-1:]:
            for cats in categories[:3]:
                yield from make(url, ident, cats, times[0], fts[0])
    for ident in identities:
        for cats in categories:
            yield from make(urls[0], ident, cats, times[0], fts[0])
        for when in times:
            yield from make(urls[0], ident, categories[0], when, fts[0])
        for ft in fts:
            for url in urls[:8]:
                yield from make(url, ident, categories[0], times[0], ft)


def policy_probes(urls: list[str], identities: list[dict[str, object]],
                  categories: list[tuple[str | int, ...]], times: list[dt.datetime | None]
                  ) -> list[WebRequest]:
    """The probes of one URL filtering policy against its rules. The rules of one policy
    share its accounts, so categories are not crossed with every identity (as
    :func:`combine` does): every URL and every category set with one identity that hits an
    account and with none, every identity with the first category sets, every instant with
    those two identities. The cost grows with the policy, not with the product."""
    hit, none = identities[0], identities[-1]
    pairs = [(hit, c) for c in categories[:3]] + [(none, c) for c in categories[:3]]
    out: list[tuple[str, dict[str, object], tuple[str | int, ...], dt.datetime | None]] = []
    out += [(u, i, c, times[0]) for u in urls for i, c in pairs]
    out += [(urls[0], i, c, times[0]) for c in categories for i in (hit, none)]
    out += [(urls[0], i, c, times[0]) for i in identities for c in categories[:2]]
    out += [(urls[0], i, c, t) for t in times for i in (hit, none) for c in categories[:2]]
    seen: set[tuple[object, ...]] = set()
    reqs: list[WebRequest] = []
    for url, ident, cats, when in out:
        key = (url, tuple(sorted(ident.items(), key=str)), cats, when)
        if key in seen:
            continue
        seen.add(key)
        reqs.append(WebRequest(
            url, client=ident.get("client"),  # type: ignore[arg-type]
            user=ident.get("user"),  # type: ignore[arg-type]
            groups=ident.get("groups", ()),  # type: ignore[arg-type]
            categories=cats, when=when))
    return reqs


#: Probes the whole-policy sweep decides beyond one per object (the covering sample).
POOL_BASE = 4000
#: Entries of one custom category or approved list that the sweep probes.
_PER_LIST = 4


def first_url(p: UrlPattern) -> str:
    """The first URL of :func:`pattern_urls` (one the entry matches), without the others."""
    stored = p.stored
    if p.kind is UrlMatchType.WEB_SITE:
        host, _, rest = _literal(stored[1:], "").partition("/")
        return f"http://{host}{'/' + rest if rest else '/'}"
    if p.kind is UrlMatchType.KEYWORD:
        return f"http://www.{_literal(stored.strip('*'), '')}.example/"
    lit = _literal(stored, "")
    return lit if "://" in lit else f"http://{lit.lstrip('/')}"


def _patterns(web: WebPolicy) -> list[UrlPattern]:
    patterns: list[UrlPattern] = list(web.tunneling)
    for lst in (web.global_trusted, web.global_blocking):
        if lst is not None:
            patterns += list(lst.entries) + list(lst.exceptions)
    for cc in web.custom_categories:
        patterns += list(cc.entries)
    for al in web.approved_lists:
        patterns += list(al.entries)
    return patterns


def policy_pool(web: WebPolicy, *, limit: int | None = None, seed: int = 0) -> list[WebRequest]:
    """Requests around every object of a whole policy: one per global-list or tunneling entry
    (a URL it matches), a few per custom category and approved list (URLs of some of its
    entries), a few per policy (its accounts, categories and schedule edges), then a seeded
    covering sample of the rest. Without ``limit`` the budget is :data:`POOL_BASE` plus one per
    object, so every object is exercised and the cost grows linearly with the policy; with
    a smaller ``limit`` the probes are a sample of those of the same ``seed`` (which also
    draws each list's entries).

    ``compile`` sweeps this pool to find interactions between objects, and ``verify`` uses the
    same pool by default, so what one finds the other has declared.
    """
    import random

    rnd = random.Random(seed)
    patterns = _patterns(web)
    # one probe per object: each global-list entry and exception and tunneling entry is an
    # object of the report; a custom category or approved list is one, so a few of its
    # entries stand for it (its entries' own directions come from their shapes)
    probed: list[UrlPattern] = list(web.tunneling)
    for lst in (web.global_trusted, web.global_blocking):
        if lst is not None:
            probed += list(lst.entries) + list(lst.exceptions)
    lists: list[tuple[UrlPattern, ...]] = [c.entries for c in web.custom_categories]
    lists += [a.entries for a in web.approved_lists]
    for entries in lists:
        probed += entries if len(entries) <= _PER_LIST else rnd.sample(entries, _PER_LIST)
    mandatory: list[WebRequest] = [WebRequest(u) for u in dict.fromkeys(
        first_url(p) for p in probed)]
    accounts: list[Account] = []
    cats: list[tuple[str | int, ...]] = [(90,), ()]
    for policies in (web.url_filtering, web.https_decryption, web.atp):
        for pol in policies:
            accounts += list(pol.accounts)
    for uf in web.url_filtering:
        own: list[tuple[str | int, ...]] = [(c.category.id,) for c in uf.categories
                                             if c.category.id is not None]
        cats += own
        # one category of each action the policy takes, so that every rule is reached
        per_action: dict[object, tuple[str | int, ...]] = {}
        for c in uf.categories:
            if c.category.id is not None:
                per_action.setdefault(c.action, (c.category.id,))
        mandatory += combine(["http://www.example.com/"], account_identities(uf.accounts),
                             list(per_action.values()) or [(90,)],
                             schedule_times(web, [uf.schedule])[:3])
    cats = list(dict.fromkeys(cats))
    identities = account_identities(list(dict.fromkeys(accounts)))
    identities = identities[-1:] + identities[:-1]
    if len(identities) > 100:  # the covering sample's share: each account has its own above
        identities = identities[:1] + rnd.sample(identities[1:], 99)
    times = schedule_times(web, [uf.schedule for uf in web.url_filtering])
    fts: list[str | None] = [None]
    for atp in web.atp:
        fts += list(atp.block_file_types)
    fts = list(dict.fromkeys(fts))
    sample = patterns if len(patterns) <= 200 else rnd.sample(patterns, 200)
    urls = ["http://www.example.com/", "https://www.example.com/private/x"]
    for p in sample:
        urls += pattern_urls(p)
    extra = list(combine(list(dict.fromkeys(urls)), identities, cats, times, fts))
    budget = limit if limit is not None else POOL_BASE + len(mandatory)
    pool = list(dict.fromkeys(mandatory))
    if len(pool) >= budget:
        return rnd.sample(pool, budget)
    seen = set(pool)
    extra = [r for r in extra if r not in seen]
    pool += extra if len(extra) <= budget - len(pool) else rnd.sample(extra, budget - len(pool))
    return pool
