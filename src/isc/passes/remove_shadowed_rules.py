"""Remove URL filtering policies that an earlier policy always decides for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Diagnostic, Severity
from isc.ir.web import UrlFilteringPolicy, WebAction, WebPolicy

if TYPE_CHECKING:
    from isc.passes import PassContext


def _decides_everything(p: UrlFilteringPolicy) -> bool:
    """Enabled, for everyone, always, with no match-next category: nothing gets past it."""
    return (p.enabled and not p.accounts and p.schedule is None
            and all(c.action is not WebAction.MATCH_NEXT for c in p.categories))


def remove_shadowed_rules(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Policies below one that decides every request are never reached; drop them."""
    out: list[UrlFilteringPolicy] = []
    shadow: UrlFilteringPolicy | None = None
    for p in web.url_filtering:
        if shadow is not None:
            ctx.diagnostics.append(Diagnostic.at(
                "ISC2015", Severity.WARNING,
                f"url-filtering-policy \"{p.name}\" is never reached: \"{shadow.name}\" above it "
                "decides every request; removed", p.span))
            continue
        out.append(p)
        if _decides_everything(p):
            shadow = p
    return attrs.evolve(web, url_filtering=tuple(out))
