"""Directions and tags computed by running both web decision models (spec semantics.md §5)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from isc.backends.comparison import Comparison, Witness, collect
from isc.ir.common import Difference, Fidelity
from isc.ir.requests import Decision, WebRequest, request_to_json
from isc.ir.web import WebPolicy
from isc.ir.ztsa import ZtsaPolicy
from isc.models import iwsva, ztsa

#: How much access an action withholds. Equal levels with different actions differ only in
#: non-access ways (logging, a click-through page).
ACCESS_LEVEL = {
    "allow": 0,
    "monitor": 0,
    "warn": 0,
    "time-limit": 1,
    "block-override": 2,
    "block": 3,
}


def difference(source: str, target: str) -> Difference | None:
    """The direction in which the target's action differs from the source's, if it does."""
    if source == target:
        return None
    s, t = ACCESS_LEVEL[source], ACCESS_LEVEL[target]
    if t > s:
        return Difference.NARROWED
    if t < s:
        return Difference.BROADENED
    return Difference.NON_ACCESS


def differences(source: Decision, target: Decision) -> frozenset[Difference]:
    d = difference(source.action, target.action)
    return frozenset() if d is None else frozenset({d})


def compare(web: WebPolicy, target: ZtsaPolicy, probes: Iterable[WebRequest],
            identities: Mapping[str, str] | None = None) -> Comparison[WebRequest]:
    """Decide every probe with both models: the directions found, a witness for each."""
    return collect(((req, iwsva.decide(web, req), ztsa.decide(target, req, identities))
                    for req in probes), differences)


def request_json(r: WebRequest) -> dict[str, Any]:
    """A request as ``isc explain --request`` and ``verify --requests`` take it: only the
    fields that are set (an unset client, user or time is not a value to replay)."""
    return request_to_json(r)


def witness_json(w: Witness[WebRequest] | None) -> dict[str, Any] | None:
    if w is None:
        return None
    return {
        "request": request_json(w.probe),
        "source": w.source.action,
        "target": w.target.action,
        "direction": w.direction.value,
        "scope": w.scope,
    }


def describe_request(r: dict[str, Any]) -> str:
    """A witness request in words, naming only what is set."""
    parts = [str(r.get("url"))]
    who = [f"client {r['client']}" if r.get("client") else "",
           f"user {r['user']}" if r.get("user") else "",
           f"groups {', '.join(r['groups'])}" if r.get("groups") else ""]
    if any(who):
        parts.append("from " + ", ".join(x for x in who if x))
    if r.get("categories"):
        parts.append(f"categories {', '.join(r['categories'])}")
    if r.get("when"):
        parts.append(f"at {r['when']}")
    if r.get("decrypted") is not None and str(r.get("url", "")).startswith("https:"):
        parts.append("decrypted" if r["decrypted"] else "not decrypted")
    if r.get("fileType"):
        parts.append(f"file type {r['fileType']}")
    return " ".join(parts)


def classify(source: str, target: str) -> Fidelity:
    """The tag of one difference (its direction summarised)."""
    d = difference(source, target)
    return Fidelity.EXACT if d is None else Fidelity.of({d})


_SHAPE_TOKENS = re.compile(r"%2a|%3f|[0-9]+(?![A-Za-z0-9])|[A-Za-z0-9]+|[^\x00-\x7f]+",
                           re.IGNORECASE)


def _shape_token(m: re.Match[str]) -> str:
    text = m.group()
    low = text.lower()
    if low in ("%2a", "%3f"):
        return low
    if not text.isascii():
        return "u"
    return "0" if text.isdigit() else "a"


def entry_shape(stored: str) -> str:
    """What an entry's translation and its probes depend on: every wildcard, escape and
    separator in place, each run of letters (``a``), of digits alone (``0``: a port) and of
    other characters (``u``) reduced to its class. Entries of one shape in one role get the
    same directions (issue 9: computed once per shape); the tests check this against
    computing every entry."""
    return _SHAPE_TOKENS.sub(_shape_token, stored)
