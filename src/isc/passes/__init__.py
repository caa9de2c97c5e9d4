"""Optimisation passes: pure functions IR → IR that never change a decision.

Each pass lives in a module of its own name and is listed here; :data:`DEFAULT_PIPELINE` is
the order :func:`isc.optimize` runs them in.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from isc.diagnostics import Diagnostic
from isc.ir.web import WebPolicy

from .merge_url_filter_rules import merge_url_filter_rules
from .remove_duplicate_entries import remove_duplicate_entries
from .remove_shadowed_rules import remove_shadowed_rules


@attrs.define
class PassContext:
    """What a pass may read besides the IR, and where it reports what it changed."""

    diagnostics: list[Diagnostic] = attrs.field(factory=list)


Pass = Callable[[WebPolicy, PassContext], WebPolicy]

PASSES: dict[str, Pass] = {
    "remove-duplicate-entries": remove_duplicate_entries,
    "merge-url-filter-rules": merge_url_filter_rules,
    "remove-shadowed-rules": remove_shadowed_rules,
}

DEFAULT_PIPELINE: tuple[str, ...] = (
    "remove-duplicate-entries",
    "merge-url-filter-rules",
    "remove-shadowed-rules",
)


def run_pipeline(web: WebPolicy, names: tuple[str, ...] | None = None,
                 ctx: PassContext | None = None) -> WebPolicy:
    ctx = ctx or PassContext()
    for name in names if names is not None else DEFAULT_PIPELINE:
        try:
            fn = PASSES[name]
        except KeyError:
            raise ValueError(f"unknown pass {name!r}; known: {', '.join(PASSES)}") from None
        web = fn(web, ctx)
    return web
