"""What both back-ends share when they compare a source and a target model: the directions a
difference takes, and the witnesses that show them (spec semantics.md §5).

A :class:`Comparison` is the outcome of deciding probes (requests or messages) with both
models. It keeps the first probe found in each direction, so a gate can show the broadened
witness of an object whose tag is only ``approximated``. Directions that no probe can show
(an LDAP name mapped by guess, a setting outside the models) are added by rule as
``assumed`` directions; every one of them comes with a reason in the report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

import attrs

from isc import workers
from isc.diagnostics import Diagnostic, Severity, Span
from isc.ir.common import DIRECTION_ORDER, Difference, Fidelity, Meta, Origin
from isc.ir.export import ReportEntry
from isc.ir.requests import Decision

P = TypeVar("P")

#: Where a witness shows its difference: deciding the whole source and target policies
#: (``isc explain`` reproduces it), or only the object alone in its comparison context.
POLICY = "policy"
ISOLATED = "isolated"


@attrs.frozen
class Witness(Generic[P]):
    """One probe decided differently, in one direction."""

    probe: P
    source: Decision
    target: Decision
    direction: Difference
    scope: str = ISOLATED


@attrs.frozen
class Comparison(Generic[P]):
    """Directions found by deciding probes, one witness for each; plus assumed directions."""

    witnesses: tuple[Witness[P], ...] = ()
    count: int = 0
    assumed: frozenset[Difference] = frozenset()

    @property
    def directions(self) -> frozenset[Difference]:
        return frozenset(w.direction for w in self.witnesses) | self.assumed

    @property
    def fidelity(self) -> Fidelity:
        return Fidelity.of(self.directions)

    @property
    def witness(self) -> Witness[P] | None:
        """The witness of the worst direction found (broadened, narrowed, non-access),
        preferring one that shows it in the whole policy."""
        for d in DIRECTION_ORDER:
            found = [w for w in self.witnesses if w.direction is d]
            if found:
                return next((w for w in found if w.scope == POLICY), found[0])
        return None

    def assume(self, *directions: Difference) -> Comparison[P]:
        """The same comparison with directions added by rule."""
        return attrs.evolve(self, assumed=self.assumed | frozenset(directions))

    def with_witness(self, w: Witness[P]) -> Comparison[P]:
        """Add a witness (from the whole-policy sweep): a new direction, or a policy-scope
        witness where only an isolated one was known."""
        same = [x for x in self.witnesses if x.direction is w.direction]
        if same and (w.scope != POLICY or any(x.scope == POLICY for x in same)):
            return self
        rest = tuple(x for x in self.witnesses if x.direction is not w.direction)
        return attrs.evolve(self, witnesses=(*rest, w), count=self.count + (0 if same else 1))


def _best_per_direction(witnesses: Iterable[Witness[P]]) -> list[Witness[P]]:
    """One witness per direction, worst direction first, a whole-policy one where known."""
    found = list(witnesses)
    out = []
    for d in DIRECTION_ORDER:
        same = [w for w in found if w.direction is d]
        if same:
            out.append(next((w for w in same if w.scope == POLICY), same[0]))
    return out


def _why_broadened(reasons: tuple[str, ...]) -> str:
    """The reason that explains a broadened direction (each says "let through"), else the
    first."""
    return next((r for r in reasons if "let through" in r or "lets through" in r), reasons[0])


def by_rule(*directions: Difference) -> Comparison[Any]:
    """A comparison no probe was decided for: its directions are set by rule."""
    return Comparison(assumed=frozenset(directions))


def collect(decided: Iterable[tuple[P, Decision, Decision]],
            differences: Callable[[Decision, Decision], frozenset[Difference]],
            keep: Callable[[P], bool] | None = None, scope: str = ISOLATED) -> Comparison[P]:
    """Fold decided probes into a comparison: the first witness of each direction, and the
    number of probes decided differently. ``keep`` filters the probes that count (a
    baseline check), and is asked only for probes that differ."""
    first: dict[Difference, Witness[P]] = {}
    count = 0
    for probe, s, t in decided:
        found = differences(s, t)
        if not found or (keep is not None and not keep(probe)):
            continue
        count += 1
        for d in found:
            if d not in first:
                first[d] = Witness(probe, s, t, d, scope)
    return Comparison(tuple(first[d] for d in DIRECTION_ORDER if d in first), count)


class Shapes(Generic[P]):
    """Comparisons shared by the objects of one *shape*: a key under which every object
    compares the same way (web entries, decision 152; mail sender entries, 161).

    The first object of a key is compared in full. Another one whose key showed no
    direction is exact without a probe; one whose key showed directions is compared on the
    probes at the positions that showed them, so that its witnesses are its own (in full
    when those show less). A key of None is never shared.

    ``exact``: the key fixes every probe's decisions, position by position (mail sender
    entries, decision 163), so another object of a key that showed directions takes them,
    with its own probes at those positions as witnesses decided as the first object's were,
    without deciding anything."""

    def __init__(self, *, exact: bool = False) -> None:
        self.exact = exact
        self.known: dict[Hashable, tuple[frozenset[Difference], tuple[int, ...],
                                         Comparison[P]]] = {}

    def compare(self, key: Hashable | None, make: Callable[[], list[P]],
                compare_on: Callable[[list[P]], Comparison[P]], *, reuse: bool = True,
                pick: Callable[[Sequence[int]], list[P]] | None = None) -> Comparison[P]:
        known = self.known.get(key) if reuse and key is not None else None
        if known is not None:
            directions, hints, first = known
            if not directions:
                return Comparison()
            if self.exact:
                chosen = pick(hints) if pick is not None else [make()[i] for i in hints]
                return attrs.evolve(first, witnesses=tuple(
                    attrs.evolve(w, probe=p, scope=ISOLATED)
                    for w, p in zip(first.witnesses, chosen, strict=True)))
            probes = make()
            cmp = compare_on([probes[i] for i in hints if i < len(probes)])
            if cmp.directions == directions:
                return cmp
        else:
            probes = make()
        cmp = compare_on(probes)
        if known is None and key is not None:
            self.known[key] = (cmp.directions,
                               tuple(probes.index(w.probe) for w in cmp.witnesses), cmp)
        return cmp


def mirror(directions: Iterable[Difference]) -> frozenset[Difference]:
    """The directions of a match set used to allow rather than to block: matching more
    lets more through, matching less withholds more."""
    swap = {Difference.NARROWED: Difference.BROADENED, Difference.BROADENED: Difference.NARROWED}
    return frozenset(swap.get(d, d) for d in directions)


@functools.cache  # a handful of (tag, directions) pairs, asked for every object
def fidelity_code(tag: Fidelity, directions: frozenset[Difference]) -> str | None:
    """The diagnostic of an object's fidelity: a broadened direction is ``ISC3002`` whatever
    the tag, so that a fail-open is never reported as a mere note."""
    if Difference.BROADENED in directions:
        return "ISC3002"
    return {Fidelity.NARROWED: "ISC3001", Fidelity.APPROXIMATED: "ISC3003",
            Fidelity.DROPPED: "ISC3004"}.get(tag)


#: Comparisons worth a second process (each costs far more than one sweep probe).
_MIN_SPLIT = 2000


def each(whole: Callable[[P], tuple[Decision, Decision]]
         ) -> Callable[[Sequence[P]], list[tuple[Decision, Decision]]]:
    """Decide probes one by one with ``whole`` (both whole policies), on both cores when
    they are many: what :meth:`Ledger.finish` takes."""
    return lambda probes: workers.map_items(whole, probes, min_split=_MIN_SPLIT)


@attrs.define
class Pending(Generic[P]):
    """A source object lowered, whose fidelity is still to compute (issue 9, step 0):
    lowering says what it produced and how to compare it; :class:`FidelityStage` compares.

    ``compare`` decides the object's probes with both models (the per-target probe
    builders live in the back-ends); ``reasons`` gives every reason, knowing the result;
    ``place`` writes the directions and reasons into the target objects."""

    origin: Origin
    fate: str
    targets: tuple[str, ...]
    span: Span | None
    compare: Callable[[], Comparison[P]]
    reasons: Callable[[Comparison[P]], Iterable[str]]
    place: Callable[[Comparison[P], tuple[str, ...]], None] | None = None
    dropped: bool = False
    #: Where it must be computed: ``"first"``, before anything else (later comparisons read
    #: what it learns, as a rule reads the directions of the lists it names); ``"local"``,
    #: in this process (its ``place`` reads what its ``compare`` left behind); ``""``,
    #: anywhere, after the first comparison of its ``key``.
    where: str = ""
    #: Comparisons of one key share what the first of them learns (an entry shape).
    key: Hashable | None = None
    #: A dropped setting that needs no one (see :attr:`ReportEntry.no_action`).
    no_action: bool = False
    #: No diagnostic unless it broadens (see :meth:`Ledger.record`).
    quiet: bool = False


#: Where a target object sits among those emitted: its field and position.
Spot = tuple[str, int]


class Emitted:
    """The target objects of one lowering, by field, in the order emitted. The fidelity
    stage writes each object's directions and reasons into its meta, in place
    (:meth:`placer`)."""

    def __init__(self) -> None:
        self._lists: dict[str, list[Any]] = {}
        self._tuples: dict[str, tuple[Any, ...]] = {}

    def add(self, field: str, objects: Iterable[Any]) -> list[Spot]:
        """Add target objects; their spots, for :meth:`placer`."""
        found = self._lists.setdefault(field, [])
        start = len(found)
        found.extend(objects)
        self._tuples.pop(field, None)
        return [(field, i) for i in range(start, len(found))]

    def get(self, field: str) -> tuple[Any, ...]:
        """One field's objects: the same tuple while the field is unchanged (the models
        index a policy's parts by their tuples, so policies of one tuple share them)."""
        found = self._tuples.get(field)
        if found is None:
            found = self._tuples[field] = tuple(self._lists.get(field, ()))
        return found

    def fields(self) -> dict[str, tuple[Any, ...]]:
        """Every field emitted so far, for the target policy's constructor."""
        return {k: self.get(k) for k in self._lists}

    def set_meta(self, spots: Iterable[Spot], meta: Meta) -> None:
        for field, i in spots:
            objects = self._lists[field]
            objects[i] = attrs.evolve(objects[i], meta=meta)
            self._tuples.pop(field, None)

    def placer(self, origin: Origin, spots: Iterable[Spot]
               ) -> Callable[[Comparison[Any], tuple[str, ...]], None] | None:
        """What writes a :class:`Pending`'s directions and reasons into the objects at
        ``spots`` (None: there are none)."""
        at = tuple(spots)
        if not at:
            return None

        def place(cmp: Comparison[Any], why: tuple[str, ...]) -> None:
            self.set_meta(at, Meta.of(origin, cmp.directions, why))

        return place


