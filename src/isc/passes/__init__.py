"""Optimisation passes: pure functions IR → IR that never change a decision.

Each pass lives in a module of its own name and is listed here; :data:`DEFAULT_PIPELINE` is
the order :func:`isc.optimize` runs the web passes in, :data:`DEFAULT_MAIL_PIPELINE` the
order of the mail passes (:func:`run_mail_pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from isc.diagnostics import Diagnostic
from isc.ir.mail import MailPolicy
from isc.ir.web import WebPolicy

from .merge_content_filter_rules import merge_content_filter_rules
from .merge_url_filter_rules import merge_url_filter_rules
from .remove_duplicate_entries import remove_duplicate_entries
from .remove_duplicate_mail_entries import remove_duplicate_mail_entries
from .remove_shadowed_mail_rules import remove_shadowed_mail_rules
from .remove_shadowed_rules import remove_shadowed_rules

T = TypeVar("T")


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


def _run(ir: T, registry: Mapping[str, Callable[[T, PassContext], T]],
         names: tuple[str, ...], ctx: PassContext | None, what: str) -> T:
    ctx = ctx or PassContext()
    for name in names:
        try:
            fn = registry[name]
        except KeyError:
            raise ValueError(f"unknown {what} {name!r}; known: "
                             f"{', '.join(registry)}") from None
        ir = fn(ir, ctx)
    return ir


def run_pipeline(web: WebPolicy, names: tuple[str, ...] | None = None,
                 ctx: PassContext | None = None) -> WebPolicy:
    """Run the web passes ``names`` (default :data:`DEFAULT_PIPELINE`) in order."""
    return _run(web, PASSES, DEFAULT_PIPELINE if names is None else names, ctx, "pass")


MailPass = Callable[[MailPolicy, PassContext], MailPolicy]

MAIL_PASSES: dict[str, MailPass] = {
    "remove-duplicate-mail-entries": remove_duplicate_mail_entries,
    "remove-shadowed-mail-rules": remove_shadowed_mail_rules,
    "merge-content-filter-rules": merge_content_filter_rules,
}

# Shadowed rules go before merging: removing a rule can make two others adjacent, while
# merging never makes a rule shadow more than one of the two did (the pipeline is then
# idempotent).
DEFAULT_MAIL_PIPELINE: tuple[str, ...] = (
    "remove-duplicate-mail-entries",
    "remove-shadowed-mail-rules",
    "merge-content-filter-rules",
)


def run_mail_pipeline(mail: MailPolicy, names: tuple[str, ...] | None = None,
                      ctx: PassContext | None = None) -> MailPolicy:
    """Run the mail passes ``names`` (default :data:`DEFAULT_MAIL_PIPELINE`) in order."""
    return _run(mail, MAIL_PASSES, DEFAULT_MAIL_PIPELINE if names is None else names, ctx,
                "mail pass")
