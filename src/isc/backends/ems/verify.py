"""``isc verify`` for Email Security (see :mod:`isc.backends.verification`).

A mail decision is made by more than one object: the rule that stopped the message, every
rule that applied on the way (their modifications), the sender lists and the global
settings behind a connection-level decision. A difference is declared in a direction when
one of those objects, in the compiled output, declares that direction."""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Callable, Iterable

from isc.backends.verification import Edits, Finding, check, swept_findings
from isc.ir.common import Difference
from isc.ir.ems import EmsPolicy
from isc.ir.export import Output
from isc.ir.mail import MailPolicy
from isc.ir.requests import Decision, MailMessage
from isc.models import ems, imsva

from . import probes
from .fidelity import differences

#: Model ``decided_by`` kinds → the report kinds of the source objects they stand for
#: (global settings are named differently on the two sides, so any entry of the kind counts).
MAIL_KINDS: dict[str, tuple[str, ...]] = {
    "blocked-ip": ("sender-filtering.blocked-ip", "sender-filtering.approved-ip"),
    "blocked-sender": ("blocked-senders.entry",),
    "dkim-enforcement": ("dkim-enforcement",),
    "dkim-verification": ("dkim-enforcement",),
    "dmarc": ("dmarc",),
}

_TRACE_RULE = re.compile(r"rule ('.*'|\".*\"): [a-z-]+$")


def applied_rules(trace: Iterable[str]) -> list[str]:
    """Rule names in a mail model's trace (``... rule 'NAME': action``)."""
    names = []
    for line in trace:
        m = _TRACE_RULE.search(line)
        if m:
            with contextlib.suppress(ValueError, SyntaxError):
                names.append(str(ast.literal_eval(m.group(1))))
    return names


def _document(output: Output) -> EmsPolicy:
    doc = output.document
    if not isinstance(doc, EmsPolicy):
        raise TypeError("an ems output is needed")
    return doc


def _declared(compiled: Output) -> Callable[[MailMessage, Decision, Decision],
                                            frozenset[Difference]]:
    """What the compiled output declares of a message, from the objects that decided it or
    took part."""
    compiled_doc = _document(compiled)
    none: frozenset[Difference] = frozenset()
    by_rule: dict[str, frozenset[Difference]] = {}
    by_source: dict[tuple[str, str], frozenset[Difference]] = {}
    by_kind: dict[str, frozenset[Difference]] = {}
    for rule in compiled_doc.rules:
        by_rule[rule.name] = by_rule.get(rule.name, none) | rule.meta.directions
        if rule.meta.source is not None:
            key = (rule.meta.source.kind, rule.meta.source.name)
            by_source[key] = by_source.get(key, none) | rule.meta.directions
    for e in compiled.report:
        key = (e.source.kind, e.source.name)
        by_source[key] = by_source.get(key, none) | e.directions
        by_kind[e.source.kind] = by_kind.get(e.source.kind, none) | e.directions

    def declared(_: MailMessage, s: Decision, o: Decision) -> frozenset[Difference]:
        out: set[Difference] = set()
        for d in (s, o):
            if d.decided_by is None:
                continue
            out |= by_rule.get(d.decided_by.name, none)
            out |= by_source.get((d.decided_by.kind, d.decided_by.name), none)
            for kind in MAIL_KINDS.get(d.decided_by.kind, ()):
                out |= by_kind.get(kind, none)
        for name in applied_rules(s.trace + o.trace):  # rules that applied, not deciding
            out |= by_source.get(("mail-rule", name), none) | by_rule.get(name, none)
        if any("approved sender" in line for line in s.trace + o.trace):
            out |= by_kind.get("approved-senders.entry", none)
        for mod in {m.partition(":")[0] for m in s.modifications + o.modifications}:
            if mod in MAIL_KINDS:
                out |= by_kind.get(mod, none)
        return frozenset(out)

    return declared


def verify(mail: MailPolicy, given: Output, compiled: Output, edits: Edits,
           messages: Iterable[MailMessage]) -> list[Finding[MailMessage]]:
    """Every message the source and the given output decide differently, with what the
    compiled output declares of it."""
    given_doc, compiled_doc = _document(given), _document(compiled)
    return check(messages, lambda m: imsva.decide(mail, m),
                 lambda m: ems.decide(given_doc, m), lambda m: ems.decide(compiled_doc, m),
                 differences, _declared(compiled), edits)


def verify_swept(mail: MailPolicy, given: Output, compiled: Output, edits: Edits
                 ) -> tuple[int, list[Finding[MailMessage]]] | None:
    """:func:`verify` of compile's own pool without deciding it again, where that is exact
    (the caller found the given document equal to the compiled one; decision 159); None
    where it is not. How many messages the findings rest on, and the findings."""
    swept = compiled.swept
    if swept is None or edits:
        return None
    return swept.probes, swept_findings(swept, _declared(compiled), differences)


def edit_probes(mail: MailPolicy, given: Output, compiled: Output, edits: Edits
                ) -> list[MailMessage]:
    """Messages around edited objects (both versions): rules, sender lists, IP lists."""
    edited = {k.split(" #", 1)[0] for k in edits.keys}
    rules = {k.rsplit("/", 1)[-1] for k in edited if k.startswith("ems-rule:")}
    out: list[MailMessage] = []
    for out_doc in (given, compiled):
        doc = _document(out_doc)
        for r in doc.rules:
            if r.name in rules:
                out += probes.target_rule_probes(mail, r, doc)
        senders = [e.address for e in doc.approved_senders
                   if f"approved-sender:{e.address}" in edited]
        senders += [e.address for e in doc.blocked_senders
                    if f"blocked-sender:{e.address}" in edited]
        out += probes.sender_probes(mail, senders)
        ips = [e.value for e in doc.approved_ips if f"approved-ip:{e.value}" in edited]
        ips += [e.value for e in doc.blocked_ips if f"blocked-ip:{e.value}" in edited]
        out += probes.ip_probes(mail, ips)
    return list(dict.fromkeys(out))