class FidelityStage(Generic[P]):
    """The fidelity of every lowered object, computed after the lowering, each recorded in
    the :class:`Ledger` in the order the objects were lowered.

    What later comparisons read is computed first, in order, in this process: the
    ``"first"`` and ``"local"`` ones and the first comparison of each key. The rest read
    only that, so they may run on both cores (:func:`~isc.workers.split`): the
    results, and so the documents, are those of one process."""

    def __init__(self, ledger: Ledger[P]) -> None:
        self.ledger = ledger
        self.pending: list[Pending[P]] = []

    def add(self, pending: Pending[P]) -> None:
        self.pending.append(pending)

    def run(self) -> None:
        pending = self.pending
        results: list[tuple[Comparison[P], tuple[str, ...]] | None] = [None] * len(pending)

        def compute(i: int) -> tuple[Comparison[P], tuple[str, ...]]:
            p = pending[i]
            cmp = p.compare()
            return cmp, tuple(dict.fromkeys(p.reasons(cmp)))

        keys: set[Hashable] = set()
        rest: list[int] = []
        for i, p in enumerate(pending):
            if p.where or (p.key is not None and p.key not in keys):
                if p.key is not None:
                    keys.add(p.key)
                results[i] = compute(i)
            else:
                rest.append(i)
        # alternate positions to each process: expensive kinds come in runs
        for i, computed in zip(rest, workers.map_items(compute, rest, min_split=_MIN_SPLIT,
                                                       alternate=True), strict=True):
            results[i] = computed
        for p, result in zip(pending, results, strict=True):
            assert result is not None
            cmp, reasons = result
            if p.place is not None:
                p.place(cmp, reasons)
            self.ledger.record(p.origin, p.fate, cmp, p.targets, reasons, p.span,
                               quiet=p.quiet, dropped=p.dropped, no_action=p.no_action)
        self.pending = []


