"""Merge a URL filtering policy into the one above it when it can never decide differently."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Diagnostic, Severity
from isc.ir.web import UrlFilteringPolicy, WebPolicy

if TYPE_CHECKING:
    from isc.passes import PassContext


def _scope(p: UrlFilteringPolicy) -> tuple[object, ...]:
    return (p.enabled, frozenset(p.accounts), p.schedule, frozenset(p.exceptions),
            # the last line for a category wins, as in the model
            frozenset({c.category: c.action for c in p.categories}.items()), p.is_global)


def merge_url_filter_rules(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """A policy directly below one with the same accounts, schedule, exceptions and category
    actions is only reached when the first one matched-next, and then matches-next too; it is
    merged away; an ISC2015 diagnostic names it in the report.
    """
    out: list[UrlFilteringPolicy] = []
    for p in web.url_filtering:
        if out and not p.is_global and _scope(out[-1]) == _scope(p):
            ctx.diagnostics.append(Diagnostic.at(
                "ISC2015", Severity.NOTE,
                f"url-filtering-policy \"{p.name}\" decides like \"{out[-1].name}\" above it; "
                "merged", p.span))
            continue
        out.append(p)
    return attrs.evolve(web, url_filtering=tuple(out))
