"""The ZTSA Internet Access back-end: web IR → :class:`~isc.ir.ztsa.ZtsaPolicy` + report."""

from __future__ import annotations

from collections.abc import Callable

from isc.ir.export import Output
from isc.ir.web import WebPolicy

from .lower import Options, lower, translate_pattern

NAME = "ztsa-ia"
FILENAME = "ztsa-ia.json"

__all__ = ["FILENAME", "NAME", "Options", "compile_web", "translate_pattern"]


def compile_web(web: WebPolicy, rel: Callable[[str], str], options: Options | None = None
                ) -> Output:
    policy, report, diagnostics, identities, coverage, swept = lower(web, rel, options or Options())
    product = " ".join(x for x in (web.product, web.version) if x) or None
    return Output(NAME, policy, tuple(report), tuple(diagnostics), product, tuple(
        (dn, name, confirmed) for dn, (name, confirmed) in sorted(identities.items())),
        sweep=tuple(sorted(coverage.items())), swept=swept)