class Ledger(Generic[P]):
    """The report entries of one lowering, with what each entry's comparisons found, so that
    the whole-policy stage can widen them and show their witnesses in the whole policy.

    Each source object is recorded once. A non-exact entry must have a reason."""

    def __init__(self, differences: Callable[[Decision, Decision], frozenset[Difference]]
                 ) -> None:
        self.differences = differences
        self.report: list[ReportEntry] = []
        self.found: list[Comparison[P]] = []
        self.where: list[tuple[Span | None, bool]] = []

    def record(self, origin: Origin, fate: str, cmp: Comparison[P], targets: Iterable[str],
               reasons: Iterable[str], span: Span | None, *, quiet: bool = False,
               dropped: bool = False, no_action: bool = False) -> Fidelity:
        """``dropped``: the object has no target counterpart (its directions say what losing
        it changes). ``quiet``: no diagnostic unless it broadens. ``no_action``: a dropped
        setting that needs no one (:attr:`ReportEntry.no_action`)."""
        reasons = tuple(dict.fromkeys(reasons))
        tag = Fidelity.DROPPED if dropped else cmp.fidelity
        if tag is not Fidelity.EXACT and not reasons:
            raise AssertionError(f"{origin.kind} {origin.name!r} is {tag.value} without a reason")
        self.report.append(ReportEntry(origin, fate, tag, tuple(targets), reasons, None,
                                       cmp.directions, no_action=no_action))
        self.found.append(cmp)
        self.where.append((span, quiet or no_action))  # information is not a warning
        return tag

    def gain(self, i: int, witnesses: Iterable[Witness[P]], reason: str) -> None:
        """Entry ``i`` decides differently in the whole policy too: add the witnesses, and
        their directions with ``reason`` where they are new."""
        cmp = self.found[i]
        for w in witnesses:
            cmp = cmp.with_witness(w)
        self.found[i] = cmp
        e = self.report[i]
        if cmp.directions != e.directions:
            self.report[i] = attrs.evolve(
                e, fidelity=e.fidelity if e.fidelity is Fidelity.DROPPED else cmp.fidelity,
                directions=cmp.directions, reasons=e.reasons + (reason,))

    def finish(self, decide_all: Callable[[Sequence[P]], list[tuple[Decision, Decision]]],
               to_json: Callable[[Witness[P] | None], dict[str, Any] | None],
               to_text: Callable[[Witness[P]], str], what: str) -> list[Diagnostic]:
        """Show each entry's witness in the whole policy where it can be (``decide_all``
        decides probes with both whole policies: :func:`each`), say where it cannot, and
        make the diagnostics. A witness already set (a per-type reorder) is kept."""
        out: list[Diagnostic] = []

        def trivial(i: int) -> bool:
            cmp, e = self.found[i], self.report[i]
            return not cmp.witnesses and not cmp.assumed and e.witness is None and (
                fidelity_code(e.fidelity, e.directions) is None)

        work = [i for i in range(len(self.report)) if not trivial(i)]
        # every isolated witness decided in the whole policies first, together
        todo = list(dict.fromkeys(w.probe for i in work for w in self.found[i].witnesses
                                  if w.scope != POLICY))
        decided = dict(zip(todo, decide_all(todo), strict=True))
        for i in work:  # the others have nothing to show or say (most objects of an estate)
            e, cmp = self.report[i], self.found[i]
            for w in cmp.witnesses:
                if w.scope != POLICY:
                    s, t = decided[w.probe]
                    if w.direction in self.differences(s, t):
                        cmp = cmp.with_witness(Witness(w.probe, s, t, w.direction, POLICY))
            self.found[i] = cmp
            best = _best_per_direction(cmp.witnesses)
            alone = [w.direction.value for w in best if w.scope != POLICY]
            if alone:
                e = attrs.evolve(e, reasons=e.reasons + (
                    f"the {' and '.join(alone)} witness shows the difference only for this "
                    f"object alone: in the whole policy another object decides that {what}",))
            shown = {w.direction.value: j for w in best if (j := to_json(w)) is not None}
            if e.witness is not None:  # set by the back-end (its cause said): it stands
                shown[e.witness["direction"]] = e.witness
            witnesses = tuple(shown[d.value] for d in DIRECTION_ORDER if d.value in shown)
            self.report[i] = e = attrs.evolve(e, witness=witnesses[0] if witnesses else None,
                                              witnesses=witnesses, assumed=cmp.assumed)
            span, quiet = self.where[i]
            code = fidelity_code(e.fidelity, e.directions)
            if code is None or (quiet and Difference.BROADENED not in e.directions):
                continue
            sev = Severity.WARNING if code in ("ISC3002", "ISC3004") else Severity.NOTE
            detail = f"; {e.reasons[0]}" if e.reasons else ""
            main = next((w for w in best if e.witness is not None
                         and w.direction.value == e.witness["direction"]), None)
            if main is not None and Difference.BROADENED in e.directions and (
                    main.direction is not Difference.BROADENED):
                main = None  # a narrowed example under "lets through" would mislead
            if Difference.BROADENED in e.directions:
                detail = "; " + _why_broadened(e.reasons) if e.reasons else ""
                if e.fidelity is not Fidelity.BROADENED:
                    detail = "; it lets through some of what the source stopped" + detail
            example = f" (e.g. {to_text(main)})" if main is not None else ""
            out.append(Diagnostic.at(
                code, sev, f"{e.source.kind} \"{e.source.name}\" is {e.fidelity.value}"
                f"{detail}{example}", span))
        return out
