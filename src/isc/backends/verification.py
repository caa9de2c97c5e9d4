"""What ``isc verify`` checks, for both targets (spec semantics.md §5, interface.md).

``verify`` decides many probes with three models: the source policy, the output it is given
(perhaps edited by hand since compile) and the output isc compiles from the same input now.

- Where the given output decides like the compiled one, the difference (if any) is the
  translation's own: it is *declared* in a direction only when an object that decided it
  declares that direction, read from the compiled output (so an edited tag declares
  nothing).
- Where they decide differently, an edit changed the decision: every difference from the
  source is reported, with the edited object and what the compiled output decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic

import attrs

from isc import workers
from isc.backends.comparison import P
from isc.ir.common import DIRECTION_ORDER, Difference
from isc.ir.export import Swept
from isc.ir.requests import DecidedBy, Decision


@attrs.frozen
class Edits:
    """Objects of the given document whose fingerprint differs from the compiled one's, by
    key (``kind:name``)."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.deleted)

    @property
    def keys(self) -> tuple[str, ...]:
        return self.changed + self.added + self.deleted

    def words(self) -> list[str]:
        return ([f"changed {k}" for k in self.changed] + [f"added {k}" for k in self.added]
                + [f"deleted {k}" for k in self.deleted])

    @classmethod
    def between(cls, given: Mapping[str, str], compiled: Mapping[str, str]) -> Edits:
        return cls(tuple(sorted(k for k in given if k in compiled and given[k] != compiled[k])),
                   tuple(sorted(k for k in given if k not in compiled)),
                   tuple(sorted(k for k in compiled if k not in given)))

    def touching(self, *decided: DecidedBy | None) -> tuple[str, ...]:
        """The edited objects among those that decided (by kind and name)."""
        names = {f"{by.kind}:{by.name}" for by in decided if by is not None}
        return tuple(k for k in self.keys if k.split(" #", 1)[0] in names)


@attrs.frozen
class Finding(Generic[P]):
    """A probe the source and the given output decide differently."""

    probe: P
    source: Decision
    target: Decision
    directions: frozenset[Difference]
    declared: frozenset[Difference] = frozenset()
    #: Set when an edit changed the decision: what the compiled output decided, and the
    #: edited objects that took part (all edited objects when none of them decided).
    compiled: Decision | None = None
    edited: tuple[str, ...] = ()

    @property
    def undeclared(self) -> frozenset[Difference]:
        return self.directions - self.declared


@attrs.frozen
class Verification:
    """The outcome of ``verify`` for one target document."""

    target: str
    document: str
    probes: int
    findings: tuple[Finding[Any], ...]
    edits: Edits = Edits()
    #: Why the compiled output may not be what was compiled then (another isc version,
    #: other options, an edited report): differences are then judged against today's.
    notes: tuple[str, ...] = ()

    @property
    def undeclared(self) -> tuple[Finding[Any], ...]:
        return tuple(f for f in self.findings if f.undeclared)

    def counts(self) -> dict[str, dict[str, int]]:
        """Differences per direction, declared and undeclared (a probe counts once in each
        of its directions)."""
        out: dict[str, dict[str, int]] = {"declared": {}, "undeclared": {}}
        for f in self.findings:
            for d in DIRECTION_ORDER:
                if d in f.directions:
                    side = "declared" if d in f.declared else "undeclared"
                    out[side][d.value] = out[side].get(d.value, 0) + 1
        return out


def _same(a: Decision, b: Decision) -> bool:
    """The same decision by the same object (file and line aside: an edit of an object's
    ``source`` does not change what it decides)."""
    def who(d: Decision) -> tuple[str, str] | None:
        return None if d.decided_by is None else (d.decided_by.kind, d.decided_by.name)

    return (a.action, set(a.modifications), who(a)) == (b.action, set(b.modifications), who(b))


def check(probes: Iterable[P], source: Callable[[P], Decision], given: Callable[[P], Decision],
          compiled: Callable[[P], Decision],
          differences: Callable[[Decision, Decision], frozenset[Difference]],
          declared: Callable[[P, Decision, Decision], frozenset[Difference]],
          edits: Edits) -> list[Finding[P]]:
    """Every probe decided differently by the source and the given output, with what is
    declared of it. ``declared(probe, source, compiled)`` reads the compiled output's tags."""
    items = list(probes)

    def run(part: Sequence[int]) -> list[tuple[int, Finding[P]]]:
        out: list[tuple[int, Finding[P]]] = []
        for i in part:
            p = items[i]
            s, t = source(p), given(p)
            found = differences(s, t)
            if not found:
                continue
            o = compiled(p)
            if _same(o, t):
                out.append((i, Finding(p, s, t, found, found & declared(p, s, o))))
            else:
                touched = edits.touching(t.decided_by, o.decided_by) or edits.keys
                out.append((i, Finding(p, s, t, found, frozenset(), o, touched)))
        return out

    # every other probe on the second core (workers.split), the findings in probe order
    positions = list(range(len(items)))
    found_all = [f for _, part in workers.split(run, positions[0::2] + positions[1::2])
                 for f in part]
    return [f for _, f in sorted(found_all, key=lambda x: x[0])]


def swept_findings(swept: Swept, declared: Callable[[Any, Decision, Decision],
                                                    frozenset[Difference]],
                   differences: Callable[[Decision, Decision], frozenset[Difference]]
                   ) -> list[Finding[Any]]:
    """The findings of compile's own pool for a given document equal to the compiled one
    (decision 159): the probes the sweep found differing, with its decisions, declared
    from the compiled output as :func:`check` declares them."""
    found: list[Finding[Any]] = []
    for probe, s, t in swept.differing:
        directions = differences(s, t)
        found.append(Finding(probe, s, t, directions, directions & declared(probe, s, t)))
    return found
