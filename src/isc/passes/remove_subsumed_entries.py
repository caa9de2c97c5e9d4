"""Drop URL list entries that another entry of the same list covers (issue 11).

Every use of a URL list asks only whether *some* entry of it matches: a custom category is
one of the request's categories, an approved list excepts, a global list (or its exceptions)
hits, a tunneling entry keeps a host undecrypted (``models/iwsva.py``: ``matches`` records
per list the first entry that matches, and the decision reads whether there is one). So an
entry that matches only URLs another entry of its list matches never changes whether the
list matches, for either ``host_only`` setting, and can go. Only the entry a decision names
(``decided_by`` of a global list or tunneling hit) may change; the action and the HTTPS
decryption do not.

Which entries cover which is :func:`isc.models.urlinclusion.subsumers`: exact where it says
so (it proves the inclusion, never samples), near-linear in the list, keeping the first of
entries that match the same URLs and always an entry that covers each one dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from isc import workers
from isc.ir.web import UrlList, UrlPattern, WebPolicy
from isc.models.urlinclusion import subsumers

if TYPE_CHECKING:
    from isc.passes import PassContext


#: Entries from which the lists are worked out on both cores (``isc.workers``).
_MIN_SPLIT = 20_000

Keepers = Callable[[tuple[UrlPattern, ...]], list[int | None]]


def _prune(entries: tuple[UrlPattern, ...], kind: str, label: str, ctx: PassContext,
           keepers_of: Keepers) -> tuple[UrlPattern, ...]:
    """The entries no other entry of the list covers, reporting each one dropped."""
    if len(entries) < 2:
        return entries
    keepers = keepers_of(entries)
    if all(k is None for k in keepers):
        return entries
    out: list[UrlPattern] = []
    for entry, k in zip(entries, keepers, strict=True):
        if k is None:
            out.append(entry)
            continue
        keeper = entries[k]
        span = keeper.span
        where = f" (line {span.line})" if span is not None else ""
        ctx.change("removed", kind, entry.stored, entry.span,
                   f"{label} {entry.stored!r} is matched only where {keeper.stored!r}{where} "
                   "matches; removed",
                   kept=(kind, keeper.stored, span))
    return tuple(out)


def _url_list(lst: UrlList | None, name: str, ctx: PassContext, keepers_of: Keepers
              ) -> UrlList | None:
    if lst is None:
        return None
    entries = _prune(lst.entries, f"{name}.entry", f"{name} entry", ctx, keepers_of)
    exceptions = _prune(lst.exceptions, f"{name}.exception", f"{name} exception", ctx,
                        keepers_of)
    if entries is lst.entries and exceptions is lst.exceptions:
        return lst
    return attrs.evolve(lst, entries=entries, exceptions=exceptions)


def remove_subsumed_entries(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Remove each entry of a URL list whose matched URLs another entry of the same list
    matches too (lists: each custom category, each approved list, Global URL Blocking and
    its exceptions, Global Trusted URLs and its exceptions, HTTPS tunneling).

    Example:
        >>> from isc.passes import PassContext
        >>> w = WebPolicy(tunneling=(UrlPattern("@www.a.example*"), UrlPattern("@a.example*")))
        >>> [p.stored for p in remove_subsumed_entries(w, PassContext()).tunneling]
        ['@a.example*']
    """
    keepers_of = _all_keepers(web)
    return attrs.evolve(
        web,
        custom_categories=tuple(
            attrs.evolve(c, entries=_prune(c.entries, "custom-category.entry",
                                           f'custom-category "{c.name}" entry', ctx,
                                           keepers_of))
            for c in web.custom_categories),
        approved_lists=tuple(
            attrs.evolve(a, entries=_prune(a.entries, "approved-list.entry",
                                           f'approved-list "{a.name}" entry', ctx,
                                           keepers_of))
            for a in web.approved_lists),
        global_blocking=_url_list(web.global_blocking, "global-url-blocking", ctx,
                                  keepers_of),
        global_trusted=_url_list(web.global_trusted, "global-trusted-urls", ctx, keepers_of),
        tunneling=_prune(web.tunneling, "https-tunneling.entry", "https-tunneling entry", ctx,
                         keepers_of),
    )


def _all_keepers(web: WebPolicy) -> Keepers:
    """Every list's :func:`subsumers`, worked out first, on both cores for an estate (the
    lists are independent; each result is a list of positions, cheap to send back)."""
    # by identity: hashing a list's tuple hashes every entry, and the lists stay alive here
    todo = list({id(e): e for e in web.url_lists() if len(e) >= 2}.values())
    many = sum(map(len, todo)) >= _MIN_SPLIT
    found = dict(zip(map(id, todo), workers.map_items(
        subsumers, todo, min_split=2 if many else None, alternate=True), strict=True))
    return lambda entries: found[id(entries)]
