"""Drop repeated entries from URL lists and categories (a repeat can never decide)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from isc.ir.web import UrlList, UrlPattern, WebPolicy

if TYPE_CHECKING:
    from isc.passes import PassContext


def _dedupe(entries: tuple[UrlPattern, ...], ctx: PassContext, kind: str
            ) -> tuple[UrlPattern, ...]:
    seen: dict[str, UrlPattern] = {}
    out: list[UrlPattern] = []
    for p in entries:
        first = seen.get(p.stored)
        if first is not None:
            ctx.change("removed", kind, p.stored, p.span,
                       f"repeated entry {p.stored!r} removed",
                       kept=(kind, first.stored, first.span))
            continue
        seen[p.stored] = p
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
    def lst(x: UrlList | None, kind: str) -> UrlList | None:
        if x is None:
            return None
        return attrs.evolve(x, entries=_dedupe(x.entries, ctx, f"{kind}.entry"),
                            exceptions=_dedupe(x.exceptions, ctx, f"{kind}.exception"))

    return attrs.evolve(
        web,
        tunneling=_dedupe(web.tunneling, ctx, "https-tunneling.entry"),
        global_blocking=lst(web.global_blocking, "global-url-blocking"),
        global_trusted=lst(web.global_trusted, "global-trusted-urls"),
        custom_categories=tuple(attrs.evolve(c, entries=_dedupe(c.entries, ctx,
                                                                "custom-category.entry"))
                                for c in web.custom_categories),
        approved_lists=tuple(attrs.evolve(a, entries=_dedupe(a.entries, ctx,
                                                             "approved-list.entry"))
                             for a in web.approved_lists),
    )
