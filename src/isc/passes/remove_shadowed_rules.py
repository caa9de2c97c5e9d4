"""Remove URL filtering policies that earlier policies always decide for.

A policy *decides everything* for the requests its accounts match when it is enabled, has no
schedule (always active) and no *match next* category (a category it does not list is
allowed, an exception allows: either way it decides). A later policy none of whose requests
can get past such policies is never reached: every one of its accounts is covered by the
accounts of earlier policies that decide everything (:class:`~isc.models.iwsva.AccountCover`:
IP accounts by the union of earlier intervals, LDAP and host accounts only by the same
account, no accounts only by no accounts). It is removed with a warning, because an
administrator rarely means to write a policy that can never apply. Disabled policies are
left as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Severity
from isc.ir.web import UrlFilteringPolicy, WebAction, WebPolicy
from isc.models.iwsva import AccountCover

if TYPE_CHECKING:
    from isc.passes import PassContext

KIND = "url-filtering-policy"


def _decides_everything(p: UrlFilteringPolicy) -> bool:
    """Enabled, always, with no match-next category: no request it matches gets past it."""
    return (p.enabled and p.schedule is None
            and all(c.action is not WebAction.MATCH_NEXT for c in p.categories))


def _where(p: UrlFilteringPolicy) -> str:
    return f"\"{p.name}\" ({p.span})" if p.span is not None else f"\"{p.name}\""


def remove_shadowed_rules(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Drop policies whose every account is covered by earlier policies that decide every
    request they match; the ISC2015 warning names the shadowing policies and both
    positions.

    Example:
        >>> from isc.passes import PassContext
        >>> from isc.ir.web import Account, AccountKind
        >>> a = UrlFilteringPolicy("All", 1, accounts=(Account(AccountKind.IP_SUBSET,
        ...                                                     "10.0.0.0/8"),))
        >>> b = UrlFilteringPolicy("Lab", 2, accounts=(Account(AccountKind.IP, "10.1.2.3"),))
        >>> out = remove_shadowed_rules(WebPolicy(url_filtering=(a, b)), PassContext())
        >>> [p.name for p in out.url_filtering]
        ['All']
    """
    out: list[UrlFilteringPolicy] = []
    deciding: AccountCover[UrlFilteringPolicy] = AccountCover()
    for p in web.url_filtering:
        # a disabled policy never decides: it is kept as written (and the pipeline stays
        # idempotent when a merge above it joins the accounts that would cover it)
        shadows = deciding.shadowers(p.accounts) if p.enabled else None
        if shadows:
            names = ", ".join(_where(q) for q in shadows)
            ctx.change("removed", KIND, p.name, p.span,
                       f"{KIND} {_where(p)} is never reached: {names} above it "
                       f"{'decides' if len(shadows) == 1 else 'decide'} every request it "
                       "applies to; removed", kept=(KIND, shadows[0].name, shadows[0].span),
                       severity=Severity.WARNING)
            continue
        out.append(p)
        if _decides_everything(p):
            deciding.add(p.accounts, p)
    return attrs.evolve(web, url_filtering=tuple(out))
