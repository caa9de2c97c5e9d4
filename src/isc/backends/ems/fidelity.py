"""Fidelity tags computed by running the IMSVA and EmS mail models (spec semantics.md §5).

A mail decision is an action plus the modifications made on the way. Actions are ranked by
how much they keep a message from its recipient (docs/targets/ems.md §4):

    deliver, deliver-now  <  change-recipient, handoff  <  quarantine  <  delete

A target that stops more mail than its source is *narrowed*, one that stops less is
*broadened*; the same level with a different action, or the same action with different
modifications (compared as sets: the models keep each modification once), is
*non-access*, unless a modification that withholds part of the message (an attachment
deleted or cleaned) is made on one side only: that is an access direction too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from isc.backends.comparison import Comparison, Witness, collect
from isc.ir.common import Difference, Fidelity
from isc.ir.ems import EmsPolicy
from isc.ir.mail import MailPolicy
from isc.ir.requests import Decision, MailMessage, message_to_json
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

#: Modifications that keep part of a message from its recipient (an attachment deleted, a
#: file cleaned): losing one lets through what the source stopped.
WITHHOLDING = ("delete-attachments:", "clean:")


def _withheld(d: Decision) -> set[str]:
    return {m for m in d.modifications if m.startswith(WITHHOLDING)}


def differences(source: Decision, target: Decision) -> frozenset[Difference]:
    """The directions in which two mail decisions differ (none: the same decision).

    Different access levels give that direction. At the same level, a withholding
    modification only the source made is ``broadened`` and one only the target made is
    ``narrowed``; any other difference (another action of the level, other stamps, tags,
    headers, notifications) is ``non-access``."""
    s, t = ACCESS_LEVEL[source.action], ACCESS_LEVEL[target.action]
    if t > s:
        return frozenset({Difference.NARROWED})
    if t < s:
        return frozenset({Difference.BROADENED})
    out: set[Difference] = set()
    ws, wt = _withheld(source), _withheld(target)
    if ws - wt:
        out.add(Difference.BROADENED)
    if wt - ws:
        out.add(Difference.NARROWED)
    rest_s = set(source.modifications) - ws
    rest_t = set(target.modifications) - wt
    if source.action != target.action or rest_s != rest_t:
        out.add(Difference.NON_ACCESS)
    return frozenset(out)


def compare(source: MailPolicy, target: EmsPolicy, probes: Iterable[MailMessage],
            baseline: tuple[MailPolicy, EmsPolicy] | None = None) -> Comparison[MailMessage]:
    """Decide every probe with both models: the directions found, a witness for each.

    With a ``baseline`` (the two policies without the object under test), a probe counts
    only where the baseline policies agree, so that differences of other objects are not
    charged to this one.
    """
    keep = None
    if baseline is not None:
        base_src, base_tgt = baseline

        def keep(msg: MailMessage) -> bool:
            return not differences(imsva.decide(base_src, msg), ems.decide(base_tgt, msg))

    return collect(((msg, imsva.decide(source, msg), ems.decide(target, msg))
                    for msg in probes), differences, keep)


def classify(source: Decision, target: Decision) -> Fidelity:
    """The tag of one difference (its directions summarised)."""
    return Fidelity.of(differences(source, target))


def message_json(m: MailMessage) -> dict[str, Any]:
    """A probe message as JSON: sender and recipient always, other fields when set."""
    return message_to_json(m)


def decision_json(d: Decision, rel: Callable[[str], str] = str) -> dict[str, Any]:
    """A decision for the report; ``rel`` maps the deciding object's file to the path
    output documents cite (the path inside the input)."""
    by = d.decided_by.to_json() if d.decided_by is not None else None
    if by is not None and isinstance(by["file"], str) and by["file"]:
        by["file"] = rel(by["file"])
    return {"action": d.action, "modifications": list(d.modifications), "decidedBy": by}


def witness_json(w: Witness[MailMessage] | None, cause: str | None = None,
                 rel: Callable[[str], str] = str) -> dict[str, Any] | None:
    """``{"message": ..., "source": ACTION, "target": ACTION, "direction", "scope", ...}``."""
    if w is None:
        return None
    out: dict[str, Any] = {
        "message": message_json(w.probe),
        "source": w.source.action,
        "target": w.target.action,
        "sourceDecision": decision_json(w.source, rel),
        "targetDecision": decision_json(w.target, rel),
        "direction": w.direction.value,
        "scope": w.scope,
    }
    if cause is not None:
        out["cause"] = cause
    return out


def witness_text(w: Witness[MailMessage] | None) -> str:
    """One line for a diagnostic: the message and the two decisions."""
    if w is None:
        return ""
    m = w.probe
    what = f"{m.sender or '<>'} → {m.recipient}"
    if m.subject:
        what += f" \"{m.subject[:40]}\""
    s, t = w.source.action, w.target.action
    if s == t:  # the difference is in the modifications: show them
        s = " ".join([s, ", ".join(sorted(w.source.modifications))])
        t = " ".join([t, ", ".join(sorted(w.target.modifications))])
    return f" (e.g. {what}: {s.strip()} → {t.strip()})"
