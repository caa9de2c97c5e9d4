"""The Email Security back-end: mail IR → :class:`~isc.ir.ems.EmsPolicy` + report."""

from __future__ import annotations

from collections.abc import Callable

from isc.ir.export import Output
from isc.ir.mail import MailPolicy

from .lower import Options, lower

NAME = "ems"
FILENAME = "ems.json"

__all__ = ["FILENAME", "NAME", "Options", "compile_mail"]


def compile_mail(mail: MailPolicy, rel: Callable[[str], str], options: Options | None = None
                 ) -> Output:
    """Translate an IMSVA / IMSS policy for EmS; ``rel`` maps a file shown to the user to
    the path output documents cite."""
    policy, report, diagnostics, coverage, swept = lower(mail, rel, options or Options())
    return Output(NAME, policy, tuple(report), tuple(diagnostics), policy.product,
                  sweep=tuple(sorted(coverage.items())), swept=swept)
