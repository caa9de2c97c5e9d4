"""Optimisation passes: pure functions IR → IR that never change a decision.

Each pass lives in a module of its own name and is listed here; :data:`DEFAULT_PIPELINE` is
the order :func:`isc.optimize` runs the web passes in, :data:`DEFAULT_MAIL_PIPELINE` the
order of the mail passes (:func:`run_mail_pipeline`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs

from isc.diagnostics import Diagnostic, Severity, Span
from isc.ir.common import PassChange
from isc.ir.mail import MailPolicy
from isc.ir.web import WebPolicy

from .collapse_accounts import collapse_accounts
from .merge_content_filter_rules import merge_content_filter_rules
from .merge_decryption_policies import merge_decryption_policies
from .merge_keyword_lists import merge_keyword_lists
from .merge_url_filter_rules import merge_url_filter_rules
from .remove_duplicate_entries import remove_duplicate_entries
from .remove_duplicate_mail_entries import remove_duplicate_mail_entries
from .remove_shadowed_mail_rules import remove_shadowed_mail_rules
from .remove_shadowed_rules import remove_shadowed_rules
from .remove_subsumed_entries import remove_subsumed_entries
from .remove_subsumed_mail_addresses import remove_subsumed_mail_addresses

T = TypeVar("T")


@attrs.define
class PassContext:
    """What a pass may read besides the IR, and where it reports what it changed.

    A pass reports each object it removes or merges with :meth:`change`: one
    :class:`~isc.ir.common.PassChange` for report.json and one ``ISC2015`` diagnostic (a
    warning where the source is likely wrong, a never-reached policy). ``seconds`` is what
    each pass took (the benchmark prints it; nothing written depends on it)."""

    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    changes: list[PassChange] = attrs.field(factory=list)
    current: str = ""
    seconds: dict[str, float] = attrs.field(factory=dict)
    #: Told each pass's name as it starts (a terminal's status line; nothing else).
    progress: Callable[[str], None] | None = attrs.field(default=None, eq=False)

    def change(self, action: str, kind: str, name: str, span: Span | None, message: str,
               *, kept: tuple[str, str, Span | None] | None = None,
               severity: Severity = Severity.NOTE) -> None:
        """Record that the current pass ``removed`` or ``merged`` the object ``kind``
        ``name`` at ``span``; ``kept`` is the (kind, name, span) of the object that keeps
        its meaning; ``message`` says why, in a sentence naming both."""
        k_kind, k_name, k_span = kept if kept is not None else (None, None, None)
        self.changes.append(PassChange(self.current, action, kind, name, span, message,
                                       k_kind, k_name, k_span))
        # the file by its name only: a path as shown differs between a directory and an
        # archive of it, and report.json must not (``optimization`` has the path proper)
        notes = (f"kept: {k_kind} \"{k_name}\" at "
                 f"{k_span.file.rsplit(':', 1)[-1].rsplit('/', 1)[-1]}:{k_span.line}",
                 ) if k_span is not None else ()
        self.diagnostics.append(Diagnostic.at("ISC2015", severity, message, span, notes))


Pass = Callable[[WebPolicy, PassContext], WebPolicy]

PASSES: dict[str, Pass] = {
    "remove-duplicate-entries": remove_duplicate_entries,
    "remove-subsumed-entries": remove_subsumed_entries,
    "remove-shadowed-rules": remove_shadowed_rules,
    "merge-url-filter-rules": merge_url_filter_rules,
    "merge-decryption-policies": merge_decryption_policies,
    "collapse-accounts": collapse_accounts,
}

# Shadowed policies go before merging: a merge joins the accounts of two policies that
# decide alike, so it never covers more than the two did, while a removal can make two
# others adjacent; accounts are collapsed last, after the merges joined them (the pipeline
# is then idempotent).
DEFAULT_PIPELINE: tuple[str, ...] = (
    "remove-duplicate-entries",
    "remove-subsumed-entries",
    "remove-shadowed-rules",
    "merge-url-filter-rules",
    "merge-decryption-policies",
    "collapse-accounts",
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
        ctx.current = name
        if ctx.progress is not None:
            ctx.progress(f"optimising: {name}")
        start = time.perf_counter()
        ir = fn(ir, ctx)
        ctx.seconds[name] = ctx.seconds.get(name, 0.0) + time.perf_counter() - start
    ctx.current = ""
    return ir


def run_pipeline(web: WebPolicy, names: tuple[str, ...] | None = None,
                 ctx: PassContext | None = None) -> WebPolicy:
    """Run the web passes ``names`` (default :data:`DEFAULT_PIPELINE`) in order."""
    return _run(web, PASSES, DEFAULT_PIPELINE if names is None else names, ctx, "pass")


MailPass = Callable[[MailPolicy, PassContext], MailPolicy]

MAIL_PASSES: dict[str, MailPass] = {
    "remove-duplicate-mail-entries": remove_duplicate_mail_entries,
    "remove-subsumed-mail-addresses": remove_subsumed_mail_addresses,
    "merge-keyword-lists": merge_keyword_lists,
    "remove-shadowed-mail-rules": remove_shadowed_mail_rules,
    "merge-content-filter-rules": merge_content_filter_rules,
}

# Shadowed rules go before merging: removing a rule can make two others adjacent, while
# merging never makes a rule shadow more than one of the two did (the pipeline is then
# idempotent).
DEFAULT_MAIL_PIPELINE: tuple[str, ...] = (
    "remove-duplicate-mail-entries",
    "remove-subsumed-mail-addresses",
    "merge-keyword-lists",
    "remove-shadowed-mail-rules",
    "merge-content-filter-rules",
)


def run_mail_pipeline(mail: MailPolicy, names: tuple[str, ...] | None = None,
                      ctx: PassContext | None = None) -> MailPolicy:
    """Run the mail passes ``names`` (default :data:`DEFAULT_MAIL_PIPELINE`) in order."""
    return _run(mail, MAIL_PASSES, DEFAULT_MAIL_PIPELINE if names is None else names, ctx,
                "mail pass")


def describe() -> dict[str, tuple[str, str]]:
    """Every pass by name, default ones first in pipeline order: its product (``web`` or
    ``mail``) and the first line of its module's docstring."""
    out: dict[str, tuple[str, str]] = {}
    for product, registry, default in (("web", PASSES, DEFAULT_PIPELINE),
                                       ("mail", MAIL_PASSES, DEFAULT_MAIL_PIPELINE)):
        for name in (*default, *(n for n in registry if n not in default)):
            doc = sys.modules[registry[name].__module__].__doc__ or ""  # type: ignore[attr-defined]
            out[name] = (product, doc.strip().splitlines()[0] if doc.strip() else "")
    return out


def is_default(name: str) -> bool:
    return name in DEFAULT_PIPELINE or name in DEFAULT_MAIL_PIPELINE
