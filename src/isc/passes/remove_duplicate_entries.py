"""Drop repeated entries from URL lists and categories (a repeat can never decide)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.diagnostics import Diagnostic, Severity
from isc.ir.web import UrlList, UrlPattern, WebPolicy

if TYPE_CHECKING:
    from isc.passes import PassContext


def _dedupe(entries: tuple[UrlPattern, ...], ctx: PassContext) -> tuple[UrlPattern, ...]:
    seen: set[str] = set()
    out: list[UrlPattern] = []
    for p in entries:
        if p.stored in seen:
            ctx.diagnostics.append(Diagnostic.at(
                "ISC2015", Severity.NOTE, f"repeated entry {p.stored!r} removed", p.span))
            continue
        seen.add(p.stored)
        out.append(p)
    return tuple(out)


def remove_duplicate_entries(web: WebPolicy, ctx: PassContext) -> WebPolicy:
    """Remove entries that repeat an earlier entry of the same list.

    Example:
        >>> from isc.passes import PassContext
        >>> w = WebPolicy(tunneling=(UrlPattern("@a.example*"), UrlPattern("@a.example*")))
        >>> len(remove_duplicate_entries(w, PassContext()).tunneling)
        1
    """
    def lst(x: UrlList | None) -> UrlList | None:
        if x is None:
            return None
        return attrs.evolve(x, entries=_dedupe(x.entries, ctx),
                            exceptions=_dedupe(x.exceptions, ctx))

    return attrs.evolve(
        web,
        tunneling=_dedupe(web.tunneling, ctx),
        global_blocking=lst(web.global_blocking),
        global_trusted=lst(web.global_trusted),
        custom_categories=tuple(attrs.evolve(c, entries=_dedupe(c.entries, ctx))
                                for c in web.custom_categories),
        approved_lists=tuple(attrs.evolve(a, entries=_dedupe(a.entries, ctx))
                             for a in web.approved_lists),
    )
