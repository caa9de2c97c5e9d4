"""Fidelity tags computed by running the IMSVA and EmS mail models (spec semantics.md §5).

A mail decision is an action plus the modifications made on the way. Actions are ranked by
how much they keep a message from its recipient (docs/targets/ems.md §4):

    deliver, deliver-now  <  change-recipient, handoff  <  quarantine  <  delete

A target that stops more mail than its source is *narrowed*, one that stops less is
*broadened*; the same level with a different action, or the same action with different
modifications (compared as sets: the models keep each modification once), is
*approximated*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from isc.ir.common import Fidelity
from isc.ir.ems import EmsPolicy
from isc.ir.mail import MailPolicy
from isc.ir.requests import Decision, MailMessage
from isc.ir.serde import camel
from isc.models import ems, imsva

#: How much an action keeps a message from its recipient.
ACCESS_LEVEL = {
    "deliver": 0,
    "deliver-now": 0,
    "change-recipient": 1,
    "handoff": 1,
    "quarantine": 2,
    "delete": 3,
}


def classify(source: Decision, target: Decision) -> Fidelity:
    """The difference between two mail decisions, as a tag."""
    if source.action == target.action:
        if set(source.modifications) == set(target.modifications):
            return Fidelity.EXACT
        return Fidelity.APPROXIMATED
    s, t = ACCESS_LEVEL[source.action], ACCESS_LEVEL[target.action]
    if t > s:
        return Fidelity.NARROWED
    if t < s:
        return Fidelity.BROADENED
    return Fidelity.APPROXIMATED


@attrs.frozen
class Comparison:
    fidelity: Fidelity
    witness: MailMessage | None = None
    source: Decision | None = None
    target: Decision | None = None
    differences: int = 0


#: The witness reported for a tag: the worst direction first.
_WORST = (Fidelity.BROADENED, Fidelity.APPROXIMATED, Fidelity.NARROWED)


def summarise(found: dict[Fidelity, tuple[MailMessage, Decision, Decision]], count: int
              ) -> Comparison:
    if not found:
        return Comparison(Fidelity.EXACT)
    tag = Fidelity.combine(list(found))
    for worst in _WORST:
        if worst in found:
            msg, s, t = found[worst]
            return Comparison(tag, msg, s, t, count)
    raise AssertionError("unreachable")


def compare(source: MailPolicy, target: EmsPolicy, probes: Iterable[MailMessage],
            baseline: tuple[MailPolicy, EmsPolicy] | None = None) -> Comparison:
    """Run every probe through both models; the tag summarises the differences.

    With a ``baseline`` (the two policies without the object under test), a probe counts
    only where the baseline policies agree, so that differences of other objects are not
    charged to this one.
    """
    found: dict[Fidelity, tuple[MailMessage, Decision, Decision]] = {}
    count = 0
    for msg in probes:
        s = imsva.decide(source, msg)
        t = ems.decide(target, msg)
        tag = classify(s, t)
        if tag is Fidelity.EXACT:
            continue
        if baseline is not None and classify(imsva.decide(baseline[0], msg),
                                             ems.decide(baseline[1], msg)) is not Fidelity.EXACT:
            continue
        count += 1
        found.setdefault(tag, (msg, s, t))
    return summarise(found, count)


def covers(tag: Fidelity, difference: Fidelity) -> bool:
    """Does an object's tag already declare a difference in this direction?"""
    return tag is difference or tag in (Fidelity.APPROXIMATED, Fidelity.DROPPED)


def message_json(m: MailMessage) -> dict[str, Any]:
    """A probe message as JSON: sender and recipient always, other fields when set."""
    out: dict[str, Any] = {"sender": m.sender, "recipient": m.recipient}
    default = MailMessage(m.sender, m.recipient)
    simple = ("direction", "subject", "body", "size", "client_ip", "when", "virus",
              "spam_score", "graymail", "wrs_level", "sea", "dkim_pass", "cc_email",
              "undecryptable", "spoofed_internal", "dmarc")
    for name in simple:
        value = getattr(m, name)
        if value != getattr(default, name):
            out[camel(name)] = value
    for name in ("recipients", "dlp_templates", "sender_groups", "recipient_groups"):
        value = getattr(m, name)
        if value:
            out[camel(name)] = list(value)
    if m.headers:
        out["headers"] = [[k, v] for k, v in m.headers]
    if m.attachments:
        out["attachments"] = [
            {"name": a.name, "fileType": a.file_type, "mimeType": a.mime_type, "size": a.size,
             "passwordProtected": a.password_protected,
             **({"content": a.content} if a.content else {})}
            for a in m.attachments]
    return out


def decision_json(d: Decision, rel: Callable[[str], str] = str) -> dict[str, Any]:
    """A decision for the report; ``rel`` maps the deciding object's file to the path
    output documents cite (the path inside the input)."""
    by = d.decided_by
    if by is not None and by.file:
        by = attrs.evolve(by, file=rel(by.file))
    return {"action": d.action, "modifications": list(d.modifications),
            "decidedBy": by.to_json() if by else None}


def witness_json(c: Comparison, cause: str | None = None,
                 rel: Callable[[str], str] = str) -> dict[str, Any] | None:
    """``{"message": ..., "source": ACTION, "target": ACTION, ...}`` for the report."""
    if c.witness is None or c.source is None or c.target is None:
        return None
    out: dict[str, Any] = {
        "message": message_json(c.witness),
        "source": c.source.action,
        "target": c.target.action,
        "sourceDecision": decision_json(c.source, rel),
        "targetDecision": decision_json(c.target, rel),
    }
    if cause is not None:
        out["cause"] = cause
    return out


def witness_text(c: Comparison) -> str:
    """One line for a diagnostic: the message and the two decisions."""
    if c.witness is None or c.source is None or c.target is None:
        return ""
    m = c.witness
    what = f"{m.sender or '<>'} → {m.recipient}"
    if m.subject:
        what += f" \"{m.subject[:40]}\""
    s, t = c.source.action, c.target.action
    if s == t:  # the difference is in the modifications: show them
        s = " ".join([s, ", ".join(sorted(c.source.modifications))])
        t = " ".join([t, ", ".join(sorted(c.target.modifications))])
    return f" (e.g. {what}: {s.strip()} → {t.strip()})"
