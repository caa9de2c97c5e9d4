"""Shared IR building blocks: source positions, fidelity tags, origin records."""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from isc.diagnostics import Span

__all__ = [
    "DIRECTION_ORDER",
    "Difference",
    "Fidelity",
    "Meta",
    "Origin",
    "PassChange",
    "Span",
    "alike_but_meta",
    "check_tag",
    "sorted_directions",
    "span_field",
]


def span_field() -> Any:
    """A ``span`` attribute: kept for messages, ignored by equality and hashing."""
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


class Difference(enum.Enum):
    """One direction a translated object's decisions can differ in (spec semantics.md §5).

    An object carries the *set* of directions its differences take; its :class:`Fidelity`
    tag is only a summary of that set, so gates and ``verify`` read the set."""

    NARROWED = "narrowed"
    """More is withheld than the source withheld (fail-closed)."""
    BROADENED = "broadened"
    """Something the source stopped is let through (fail-open)."""
    NON_ACCESS = "non-access"
    """The same access, other behaviour (warn vs monitor, a stamp, a log)."""


#: The order directions are shown in, and the order a witness is chosen in: the worst first.
DIRECTION_ORDER = (Difference.BROADENED, Difference.NARROWED, Difference.NON_ACCESS)


def sorted_directions(directions: Iterable[Difference]) -> list[Difference]:
    """Directions in :data:`DIRECTION_ORDER`."""
    found = set(directions)
    return [d for d in DIRECTION_ORDER if d in found]


class Fidelity(enum.Enum):
    """How faithfully a translated object decides like its source (spec semantics.md §5)."""

    EXACT = "exact"
    NARROWED = "narrowed"
    BROADENED = "broadened"
    APPROXIMATED = "approximated"
    DROPPED = "dropped"

    @staticmethod
    def of(directions: Iterable[Difference]) -> Fidelity:
        """The tag that summarises a set of directions (the tag of a translated object)."""
        found = frozenset(directions)
        if not found:
            return Fidelity.EXACT
        if found == {Difference.NARROWED}:
            return Fidelity.NARROWED
        if found == {Difference.BROADENED}:
            return Fidelity.BROADENED
        return Fidelity.APPROXIMATED

    def implied(self) -> frozenset[Difference]:
        """The directions a tag read without them stands for, failing closed: an
        ``approximated`` or ``dropped`` object may hide any direction."""
        return _IMPLIED[self]


@attrs.frozen
class Origin:
    """Where an emitted object came from: the source object's file, line, kind and name."""

    file: str
    line: int
    kind: str
    name: str

    @classmethod
    def at(cls, kind: str, name: str, span: Span | None,
           rel: Callable[[str], str] = str) -> Origin:
        """The origin of a source object written at ``span``; ``rel`` maps the file shown to
        the user to the path output documents cite. No span: file ``""``, line 0."""
        if span is None:
            return cls("", 0, kind, name)
        return cls(rel(span.file), span.line, kind, name)


_IMPLIED = {
    Fidelity.EXACT: frozenset(),
    Fidelity.NARROWED: frozenset({Difference.NARROWED}),
    Fidelity.BROADENED: frozenset({Difference.BROADENED}),
    Fidelity.APPROXIMATED: frozenset(Difference),
    Fidelity.DROPPED: frozenset(Difference),
}


def check_tag(fidelity: Fidelity, directions: frozenset[Difference]) -> None:
    """A tag must summarise its directions (``dropped`` excepted: it says there is no
    counterpart, and its directions say what losing the object changes)."""
    if fidelity is not Fidelity.DROPPED and fidelity is not Fidelity.of(directions):
        shown = ", ".join(d.value for d in sorted_directions(directions)) or "none"
        raise ValueError(f"fidelity {fidelity.value!r} does not summarise the directions "
                         f"[{shown}]; it would be {Fidelity.of(directions).value!r}")


@attrs.frozen
class Meta:
    """Provenance and fidelity carried by every emitted object: the tag summarises the set of
    directions its differences take."""

    source: Origin | None = None
    fidelity: Fidelity = Fidelity.EXACT
    review: tuple[str, ...] = ()
    #: Not given: what the tag implies, failing closed (see :meth:`Fidelity.implied`).
    directions: frozenset[Difference] = attrs.field(
        default=attrs.Factory(lambda self: self.fidelity.implied(), takes_self=True))

    def __attrs_post_init__(self) -> None:
        check_tag(self.fidelity, self.directions)

    @classmethod
    def of(cls, source: Origin | None, directions: Iterable[Difference] = (),
           review: Iterable[str] = ()) -> Meta:
        """Provenance with the tag computed from ``directions``."""
        found = frozenset(directions)
        return cls(source, Fidelity.of(found), tuple(review), found)


@attrs.frozen
class PassChange:
    """What one optimisation pass removed or merged away, and the object that keeps its
    meaning (None where nothing needs to: a repeat, a policy never reached).

    ``action`` is ``removed`` (the object can never decide, or another decides the same for
    everything it matches) or ``merged`` (its content now lives in ``kept``). Kinds are the
    report's source object kinds (``url-filtering-policy``, ``custom-category.entry``...)."""

    pass_name: str
    action: str
    kind: str
    name: str
    span: Span | None
    reason: str
    kept_kind: str | None = None
    kept_name: str | None = None
    kept_span: Span | None = None


def alike_but_meta(old: Any, new: Any) -> bool:
    """Do two policies (instances of one attrs class) differ at most in their objects'
    ``meta`` (directions, tag, review notes), which no model decision reads? A field holds a
    tuple of objects, one object, None or a plain value; an object with a ``meta`` must keep
    its source and every other field. Checked field by field, object by object, in one pass
    (an estate's policy holds a million objects): what lets a decision made on a draft of a
    policy stand for the policy written."""
    if type(old) is not type(new):
        return False
    for field in attrs.fields(type(old)):
        a_value, b_value = getattr(old, field.name), getattr(new, field.name)
        if a_value is b_value:
            continue
        if not isinstance(a_value, tuple):
            a_value, b_value = (a_value,), (b_value,)
        elif not isinstance(b_value, tuple) or len(a_value) != len(b_value):
            return False
        for a, b in zip(a_value, b_value, strict=True):
            if a is b:
                continue
            cls = type(a)
            if cls is not type(b):
                return False
            rest = _ALL_BUT_META.get(cls)
            if rest is None:
                rest = _all_but_meta(cls)
            if rest is _WHOLE:
                if a != b:
                    return False
            elif a.meta.source != b.meta.source or rest(a) != rest(b):
                return False
    return True


def _whole(obj: Any) -> Any:
    return obj


_WHOLE: Callable[[Any], Any] = _whole


def _all_but_meta(cls: type) -> Callable[[Any], Any]:
    """The fields of an object other than ``meta``, as one value (:data:`_WHOLE`: the
    class has no ``meta``, the object is compared whole)."""
    names = [f.name for f in attrs.fields(cls)] if attrs.has(cls) else []
    if "meta" not in names:
        found = _WHOLE
    else:
        get = operator.attrgetter(*(n for n in names if n != "meta"))
        found = lambda obj: (get(obj),)  # noqa: E731 - one tuple even for one field
    _ALL_BUT_META[cls] = found
    return found


_ALL_BUT_META: dict[type, Callable[[Any], Any]] = {}
