"""Fidelity tags computed by running both decision models (spec semantics.md §5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from isc.ir.common import Fidelity
from isc.ir.requests import Decision, WebRequest
from isc.ir.web import WebPolicy
from isc.ir.ztsa import ZtsaPolicy
from isc.models import iwsva, ztsa

#: How much access an action withholds. Equal levels with different actions differ only in
#: non-access ways (logging, a click-through page): that is "approximated".
ACCESS_LEVEL = {
    "allow": 0,
    "monitor": 0,
    "warn": 0,
    "time-limit": 1,
    "block-override": 2,
    "block": 3,
}


def classify(source: str, target: str) -> Fidelity:
    if source == target:
        return Fidelity.EXACT
    s, t = ACCESS_LEVEL[source], ACCESS_LEVEL[target]
    if t > s:
        return Fidelity.NARROWED
    if t < s:
        return Fidelity.BROADENED
    return Fidelity.APPROXIMATED


@attrs.frozen
class Comparison:
    fidelity: Fidelity
    witness: WebRequest | None = None
    source: Decision | None = None
    target: Decision | None = None
    differences: int = 0


def compare(web: WebPolicy, target: ZtsaPolicy, probes: Iterable[WebRequest],
            identities: Mapping[str, str] | None = None) -> Comparison:
    """Run every probe through both models; the tag summarises all differences seen.

    The witness is the first request decided differently in the worst direction.
    """
    found: dict[Fidelity, tuple[WebRequest, Decision, Decision]] = {}
    count = 0
    for req in probes:
        s = iwsva.decide(web, req)
        t = ztsa.decide(target, req, identities)
        tag = classify(s.action, t.action)
        if tag is not Fidelity.EXACT:
            count += 1
            found.setdefault(tag, (req, s, t))
    if not found:
        return Comparison(Fidelity.EXACT)
    tag = Fidelity.combine(list(found))
    for worst in (Fidelity.BROADENED, Fidelity.APPROXIMATED, Fidelity.NARROWED):
        if worst in found:
            req, s, t = found[worst]
            return Comparison(tag, req, s, t, count)
    raise AssertionError("unreachable")


def witness_json(c: Comparison) -> dict[str, object] | None:
    if c.witness is None or c.source is None or c.target is None:
        return None
    r = c.witness
    return {
        "request": {
            "url": r.url,
            "client": r.client,
            "user": r.user,
            "groups": list(r.groups),
            "categories": [str(x) for x in r.categories],
            "when": r.when.isoformat() if r.when else None,
            "fileType": r.file_type,
        },
        "source": c.source.action,
        "target": c.target.action,
    }


def covers(tag: Fidelity, difference: Fidelity) -> bool:
    """Does an object's tag already declare a difference in this direction?"""
    return tag is difference or tag in (Fidelity.APPROXIMATED, Fidelity.DROPPED)
