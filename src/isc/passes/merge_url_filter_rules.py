"""Merge adjacent URL filtering policies that decide alike into one, with both accounts.

In the model (spec semantics.md §1) the first enabled policy whose accounts and schedule
match a request decides it: an exception allows, else the most restrictive action over the
URL's categories, or *match next* passes the request on. What a policy does to a request it
matches therefore depends only on its schedule, its exceptions (as a set: any one that
matches allows) and its category → action table (the last line for a category wins).

Two enabled policies with the same of all three, with no enabled policy between them, merge
into the first with the union of their accounts (no accounts is everyone, so a union with it
is everyone): a request either policy matched reaches the merged one exactly when it reached
the policy that matched it (nothing between decides), and the merged policy does to it what
that policy did. Disabled policies never match, so they do not separate two policies; the
global policy is never merged into (it stays last, as the console keeps it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.ir.web import UrlFilteringPolicy, WebPolicy, join_accounts

if TYPE_CHECKING:
    from isc.passes import PassContext

KIND = "url-filtering-policy"


def _decides(p: UrlFilteringPolicy) -> tuple[object, ...]:
    """What the policy does to a request its accounts match."""
    return (p.schedule, frozenset(p.exceptions),
            frozenset({c.category: c.action for c in p.categories}.items()))


def merge_url_filter_rules(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Merge each enabled policy into the enabled one above it when both decide alike for
    the requests they match; an ISC2015 note names both.

    Example:
        >>> from isc.passes import PassContext
        >>> from isc.ir.web import AccountKind
        >>> a = UrlFilteringPolicy("A", 1, accounts=(Account(AccountKind.IP, "10.0.0.1"),))
        >>> b = UrlFilteringPolicy("B", 2, accounts=(Account(AccountKind.IP, "10.0.0.2"),))
        >>> out = merge_url_filter_rules(WebPolicy(url_filtering=(a, b)), PassContext())
        >>> [(p.name, [x.value for x in p.accounts]) for p in out.url_filtering]
        [('A', ['10.0.0.1', '10.0.0.2'])]
    """
    out: list[UrlFilteringPolicy] = []
    above: int | None = None  # position in ``out`` of the last enabled policy
    for p in web.url_filtering:
        if not p.enabled:
            out.append(p)
            continue
        if above is not None:
            q = out[above]
            if not p.is_global and not q.is_global and _decides(q) == _decides(p):
                out[above] = attrs.evolve(q, accounts=join_accounts(q.accounts, p.accounts))
                ctx.change("merged", KIND, p.name, p.span,
                           f"{KIND} \"{p.name}\" decides like \"{q.name}\" directly above it "
                           f"for the requests it applies to; merged into it (accounts joined)",
                           kept=(KIND, q.name, q.span))
                continue
        above = len(out)
        out.append(p)
    return attrs.evolve(web, url_filtering=tuple(out))
